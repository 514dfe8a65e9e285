/** Plain SVG charts generated in Node: horizontal bars with interval whiskers, and line charts. */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b7791f', '#c53030', '#319795', '#4a5568', '#d53f8c', '#718096'];

export interface Bar {
  label: string;
  value: number;
  low: number;
  high: number;
}

export function barChart(title: string, unit: string, bars: Bar[]): string {
  const rowH = 24;
  const left = 330;
  const width = 760;
  const plotW = width - left - 70;
  const height = 30 + bars.length * rowH + 24;
  const max = Math.max(1e-9, ...bars.map((b) => b.high));
  const x = (v: number) => left + (Math.max(0, v) / max) * plotW;
  const rows = bars.map((b, i) => {
    const y = 30 + i * rowH;
    return [
      `<text x="${left - 6}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(b.value) - left)}" height="${rowH - 8}" fill="${COLORS[0]}"/>`,
      `<line x1="${x(b.low)}" x2="${x(b.high)}" y1="${y + rowH / 2}" y2="${y + rowH / 2}" stroke="#000"/>`,
      `<line x1="${x(b.low)}" x2="${x(b.low)}" y1="${y + 7}" y2="${y + rowH - 7}" stroke="#000"/><line x1="${x(b.high)}" x2="${x(b.high)}" y1="${y + 7}" y2="${y + rowH - 7}" stroke="#000"/>`,
      `<text x="${x(b.high) + 4}" y="${y + 15}">${esc(format(b.value))}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11"><text x="4" y="16" font-weight="bold" font-size="13">${esc(title)} (${esc(unit)}, whiskers: 95 % CI)</text>${rows.join('')}</svg>`;
}

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface LineChartOptions {
  xLabel: string;
  yLabel: string;
  /** x positions as given are percentiles: plot them on a 1/(1−p) log scale. */
  percentileX?: boolean;
  logX?: boolean;
}

function format(v: number): string {
  return Math.abs(v) >= 100 ? String(Math.round(v)) : v.toFixed(1);
}

export function lineChart(title: string, series: Series[], o: LineChartOptions): string {
  const width = 760;
  const height = 340;
  const m = { l: 60, r: 220, t: 30, b: 40 };
  const tx = (v: number) => (o.percentileX ? Math.log10(1 / (1 - Math.min(v, 99.999) / 100)) : o.logX ? Math.log10(v) : v);
  const xs = series.flatMap((s) => s.points.map((p) => tx(p[0])));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const y1 = Math.max(1e-9, ...ys);
  const px = (v: number) => m.l + ((tx(v) - x0) / Math.max(1e-9, x1 - x0)) * (width - m.l - m.r);
  const py = (v: number) => height - m.b - (v / y1) * (height - m.t - m.b);
  const ticks = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))];
  const axis = [
    `<line x1="${m.l}" y1="${height - m.b}" x2="${width - m.r}" y2="${height - m.b}" stroke="#000"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${height - m.b}" stroke="#000"/>`,
    ...ticks.filter((_, i) => !o.percentileX || i % 2 === 0 || i === ticks.length - 1).map((t) => `<text x="${px(t)}" y="${height - m.b + 14}" text-anchor="middle">${esc(String(t))}</text>`),
    ...[0, 0.25, 0.5, 0.75, 1].map((f) => `<text x="${m.l - 4}" y="${py(f * y1) + 4}" text-anchor="end">${esc(format(f * y1))}</text>`),
    `<text x="${(width - m.r + m.l) / 2}" y="${height - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="12" y="${m.t - 8}">${esc(o.yLabel)}</text>`,
  ];
  const lines = series.map((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join('');
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/><rect x="${width - m.r + 10}" y="${m.t + i * 16}" width="10" height="10" fill="${color}"/><text x="${width - m.r + 24}" y="${m.t + i * 16 + 9}">${esc(s.name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11"><text x="4" y="16" font-weight="bold" font-size="13">${esc(title)}</text>${axis.join('')}${lines.join('')}</svg>`;
}

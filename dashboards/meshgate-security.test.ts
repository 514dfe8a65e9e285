import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMeshMetrics } from '../services/kit/metrics/mesh-metrics.ts';

interface Panel {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('./meshgate-security.json', import.meta.url), 'utf8')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string }> } };

test('every metric a panel queries is one the workloads export', async () => {
  const metrics = createMeshMetrics('payments');
  const exported = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    exported.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(m.name + suffix);
  }
  const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/meshgate_[a-z_]+/g) ?? []));
  expect(queried.length).toBeGreaterThanOrEqual(dashboard.panels.length);
  expect(queried.filter((name) => !exported.has(name))).toEqual([]);
});

test('panels do not overlap and every query filters by the service variable', () => {
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'service']));
  const cells = new Set<string>();
  for (const p of dashboard.panels) {
    for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
      for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
        const cell = `${x},${y}`;
        expect(cells.has(cell), `${p.title} overlaps at ${cell}`).toBe(false);
        cells.add(cell);
      }
    }
    for (const t of p.targets) expect(t.expr).toContain('service=~"$service"');
  }
});

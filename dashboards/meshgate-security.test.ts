import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMeshMetrics } from '../services/kit/metrics/mesh-metrics.ts';
import { renderGateMetrics } from '../harness/report/gate-metrics.ts';
import { sampleReport } from '../harness/test-support/sample-report.ts';

interface Panel {
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Array<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('./meshgate-security.json', import.meta.url), 'utf8')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string }> } };

/** Gate results come from the textfile collector, one series per run rather than per service. */
const isGatePanel = (p: Panel) => p.targets.some((t) => t.expr.includes('meshgate_gate_'));

test('every metric a panel queries is one the workloads or the gate export', async () => {
  const metrics = createMeshMetrics('payments');
  const exported = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    exported.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(m.name + suffix);
  }
  for (const [, name] of renderGateMetrics(sampleReport()).matchAll(/^# TYPE (\S+)/gm)) exported.add(name!);
  const queried = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/meshgate_[a-z_]+/g) ?? []));
  expect(queried.length).toBeGreaterThanOrEqual(dashboard.panels.length);
  expect(queried.filter((name) => !exported.has(name))).toEqual([]);
});

test('panels do not overlap and every workload query filters by the service variable', () => {
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
    if (!isGatePanel(p)) for (const t of p.targets) expect(t.expr, p.title).toContain('service=~"$service"');
  }
});

test('every gate metric the textfile carries is shown by a panel', () => {
  const families = [...renderGateMetrics(sampleReport()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
  const queried = dashboard.panels.filter(isGatePanel).flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
  expect(families.filter((name) => !queried.includes(name))).toEqual([]);
});

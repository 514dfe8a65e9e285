/**
 * A real Prometheus for tests, run with the prometheus.yml `meshgate up` wrote
 * for a state folder: only the global scrape and evaluation intervals are
 * shortened (1 s) and, when given, the caller's extra scrape jobs added.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { freePorts } from '../mesh/free-port.ts';
import { prometheusPaths } from '../mesh/prometheus-config.ts';
import { requireTool } from './require-tool.ts';

export interface TestPrometheus {
  url: string;
  /** The Prometheus config as `meshgate up` wrote it. */
  config: { global: Record<string, string>; rule_files: string[]; scrape_configs: unknown[] };
  api<T>(path: string): Promise<T>;
  query(expr: string): Promise<{ result: unknown[] }>;
  /** What Prometheus wrote to stderr, for failure messages. */
  log(): string;
  stop(): void;
}

export async function startPrometheus(stateDir: string, tempDir: (prefix: string) => string, extraScrapeConfigs: unknown[] = []): Promise<TestPrometheus> {
  const bin = requireTool('prometheus', 'prometheus');
  const config = parse(readFileSync(prometheusPaths(stateDir).config, 'utf8')) as TestPrometheus['config'];
  const file = join(tempDir('meshgate-prom-cfg-'), 'prometheus.yml');
  writeFileSync(file, stringify({ ...config, global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [...config.scrape_configs, ...extraScrapeConfigs] }));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const lines: string[] = [];
  const child = spawn(bin, [`--config.file=${file}`, `--storage.tsdb.path=${tempDir('meshgate-prom-data-')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (b: Buffer) => lines.push(b.toString()));
  const stop = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  // Bounded: ready within 30 s or the test fails with Prometheus' own words.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      stop();
      throw new Error(`Prometheus did not become ready: ${lines.join('').slice(-800)}`);
    }
    await sleep(200);
  }
  return { url, config, api, query: (expr) => api(`/api/v1/query?query=${encodeURIComponent(expr)}`), log: () => lines.join(''), stop };
}

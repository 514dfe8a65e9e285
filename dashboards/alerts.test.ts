import { expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { requireTool } from '../harness/test-support/require-tool.ts';
import { useTempDirs } from '../harness/test-support/temp-dirs.ts';

const tempDir = useTempDirs();

const RULES = new URL('./alerts.yml', import.meta.url).pathname;
const RULE_TESTS = new URL('./alerts.test.yml', import.meta.url).pathname;

function promtool(args: string[], cwd?: string) {
  const r = spawnSync(requireTool('promtool', 'prometheus'), args, { encoding: 'utf8', timeout: 30_000, ...(cwd ? { cwd } : {}) });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const alertNames = () => (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.alert));

test('the alert rules pass promtool check rules and cover each attack class', () => {
  const r = promtool(['check', 'rules', RULES]);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
  expect(alertNames()).toEqual(expect.arrayContaining(['MeshgateHandshakeRefused', 'MeshgateTokenRejected', 'MeshgatePdpUnavailable', 'MeshgateSvidExpiringSoon', 'MeshgateTokenReplay', 'MeshgateLoginBruteForce']));
});

test('every alert rule has a promtool unit test, and the unit tests pass', () => {
  const tests = parse(readFileSync(RULE_TESTS, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
  const firing = new Set(tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
  expect(alertNames().filter((name) => !firing.has(name))).toEqual([]);
  const r = promtool(['test', 'rules', RULE_TESTS]);
  expect(r.output).toContain('SUCCESS');
  expect(r.status).toBe(0);
});

test('a broken rule fails its unit test, naming the alert', () => {
  const dir = tempDir('meshgate-alerts-');
  const rules = readFileSync(RULES, 'utf8');
  const broken = rules.replaceAll('reason="token_replayed"', 'reason="token_replay"');
  expect(broken).not.toBe(rules);
  writeFileSync(join(dir, 'alerts.yml'), broken);
  copyFileSync(RULE_TESTS, join(dir, 'alerts.test.yml'));
  const r = promtool(['test', 'rules', 'alerts.test.yml'], dir);
  expect(r.status).not.toBe(0);
  expect(r.output).toContain('MeshgateTokenReplay');
});

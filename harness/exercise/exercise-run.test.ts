import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Aar } from './aar.ts';
import type { ExerciseEvent } from './state.ts';
import { execFileSync, spawn } from 'node:child_process';
import { meshgate, MESHGATE_BIN } from '../test-support/meshgate-cli.ts';
import { requireTool } from '../test-support/require-tool.ts';
import { pollUntil } from '../evidence/poll.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';
import { startPrometheus, type TestPrometheus } from '../test-support/prometheus-server.ts';
import { SERVICE_NAMES } from '../../services/topology.ts';

const tempDir = useTempDirs();
let state: string;
let prometheus: TestPrometheus | undefined;
const played: string[] = [];

beforeAll(async () => {
  state = tempDir('meshgate-exercise-state-');
  const up = await meshgate(['up', '--state', state, '--json']);
  expect(up.code, up.stderr).toBe(0);
  // The team's Prometheus, scraping the mesh with the config `up` wrote and evaluating meshgate's alert rules.
  prometheus = await startPrometheus(state, tempDir);
  await pollUntil(async () => (await prometheus!.query('up{job="meshgate"} == 1')).result.length, (n) => n === SERVICE_NAMES.length, 30_000);
}, 90_000);

afterAll(async () => {
  prometheus?.stop();
  const down = await meshgate(['down', '--state', state]);
  expect(down.code, down.stderr).toBe(0);
}, 60_000);

/** Runs stolen-workload-credential at --speed 10 with this facilitator script; returns its AAR. */
async function play(script: string): Promise<{ aar: Aar; dir: string; stdout: string }> {
  const dir = tempDir('meshgate-exercise-aar-');
  writeFileSync(join(dir, 'script.yaml'), script);
  const r = await meshgate(['exercise', 'run', 'stolen-workload-credential', '--attach', '--state', state, '--speed', '10', '--report-dir', dir, '--facilitator-script', join(dir, 'script.yaml'), '--prometheus', prometheus!.url], 90_000);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  played.push(dir);
  return { aar: JSON.parse(readFileSync(join(dir, 'aar.json'), 'utf8')) as Aar, dir, stdout: r.stdout };
}

const inject = (aar: Aar, id: string) => aar.injects.find((i) => i.id === id)!;
/** Lines payments logged for this correlation id between two instants (the mesh's own count, not the generator's). */
const meshLines = (correlationId: string, from: number, to: number): number =>
  readFileSync(join(state, 'logs', 'payments.log'), 'utf8')
    .split('\n')
    .filter((l) => l.includes(correlationId))
    .map((l) => Date.parse((JSON.parse(l) as { time: string }).time))
    .filter((t) => t >= from && t <= to).length;

describe('a tabletop exercise on a mesh that meshgate up started', () => {
  test('a revocation scripted at +50 s (40 s after the inject) at --speed 10 is measured as contained 4 s ± 1 s later, with its evidence', async () => {
    const { aar, dir } = await play(
      [
        '- { at: +20s, do: acknowledge, inject: leaked-gateway-cert, by: security-operations }',
        '- { at: +25s, do: note, inject: leaked-gateway-cert, by: incident-commander, what: revoke the leaked certificate, why: calls from outside the mesh }',
        '- { at: +50s, do: revoke-cert, inject: leaked-gateway-cert, by: on-call-engineer }',
      ].join('\n'),
    );
    const leaked = inject(aar, 'leaked-gateway-cert');
    expect(aar.overview.speed).toBe(10);
    expect(aar.overview.meshEngine).toBe('attach');
    expect(leaked.timeToContainMs).toBeGreaterThanOrEqual(3000);
    expect(leaked.timeToContainMs).toBeLessThanOrEqual(5000);
    expect(leaked.timeToAcknowledgeMs).toBeGreaterThanOrEqual(500);
    expect(leaked.timeToAcknowledgeMs).toBeLessThanOrEqual(1500);
    expect(leaked.detectedAt).not.toBeNull();
    expect(leaked.timeToDetectMs!).toBeLessThan(leaked.timeToContainMs!);
    // Every kind of signal the exercise expects was seen, each with its own evidence (whichever watcher saw it first).
    const seen = (id: string) => leaked.evidence.detected.find((e) => e.startsWith(`${id}: `));
    expect(seen('refused-at-payments')).toMatch(/payments\.log:\d+/);
    expect(seen('token-failures-metric')).toMatch(/payments meshgate_token_verifications_total\{result="fail"\} rose from \d+ to \d+/);
    expect(seen('refused-request-span')).toMatch(/span ".+" of payments \(trace [0-9a-f]{32}, span [0-9a-f]{16}/);
    expect(seen('token-rejected-alert')).toMatch(/Prometheus alert MeshgateTokenRejected firing since .*service=payments/);
    expect(leaked.evidence.contained[0]).toMatch(/refused certificate [0-9A-F]+ at the handshake/);
    // Blast radius: what reached payments between the inject and the revocation, as payments itself logged it.
    expect(leaked.blastRadius.reached.payments).toBeGreaterThan(0);
    const logged = meshLines(leaked.correlationId!, Date.parse(leaked.firedAt!), Date.parse(leaked.containedAt!));
    expect(Math.abs(logged - leaked.blastRadius.reached.payments!)).toBeLessThanOrEqual(1);
    expect(aar.objectives.find((o) => o.id === 'revoke-credential')!.suggestedRating).toBe('P');
    expect(aar.timeline.map((e) => e.type)).toEqual(expect.arrayContaining(['fired', 'detected', 'acknowledged', 'decision', 'action', 'contained', 'revert']));
    // The Markdown and offline HTML reports carry the HSEEP sections and the measured times.
    const md = readFileSync(join(dir, 'aar.md'), 'utf8');
    for (const h of ['## Exercise overview', '## Objectives and capability ratings', '## Per-inject measurements', '## Timeline', '## Strengths', '## Areas for improvement', '## Improvement plan']) expect(md).toContain(h);
    expect(md).toContain(`| leaked-gateway-cert | ${(leaked.timeToDetectMs! / 1000).toFixed(1)} s |`);
    const html = readFileSync(join(dir, 'aar.html'), 'utf8');
    expect(html).toMatch(/<svg [^>]*aria-label="inject timeline"/);
    expect(html.match(/<circle [^>]*><title>leaked-gateway-cert (detected|alerted|acknowledged|contained) /g)?.length).toBe(4);
    expect(html.replace('http://www.w3.org/2000/svg', '')).not.toMatch(/(src|href)=|https?:\/\//);
    const status = await meshgate(['status', '--state', state, '--json']);
    expect(status.code, status.stdout).toBe(0);
  }, 120_000);

  test('a scripted 20 s pause moves every later inject by 20 s ± 0.5 s and no attack request reaches payments while paused', async () => {
    const { aar, dir } = await play(['- { at: +20s, do: pause, for: 20, by: facilitator }', '- { at: +50s, do: revoke-cert, inject: leaked-gateway-cert }'].join('\n'));
    const events = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as ExerciseEvent);
    const paused = Date.parse(events.find((e) => e.type === 'paused')!.at);
    const resumed = Date.parse(events.find((e) => e.type === 'resumed')!.at);
    expect(resumed - paused).toBeGreaterThanOrEqual(19_500);
    expect(resumed - paused).toBeLessThanOrEqual(20_500);
    // +60 s at speed 10 is 6 s after the start, plus the pause.
    const late = Date.parse(inject(aar, 'status-update').firedAt!) - Date.parse(aar.overview.startedAt);
    expect(late).toBeGreaterThanOrEqual(26_000 - 500);
    expect(late).toBeLessThanOrEqual(26_000 + 500);
    const leaked = inject(aar, 'leaked-gateway-cert');
    expect(meshLines(leaked.correlationId!, Date.parse(leaked.firedAt!), paused)).toBeGreaterThan(0);
    expect(meshLines(leaked.correlationId!, paused, resumed)).toBe(0);
    expect(meshLines(leaked.correlationId!, resumed, Date.parse(leaked.containedAt!))).toBeGreaterThan(0);
  }, 120_000);

  test('a containment the team claims but did not make is reported as not contained', async () => {
    const { aar } = await play(['- { at: +20s, do: acknowledge, inject: leaked-gateway-cert, by: security-operations }', '- { at: +40s, do: note, by: incident-commander, what: the certificate is revoked }', '- { at: +45s, do: end }'].join('\n'));
    const leaked = inject(aar, 'leaked-gateway-cert');
    expect(leaked.acknowledgedAt).not.toBeNull();
    expect(leaked.containedAt).toBeNull();
    expect(leaked.timeToContainMs).toBeNull();
    expect(aar.objectives.find((o) => o.id === 'revoke-credential')!.suggestedRating).toBe('M');
    expect(aar.areasForImprovement.join('\n')).toMatch(/leaked-gateway-cert: not contained .*although the team acknowledged it/);
    // The exercise reverted what it did: the mesh is as it was.
    const status = await meshgate(['status', '--state', state, '--json']);
    expect(status.code, status.stdout).toBe(0);
  }, 120_000);

  test('Ctrl-C mid-exercise reverts the allow-all policy and exits 130; a killed run is reverted by the next attach from its journal', async () => {
    type Status = { ok: boolean; policy: { version: string; baseline: string; same: boolean } };
    const status = async (): Promise<Status> => JSON.parse((await meshgate(['status', '--state', state, '--json'])).stdout) as Status;
    /** Starts allow-all-policy (no rollback scripted) and resolves once the policy push has fired. */
    const start = async (until: RegExp) => {
      const dir = tempDir('meshgate-exercise-signal-');
      writeFileSync(join(dir, 'script.yaml'), '- { at: +5m, do: end }\n');
      const child = spawn(process.execPath, [MESHGATE_BIN, 'exercise', 'run', 'allow-all-policy', '--attach', '--state', state, '--speed', '10', '--report-dir', dir, '--facilitator-script', join(dir, 'script.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      await pollUntil(() => out, (o) => until.test(o), 30_000, 100);
      await pollUntil(status, (s) => !s.policy.same, 10_000, 200);
      return { child, exited, output: () => out };
    };

    const interrupted = await start(/fired push-allow-all/);
    interrupted.child.kill('SIGINT');
    const { code } = await interrupted.exited;
    expect(code, interrupted.output()).toBe(130);
    expect(interrupted.output()).toMatch(/revert: .*pdp: policy version \S+ rolled back to/);
    expect(await status()).toMatchObject({ ok: true, policy: { same: true } });

    // SIGKILL leaves no chance to revert: the journal in the state folder remembers what is injected.
    // It dies after the amount-tampering attacker got its certificate, so that certificate is revoked too.
    const killed = await start(/fired amount-tampering/);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect((await status()).policy.same).toBe(false);
    const journal = JSON.parse(readFileSync(join(state, 'lifecycle.json'), 'utf8')) as { state: string; minted?: string[] };
    expect(journal.state).toBe('injected');
    const serial = journal.minted?.[0];
    expect(serial, JSON.stringify(journal)).toMatch(/^[0-9A-Fa-f]+$/);
    const next = await meshgate(['run', '--attach', '--state', state, 'tokens.missing', '--format', 'json', '--report-dir', tempDir('meshgate-exercise-after-kill-')], 120_000);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toMatch(/reverted: pdp: policy version \S+ rolled back to/);
    expect(next.stdout + next.stderr).toContain(`reverted: attacker certificate ${serial} revoked`);
    expect(await status()).toMatchObject({ ok: true, policy: { same: true } });
  }, 180_000);

  test('meshgate exercise report merges the runs into per-inject distributions', async () => {
    expect(played.length).toBe(3);
    const r = await meshgate(['exercise', 'report', ...played]);
    expect(r.code, r.stderr).toBe(0);
    const merged = JSON.parse(r.stdout) as { runs: unknown[]; injects: Array<{ id: string; timeToContainMs: { n: number; reached: number; min: number; max: number } }>; ratings: Record<string, Record<string, number>> };
    expect(merged.runs).toHaveLength(3);
    const contain = merged.injects.find((i) => i.id === 'leaked-gateway-cert')!.timeToContainMs;
    // Two runs revoked (one after a 20 s pause), the third only claimed it.
    expect(contain).toMatchObject({ n: 3, reached: 2 });
    expect(contain.min).toBeLessThanOrEqual(5000);
    expect(contain.max).toBeGreaterThanOrEqual(20_000);
    expect(merged.ratings['revoke-credential']).toMatchObject({ M: 1 });
  });

  test('the facilitator console, driven in tmux as a person would: choose and fire an inject, pause, decisions, an acknowledgement, a rating override, end', async () => {
    const tmux = requireTool('tmux', 'tmux');
    const dir = tempDir('meshgate-exercise-console-');
    const session = `meshgate-exercise-${process.pid}`;
    const t = (...args: string[]) => execFileSync(tmux, args, { encoding: 'utf8', timeout: 10_000 });
    const screen = () => t('capture-pane', '-p', '-t', session);
    const waitScreen = async (re: RegExp, what: string) => {
      const seen = await pollUntil(screen, (s) => re.test(s), 30_000, 200);
      expect(seen, `the console shows ${what}`).toMatch(re);
      return seen;
    };
    const command = [process.execPath, MESHGATE_BIN, 'exercise', 'run', 'stolen-workload-credential', '--attach', '--state', state, '--speed', '10', '--report-dir', dir].map((a) => `'${a}'`).join(' ');
    t('new-session', '-d', '-s', session, '-x', '130', '-y', '40', '-e', 'CI=', `env -u CI ${command}; echo "exit $?"; sleep 60`);
    try {
      await waitScreen(/leaked-gateway-cert\s+\+10s\s+ACTIVE/, 'the leaked certificate inject active');
      // The status update (row 3) is due at +60 s (6 s wall-clock): selected and fired now.
      t('send-keys', '-t', session, '3');
      t('send-keys', '-t', session, 'n');
      await waitScreen(/status-update\s+\+60s\s+fired/, 'the selected inject fired at once');
      t('send-keys', '-t', session, '2');
      await waitScreen(/^>2 leaked-gateway-cert/m, 'the leaked certificate selected again');
      t('send-keys', '-t', session, 'p');
      await waitScreen(/PAUSED/, 'the pause');
      t('send-keys', '-t', session, 'p');
      await pollUntil(screen, (s) => !/PAUSED/.test(s), 10_000, 200);
      t('send-keys', '-t', session, 'd');
      await waitScreen(/decision about leaked-gateway-cert \(who: what/, 'the decision prompt');
      t('send-keys', '-t', session, '-l', 'alice: revoke the gateway certificate');
      t('send-keys', '-t', session, 'Enter');
      await waitScreen(/decision leaked-gateway-cert by alice: revoke the gateway certificate/, 'the decision recorded');
      t('send-keys', '-t', session, 'a');
      await waitScreen(/acknowledged leaked-gateway-cert by team/, 'the acknowledgement');
      // Choosing an inject: the briefing (row 1) is what the next decision is about.
      t('send-keys', '-t', session, '1');
      await waitScreen(/^>1 briefing/m, 'the briefing selected');
      t('send-keys', '-t', session, 'd');
      await waitScreen(/decision about briefing/, 'the decision prompt about the selected inject');
      t('send-keys', '-t', session, '-l', 'bob: repeat the briefing');
      t('send-keys', '-t', session, 'Enter');
      await waitScreen(/decision briefing by bob: repeat the briefing/, 'the decision about the briefing');
      // Overriding a rating: a wrong entry is named and asked again, a right one recorded.
      t('send-keys', '-t', session, 'r');
      await waitScreen(/rating \(1=detect-stolen-credential, 2=revoke-credential/, 'the rating prompt');
      t('send-keys', '-t', session, '-l', '2=X');
      t('send-keys', '-t', session, 'Enter');
      await waitScreen(/! "2=X" is not objective=rating/, 'the bad rating named');
      t('send-keys', '-t', session, '-l', '2=S');
      t('send-keys', '-t', session, 'Enter');
      await waitScreen(/revoke-credential\s+rated S by the facilitator/, 'the rating override');

      t('send-keys', '-t', session, 'q');
      await waitScreen(/exit 0/, 'the run ended with exit 0');
    } finally {
      try {
        t('kill-session', '-t', session);
      } catch {
        // already gone
      }
    }
    const aar = JSON.parse(readFileSync(join(dir, 'aar.json'), 'utf8')) as Aar;
    const types = aar.timeline.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['paused', 'resumed', 'decision', 'acknowledged', 'revert']));
    expect(aar.overview.participants).toEqual(expect.arrayContaining(['alice', 'bob', 'team']));
    expect(aar.timeline.find((e) => e.type === 'decision' && e.by === 'bob')).toMatchObject({ inject: 'briefing' });
    expect(aar.objectives.find((o) => o.id === 'revoke-credential')).toMatchObject({ rating: 'S', overridden: true });
    // The status update fired well before its +60 s (6 s wall-clock after the start) because the facilitator fired it.
    const leakedAt = Date.parse(inject(aar, 'leaked-gateway-cert').firedAt!);
    expect(Date.parse(inject(aar, 'status-update').firedAt!) - leakedAt).toBeLessThan(4_000);
    // Nobody revoked the certificate: acknowledged, not contained.
    expect(inject(aar, 'leaked-gateway-cert').containedAt).toBeNull();
    const status = await meshgate(['status', '--state', state, '--json']);
    expect(status.code, status.stdout).toBe(0);
  }, 120_000);
});

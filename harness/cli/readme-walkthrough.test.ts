/**
 * The README's curl walk-through, run as it stands: its bash block is cut into
 * steps at its comment lines and run by bash against a real `meshgate up`, and
 * each step's output is held to what the step says. The block runs in a
 * stand-in for the checkout (a git repository with this repository's
 * .gitignore, meshgate where npx finds it), so "nothing left untracked" is
 * checked with git itself, and TMPDIR is a folder of the test's own, so the
 * scratch folder the block makes is checked too.
 */
import { expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { formatDuration } from './commands/ca.ts';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import { isRunning } from '../mesh/process-state.ts';
import { MESHGATE_BIN, meshgate } from '../test-support/meshgate-cli.ts';
import { requireTool } from '../test-support/require-tool.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const tempDir = useTempDirs();
const SECTION = '### Acting as a workload with curl';
const SERVICES = ['ca', 'sts', 'pdp', 'ledger', 'payments', 'gateway'];

interface Step {
  title: string;
  lines: string[];
}

/** The first bash block after the walk-through's heading, cut into steps at its top-level comment lines. */
function walkthroughSteps(readme: string): Step[] {
  const at = readme.indexOf(`\n${SECTION}\n`);
  if (at === -1) throw new Error(`README.md has no "${SECTION}" section`);
  const block = /\n```bash\n([\s\S]*?)\n```\n/.exec(readme.slice(at));
  if (!block) throw new Error(`README.md: no bash block under "${SECTION}"`);
  const steps: Step[] = [];
  for (const line of block[1]!.split('\n')) {
    if (line.startsWith('# ')) steps.push({ title: line.slice(2), lines: [] });
    else if (steps.length === 0) throw new Error(`README.md walk-through: "${line}" comes before the first step's comment`);
    else steps.at(-1)!.lines.push(line);
  }
  return steps;
}

function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A stand-in for the checkout: this repository's .gitignore, meshgate and Node 24 where npx looks first. */
function standInCheckout(): string {
  const dir = tempDir('meshgate-walkthrough-cwd-');
  const bin = join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(MESHGATE_BIN, join(bin, 'meshgate'));
  symlinkSync(realpathSync(join(PACKAGE_ROOT, 'node_modules', '.bin', 'node')), join(bin, 'node'));
  copyFileSync(join(PACKAGE_ROOT, '.gitignore'), join(dir, '.gitignore'));
  const init = spawnSync('git', ['init', '-q'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  return dir;
}

function untracked(dir: string): string[] {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`git status failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l && l !== '?? .gitignore');
}

const json = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

test('the README curl walk-through works as written against a real meshgate up and leaves nothing behind', async () => {
  requireTool('curl', 'curl');
  requireTool('jq', 'jq');
  requireTool('git', 'git');
  requireTool('npx', 'npm');
  const steps = walkthroughSteps(readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8'));
  const find = (words: string): number => {
    const i = steps.findIndex((s) => s.title.includes(words));
    if (i === -1) throw new Error(`the walk-through has no step whose comment says "${words}"; its steps: ${steps.map((s) => s.title).join(' | ')}`);
    return i;
  };

  const cwd = standInCheckout();
  const tmp = tempDir('meshgate-walkthrough-tmp-');
  const state = join(cwd, '.meshgate');
  const script = ['set -euo pipefail', ...steps.flatMap((s, i) => [`echo '@@step ${i}'; echo '@@step ${i}' >&2`, ...s.lines])].join('\n');
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  let result;
  try {
    result = await runBash(script, cwd, env, 150_000);
  } finally {
    // Stops the mesh when the block did not get as far as its own `meshgate down`.
    if (existsSync(join(state, 'mesh.json'))) await meshgate(['down', '--state', state]);
  }
  const cut = (text: string): string[] => {
    const parts = Array.from({ length: steps.length }, () => '');
    let current = -1;
    for (const line of text.split('\n')) {
      const marker = /^@@step (\d+)$/.exec(line);
      if (marker) current = Number(marker[1]);
      else if (current >= 0) parts[current] += `${line}\n`;
    }
    return parts;
  };
  const out = cut(result.stdout);
  const err = cut(result.stderr);
  const context = (i: number): string => `step "# ${steps[i]!.title}"\nstdout:\n${out[i]}\nstderr:\n${err[i]}\nwhole stderr:\n${result.stderr.slice(-3000)}`;
  expect(result.code, `bash exited ${result.code}\n${result.stderr.slice(-3000)}`).toBe(0);

  // Each step says what it shows; hold it to that.
  const up = find('start the mesh');
  const urls = new Map<string, string>();
  for (const name of SERVICES) {
    const line = new RegExp(`^${name} (https://localhost:\\d+) spiffe://meshgate\\.test/${name}$`, 'm').exec(out[up]!);
    expect(line, context(up)).not.toBeNull();
    urls.set(name, line![1]!);
  }

  const pulled = find('from the record');
  const named = /^gateway (https:\/\/localhost:\d+), token service (https:\/\/localhost:\d+), payments (https:\/\/localhost:\d+)$/m.exec(out[pulled]!);
  expect(named, context(pulled)).not.toBeNull();
  expect(named![1], 'the gateway step uses its public port, not its mTLS port').not.toBe(urls.get('gateway'));
  expect([named![2], named![3]], context(pulled)).toEqual([urls.get('sts'), urls.get('payments')]);

  const cert = find("gateway's identity");
  const lifetime = formatDuration(DEFAULT_SETTINGS.svidTtlSeconds);
  expect(out[cert], context(cert)).toMatch(new RegExp(`^issued spiffe://meshgate\\.test/gateway serial [0-9A-F]+ valid \\S+ \\.\\. \\S+, lifetime ${lifetime} \\(the CA's default SVID lifetime; --ttl to change it\\)$`, 'm'));

  const login = find('log alice in');
  expect(json(out[login]!), context(login)).toEqual({ token_type: 'Bearer', expires_in: expect.any(Number), scope: 'payments:write' });

  const sealed = find('seal the card');
  expect(json(out[sealed]!), context(sealed)).toEqual({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', mg_ref: 'curl-1', mg_amt: '25', mg_cur: 'EUR' });

  const exchange = find('transaction token for 25 EUR');
  const txn = json(out[exchange]!);
  expect(txn, context(exchange)).toEqual({ issued_token_type: 'urn:ietf:params:oauth:token-type:txn_token', expires_in: 30 });
  expect(steps[exchange]!.title).toContain(`lives ${txn.expires_in} s`);

  const access = find('an access token for payments');
  const accessToken = json(out[access]!);
  expect(accessToken, context(access)).toEqual({ token_type: 'Bearer', expires_in: 60 });
  expect(steps[access]!.title).toContain(`lives ${accessToken.expires_in} s`);

  const book = find('book the payment');
  const booked = /^(\{.*\}) (\d{3})$/m.exec(out[book]!);
  expect(booked, context(book)).not.toBeNull();
  expect(booked![2], context(book)).toBe('201');
  expect(json(booked![1]!), context(book)).toMatchObject({ status: 'booked', owner: 'alice', amount: 25, currency: 'EUR', reference: 'curl-1', cardLast4: '1111' });

  for (const [words, status, reason] of [['the card in clear', '400', 'card_not_encrypted'], ['the same transaction token again', '401', 'token_replayed'], ['another certificate', '401', 'token_cert_mismatch']] as const) {
    const i = find(words);
    expect(steps[i]!.title).toContain(`${status} ${reason}`);
    const refused = /^(\{.*\}) (\d{3})$/m.exec(out[i]!);
    expect(refused, context(i)).not.toBeNull();
    expect([refused![2], json(refused![1]!).error], context(i)).toEqual([status, reason]);
  }

  const down = find('stop the mesh');
  const pids: number[] = [];
  for (const name of [...SERVICES, 'span collector']) {
    // Stopped, or killed after the SIGTERM bound on a loaded machine: either way gone, as checked below.
    const line = new RegExp(`^(?:stopped|killed \\([^)]*\\)): ${name} \\(pid (\\d+)\\)$`, 'm').exec(out[down]!);
    expect(line, context(down)).not.toBeNull();
    pids.push(Number(line![1]));
  }
  for (const pid of pids) expect(isRunning(pid), `pid ${pid} still running`).toBe(false);

  // Nothing left behind: no untracked file in the checkout, no scratch folder (mktemp's tmp.*) in TMPDIR;
  // Node's compile caches may stay there, as after any node command.
  expect(untracked(cwd)).toEqual([]);
  expect(readdirSync(tmp).filter((name) => name.startsWith('tmp.'))).toEqual([]);
}, 180_000);

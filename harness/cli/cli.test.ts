import { afterAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { COMMANDS, main } from './main.ts';
import { colorEnabled } from './color.ts';
import { formatDuration } from './commands/ca.ts';
import { documentedFlags, type CommandHelp } from './help.ts';
import { plural } from './plural.ts';
import { isRunning } from '../mesh/process-state.ts';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import { formatSummaryLine, createProgress } from '../report/progress.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { requireTool } from '../test-support/require-tool.ts';

const run = promisify(execFile);
const BIN = new URL('../bin/meshgate.js', import.meta.url).pathname;

async function meshgate(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}


const dirs: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('usage errors exit 2 and name what was wrong', () => {
  test.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['up', '--bogus'], /--bogus/],
    [['ca', 'issue', '--out', '/tmp/x'], /--spiffe-id is required/],
    [['ca', 'issue', '--spiffe-id', 'https://example', '--out', '/tmp/x'], /--spiffe-id: "https:\/\/example" is not a SPIFFE ID/],
    [['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/x', '--out', '/tmp/x', '--ttl', 'soon'], /--ttl: "soon" is not a duration/],
    [['ca', 'revoke'], /exactly one of --serial or --cert/],
    [['status', '--state', '/nonexistent/meshgate-state'], /state folder .* does not exist/],
  ])('meshgate %j', async (args, message) => {
    const { code, err } = await inProcess(args as string[]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test('--help lists every command with its flags', async () => {
    const { code, out } = await inProcess(['--help']);
    expect(code).toBe(0);
    for (const c of ['up [--state DIR] [--json]', 'down [--state DIR]', 'status', 'ca issue --spiffe-id ID --out DIR', 'ca revoke']) expect(out).toContain(c);
    for (const [name, command] of Object.entries(COMMANDS)) {
      const usage = typeof command.help === 'string' ? [command.help] : command.help.usage;
      for (const u of usage) expect(out, name).toContain(u);
    }
    for (const name of ['NO_COLOR', 'FORCE_COLOR', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'meshgate help <command>', '--version']) expect(out).toContain(name);
  });

  test('no command prints the usage on stderr and exits 2; help of an unknown command and an unknown global flag exit 2 naming them', async () => {
    const none = await inProcess([]);
    expect([none.code, none.out]).toEqual([2, '']);
    expect(none.err).toContain('usage: meshgate <command>');
    const unknownHelp = await inProcess(['help', 'frobnicate']);
    expect(unknownHelp.code).toBe(2);
    expect(unknownHelp.err).toMatch(/unknown command "frobnicate"/);
    const flag = await inProcess(['--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.err).toMatch(/unknown flag "--frobnicate"/);
  });
});

/** The argument lists that reach each command's (and subcommand's) flag parser. */
const PARSERS: Record<string, string[][]> = {
  run: [['run']],
  list: [['list']],
  up: [['up']],
  down: [['down']],
  status: [['status']],
  ca: [['ca', 'issue'], ['ca', 'revoke']],
  'seal-card': [['seal-card']],
  policy: [['policy', 'check']],
  bench: [['bench'], ['bench', 'compare']],
  soak: [['soak']],
  exercise: [['exercise']],
};

describe('the bin script', () => {
  test('caches the compiled harness in the compile cache it is given, so a second run parses and strips nothing again', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'meshgate-cc-'));
    try {
      const first = await meshgate(['--version'], { ...process.env, NODE_COMPILE_CACHE: cache });
      expect(first.code).toBe(0);
      const cached = readdirSync(cache, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
      // Hundreds of modules: the CLI and what it imports, not only the bin script.
      expect(cached.length).toBeGreaterThan(100);
      const second = await meshgate(['--version'], { ...process.env, NODE_COMPILE_CACHE: cache });
      expect(second.stdout).toBe(first.stdout);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('per-command help', () => {
  test('every registered command has structured help and a known flag parser', () => {
    for (const [name, command] of Object.entries(COMMANDS)) {
      expect(typeof command.help, `${name}: help must be structured (CommandHelp)`).toBe('object');
      expect(command.flags?.length, `${name}: the flag sets it parses must be registered`).toBeGreaterThan(0);
      expect(PARSERS[name], `${name}: no unknown-flag case in this test`).toBeDefined();
    }
  });

  test.each(Object.keys(COMMANDS))('meshgate help %s and meshgate %s --help explain every flag the command parses, and only those', async (name) => {
    const command = COMMANDS[name]!;
    const help = command.help as CommandHelp;
    const viaHelp = await inProcess(['help', name]);
    const viaFlag = await inProcess([...PARSERS[name]![0]!, '--help']);
    const viaShort = await inProcess([name, '-h']);
    expect([viaHelp.code, viaFlag.code, viaShort.code]).toEqual([0, 0, 0]);
    expect(viaFlag.out).toBe(viaHelp.out);
    expect(viaShort.out).toBe(viaHelp.out);
    const text = viaHelp.out;
    for (const u of help.usage) expect(text).toContain(`meshgate ${u}`);
    expect(text).toContain(help.description.split(' ').slice(0, 6).join(' '));
    expect(text).toMatch(/^exit codes: /m);
    const parsed = [...new Set(command.flags!.flatMap((f) => Object.keys(f)))].sort();
    expect(documentedFlags(help).sort(), `${name}: documented flags vs parsed flags`).toEqual(parsed);
    for (const flag of parsed) {
      const entry = help.flags.find((f) => f.flag.split(/\s+/).includes(`--${flag}`));
      expect(entry?.text.length ?? 0, `${name} --${flag} has an explanation`).toBeGreaterThan(15);
      expect(text, `${name} --${flag} appears in the help`).toMatch(new RegExp(`^  --${flag}\\b`, 'm'));
      const options = command.flags!.find((f) => flag in f)![flag]! as { default?: unknown };
      if (typeof options.default === 'string') expect(entry!.text, `${name} --${flag} states its default`).toContain(options.default);
    }
    expect(text).toMatch(/^  -h, --help /m);
  });

  test.each(Object.keys(COMMANDS).flatMap((name) => PARSERS[name]!.map((argv) => [argv.join(' '), argv] as const)))('meshgate %s --no-such-flag exits 2 naming the flag', async (_label, argv) => {
    const { code, out, err } = await inProcess([...argv, '--no-such-flag']);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(/Unknown option '--no-such-flag'/);
    expect(err).toContain(`meshgate help ${argv[0]}`);
  });

  test('a flag missing its value exits 2 naming the flag', async () => {
    const { code, err } = await inProcess(['status', '--state']);
    expect(code).toBe(2);
    expect(err).toMatch(/--state/);
  });

  test('ca issue --ttl help states the lifetime the CA applies by default', async () => {
    const { out } = await inProcess(['help', 'ca']);
    expect(formatDuration(DEFAULT_SETTINGS.svidTtlSeconds)).toBe('10m');
    expect(out).toMatch(/--ttl DURATION\s+ca issue: lifetime from now.*\(default: the CA's\s+SVID lifetime, 10m/s);
    expect([formatDuration(90), formatDuration(7200), formatDuration(86_400 + 61)]).toEqual(['1m30s', '2h', '1d1m1s']);
  });
});

describe('version, colour and plurals', () => {
  test('meshgate --version prints the package version and the Node.js version', async () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string };
    const { code, stdout } = await meshgate(['--version']);
    expect(code).toBe(0);
    expect(stdout).toBe(`meshgate ${pkg.version} (Node.js ${process.version})\n`);
  });

  test('colour: NO_COLOR (set, not empty) always wins; FORCE_COLOR forces it off a terminal, FORCE_COLOR=0 turns it off; by default only on a terminal', () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({}, undefined)).toBe(false);
    expect(colorEnabled({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '0' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: 'true' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: 'false' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '' }, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1', FORCE_COLOR: '1' }, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1', FORCE_COLOR: '1' }, true)).toBe(false);
  });

  test('the meshgate process colours its output by FORCE_COLOR, NO_COLOR and the terminal', async () => {
    const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
      const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
      for (const k of ['NO_COLOR', 'FORCE_COLOR', 'TERM'].filter((k) => !(k in extra))) delete e[k];
      return e;
    };
    const piped = await meshgate(['list'], env({}));
    expect(piped.code).toBe(0);
    expect(piped.stdout).not.toContain('\x1b[');
    const forced = await meshgate(['list'], env({ FORCE_COLOR: '1' }));
    expect(forced.stdout).toContain('\x1b[31mcritical');
    const both = await meshgate(['list'], env({ FORCE_COLOR: '1', NO_COLOR: '1' }));
    expect(both.stdout).not.toContain('\x1b[');
    // A real terminal: script(1) runs meshgate on a pseudo-terminal.
    const script = requireTool('script', 'bsdutils');
    const onTty = (extra: Record<string, string>) => run(script, ['-qec', `"${process.execPath}" "${BIN}" list`, '/dev/null'], { env: env({ TERM: 'xterm', ...extra }), timeout: 60_000 });
    expect((await onTty({})).stdout).toContain('\x1b[31mcritical');
    expect((await onTty({ NO_COLOR: '1' })).stdout).not.toContain('\x1b[');
  }, 60_000);

  test('progress lines take their colour from the caller, also in plain mode (FORCE_COLOR in a CI log)', () => {
    const chunks: string[] = [];
    const report = { summary: { total: 1, passed: 0, failed: 0, error: 1, skipped: 0 }, durationMs: 1200, verdict: 'fail' as const };
    createProgress({ stream: { write: (c: string) => chunks.push(c), isTTY: false }, mode: 'plain', colour: true }).finish(report);
    expect(chunks.join('')).toContain('\x1b[1;31mFAIL\x1b[0m');
    chunks.length = 0;
    createProgress({ stream: { write: (c: string) => chunks.push(c), isTTY: false }, mode: 'plain' }).finish(report);
    expect(chunks.join('')).not.toContain('\x1b[');
  });

  test('counts are in correct plurals', async () => {
    expect([plural(0, 'scenario'), plural(1, 'scenario'), plural(2, 'scenario'), plural(1, 'policy', 'policies'), plural(3, 'policy', 'policies')]).toEqual(['0 scenarios', '1 scenario', '2 scenarios', '1 policy', '3 policies']);
    expect(formatSummaryLine({ summary: { total: 1, passed: 0, failed: 0, error: 1, skipped: 0 }, durationMs: 5, verdict: 'fail' })).toMatch(/^FAIL {2}1 scenario: 0 passed, 0 failed, 1 error, 0 skipped/);
    expect(formatSummaryLine({ summary: { total: 2, passed: 2, failed: 0, error: 0, skipped: 0 }, durationMs: 5, verdict: 'pass' })).toMatch(/^PASS {2}2 scenarios: 2 passed, 0 failed, 0 errors, 0 skipped/);
    const one = await inProcess(['list', 'tokens.replayed']);
    expect(one.out).toMatch(/\n1 scenario; \d+ tags: /);
    const policy = await inProcess(['policy', 'check']);
    expect(policy.out).toMatch(/: \d+ policies, version \S+, \d+ decisions over \d+ principals × \d+ actions/);
  });
});

describe('meshgate list', () => {
  test('shows each scenario\'s severity and tags, the tags in use, and --json carries the same tags', async () => {
    const text = await inProcess(['list']);
    const json = await inProcess(['list', '--json']);
    expect([text.code, json.code]).toEqual([0, 0]);
    const catalog = JSON.parse(json.out) as Array<{ id: string; severity: string; tags: string[]; title: string; file: string }>;
    expect(catalog.length).toBeGreaterThan(1);
    const [header, ...rows] = text.out.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+SEVERITY\s+TAGS\s+TITLE$/);
    expect(rows.at(-1)).toBe(`${catalog.length} scenarios; ${plural(new Set(catalog.flatMap((s) => s.tags)).size, 'tag')}: ${[...new Set(catalog.flatMap((s) => s.tags))].sort().join(' ')}`);
    for (const s of catalog) {
      expect(s.tags.length, s.id).toBeGreaterThan(0);
      expect(rows, s.id).toContainEqual(expect.stringMatching(new RegExp(`^${s.id.replace(/\./g, '\\.')}\\s+${s.severity}\\s+${s.tags.join(',')}\\s+`)));
    }
  });

  test('takes the selection run takes: --tag keeps only scenarios with that tag; a tag on nothing exits 2', async () => {
    const all = JSON.parse((await inProcess(['list', '--json'])).out) as Array<{ id: string; tags: string[] }>;
    const tag = all[0]!.tags[0]!;
    const some = JSON.parse((await inProcess(['list', '--tag', tag, '--json'])).out) as Array<{ id: string; tags: string[] }>;
    expect(some.map((s) => s.id)).toEqual(all.filter((s) => s.tags.includes(tag)).map((s) => s.id));
    const none = await inProcess(['list', '--tag', 'no-such-tag']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/tag "no-such-tag" is on no scenario/);
  });
});

describe('meshgate up / ca issue / down', () => {
  test('up --json starts the mesh in the background, ca issue mints usable material, down leaves nothing running', async () => {
    const state = tempDir('meshgate-cli-');
    const up = await meshgate(['up', '--state', state, '--json']);
    expect(up.code, up.stderr).toBe(0);
    const record = JSON.parse(up.stdout) as { state: string; caBundle: string; services: Array<{ name: string; url: string; spiffeId: string; pid: number }> };
    try {
      expect(record.state).toBe(state);
      expect(readFileSync(record.caBundle, 'utf8')).toContain('BEGIN CERTIFICATE');
      expect(record.services.map((s) => s.name)).toEqual(expect.arrayContaining(['ca', 'ledger', 'payments', 'gateway']));
      for (const s of record.services) {
        expect(s.spiffeId).toBe(`spiffe://meshgate.test/${s.name}`);
        expect(isRunning(s.pid)).toBe(true);
      }
      const again = await meshgate(['up', '--state', state]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already running/);

      const status = await meshgate(['status', '--state', state, '--json']);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { services: Array<{ healthy: boolean }> }).services.every((s) => s.healthy)).toBe(true);

      const out = tempDir('meshgate-cert-');
      const notAfter = new Date(Date.now() - 60_000).toISOString();
      const notBefore = new Date(Date.now() - 3_600_000).toISOString();
      const issued = await meshgate(['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/gateway', '--out', out, '--not-before', notBefore, '--not-after', notAfter, '--state', state]);
      expect(issued.code, issued.stderr).toBe(0);
      const cert = new X509Certificate(readFileSync(join(out, 'cert.pem')));
      expect(cert.subjectAltName).toContain('URI:spiffe://meshgate.test/gateway');
      expect(Date.parse(cert.validTo)).toBeLessThan(Date.now());
      expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);

      // Without --ttl the CA's own SVID lifetime applies, and the output says which.
      const plain = tempDir('meshgate-cert-');
      const byDefault = await meshgate(['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/gateway', '--out', plain, '--state', state]);
      expect(byDefault.code, byDefault.stderr).toBe(0);
      expect(byDefault.stdout).toMatch(/, lifetime 10m \(the CA's default SVID lifetime; --ttl to change it\)\n/);
      const defaultCert = new X509Certificate(readFileSync(join(plain, 'cert.pem')));
      // notBefore is backdated 30 s for clock skew; notAfter is the lifetime from issuance.
      expect((Date.parse(defaultCert.validTo) - Date.parse(defaultCert.validFrom)) / 1000).toBe(DEFAULT_SETTINGS.svidTtlSeconds + 30);
      const short = tempDir('meshgate-cert-');
      const withTtl = await meshgate(['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/gateway', '--out', short, '--ttl', '2m', '--state', state]);
      expect(withTtl.stdout).toMatch(/, lifetime 2m \(--ttl\)\n/);
      const shortCert = new X509Certificate(readFileSync(join(short, 'cert.pem')));
      expect((Date.parse(shortCert.validTo) - Date.parse(shortCert.validFrom)) / 1000).toBe(120 + 30);

      const revoked = await meshgate(['ca', 'revoke', '--cert', join(out, 'cert.pem'), '--state', state]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(cert.serialNumber);
    } finally {
      const down = await meshgate(['down', '--state', state]);
      expect(down.code, down.stderr).toBe(0);
      for (const s of record.services) expect(down.stdout).toContain(`stopped: ${s.name} (pid ${s.pid})`);
    }
    for (const s of record.services) expect(isRunning(s.pid)).toBe(false);
    const after = await meshgate(['status', '--state', state]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/holds no running mesh/);
  }, 90_000);
});

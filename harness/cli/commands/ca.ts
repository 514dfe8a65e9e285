import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSpiffeId } from '../../../services/kit/spiffe.ts';
import { DEFAULT_SETTINGS } from '../../../services/kit/workload/settings.ts';
import { TRUST_ROOT } from '../../../services/topology.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, operatorFor, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { parseDate, parseDuration, UsageError } from '../usage-error.ts';

export const caIssueFlags = {
  'spiffe-id': { type: 'string' },
  out: { type: 'string' },
  ttl: { type: 'string' },
  'not-before': { type: 'string' },
  'not-after': { type: 'string' },
  state: { type: 'string', default: DEFAULT_STATE },
} as const;

export const caRevokeFlags = {
  serial: { type: 'string' },
  cert: { type: 'string' },
  state: { type: 'string', default: DEFAULT_STATE },
} as const;

const defaultLifetime = formatDuration(DEFAULT_SETTINGS.svidTtlSeconds);

export const caHelp: CommandHelp = {
  name: 'ca',
  summary: 'mint certificates from the running mesh\'s CA (act as any workload with curl or openssl), revoke them',
  usage: ['ca issue --spiffe-id ID --out DIR [--ttl DURATION] [--not-before ISO] [--not-after ISO] [--state DIR]', 'ca revoke (--serial S | --cert FILE) [--state DIR]'],
  description:
    `ca issue asks the CA of the mesh \`meshgate up\` started, as the operator, for an X.509-SVID with a new key and writes cert.pem, key.pem (0600) and bundle.pem (the trust bundle) into DIR, so curl or openssl can act as that workload, also with an expired or not-yet-valid certificate. Without --ttl or --not-after the certificate lives as long as every SVID of that CA: its svidTtlSeconds setting, ${defaultLifetime} as \`meshgate up\` starts it (the output states the lifetime applied). ca revoke revokes a certificate through the CA; every workload learns it at once through the CRL long poll.`,
  flags: [
    { flag: '--spiffe-id ID', text: 'ca issue: the identity to certify, spiffe://meshgate.test/<service> (required)' },
    { flag: '--out DIR', text: 'ca issue: the folder for cert.pem, key.pem and bundle.pem, created if missing (required)' },
    { flag: '--ttl DURATION', text: `ca issue: lifetime from now, such as 90s, 5m, 2h, 1d (default: the CA's SVID lifetime, ${defaultLifetime} unless the CA runs with another svidTtlSeconds)` },
    { flag: '--not-before ISO', text: 'ca issue: start of validity as an ISO 8601 date (default: 30 s ago, for clock skew between workloads)' },
    { flag: '--not-after ISO', text: 'ca issue: end of validity as an ISO 8601 date, in the past for an expired certificate (overrides --ttl)' },
    { flag: '--serial S', text: 'ca revoke: the serial number (hex) of the certificate to revoke' },
    { flag: '--cert FILE', text: 'ca revoke: the PEM certificate to revoke (give --serial or --cert, not both)' },
    { flag: '--state DIR', text: 'the state folder `meshgate up` used (default: .meshgate in the current directory)' },
  ],
  examples: [
    'meshgate ca issue --spiffe-id spiffe://meshgate.test/gateway --out /tmp/gw',
    'meshgate ca issue --spiffe-id spiffe://meshgate.test/gateway --out /tmp/old --not-before 2020-01-01T00:00:00Z --not-after 2020-01-02T00:00:00Z',
    'meshgate ca revoke --cert /tmp/gw/cert.pem',
  ],
  exitCodes: '0 issued or revoked, 1 the CA could not be reached, 2 usage error, no mesh recorded in the state folder, or the CA refused the request (its reason is printed)',
};

/** 600 → "10m", 90 → "1m30s", 7200 → "2h". */
export function formatDuration(seconds: number): string {
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('') || '0s';
}

/** The lifetime the running CA gives an SVID when none is asked for: what it was deployed with. */
function caDefaultTtlSeconds(stateDir: string): number | undefined {
  try {
    const config = JSON.parse(readFileSync(join(statePaths(stateDir).configs, `${TRUST_ROOT}.json`), 'utf8')) as { svidTtlSeconds?: number; settings?: { svidTtlSeconds?: number } };
    return config.svidTtlSeconds ?? config.settings?.svidTtlSeconds ?? DEFAULT_SETTINGS.svidTtlSeconds;
  } catch {
    return undefined;
  }
}

async function issue(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('ca issue', argv, caIssueFlags);
  const problems: string[] = [];
  if (!values['spiffe-id']) problems.push('--spiffe-id is required');
  else if (!isSpiffeId(values['spiffe-id'])) problems.push(`--spiffe-id: "${values['spiffe-id']}" is not a SPIFFE ID (spiffe://meshgate.test/<service>)`);
  if (!values.out) problems.push('--out is required');
  if (problems.length) throw new UsageError(`meshgate ca issue: ${problems.join('; ')}`);
  const body: Record<string, unknown> = { spiffeId: values['spiffe-id'] };
  if (values.ttl) body.ttlSeconds = parseDuration(values.ttl, '--ttl');
  if (values['not-before']) body.notBefore = parseDate(values['not-before'], '--not-before').toISOString();
  if (values['not-after']) body.notAfter = parseDate(values['not-after'], '--not-after').toISOString();
  const record = readMeshRecord(values.state!);
  const defaultTtl = caDefaultTtlSeconds(values.state!);
  const operator = operatorFor(values.state!, record);
  try {
    const res = await operator.request('ca', 'POST', '/admin/issue', body);
    const answer = res.json<{ certPem: string; keyPem: string; bundlePem: string; serial: string; notBefore: string; notAfter: string; error?: string; detail?: string }>();
    if (res.status !== 200) throw new UsageError(`meshgate ca issue: the CA refused: ${answer.error}${answer.detail ? ` (${answer.detail})` : ''}`);
    const out = resolve(values.out!);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'cert.pem'), answer.certPem);
    writeFileSync(join(out, 'bundle.pem'), answer.bundlePem);
    writeFileSync(join(out, 'key.pem'), answer.keyPem, { mode: 0o600 });
    chmodSync(join(out, 'key.pem'), 0o600);
    const lifetime = values['not-after'] ? 'until --not-after' : values.ttl ? `lifetime ${formatDuration(body.ttlSeconds as number)} (--ttl)` : defaultTtl === undefined ? "lifetime: the CA's default" : `lifetime ${formatDuration(defaultTtl)} (the CA's default SVID lifetime; --ttl to change it)`;
    io.stdout(`issued ${values['spiffe-id']} serial ${answer.serial} valid ${answer.notBefore} .. ${answer.notAfter}, ${lifetime}\n  ${join(out, 'cert.pem')}\n  ${join(out, 'key.pem')}\n  ${join(out, 'bundle.pem')}\n`);
    return 0;
  } finally {
    operator.close();
  }
}

async function revoke(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('ca revoke', argv, caRevokeFlags);
  if (!values.serial === !values.cert) throw new UsageError('meshgate ca revoke: give exactly one of --serial or --cert');
  const body: Record<string, string> = {};
  if (values.serial) body.serial = values.serial;
  else {
    try {
      body.certPem = readFileSync(values.cert!, 'utf8');
    } catch {
      throw new UsageError(`meshgate ca revoke: --cert: cannot read ${values.cert}`);
    }
  }
  const record = readMeshRecord(values.state!);
  const operator = operatorFor(values.state!, record);
  try {
    const res = await operator.request('ca', 'POST', '/admin/revoke', body);
    const answer = res.json<{ serial: string; crlNumber: number; error?: string; detail?: string }>();
    if (res.status !== 200) throw new UsageError(`meshgate ca revoke: the CA refused: ${answer.error}${answer.detail ? ` (${answer.detail})` : ''}`);
    io.stdout(`revoked serial ${answer.serial} (CRL number ${answer.crlNumber})\n`);
    return 0;
  } finally {
    operator.close();
  }
}

export async function caCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'issue') return issue(rest, io);
  if (sub === 'revoke') return revoke(rest, io);
  throw new UsageError(`meshgate ca: unknown subcommand ${sub === undefined ? '(none)' : `"${sub}"`}; use \`ca issue\` or \`ca revoke\``);
}

import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSpiffeId } from '../../../services/kit/spiffe.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, operatorFor, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { parseDate, parseDuration, UsageError } from '../usage-error.ts';

export const caHelp = [
  'ca issue --spiffe-id ID --out DIR [--ttl 5m] [--not-before ISO] [--not-after ISO] [--state DIR]',
  '                                 mint a certificate and key from the running mesh CA (cert.pem, key.pem, bundle.pem)',
  'ca revoke (--serial S | --cert FILE) [--state DIR]   revoke a certificate through the CA',
].join('\n  ');

async function issue(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('ca issue', argv, {
    'spiffe-id': { type: 'string' },
    out: { type: 'string' },
    ttl: { type: 'string' },
    'not-before': { type: 'string' },
    'not-after': { type: 'string' },
    state: { type: 'string', default: DEFAULT_STATE },
  });
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
    io.stdout(`issued ${values['spiffe-id']} serial ${answer.serial} valid ${answer.notBefore} .. ${answer.notAfter}\n  ${join(out, 'cert.pem')}\n  ${join(out, 'key.pem')}\n  ${join(out, 'bundle.pem')}\n`);
    return 0;
  } finally {
    operator.close();
  }
}

async function revoke(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('ca revoke', argv, { serial: { type: 'string' }, cert: { type: 'string' }, state: { type: 'string', default: DEFAULT_STATE } });
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

/** `meshgate seal-card`: seals a payment's card for payments, as a client must before it pays. */
import { readFileSync } from 'node:fs';
import { CardSealRefused, fetchEncryptionKeysFrom, hasClearCard, sealPaymentWith } from '../../actors/card-sealer.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const sealCardFlags = {
  payment: { type: 'string' },
  state: { type: 'string', default: DEFAULT_STATE },
} as const;

export const sealCardHelp: CommandHelp = {
  name: 'seal-card',
  summary: 'seal a payment\'s card end to end for payments (a JWE), as a client must before it pays',
  usage: ['seal-card --payment JSON [--state DIR]'],
  description:
    'Fetches payments\' encryption keys from the gateway\'s public port of the mesh `meshgate up` started, takes the current key only if its certificate was issued by the mesh CA for spiffe://meshgate.test/payments (key agreement only, for that very key), encrypts the card as a compact JWE (ECDH-ES+A256KW, A256GCM) bound to the payment\'s reference, amount and currency, and prints the payment with the sealed card in place of the clear one. Payments refuses a card in clear (400 card_not_encrypted).',
  flags: [
    { flag: '--payment JSON', text: 'the payment: {"amount":25,"currency":"EUR","card":{"number":"…","expiry":"MM/YY"},"reference":"…"} (required)' },
    { flag: '--state DIR', text: 'the state folder `meshgate up` used (default: .meshgate in the current directory)' },
  ],
  examples: ['meshgate seal-card --payment \'{"amount":25,"currency":"EUR","card":{"number":"4111111111111111","expiry":"12/30"},"reference":"curl-1"}\''],
  exitCodes: '0 sealed, 1 the key set could not be fetched or is not payments\' own (the reason is printed), 2 usage error or no mesh recorded',
};

export async function sealCardCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('seal-card', argv, sealCardFlags);
  if (!values.payment) throw new UsageError('meshgate seal-card: --payment JSON is required');
  let payment: unknown;
  try {
    payment = JSON.parse(values.payment);
  } catch (err) {
    throw new UsageError(`meshgate seal-card: --payment is not JSON (${(err as Error).message})`);
  }
  if (!hasClearCard(payment)) throw new UsageError('meshgate seal-card: --payment needs a reference and a card object {number, expiry}');
  const record = readMeshRecord(values.state!);
  const gateway = record.services.find((s) => s.name === 'gateway')?.publicUrl;
  if (!gateway) throw new UsageError('meshgate seal-card: the mesh record names no gateway public URL');
  const bundle = readFileSync(record.caBundle, 'utf8');
  try {
    io.stdout(JSON.stringify(await sealPaymentWith(bundle, await fetchEncryptionKeysFrom(gateway, bundle), payment)) + '\n');
    return 0;
  } catch (err) {
    io.stderr(`meshgate seal-card: ${err instanceof CardSealRefused ? 'refused to seal: ' : ''}${(err as Error).message}\n`);
    return 1;
  }
}

/**
 * Rewrapping the book's card keys: the ledger walks its entries in pages and
 * asks kms to wrap each data key under the current wrapping key. The card
 * ciphertext never changes and the ledger never sees a data key; an entry kms
 * cannot rewrap (its version already revoked) is reported, never dropped.
 */
import type { MeshResponse } from '../kit/mtls/client.ts';
import { cardKeyContext, type KeyContext } from '../kit/e2ee/envelope.ts';
import type { LedgerStore } from './ledger-store.ts';

/** Sends one batch to kms' POST /v1/rewrap. */
export type RewrapCall = (body: { keys: Array<{ wrappedKey: string; context: KeyContext }> }) => Promise<MeshResponse>;

export interface RewrapOutcome {
  currentVersion: number | null;
  rewrapped: number;
  unchanged: number;
  failed: Array<{ entryId: string; reason: string; keyVersion: number | null }>;
}

/** Entries per kms request (kms takes at most 100). */
const PAGE = 100;

type RewrapAnswer = { currentVersion: number; results: Array<{ wrappedKey?: string; changed?: boolean; error?: string; keyVersion?: number | null }> };

export async function rewrapCardKeys(store: LedgerStore, rewrap: RewrapCall): Promise<RewrapOutcome> {
  const outcome: RewrapOutcome = { currentVersion: null, rewrapped: 0, unchanged: 0, failed: [] };
  for (let after = ''; ; ) {
    const entries = store.page(after, PAGE);
    if (entries.length === 0) return outcome;
    after = entries.at(-1)!.id;
    const res = await rewrap({ keys: entries.map((e) => ({ wrappedKey: e.cardKey, context: cardKeyContext(e.reference) })) });
    if (res.status !== 200) throw new RewrapRefused(res.status, res.text());
    const answer = res.json<RewrapAnswer>();
    if (!Array.isArray(answer.results) || answer.results.length !== entries.length) throw new RewrapRefused(res.status, 'kms answered a different number of results than keys sent');
    outcome.currentVersion = answer.currentVersion;
    entries.forEach((entry, i) => {
      const result = answer.results[i]!;
      if (result.error || !result.wrappedKey) outcome.failed.push({ entryId: entry.id, reason: result.error ?? 'kms_unwrap_failed', keyVersion: result.keyVersion ?? null });
      else if (!result.changed) outcome.unchanged++;
      // A key replaced meanwhile (it cannot be today: entries are written once) is left as it is.
      else if (store.replaceCardKey(entry.id, entry.cardKey, result.wrappedKey)) outcome.rewrapped++;
    });
  }
}

/** kms refused the whole batch (caller, token or policy): the ledger says so with kms' answer. */
export class RewrapRefused extends Error {
  readonly status: number;
  constructor(status: number, body: string) {
    super(`kms refused the rewrap: ${status} ${body.slice(0, 300)}`);
    this.name = 'RewrapRefused';
    this.status = status;
  }
}

/**
 * The ledger's book: a real SQLite database. Booking is idempotent on the
 * payment reference, so a retried call never books twice. References are
 * unique per owner: one user's reference never tells another user it exists.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface EntryInput {
  reference: string;
  amount: number;
  currency: string;
  cardLast4: string;
  /** The card number encrypted under its data key (a compact JWE). */
  cardToken: string;
  /** That data key, wrapped by kms; a rewrap replaces it, the ciphertext stays. */
  cardKey: string;
  owner: string;
}

export interface Entry extends EntryInput {
  id: string;
  createdAt: string;
}

export type BookOutcome = { kind: 'created' | 'existing'; entry: Entry } | { kind: 'conflict'; entry: Entry };

export class LedgerStore {
  #db: DatabaseSync;
  // Prepared once; every request reuses them.
  #insert: StatementSync;
  #selectById: StatementSync;
  #selectByOwnerReference: StatementSync;
  #countByReference: StatementSync;
  #selectByReference: StatementSync;
  #selectPage: StatementSync;
  #updateCardKey: StatementSync;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS entries (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        amount REAL NOT NULL,
        currency TEXT NOT NULL,
        card_last4 TEXT NOT NULL,
        card_token TEXT NOT NULL,
        card_key TEXT NOT NULL,
        owner TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (owner, reference)
      );`);
    this.#insert = this.#db.prepare(
      'INSERT INTO entries (id, reference, amount, currency, card_last4, card_token, card_key, owner, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(owner, reference) DO NOTHING',
    );
    this.#selectById = this.#db.prepare('SELECT * FROM entries WHERE id = ?');
    this.#selectByOwnerReference = this.#db.prepare('SELECT * FROM entries WHERE owner = ? AND reference = ?');
    this.#countByReference = this.#db.prepare('SELECT count(*) AS n FROM entries WHERE reference = ?');
    this.#selectByReference = this.#db.prepare('SELECT * FROM entries WHERE reference = ? ORDER BY id');
    this.#selectPage = this.#db.prepare('SELECT * FROM entries WHERE id > ? ORDER BY id LIMIT ?');
    this.#updateCardKey = this.#db.prepare('UPDATE entries SET card_key = ? WHERE id = ? AND card_key = ?');
  }

  book(input: EntryInput): BookOutcome {
    const result = this.#insert.run(randomUUID(), input.reference, input.amount, input.currency, input.cardLast4, input.cardToken, input.cardKey, input.owner, new Date().toISOString());
    const entry = this.#row(this.#selectByOwnerReference.get(input.owner, input.reference) as Record<string, unknown> | undefined)!;
    if (Number(result.changes) === 1) return { kind: 'created', entry };
    const same = entry.amount === input.amount && entry.currency === input.currency && entry.owner === input.owner && entry.cardLast4 === input.cardLast4;
    return { kind: same ? 'existing' : 'conflict', entry };
  }

  #row(row: Record<string, unknown> | undefined): Entry | undefined {
    if (!row) return undefined;
    return {
      id: String(row.id),
      reference: String(row.reference),
      amount: Number(row.amount),
      currency: String(row.currency),
      cardLast4: String(row.card_last4),
      cardToken: String(row.card_token),
      cardKey: String(row.card_key),
      owner: String(row.owner),
      createdAt: String(row.created_at),
    };
  }

  byId(id: string): Entry | undefined {
    return this.#row(this.#selectById.get(id) as Record<string, unknown> | undefined);
  }

  /** How many owners booked this reference (the operator's view). */
  countByReference(reference: string): number {
    return Number((this.#countByReference.get(reference) as { n: number }).n);
  }

  /** Every owner's entry under a reference (the operator's view of stored cards). */
  byReference(reference: string): Entry[] {
    return (this.#selectByReference.all(reference) as Record<string, unknown>[]).map((r) => this.#row(r)!);
  }

  /** Entries in id order after `afterId`, at most `limit`: a rewrap walks the whole book page by page. */
  page(afterId: string, limit: number): Entry[] {
    return (this.#selectPage.all(afterId, limit) as Record<string, unknown>[]).map((r) => this.#row(r)!);
  }

  /** Replaces an entry's wrapped key, only if it is still the one that was rewrapped. */
  replaceCardKey(id: string, from: string, to: string): boolean {
    return Number(this.#updateCardKey.run(to, id, from).changes) === 1;
  }

  count(): number {
    return Number((this.#db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n);
  }

  close(): void {
    this.#db.close();
  }
}

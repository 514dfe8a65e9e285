/** Reads the ledger's SQLite book directly (read-only): the ground truth of what was booked. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export function bookedCount(stateDir: string, reference: string): number {
  const path = join(stateDir, 'ledger', 'ledger.db');
  if (!existsSync(path)) return 0;
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM entries WHERE reference = ?').get(reference) as { n: number }).n);
  } finally {
    db.close();
  }
}

/**
 * Money amounts. On the wire an amount is a JSON number in major units with at
 * most two fraction digits (19.99); it is read once, from its shortest decimal
 * form (the digits the sender wrote), into integer minor units, and every check
 * after that compares integers. No floating-point arithmetic decides an amount.
 */
const DECIMAL = /^(0|[1-9]\d{0,14})(?:\.(\d{1,2}))?$/;

export type AmountCheck = { ok: true; minor: number } | { ok: false; problem: string };

/** Reads a positive amount (JSON number or decimal string) into minor units. */
export function parseAmount(value: unknown): AmountCheck {
  if (typeof value !== 'number' && typeof value !== 'string') return { ok: false, problem: 'must be a number' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, problem: 'must be a finite number' };
  const match = DECIMAL.exec(String(value));
  if (!match) return { ok: false, problem: 'must be a positive decimal with at most two fraction digits' };
  const minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (!Number.isSafeInteger(minor) || minor <= 0) return { ok: false, problem: 'must be greater than 0' };
  return { ok: true, minor };
}

/** The wire form of an amount in minor units: "19.99", "25". */
export function formatMinorUnits(minor: number): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new TypeError(`formatMinorUnits: ${String(minor)} is not a whole number of minor units`);
  const cents = minor % 100;
  return cents === 0 ? String((minor - cents) / 100) : `${(minor - cents) / 100}.${String(cents).padStart(2, '0')}`;
}

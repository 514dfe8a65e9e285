/**
 * The demo end users, the one directory both sides read: the token service
 * (who may log in, with which scopes, and the limit every transaction token is
 * bound to) and the PDP (the limit its policies compare amounts with).
 */
export interface DemoUser {
  username: string;
  scopes: readonly string[];
  limits: {
    /** Largest single payment, in major units of currency. */
    maxAmount: number;
    currency: string;
  };
}

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'alice', scopes: ['payments:write', 'payments:read'], limits: { maxAmount: 1000, currency: 'EUR' } },
  { username: 'bob', scopes: ['payments:write'], limits: { maxAmount: 100, currency: 'EUR' } },
  { username: 'carol', scopes: ['payments:read'], limits: { maxAmount: 0, currency: 'EUR' } },
];

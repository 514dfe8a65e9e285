/**
 * The demo end users. Passwords are random per run and kept only as scrypt
 * hashes; the clear text exists once, in the 0600 credentials file the
 * harness reads to log in.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DEMO_USERS, type DemoUser } from '../demo-users.ts';

export type UserSpec = DemoUser;
export type User = Readonly<UserSpec>;

export interface UserDirectoryOptions {
  users?: readonly UserSpec[];
  /** scrypt cost N (power of two, default 16384); tests may lower it. */
  scryptCost?: number;
}

const USERNAME = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_PASSWORD_LENGTH = 1024;
const KEY_LENGTH = 32;

interface Stored {
  user: User;
  salt: Buffer;
  hash: Buffer;
}

function hashPassword(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function validateSpec(spec: UserSpec, index: number): string[] {
  const problems: string[] = [];
  if (typeof spec?.username !== 'string' || !USERNAME.test(spec.username)) problems.push(`users[${index}].username must match ${USERNAME}`);
  if (!Array.isArray(spec?.scopes) || spec.scopes.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) problems.push(`users[${index}].scopes must be an array of RFC 6749 scope tokens`);
  if (!Number.isFinite(spec?.limits?.maxAmount) || spec.limits.maxAmount < 0) problems.push(`users[${index}].limits.maxAmount must be a non-negative number`);
  if (typeof spec?.limits?.currency !== 'string' || !/^[A-Z]{3}$/.test(spec.limits.currency)) problems.push(`users[${index}].limits.currency must be an ISO 4217 code`);
  return problems;
}

export class UserDirectory {
  readonly #users = new Map<string, Stored>();
  readonly #scrypt: ScryptOptions;
  #clear: Map<string, string> | undefined = new Map();
  #dummy: Stored | undefined;

  private constructor(cost: number) {
    this.#scrypt = { N: cost, r: 8, p: 1, maxmem: 256 * cost * 8 };
  }

  static async create(options: UserDirectoryOptions = {}): Promise<UserDirectory> {
    const cost = options.scryptCost ?? 16_384;
    if (!Number.isInteger(cost) || cost < 1024 || (cost & (cost - 1)) !== 0) throw new TypeError(`UserDirectory: scryptCost must be a power of two ≥ 1024, got ${String(cost)}`);
    const specs = options.users ?? DEMO_USERS;
    const problems = specs.flatMap((spec, i) => validateSpec(spec, i));
    const names = specs.map((s) => s.username);
    for (const dup of new Set(names.filter((n, i) => names.indexOf(n) !== i))) problems.push(`username "${dup}" appears more than once`);
    if (problems.length > 0) throw new TypeError(`UserDirectory: ${problems.join('; ')}`);
    const directory = new UserDirectory(cost);
    for (const spec of specs) {
      const password = randomBytes(18).toString('base64url');
      const salt = randomBytes(16);
      const user: User = Object.freeze({ username: spec.username, scopes: Object.freeze([...spec.scopes]), limits: Object.freeze({ ...spec.limits }) });
      directory.#users.set(spec.username, { user, salt, hash: await hashPassword(password, salt, directory.#scrypt) });
      directory.#clear?.set(spec.username, password);
    }
    const dummySalt = randomBytes(16);
    directory.#dummy = { user: Object.freeze({ username: '', scopes: [], limits: { maxAmount: 0, currency: 'EUR' } }), salt: dummySalt, hash: await hashPassword(randomBytes(18).toString('base64url'), dummySalt, directory.#scrypt) };
    return directory;
  }

  usernames(): string[] {
    return [...this.#users.keys()];
  }

  get(username: string): User | undefined {
    return this.#users.get(username)?.user;
  }

  /** The user when the password matches; unknown users cost the same scrypt so timing doesn't reveal who exists. */
  async authenticate(username: string, password: string): Promise<User | undefined> {
    if (typeof username !== 'string' || typeof password !== 'string') return undefined;
    const stored = (USERNAME.test(username) ? this.#users.get(username) : undefined) ?? this.#dummy!;
    const candidate = await hashPassword(password.length <= MAX_PASSWORD_LENGTH ? password : '', stored.salt, this.#scrypt);
    const match = timingSafeEqual(candidate, stored.hash);
    return match && stored !== this.#dummy && password.length <= MAX_PASSWORD_LENGTH ? stored.user : undefined;
  }

  /** Writes { username: password } with mode 0600, then forgets the clear passwords. Callable once. */
  async writeCredentialsFile(path: string): Promise<void> {
    if (typeof path !== 'string' || path === '') throw new TypeError('writeCredentialsFile: path must be a non-empty string');
    const clear = this.#clear;
    if (!clear) throw new Error('writeCredentialsFile: the credentials were already written and are no longer held in clear');
    const handle = await open(path, 'w', 0o600);
    try {
      // The mode argument only applies to new files; an existing file is narrowed too.
      await handle.chmod(0o600);
      await handle.writeFile(`${JSON.stringify(Object.fromEntries(clear), null, 2)}\n`);
    } finally {
      await handle.close();
    }
    clear.clear();
    this.#clear = undefined;
  }
}

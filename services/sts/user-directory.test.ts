import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../demo-users.ts';
import { UserDirectory } from './user-directory.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meshgate-users-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('UserDirectory', () => {
  it('writes the clear passwords once, mode 0600, and they authenticate', async () => {
    const users = await UserDirectory.create({ scryptCost: 1024 });
    const path = join(dir, 'users.json');
    // A pre-existing, wider file is narrowed.
    await writeFile(path, '{}', { mode: 0o644 });
    await users.writeCredentialsFile(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
    expect(Object.keys(creds).sort()).toEqual(DEMO_USERS.map((u) => u.username).sort());
    expect(await users.authenticate('alice', creds.alice!)).toMatchObject({ username: 'alice', limits: { maxAmount: 1000, currency: 'EUR' } });
    expect(await users.authenticate('alice', creds.bob!)).toBeUndefined();
    expect(await users.authenticate('mallory', creds.alice!)).toBeUndefined();
    expect(await users.authenticate('alice', '')).toBeUndefined();
    await expect(users.writeCredentialsFile(join(dir, 'again.json'))).rejects.toThrow(/already written/);
  });

  it('passwords differ per run', async () => {
    const [a, b] = await Promise.all([UserDirectory.create({ scryptCost: 1024 }), UserDirectory.create({ scryptCost: 1024 })]);
    await a.writeCredentialsFile(join(dir, 'a.json'));
    await b.writeCredentialsFile(join(dir, 'b.json'));
    const ca = JSON.parse(await readFile(join(dir, 'a.json'), 'utf8')) as Record<string, string>;
    const cb = JSON.parse(await readFile(join(dir, 'b.json'), 'utf8')) as Record<string, string>;
    expect(ca.alice).not.toBe(cb.alice);
    expect(ca.alice!.length).toBeGreaterThanOrEqual(24);
  });

  it('validates user specs, reporting every problem', async () => {
    await expect(
      UserDirectory.create({ scryptCost: 1024, users: [{ username: 'Bad Name', scopes: ['x'], limits: { maxAmount: -1, currency: 'EUR' } }] }),
    ).rejects.toThrow(/username.*maxAmount/);
    await expect(UserDirectory.create({ scryptCost: 1000 })).rejects.toThrow(TypeError);
  });
});

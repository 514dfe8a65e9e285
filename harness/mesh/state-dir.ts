/** The run's state folder: where keys, logs, databases and the mesh record live. */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function statePaths(stateDir: string) {
  const root = resolve(stateDir);
  return {
    root,
    record: join(root, 'mesh.json'),
    logs: join(root, 'logs'),
    configs: join(root, 'configs'),
    services: join(root, 'services'),
    ca: join(root, 'ca'),
    bundle: join(root, 'ca', 'bundle.pem'),
    joinTokens: join(root, 'ca', 'join-tokens.json'),
    operator: join(root, 'operator'),
    users: join(root, 'sts', 'users.json'),
    spans: join(root, 'spans.jsonl'),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;

/**
 * The run's state folder, the one layout shared by the workloads and the
 * harness: where keys, logs, databases, ready records and the mesh record live.
 */
import { join, resolve } from 'node:path';

export function statePaths(stateDir: string) {
  const root = resolve(stateDir);
  const logs = join(root, 'logs');
  const services = join(root, 'services');
  return {
    root,
    record: join(root, 'mesh.json'),
    logs,
    configs: join(root, 'configs'),
    services,
    ca: join(root, 'ca'),
    bundle: join(root, 'ca', 'bundle.pem'),
    joinTokens: join(root, 'ca', 'join-tokens.json'),
    operator: join(root, 'operator'),
    users: join(root, 'sts', 'users.json'),
    /** Where the signing-key backup misconfiguration leaves the token service's private keys. */
    signingKeyBackup: join(root, 'sts', 'signing-keys.backup.json'),
    spans: join(root, 'spans.jsonl'),
    ledgerDb: join(root, 'ledger', 'ledger.db'),
    /** The key-management workload's wrapping keys, every version (0600, read by kms alone). */
    kmsKeys: join(root, 'kms', 'wrapping-keys.json'),
    /** A workload's (or the PDP's decision log's) JSON lines. */
    log: (name: string) => join(logs, `${name}.log`),
    /** A heap snapshot the operator asked a workload for (POST /admin/heap-snapshot). */
    heapSnapshot: (name: string) => join(logs, `${name}.heapsnapshot`),
    /** What the launcher keeps of a workload's stdout and stderr. */
    stdioLog: (name: string) => join(logs, `${name}.stdio.log`),
    /** A static certificate and key copied to a workload (the shared-certificate misconfiguration). */
    staticSvid: (name: string) => join(root, 'configs', `${name}.static-svid.pem`),
    /** The record a workload writes once it listens. */
    ready: (name: string) => join(services, `${name}.json`),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;

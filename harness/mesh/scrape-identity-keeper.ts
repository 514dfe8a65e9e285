/**
 * Keeps <state>/prometheus current while a `meshgate up` mesh runs: rewrites
 * targets.json when the mesh record's services change (a workload restarted,
 * killed or moved) and renews the scrape SVID on disk at half its life,
 * acting as the operator. It runs inside the mesh's long-lived collector
 * process; until `up` has written the Prometheus files it does nothing.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../services/kit/clock.ts';
import { OperatorApi } from '../engine/operator-api.ts';
import type { MeshRecord } from './mesh-launcher.ts';
import { OperatorClient } from './operator.ts';
import { issueScrapeIdentity, prometheusPaths, refreshTargets, renewalDue } from './prometheus-config.ts';
import { statePaths } from './state-dir.ts';

export interface ScrapeIdentityKeeperOptions {
  stateRoot: string;
  clock?: Clock;
  /** How often the record and the certificate are looked at (default 2 s). */
  checkIntervalMs?: number;
  ttlSeconds?: number;
  /**
   * Where the CA is reached. Given (the compose stack, whose Prometheus has fixed targets), only
   * the scrape SVID is kept; otherwise the CA and the targets come from the mesh record.
   */
  caUrl?: string;
  onError?: (err: Error) => void;
}

export class ScrapeIdentityKeeper {
  readonly #options: ScrapeIdentityKeeperOptions;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: ScrapeIdentityKeeperOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** One look: what changed is written; returns what it did. */
  async tick(): Promise<{ targets: boolean; renewed: boolean }> {
    const state = statePaths(this.#options.stateRoot);
    const paths = prometheusPaths(state.root);
    let caUrl = this.#options.caUrl;
    let targets = false;
    if (caUrl) {
      mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    } else {
      if (!existsSync(paths.config) || !existsSync(state.record)) return { targets: false, renewed: false };
      const record = JSON.parse(readFileSync(state.record, 'utf8')) as MeshRecord;
      targets = refreshTargets(paths, record);
      caUrl = record.services.find((s) => s.name === 'ca')?.url;
    }
    let renewed = false;
    if (renewalDue(paths, this.#clock.now())) {
      if (caUrl && OperatorClient.exists(state.operator)) {
        const client = OperatorClient.load(state.operator, { ca: caUrl });
        try {
          await issueScrapeIdentity(paths, new OperatorApi(client), this.#options.ttlSeconds);
          renewed = true;
        } finally {
          client.close();
        }
      }
    }
    return { targets, renewed };
  }

  start(): void {
    const every = this.#options.checkIntervalMs ?? 2_000;
    const loop = () => {
      this.#running = this.tick()
        .then(() => undefined, (err: unknown) => this.#options.onError?.(err as Error))
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = setTimeout(loop, every);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}

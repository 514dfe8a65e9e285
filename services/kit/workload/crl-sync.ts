/**
 * Keeps a workload's revocation list current: a long poll on the CA's /crl
 * answers as soon as a newer CRL exists (push), and the loop also refreshes on
 * a short interval when the CA cannot be reached.
 */
import type { MeshClient } from '../mtls/client.ts';
import type { RevocationList } from '../mtls/revocation-list.ts';
import { CA_ID } from '../identity/workload-identity.ts';

export interface CrlSyncOptions {
  caUrl: string;
  client: () => MeshClient;
  revocation: RevocationList;
  intervalMs: number;
  /** false: no long poll, only a fetch every intervalMs (the slow-propagation misconfiguration). */
  longPoll?: boolean;
  onUpdate?: (number: number) => void;
  onError?: (err: Error) => void;
}

export class CrlSync {
  #stopped = false;
  #options: CrlSyncOptions;
  #first: Promise<void>;

  constructor(options: CrlSyncOptions) {
    this.#options = options;
    this.#first = this.#fetch(false).catch(() => undefined);
    void this.#first.then(() => this.#loop());
  }

  /** Resolves after the first CRL was fetched (or failed). */
  ready(): Promise<void> {
    return this.#first;
  }

  async #fetch(wait: boolean): Promise<void> {
    const { revocation } = this.#options;
    const url = new URL('/crl', this.#options.caUrl);
    if (wait) url.searchParams.set('after', String(revocation.number));
    try {
      const res = await this.#options.client().request({ url: url.href, serverId: CA_ID, timeoutMs: wait ? 30_000 : 5_000 });
      if (res.status !== 200) throw new Error(`CRL fetch answered ${res.status}`);
      const number = Number(res.headers['x-crl-number'] ?? 0);
      if (await revocation.update(res.text(), number)) this.#options.onUpdate?.(number);
    } catch (err) {
      if (!this.#stopped) this.#options.onError?.(err as Error);
      throw err;
    }
  }

  async #loop(): Promise<void> {
    const longPoll = this.#options.longPoll !== false;
    while (!this.#stopped) {
      try {
        await this.#fetch(longPoll);
        if (!longPoll) await this.#pause();
      } catch {
        await this.#pause();
      }
    }
  }

  #pause(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.#options.intervalMs).unref());
  }

  stop(): void {
    this.#stopped = true;
  }
}

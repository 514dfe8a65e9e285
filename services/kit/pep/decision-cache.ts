/** A cache bounded in size (least recently used goes first) and in age (entries expire after ttlMs). */
import type { Clock } from '../clock.ts';

export interface DecisionCacheStats {
  size: number;
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
}

export class DecisionCache<V> {
  readonly maxEntries: number;
  readonly ttlMs: number;
  readonly #clock: Clock;
  // Map iteration order is insertion order: re-inserting on a hit keeps the oldest first.
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #expirations = 0;

  constructor(options: { maxEntries: number; ttlMs: number; clock: Clock }) {
    const problems: string[] = [];
    if (!Number.isInteger(options?.maxEntries) || options.maxEntries < 0) problems.push(`maxEntries must be an integer >= 0 (got ${String(options?.maxEntries)})`);
    if (typeof options?.ttlMs !== 'number' || !Number.isFinite(options.ttlMs) || options.ttlMs < 0) problems.push(`ttlMs must be a finite number >= 0 (got ${String(options?.ttlMs)})`);
    if (typeof options?.clock?.now !== 'function') problems.push('clock must have a now() method');
    if (problems.length > 0) throw new TypeError(`DecisionCache: ${problems.join('; ')}`);
    this.maxEntries = options.maxEntries;
    this.ttlMs = options.ttlMs;
    this.#clock = options.clock;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(key);
    if (this.#clock.now() >= entry.expiresAt) {
      this.#expirations++;
      this.#misses++;
      return undefined;
    }
    this.#entries.set(key, entry);
    this.#hits++;
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.maxEntries === 0 || this.ttlMs === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
      this.#evictions++;
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): DecisionCacheStats {
    return { size: this.#entries.size, hits: this.#hits, misses: this.#misses, evictions: this.#evictions, expirations: this.#expirations };
  }
}

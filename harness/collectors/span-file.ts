/**
 * Reads the spans a collector appends to a JSONL file (one SpanRecord per
 * line), from where it left off each time: the evidence source for a mesh the
 * harness did not start and whose receiver runs in another process.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { SpanRecord } from './span-record.ts';

/** Spans kept in memory; the oldest go first beyond this. */
const MAX_SPANS = 200_000;

export class SpanFile {
  readonly path: string;
  #offset = 0;
  #partial = '';
  #spans: SpanRecord[] = [];

  constructor(path: string) {
    this.path = path;
  }

  /** Every span in the file so far. */
  spans(): SpanRecord[] {
    this.#readNew();
    return this.#spans;
  }

  #readNew(): void {
    if (!existsSync(this.path)) return;
    const size = statSync(this.path).size;
    if (size < this.#offset) {
      // Truncated or replaced: start again.
      this.#offset = 0;
      this.#partial = '';
      this.#spans = [];
    }
    if (size === this.#offset) return;
    const buffer = Buffer.alloc(size - this.#offset);
    const fd = openSync(this.path, 'r');
    try {
      readSync(fd, buffer, 0, buffer.length, this.#offset);
    } finally {
      closeSync(fd);
    }
    this.#offset = size;
    const lines = (this.#partial + buffer.toString('utf8')).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        this.#spans.push(JSON.parse(line) as SpanRecord);
      } catch {
        // A line the collector did not finish cleanly carries no evidence.
      }
    }
    if (this.#spans.length > MAX_SPANS) this.#spans = this.#spans.slice(-MAX_SPANS);
  }
}

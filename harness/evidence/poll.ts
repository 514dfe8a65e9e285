/**
 * Asks again until the answer is good or the time is up, and returns the last
 * answer either way: evidence arrives asynchronously (log flushes, span
 * batches, scrapes), so every wait in the harness is bounded and shaped alike.
 */
export async function pollUntil<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

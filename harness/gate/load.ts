/**
 * Legitimate load while something changes underneath: end-user payments from
 * a fixed number of concurrent clients, bounded in count and in time. The
 * change paces itself on the load (`progress.sentAtLeast`), so on a slow
 * machine it waits for traffic instead of happening with too little of it;
 * whether enough load really met the change is reported, for the scenario to
 * treat as a precondition.
 */
import { samplePayment } from '../actors/payment.ts';
import type { EndUser } from '../actors/end-user.ts';
import { newReference } from './reference.ts';

export interface LoadResult {
  sent: number;
  /** Requests started while the change was still under way: the load the change actually met. */
  sentDuringChange: number;
  succeeded: number;
  failures: string[];
  durationMs: number;
}

export interface LoadProgress {
  readonly sent: number;
  /** Resolves once `n` requests have been sent in all (false if the load ends or times out first). */
  sentAtLeast(n: number): Promise<boolean>;
}

export async function paymentsUnderLoad(user: EndUser, during: (progress: LoadProgress) => Promise<void>, options: { concurrency?: number; minimum?: number; maximum?: number; timeoutMs?: number } = {}): Promise<LoadResult> {
  const { concurrency = 10, minimum = 100, maximum = 2000, timeoutMs = 30_000 } = options;
  const token = await user.login('alice');
  const started = performance.now();
  let done = false;
  let sent = 0;
  let sentDuringChange = 0;
  let succeeded = 0;
  const failures: string[] = [];
  const tag = newReference('load');
  const running = () => sent < maximum && performance.now() - started < timeoutMs;
  const worker = async (): Promise<void> => {
    while ((!done || sent < minimum) && running()) {
      const n = sent++;
      if (!done) sentDuringChange += 1;
      const res = await user.pay(token, samplePayment(`${tag}-${n}`, { amount: 1 })).catch((e: Error) => ({ status: 0, body: e.message }));
      if (res.status === 201) succeeded += 1;
      else failures.push(`${res.status} ${res.body.slice(0, 160)}`);
    }
  };
  const progress: LoadProgress = {
    get sent() {
      return sent;
    },
    async sentAtLeast(n) {
      while (sent < n) {
        if (!running()) return false;
        await new Promise((r) => setTimeout(r, 10));
      }
      return true;
    },
  };
  const change = during(progress).finally(() => (done = true));
  await Promise.all([change, ...Array.from({ length: concurrency }, worker)]);
  return { sent, sentDuringChange, succeeded, failures, durationMs: performance.now() - started };
}

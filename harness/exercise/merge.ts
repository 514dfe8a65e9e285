/** Merges the AARs of repeated runs of one exercise into per-inject distributions (wall-clock ms). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import type { Aar } from './aar.ts';

export interface Distribution {
  n: number;
  reached: number;
  min: number | null;
  median: number | null;
  p90: number | null;
  max: number | null;
}

export interface MergedAar {
  exercise: string;
  runs: Array<{ dir: string; runId: string; speed: number; startedAt: string }>;
  injects: Array<{ id: string; timeToDetectMs: Distribution; timeToAlertMs: Distribution; timeToAcknowledgeMs: Distribution; timeToContainMs: Distribution; blastRadiusSucceeded: Distribution }>;
  ratings: Record<string, Record<string, number>>;
}

function distribution(values: Array<number | null>): Distribution {
  const got = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  const q = (p: number) => (got.length === 0 ? null : got[Math.min(got.length - 1, Math.ceil(p * got.length) - 1)]!);
  return { n: values.length, reached: got.length, min: got[0] ?? null, median: q(0.5), p90: q(0.9), max: got.at(-1) ?? null };
}

export function mergeAars(dirs: string[]): MergedAar {
  const aars = dirs.map((dir) => {
    try {
      return { dir, aar: JSON.parse(readFileSync(join(dir, 'aar.json'), 'utf8')) as Aar };
    } catch (err) {
      throw new MeshgateError(ERROR_CODES.usage, `${join(dir, 'aar.json')}: ${(err as Error).message}`);
    }
  });
  const ids = new Set(aars.map((a) => a.aar.overview.exercise));
  if (ids.size !== 1) throw new MeshgateError(ERROR_CODES.usage, `the reports are of different exercises (${[...ids].join(', ')}); merge runs of one exercise`);
  const injectIds = aars[0]!.aar.injects.map((i) => i.id);
  const ratings: MergedAar['ratings'] = {};
  for (const { aar } of aars) for (const o of aar.objectives) (ratings[o.id] ??= {})[o.rating] = (ratings[o.id]![o.rating] ?? 0) + 1;
  return {
    exercise: [...ids][0]!,
    runs: aars.map(({ dir, aar }) => ({ dir, runId: aar.overview.runId, speed: aar.overview.speed, startedAt: aar.overview.startedAt })),
    injects: injectIds.map((id) => {
      const all = aars.map(({ aar }) => aar.injects.find((i) => i.id === id)).filter((i) => i !== undefined && i.firedAt !== null);
      return {
        id,
        timeToDetectMs: distribution(all.map((i) => i!.timeToDetectMs)),
        timeToAlertMs: distribution(all.map((i) => i!.timeToAlertMs)),
        timeToAcknowledgeMs: distribution(all.map((i) => i!.timeToAcknowledgeMs)),
        timeToContainMs: distribution(all.map((i) => i!.timeToContainMs)),
        blastRadiusSucceeded: distribution(all.map((i) => i!.blastRadius.succeeded)),
      };
    }),
    ratings,
  };
}

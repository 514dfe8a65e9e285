/** `meshgate exercise list|validate|run`: tabletop exercises on a live mesh. */
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';
import { offsetMs } from '../../exercise/exercise.ts';
import { writeFileSync } from 'node:fs';
import { mergeAars } from '../../exercise/merge.ts';
import { exerciseFiles, loadExercises, readExercise, resolveExercise } from '../../exercise/load.ts';

export const exerciseListFlags = { json: { type: 'boolean', default: false } } as const;
export const exerciseValidateFlags = {} as const;
export const exerciseReportFlags = { out: { type: 'string' } } as const;
export const exerciseRunFlags = {
  attach: { type: 'boolean', default: false },
  state: { type: 'string', default: DEFAULT_STATE },
  speed: { type: 'string', default: '1' },
  'report-dir': { type: 'string', default: 'exercise-reports' },
  'facilitator-script': { type: 'string' },
  prometheus: { type: 'string' },
} as const;

export const exerciseHelp: CommandHelp = {
  name: 'exercise',
  summary: 'tabletop exercises: play an incident on a live mesh and get a measured after-action report',
  usage: ['exercise list [--json]', 'exercise validate FILE...', 'exercise run ID|FILE --attach [--state DIR] [--speed N] [--report-dir DIR] [--facilitator-script FILE] [--prometheus URL]', 'exercise report DIR... [--out FILE]'],
  description:
    'list shows the exercises shipped in exercises/; validate checks exercise files against exercises/exercise.schema.json and reports every problem with its file and path; run plays an exercise on the mesh `meshgate up` started, driven by a facilitator script, measures per inject the time to detect, alert, acknowledge and contain and the blast radius, reverts everything it did and writes aar.json, aar.md, aar.html and events.jsonl; report merges the aar.json of repeated runs of one exercise into per-inject distributions.',
  flags: [
    { flag: '--json', text: 'list: print JSON instead: [{ id, title, file, injects, durationMs }]' },
    { flag: '--attach', text: 'run: play on the mesh recorded in the state folder (required)' },
    { flag: '--state DIR', text: 'run: the state folder `meshgate up` used (default: .meshgate in the current directory)' },
    { flag: '--speed N', text: 'run: compress the exercise clock N times (schedule and script); lifetimes, CRL bounds and scrapes stay real (default: 1)' },
    { flag: '--report-dir DIR', text: 'run: where aar.json is written (default: exercise-reports)' },
    { flag: '--prometheus URL', text: 'run: the team\'s Prometheus (loading dashboards/alerts.yml, scraping the mesh with the prometheus.yml `meshgate up` wrote); alert detections are read from its /api/v1/alerts. Without it an alert detection is reported as not observable' },
    { flag: '--out FILE', text: 'report: write the merged JSON here instead of standard output' },
    { flag: '--facilitator-script FILE', text: 'run: a YAML list of timed facilitator actions ({ at, do, ... }) played unattended; without it, on a terminal, the facilitator console runs the exercise (keys 1-9 n p h a d r q)' },
  ],
  args: [{ flag: 'ID|FILE', text: 'an exercise id from `meshgate exercise list` or the path of an exercise file' }],
  examples: ['meshgate exercise validate exercises/*.yaml', 'meshgate exercise run stolen-workload-credential --attach --speed 10 --facilitator-script script.yaml'],
  exitCodes: '0 ran (or valid), 1 the exercise could not run, 2 usage error or invalid exercise file, 130 interrupted',
};

export async function exerciseCommand(argv: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = argv;
  // A flag before the subcommand is refused like any unknown flag, by name.
  if (sub?.startsWith('-')) parseFlags('exercise', [sub], {});
  if (sub === 'list') {
    const { values } = parseFlags('exercise list', rest, exerciseListFlags);
    const rows = loadExercises(exerciseFiles()).map(({ file, exercise }) => ({
      id: exercise.id,
      title: exercise.title,
      file,
      injects: exercise.injects.length,
      durationMs: Math.max(...exercise.injects.map((i) => offsetMs(i.at))),
    }));
    if (values.json) io.stdout(JSON.stringify(rows, null, 2) + '\n');
    else for (const r of rows) io.stdout(`${r.id.padEnd(28)} ${String(r.injects).padStart(2)} inject${r.injects === 1 ? ' ' : 's'}  ${r.title}\n`);
    return 0;
  }
  if (sub === 'validate') {
    const { positionals } = parseFlags('exercise validate', rest, exerciseValidateFlags, true);
    if (positionals.length === 0) throw new UsageError('meshgate exercise validate: name at least one exercise file');
    let bad = 0;
    for (const file of positionals) {
      const { problems } = readExercise(file);
      if (problems.length === 0) io.stdout(`${file}: valid\n`);
      else {
        bad += 1;
        for (const p of problems) io.stderr(`${p.file}: ${p.path}: ${p.message}\n`);
      }
    }
    return bad === 0 ? 0 : 2;
  }
  if (sub === 'run') {
    const { values, positionals } = parseFlags('exercise run', rest, exerciseRunFlags, true);
    if (positionals.length !== 1) throw new UsageError('meshgate exercise run: name one exercise (an id or a file)');
    const speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0 || speed > 100) throw new UsageError(`meshgate exercise run: --speed must be a number in (0, 100] (got "${values.speed}")`);
    if (!values.attach) throw new UsageError('meshgate exercise run: --attach is required (start a mesh with `meshgate up` first)');
    const interactive = !values['facilitator-script'];
    if (interactive && (process.env.CI === 'true' || !process.stdin.isTTY || !process.stdout.isTTY)) throw new UsageError('meshgate exercise run: without a terminal (or under CI) it runs unattended: give --facilitator-script FILE');
    const prometheusUrl = values.prometheus;
    if (prometheusUrl !== undefined && !/^https?:\/\/[^/]+/.test(prometheusUrl)) throw new UsageError(`meshgate exercise run: --prometheus must be an http(s) URL such as http://127.0.0.1:9090 (got "${prometheusUrl}")`);
    const { exercise } = resolveExercise(positionals[0]!);
    const { runExercise } = await import('../../exercise/runner.ts');
    const { attachConsole } = await import('../../exercise/console.ts');
    let stop: (() => void) | undefined;
    const aar = await runExercise({
      exercise,
      stateDir: values.state!,
      speed,
      reportDir: values['report-dir']!,
      ...(prometheusUrl ? { prometheusUrl } : {}),
      ...(interactive ? { control: (c) => (stop = attachConsole(c, process.stdin, (t) => io.stdout(t))) } : { scriptFile: values['facilitator-script']!, log: (line: string) => io.stdout(`${line}\n`) }),
    }).finally(() => stop?.());
    io.stdout(`after-action report: ${aar.path}\n`);
    // Interrupted runs were reverted like any other, and say so by their exit code.
    return aar.overview.interrupted ? 130 : 0;
  }
  if (sub === 'report') {
    const { values, positionals } = parseFlags('exercise report', rest, exerciseReportFlags, true);
    if (positionals.length === 0) throw new UsageError('meshgate exercise report: name at least one report folder');
    const merged = JSON.stringify(mergeAars(positionals), null, 2) + '\n';
    if (values.out) writeFileSync(values.out, merged);
    else io.stdout(merged);
    return 0;
  }
  throw new UsageError(`meshgate exercise: expected list, validate, run or report${sub ? ` (got "${sub}")` : ''}`);
}

import { EXIT_CODES, exitCodeOf } from '../../errors.ts';
import { loadCatalog } from '../../scenario/catalog.ts';
import { selectScenarios, type Selection } from '../../scenario/select.ts';
import { painter } from '../color.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { plural } from '../plural.ts';
import { UsageError } from '../usage-error.ts';

export const listFlags = {
  tag: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
} as const;

export const listHelp: CommandHelp = {
  name: 'list',
  summary: 'the scenario catalog with severity, tags and title (metadata only; nothing runs)',
  usage: ['list [SCENARIO or GLOB or PLANE...] [--tag T]... [--json]'],
  description:
    'Prints every scenario of the catalog, or those a selection picks (the same selection `meshgate run` takes, so it shows what a run would run): id, severity, tags and title, then the count and every tag in use. Nothing is started.',
  args: [{ flag: 'SCENARIO', text: 'a scenario id, a glob over ids (\'tokens.*\') or a plane name (mtls, tokens, policy, leaks, rotation, observability)' }],
  flags: [
    { flag: '--tag T', text: 'only scenarios carrying tag T; repeat for several tags (any one suffices)' },
    { flag: '--json', text: 'print a JSON array instead: each scenario\'s id, title, plane, severity, threat, tags, control and file' },
  ],
  examples: ['meshgate list', 'meshgate list tokens --tag replay', "meshgate list --json | jq -r '.[] | select(.tags | index(\"revocation\")) | .id'"],
  exitCodes: '0 listed, 2 usage error (an unknown flag, a pattern or tag that matches nothing, an invalid scenario file)',
};

export async function listCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags('list', argv, listFlags, true);
  const selection: Selection = {};
  if (positionals.length) selection.patterns = positionals;
  if (values.tag?.length) selection.tags = values.tag;
  let catalog;
  try {
    catalog = selectScenarios(await loadCatalog(), selection);
  } catch (err) {
    if (exitCodeOf(err) === EXIT_CODES.usage) throw new UsageError(`meshgate list: ${(err as Error).message}`);
    throw err;
  }
  if (values.json) {
    io.stdout(JSON.stringify(catalog.map((s) => ({ ...s.meta, file: s.file })), null, 2) + '\n');
    return 0;
  }
  const idWidth = Math.max(2, ...catalog.map((s) => s.meta.id.length));
  const tagWidth = Math.max(4, ...catalog.map((s) => s.meta.tags.join(',').length));
  io.stdout(`${'ID'.padEnd(idWidth)}  ${'SEVERITY'.padEnd(8)}  ${'TAGS'.padEnd(tagWidth)}  TITLE\n`);
  const paint = painter(io.color === true);
  const severity = (level: string): string => {
    const padded = level.padEnd(8);
    return level === 'critical' ? paint.red(padded) : level === 'high' ? paint.yellow(padded) : padded;
  };
  for (const s of catalog) io.stdout(`${s.meta.id.padEnd(idWidth)}  ${severity(s.meta.severity)}  ${s.meta.tags.join(',').padEnd(tagWidth)}  ${s.meta.title}\n`);
  const tags = [...new Set(catalog.flatMap((s) => s.meta.tags))].sort();
  io.stdout(`${plural(catalog.length, 'scenario')}; ${plural(tags.length, 'tag')}: ${tags.join(' ')}\n`);
  return 0;
}

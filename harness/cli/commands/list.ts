import { loadCatalog } from '../../scenario/catalog.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';

export const listHelp = 'list [--json]                    list the scenario catalog (metadata only; runs nothing)';

export async function listCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('list', argv, { json: { type: 'boolean', default: false } });
  const catalog = await loadCatalog();
  if (values.json) {
    io.stdout(JSON.stringify(catalog.map((s) => ({ ...s.meta, file: s.file })), null, 2) + '\n');
    return 0;
  }
  for (const s of catalog) io.stdout(`${s.meta.id.padEnd(36)} ${s.meta.severity.padEnd(8)} ${s.meta.title}\n`);
  io.stdout(`${catalog.length} scenarios\n`);
  return 0;
}

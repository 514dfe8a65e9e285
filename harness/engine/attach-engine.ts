/**
 * The attach engine: drives a mesh that `meshgate up` started and left
 * running, whatever engine started it, from the record in its state folder.
 * Closing it leaves the mesh up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SpanFile } from '../collectors/span-file.ts';
import { statePaths } from '../mesh/state-dir.ts';
import { LocalEngine } from './local-engine.ts';
import type { MeshEngine } from './mesh-engine.ts';

export class AttachError extends Error {
  readonly code = 'MESHGATE_ERR_ATTACH';
  constructor(message: string) {
    super(message);
    this.name = 'AttachError';
  }
}

export async function attachEngine(stateDir: string): Promise<MeshEngine> {
  const paths = statePaths(stateDir);
  if (!existsSync(paths.record)) throw new AttachError(`no mesh to attach to in ${paths.root} (no mesh.json): start one with \`meshgate up --state ${stateDir}\``);
  const record = JSON.parse(readFileSync(paths.record, 'utf8')) as { engine?: string };
  switch (record.engine ?? 'local') {
    case 'local': {
      const engine = await LocalEngine.adopt(stateDir, new SpanFile(paths.spans));
      if (engine.services().length === 0) throw new AttachError(`the mesh recorded in ${paths.record} is not running: start it with \`meshgate up --state ${stateDir}\``);
      return engine;
    }
    default:
      throw new AttachError(`${paths.record}: unknown engine "${record.engine}"`);
  }
}

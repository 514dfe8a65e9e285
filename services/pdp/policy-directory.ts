/** Reads a directory's *.cedar files into the {filename: text} map the store and the checker take. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyDirectoryError } from './errors.ts';

export async function readPolicyDirectory(dir: string): Promise<Record<string, string>> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('readPolicyDirectory: dir must be a non-empty string');
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    throw new PolicyDirectoryError(dir, `policy directory ${dir} does not exist`);
  }
  if (!isDir) throw new PolicyDirectoryError(dir, `${dir} is not a directory`);
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.endsWith('.cedar')).map((e) => e.name).sort();
  if (names.length === 0) throw new PolicyDirectoryError(dir, `policy directory ${dir} holds no .cedar files`);
  const files: Record<string, string> = {};
  for (const name of names) files[name] = await readFile(join(dir, name), 'utf8');
  return files;
}

/** Labels problems with the file's path under `dir`, so they read as dir/file.cedar:line:col. */
export function labelUnder(dir: string): (file: string) => string {
  return (file) => join(dir, file);
}

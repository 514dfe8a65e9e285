/**
 * The line a finding points at when the catalog names only a file: the line that sets a
 * setting's default, a policy file's first policy, else the file's first line. Code scanning
 * and CI annotations need a line for every location.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceRegion } from '../scenario/meta.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RegionHint {
  /** A setting name (a mutant's location.setting). */
  setting?: string;
  /** Free text that may name the setting (a control's description). */
  description?: string;
  kind?: 'setting' | 'policy' | 'code';
}

const cache = new Map<string, string[] | undefined>();

function lines(root: string, uri: string): string[] | undefined {
  const key = join(root, uri);
  if (!cache.has(key)) {
    let text: string[] | undefined;
    try {
      text = statSync(key).isFile() ? readFileSync(key, 'utf8').split(/\r?\n/) : undefined;
    } catch {
      text = undefined;
    }
    cache.set(key, text);
  }
  return cache.get(key);
}

/** 1-based line of the last `name:` declaration (the defaults object comes after the interface). */
function settingLine(text: readonly string[], name: string): number | undefined {
  const re = new RegExp(`^\\s*${name.replace(/[^A-Za-z0-9_]/g, '')}\\??\\s*:`);
  let found: number | undefined;
  text.forEach((line, i) => {
    if (re.test(line)) found = i + 1;
  });
  return found;
}

export function regionFor(uri: string, region: SourceRegion | undefined, hint: RegionHint = {}, root: string = PACKAGE_ROOT): SourceRegion {
  if (region && Number.isInteger(region.startLine) && region.startLine >= 1) return region;
  const text = lines(root, uri);
  if (!text) return { startLine: 1 };
  const names = hint.setting ? [hint.setting] : hint.kind === 'setting' || uri.endsWith('settings.ts') ? (hint.description?.match(/[A-Za-z][A-Za-z0-9]+/g) ?? []) : [];
  for (const name of names) {
    const line = settingLine(text, name);
    if (line !== undefined) return { startLine: line };
  }
  if (uri.endsWith('.cedar')) {
    const i = text.findIndex((l) => /^\s*(@id\(|permit\b|forbid\b)/.test(l));
    if (i >= 0) return { startLine: i + 1 };
  }
  return { startLine: 1 };
}

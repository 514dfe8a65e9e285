import { describe, expect, test } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exerciseFiles, readExercise } from './load.ts';
import { meshgate } from '../test-support/meshgate-cli.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const tempDir = useTempDirs();

describe('exercise files', () => {
  test('the four shipped exercises validate', async () => {
    const files = exerciseFiles();
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) expect(readExercise(f).problems, f).toEqual([]);
    const r = await meshgate(['exercise', 'validate', ...files]);
    expect(r.code, r.stderr).toBe(0);
    const list = await meshgate(['exercise', 'list', '--json']);
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((e) => e.id)).toEqual(['allow-all-policy', 'secrets-in-logs', 'signing-key-compromise', 'stolen-workload-credential']);
  });

  test('a broken file gets every problem reported with its file and path, exit 2', async () => {
    const dir = tempDir('meshgate-exercise-');
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        'id: Broken',
        'title: t',
        'narrative: n',
        'objectives: [{ id: o1, text: t, capability: c }]',
        'teams: [{ id: t1, roles: [r] }]',
        'injects:',
        '  - { id: a, at: "+2x", title: t, action: { message: m } }',
        '  - { id: b, at: "+1m", title: t, objectives: [nope], action: { mesh: redeploy, params: { settings: { noSuchSetting: true } } }, containment: { condition: settings-restored } }',
        '  - { id: b, at: "+2m", title: t, action: { attack: leaked-credential }, containment: { condition: cert-revoked }, colour: red }',
      ].join('\n'),
    );
    const schemaOnly = readExercise(file).problems;
    expect(schemaOnly.map((p) => p.path)).toEqual(expect.arrayContaining(['/id', '/injects/0/at', '/injects/2']));
    expect(schemaOnly.every((p) => p.file.endsWith('broken.yaml'))).toBe(true);

    writeFileSync(file, readFileIgnoringSchema(file));
    const r = await meshgate(['exercise', 'validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/injects/1/objectives/0: names no objective');
    expect(r.stderr).toContain('/injects/1/action/params/settings/noSuchSetting: is not a workload setting');
    expect(r.stderr).toContain('/injects/2/id: duplicate inject id "b"');
  });
});

/** The same file with its schema errors fixed, so the checks beyond the schema show. */
function readFileIgnoringSchema(file: string): string {
  return [
    'id: broken',
    'title: t',
    'narrative: n',
    'objectives: [{ id: o1, text: t, capability: c }]',
    'teams: [{ id: t1, roles: [r] }]',
    'injects:',
    '  - { id: a, at: "+2s", title: t, action: { message: m } }',
    '  - { id: b, at: "+1m", title: t, objectives: [nope], action: { mesh: redeploy, params: { settings: { noSuchSetting: true } } }, containment: { condition: settings-restored } }',
    '  - { id: b, at: "+2m", title: t, action: { attack: leaked-credential }, containment: { condition: cert-revoked } }',
  ].join('\n') + `\n# ${file}\n`;
}

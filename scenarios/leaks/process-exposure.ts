import { LeakScanner, describeHit } from '../../harness/collectors/leak-scanner.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { DEMO_USERS } from '../../services/demo-users.ts';

/** Environment variable names that say a secret travels in them (a *_FILE or *_PATH variable names where it is kept instead). */
const SECRET_NAME = /(?:^|\s)([A-Z0-9_]*(?:TOKEN|PASSWORD|PASSWD|SECRET|PRIVATE|_KEY|APIKEY|CREDENTIAL)[A-Z0-9_]*)=/g;
const NAMES_A_PATH = /_(?:FILE|PATH|DIR)$/;

/**
 * Whatever a process gets on its command line or in its environment, anyone
 * who can list processes (or read a crash dump) can read: no join token,
 * password or key may travel there.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'leaks.process-exposure',
    title: 'No workload carries a join token, password or key on its command line or in its environment',
    plane: 'leaks',
    severity: 'high',
    threat: 'Secrets passed in environment variables or arguments show up in process listings, /proc and crash dumps.',
    tags: ['leaks', 'posture', 'secrets'],
    control: { kind: 'code', location: 'services/kit/workload/process.ts', description: 'join tokens arrive in a 0600 file read once and removed; keys live in 0600 files' },
  },
  inject,
  async expect(ctx, { inspected, named, hits, passwords }) {
    return expectation(
      [
        // Proves something only if every workload's process was read.
        check('every workload process was inspected', ctx.engine.services().map((s) => s.name).sort(), inspected.map((i) => i.service).sort(), inspected.map((i) => i.source)),
        check('no variable or argument is named like a secret', [], named),
        check('no key, token or card number in any command line or environment', [], hits.slice(0, 20)),
        check('no demo user password in any command line or environment', [], passwords),
      ],
      [],
    );
  },
});

async function inject(ctx: MeshContext) {
  const scanner = new LeakScanner({});
  const secrets = DEMO_USERS.map((u) => ({ user: u.username, value: ctx.engine.demoPassword(u.username) }));
  const inspected: Array<{ service: string; source: string }> = [];
  const named: string[] = [];
  const hits: string[] = [];
  const passwords: string[] = [];
  for (const { name } of ctx.engine.services()) {
    const exposure = await ctx.engine.processExposure(name);
    inspected.push({ service: name, source: exposure.source });
    for (const [part, text] of [['cmdline', exposure.cmdline], ['environ', exposure.environ]] as const) {
      for (const m of text.matchAll(SECRET_NAME)) if (!NAMES_A_PATH.test(m[1]!)) named.push(`${name} ${part}: ${m[1]}`);
      hits.push(...scanner.scanText(text, { sink: `${exposure.source}/${part}` }).map(describeHit));
      for (const s of secrets) if (text.includes(s.value)) passwords.push(`${name} ${part}: ${s.user}'s password`);
    }
  }
  return { inspected, named, hits, passwords };
}

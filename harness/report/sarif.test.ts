import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSarif, SARIF_SCHEMA } from './sarif.ts';
import { buildRunReport } from './run-report.ts';
import { sampleReport, scenarioFixture } from '../test-support/sample-report.ts';

// ajv-draft-04 and ajv-formats are CommonJS; the vendored schema is the official one, unmodified (schemas/README.md).
const require = createRequire(import.meta.url);
const AjvDraft04 = require('ajv-draft-04') as new (o: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null } };
const addFormats = require('ajv-formats') as (ajv: object) => void;
const ajv = new AjvDraft04({ allErrors: true, strict: false });
addFormats(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(new URL('./schemas/sarif-schema-2.1.0.json', import.meta.url), 'utf8')));

type Json = any;

describe('renderSarif', () => {
  const sarif: Json = JSON.parse(renderSarif(sampleReport()));
  const run = sarif.runs[0];

  it('has the required SARIF 2.1.0 fields', () => {
    expect(sarif.$schema).toBe(SARIF_SCHEMA);
    expect(sarif.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('meshgate');
    expect(Array.isArray(run.tool.driver.rules)).toBe(true);
    for (const result of run.results) {
      expect(typeof result.ruleId).toBe('string');
      expect(result.level).toBe('error');
      expect(typeof result.message.text).toBe('string');
      expect(Array.isArray(result.locations)).toBe(true);
      expect(run.tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    }
  });

  it('has one rule per scenario with security-severity strings and tags', () => {
    const rules = Object.fromEntries(run.tool.driver.rules.map((r: Json) => [r.id, r]));
    expect(rules['mtls.expired-client-cert'].properties['security-severity']).toBe('9.5');
    expect(rules['mtls.hostile'].properties['security-severity']).toBe('8.0');
    expect(rules['tokens.replay-other-workload'].properties['security-severity']).toBe('5.5');
    expect(rules['policy.unlisted-edge'].properties['security-severity']).toBe('3.0');
    expect(rules['mtls.hostile'].properties.tags).toEqual(['security', 'mtls', 'handshake']);
  });

  it('reports only failed scenarios and surviving mutants, located at the control', () => {
    expect(run.results.map((r: Json) => r.ruleId)).toEqual(['mtls.hostile', 'mutation.survived']);
    const [scenario, mutant] = run.results;
    // no control declared: falls back to the scenario file
    expect(scenario.locations[0].physicalLocation.artifactLocation.uri).toBe('scenarios/mtls/hostile.ts');
    expect(mutant.locations[0].physicalLocation.artifactLocation.uri).toBe('services/kit/workload/settings.ts');
    expect(mutant.message.text).toContain('tokens.no-replay-cache');
  });

  it('places a result at the control file and region when the scenario declares one', () => {
    const report = sampleReport({ mutation: false });
    report.scenarios[0]!.outcome = 'failed';
    report.scenarios[0]!.checks.control[0]!.ok = false;
    const results: Json[] = JSON.parse(renderSarif(report)).runs[0].results;
    const loc = results.find((r) => r.ruleId === 'mtls.expired-client-cert').locations[0].physicalLocation;
    expect(loc).toEqual({ artifactLocation: { uri: 'services/kit/mtls/verify.ts', uriBaseId: '%SRCROOT%' }, region: { startLine: 42 } });
  });
});

describe('SARIF for code scanning', () => {
  const catalogIds = ['mtls.a', 'mtls.b', 'tokens.c'];
  const report = (ids: string[], extra: object = {}) =>
    buildRunReport({ runId: 'r1', startedAt: 0, finishedAt: 1000, engine: 'local', catalogIds, scenarios: ids.map((id) => scenarioFixture({ id })), ...extra });

  it('validates against the official SARIF 2.1.0 schema (ajv), hostile text and mutants included', () => {
    for (const r of [sampleReport(), sampleReport({ hostile: false, mutation: false }), report(catalogIds)]) {
      const sarif = JSON.parse(renderSarif(r));
      const ok = validateSarif(sarif);
      expect(validateSarif.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('the schema check can fail: a region without startLine semantics, a bad level, a relative helpUri', () => {
    const sarif = JSON.parse(renderSarif(sampleReport()));
    sarif.runs[0].results[0].level = 'fatal';
    sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    sarif.runs[0].tool.driver.rules[0].helpUri = 'not a uri';
    expect(validateSarif(sarif)).toBe(false);
    const paths = (validateSarif.errors as { instancePath: string }[]).map((e) => e.instancePath);
    expect(paths).toContain('/runs/0/results/0/level');
    expect(paths).toContain('/runs/0/results/0/locations/0/physicalLocation/region/startLine');
    expect(paths).toContain('/runs/0/tool/driver/rules/0/helpUri');
  });

  it('every location has a startLine: the setting\'s line, the policy\'s line, the declared region', () => {
    const settings = readFileSync(new URL('../../services/kit/workload/settings.ts', import.meta.url), 'utf8').split('\n');
    const policy = readFileSync(new URL('../../services/pdp/policies/payments-to-ledger.cedar', import.meta.url), 'utf8').split('\n');
    const scenarios = [
      scenarioFixture({ id: 'tokens.replayed', outcome: 'failed', control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'replayCache is true' } }),
      scenarioFixture({ id: 'policy.lateral-call', outcome: 'failed', control: { kind: 'policy', location: 'services/pdp/policies/payments-to-ledger.cedar', description: 'only payments may create ledger entries' } }),
      scenarioFixture({ id: 'mtls.x', outcome: 'failed', control: { kind: 'code', location: 'services/kit/mtls/server.ts', region: { startLine: 7 }, description: 'd' } }),
    ];
    for (const s of scenarios) s.checks.control[0]!.ok = false;
    const sarif = JSON.parse(renderSarif(buildRunReport({ runId: 'r1', startedAt: 0, finishedAt: 1, engine: 'local', scenarios, mutation: sampleReport().mutation! })));
    const lines = Object.fromEntries(sarif.runs[0].results.map((r: Json) => [r.properties.mutant ?? r.ruleId, r.locations[0].physicalLocation.region.startLine]));
    for (const r of sarif.runs[0].results) for (const l of r.locations) expect(l.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
    expect(settings[lines['tokens.replayed'] - 1]).toMatch(/^\s*replayCache: true,/);
    expect(settings[lines['tokens.no-replay-cache'] - 1]).toMatch(/^\s*replayCache: true,/);
    expect(policy[lines['policy.lateral-call'] - 1]).toBe('@id("payments-create-entry")');
    expect(lines['mtls.x']).toBe(7);
  });

  it('every rule has helpUri, help.markdown; the driver has informationUri', () => {
    const sarif = JSON.parse(renderSarif(sampleReport()));
    const driver = sarif.runs[0].tool.driver;
    expect(driver.informationUri).toMatch(/^(file|https):\/\/.+README\.md#the-gate$/);
    for (const rule of driver.rules) {
      expect(rule.helpUri).toMatch(/^(file|https):\/\//);
      expect(rule.help.markdown.length).toBeGreaterThan(20);
    }
    const hostile = driver.rules.find((r: Json) => r.id === 'mtls.hostile');
    expect(hostile.helpUri).toMatch(/scenarios\/mtls\/hostile\.ts$/);
    expect(hostile.help.markdown).toContain('npx meshgate run mtls.hostile');
  });

  it('automationDetails.id tells the full catalog from a selection and from mutation mode', () => {
    const id = (r: ReturnType<typeof report>) => JSON.parse(renderSarif(r)).runs[0].automationDetails.id as string;
    const category = (r: ReturnType<typeof report>) => id(r).slice(0, id(r).lastIndexOf('/'));
    expect(id(report(catalogIds))).toBe('meshgate/catalog/r1');
    expect(category(report(['mtls.a']))).toMatch(/^meshgate\/selection-[0-9a-f]{12}$/);
    expect(category(report(['mtls.a']))).toBe(category(report(['mtls.a'])));
    expect(category(report(['mtls.a']))).not.toBe(category(report(['mtls.b'])));
    expect(category(report(catalogIds, { mutate: true }))).toBe('meshgate/catalog+mutation');
    // a report that does not know its catalog never claims to be the full one
    expect(category(sampleReport())).toMatch(/^meshgate\/selection-/);
  });
});

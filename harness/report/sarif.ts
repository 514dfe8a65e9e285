/**
 * SARIF 2.1.0: one rule per scenario (plus one for surviving mutants),
 * results only for failed scenarios and surviving mutants, located at the
 * setting, policy or code that should have held.
 */
import type { SourceRegion, Severity } from '../scenario/meta.ts';
import { failedChecks, type ScenarioResult } from '../scenario/result.ts';
import type { MutantResult } from '../scenario/mutation.ts';
import type { RunReport } from './run-report.ts';
import { formatValue } from './text.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** GitHub code scanning maps these to critical/high/medium/low. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

export const MUTANT_RULE_ID = 'mutation.survived';

interface SarifLocation {
  physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region?: { startLine: number; endLine?: number } };
  message?: { text: string };
}

function location(uri: string, region: SourceRegion | undefined, text?: string): SarifLocation {
  const loc: SarifLocation = { physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' } } };
  if (region) loc.physicalLocation.region = region.endLine === undefined ? { startLine: region.startLine } : { startLine: region.startLine, endLine: region.endLine };
  if (text) loc.message = { text };
  return loc;
}

function ruleName(id: string): string {
  return id
    .split(/[.-]/)
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1) : ''))
    .join('');
}

function scenarioRule(s: ScenarioResult) {
  const help = [s.threat, s.control ? `Control (${s.control.kind}): ${s.control.description} — ${s.control.location}` : ''].filter(Boolean).join('\n');
  return {
    id: s.id,
    name: ruleName(s.id),
    shortDescription: { text: s.title },
    fullDescription: { text: s.threat },
    help: { text: help },
    defaultConfiguration: { level: 'error' },
    properties: { 'security-severity': SECURITY_SEVERITY[s.severity], tags: ['security', s.plane, ...s.tags.filter((t) => t !== 'security' && t !== s.plane)], precision: 'high', 'problem.severity': 'error' },
  };
}

function scenarioResult(s: ScenarioResult, ruleIndex: number) {
  const failed = failedChecks(s);
  const lines = failed.map(({ kind, check }) => `${kind}/${check.name}: expected ${formatValue(check.expected, 200)}, observed ${formatValue(check.observed, 200)}`);
  const text = `${s.title}: ${failed.length === 1 ? 'a check' : `${failed.length} checks`} failed. ${lines.join('; ')}`;
  const locations = s.control ? [location(s.control.location, s.control.region, s.control.description)] : s.file ? [location(s.file, undefined, 'scenario (no control location declared)')] : [];
  return {
    ruleId: s.id,
    ruleIndex,
    level: 'error',
    message: { text },
    locations,
    partialFingerprints: { 'meshgateScenario/v1': s.id },
    properties: { correlationId: s.correlationId, severity: s.severity, plane: s.plane },
  };
}

function mutantResultEntry(m: MutantResult, ruleIndex: number) {
  const { mutant } = m;
  return {
    ruleId: MUTANT_RULE_ID,
    ruleIndex,
    level: 'error',
    message: { text: `Mutant ${mutant.id} survived: no scenario failed when ${mutant.fault}. ${mutant.description}` },
    locations: [location(mutant.location.uri, mutant.location.region, mutant.location.setting)],
    partialFingerprints: { 'meshgateMutant/v1': mutant.id },
    properties: { mutant: mutant.id },
  };
}

export function renderSarif(report: RunReport): string {
  const rules: object[] = report.scenarios.map(scenarioRule);
  const ruleIndex = new Map(report.scenarios.map((s, i) => [s.id, i]));
  const results: object[] = report.scenarios.filter((s) => s.outcome === 'failed').map((s) => scenarioResult(s, ruleIndex.get(s.id)!));
  const survivors = report.mutation?.mutants.filter((m) => m.survived) ?? [];
  if (survivors.length > 0) {
    rules.push({
      id: MUTANT_RULE_ID,
      name: 'MutantSurvived',
      shortDescription: { text: 'A misconfiguration went unnoticed by every scenario' },
      fullDescription: { text: 'A deliberate fault was applied to the mesh and no scenario failed, so this control is not guarded by the scenario catalog.' },
      help: { text: 'Add or fix a scenario that fails when this setting, policy or code is broken.' },
      defaultConfiguration: { level: 'error' },
      properties: { 'security-severity': SECURITY_SEVERITY.medium, tags: ['security', 'mutation'], precision: 'high', 'problem.severity': 'error' },
    });
    results.push(...survivors.map((m) => mutantResultEntry(m, rules.length - 1)));
  }
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, rules } },
        automationDetails: { id: `meshgate/${report.runId}` },
        invocations: [{ executionSuccessful: !report.scenarios.some((s) => s.outcome === 'error') && !report.aborted, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt }],
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The meshgate repository root' } } },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

/**
 * SARIF 2.1.0: one rule per scenario (plus one for surviving mutants),
 * results only for failed scenarios and surviving mutants, located at the
 * setting, policy or code that should have held.
 */
import type { SourceRegion, Severity } from '../scenario/meta.ts';
import { failedChecks, type ScenarioResult } from '../scenario/result.ts';
import type { MutantResult } from '../scenario/mutation.ts';
import type { RunReport } from './run-report.ts';
import { regionFor, type RegionHint } from './source-region.ts';
import { formatValue } from './text.ts';
import { readToolInfo } from './tool.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** GitHub code scanning maps these to critical/high/medium/low. */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };

export const MUTANT_RULE_ID = 'mutation.survived';

interface SarifLocation {
  physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number; endLine?: number } };
  message?: { text: string };
}

/** Every location carries a line: the declared region, else the setting's or the policy's line (source-region.ts). */
function location(uri: string, declared: SourceRegion | undefined, hint: RegionHint, text?: string): SarifLocation {
  const region = regionFor(uri, declared, hint);
  const loc: SarifLocation = {
    physicalLocation: { artifactLocation: { uri, uriBaseId: '%SRCROOT%' }, region: region.endLine === undefined ? { startLine: region.startLine } : { startLine: region.startLine, endLine: region.endLine } },
  };
  if (text) loc.message = { text };
  return loc;
}

/** Base URI the rules' help links point into (ends in '/'). */
function sourceUri(report: RunReport): string {
  return report.tool.sourceUri ?? readToolInfo().sourceUri!;
}

/** Markdown help: what the scenario attacks, the control that must hold, how to run it alone. */
function scenarioHelpMarkdown(s: ScenarioResult): string {
  const lines = [`**${s.title}**`, '', s.threat, ''];
  if (s.control) lines.push(`Control (${s.control.kind}): ${s.control.description} — \`${s.control.location}\``, '');
  lines.push(`Plane \`${s.plane}\`, severity ${s.severity}. Run it alone: \`npx meshgate run ${s.id}\``);
  if (s.file) lines.push('', `Scenario: \`${s.file}\``);
  return lines.join('\n');
}

function ruleName(id: string): string {
  return id
    .split(/[.-]/)
    .map((part) => (part ? part[0]!.toUpperCase() + part.slice(1) : ''))
    .join('');
}

function scenarioRule(s: ScenarioResult, base: string) {
  const help = [s.threat, s.control ? `Control (${s.control.kind}): ${s.control.description} — ${s.control.location}` : '', `Run it alone: npx meshgate run ${s.id}`].filter(Boolean).join('\n');
  return {
    id: s.id,
    name: ruleName(s.id),
    shortDescription: { text: s.title },
    fullDescription: { text: s.threat },
    helpUri: s.file ? `${base}${s.file}` : `${base}README.md#the-gate`,
    help: { text: help, markdown: scenarioHelpMarkdown(s) },
    defaultConfiguration: { level: 'error' },
    properties: { 'security-severity': SECURITY_SEVERITY[s.severity], tags: ['security', s.plane, ...s.tags.filter((t) => t !== 'security' && t !== s.plane)], precision: 'high', 'problem.severity': 'error' },
  };
}

function scenarioResult(s: ScenarioResult, ruleIndex: number) {
  const failed = failedChecks(s);
  const lines = failed.map(({ kind, check }) => `${kind}/${check.name}: expected ${formatValue(check.expected, 200)}, observed ${formatValue(check.observed, 200)}`);
  const text = `${s.title}: ${failed.length === 1 ? 'a check' : `${failed.length} checks`} failed. ${lines.join('; ')}`;
  const locations = s.control
    ? [location(s.control.location, s.control.region, { kind: s.control.kind, description: s.control.description }, s.control.description)]
    : s.file
      ? [location(s.file, undefined, {}, 'scenario (no control location declared)')]
      : [];
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
    locations: [location(mutant.location.uri, mutant.location.region, mutant.location.setting ? { setting: mutant.location.setting } : {}, mutant.location.setting)],
    partialFingerprints: { 'meshgateMutant/v1': mutant.id },
    properties: { mutant: mutant.id },
  };
}

/**
 * automationDetails.id is "<category>/<run id>": code scanning keeps one set of alerts per category, so a
 * selection or a mutation run (its own category) never closes the alerts of scenarios it did not run.
 */
export function automationId(report: RunReport): string {
  return `meshgate/${report.scope.category}/${report.runId}`;
}

export function renderSarif(report: RunReport): string {
  const base = sourceUri(report);
  const rules: object[] = report.scenarios.map((s) => scenarioRule(s, base));
  const ruleIndex = new Map(report.scenarios.map((s, i) => [s.id, i]));
  const results: object[] = report.scenarios.filter((s) => s.outcome === 'failed').map((s) => scenarioResult(s, ruleIndex.get(s.id)!));
  const survivors = report.mutation?.mutants.filter((m) => m.survived) ?? [];
  if (survivors.length > 0) {
    rules.push({
      id: MUTANT_RULE_ID,
      name: 'MutantSurvived',
      shortDescription: { text: 'A misconfiguration went unnoticed by every scenario' },
      fullDescription: { text: 'A deliberate fault was applied to the mesh and no scenario failed, so this control is not guarded by the scenario catalog.' },
      helpUri: `${base}README.md#security-settings-and-deliberate-misconfigurations`,
      help: {
        text: 'Add or fix a scenario that fails when this setting, policy or code is broken.',
        markdown: 'A deliberate misconfiguration was shipped to the mesh and **no scenario failed**: this control is not guarded by the catalog.\n\nAdd or fix a scenario that fails when this setting, policy or code is broken, then check with `npx meshgate run --mutate`.',
      },
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
        tool: { driver: { name: report.tool.name, version: report.tool.version, semanticVersion: report.tool.version, informationUri: report.tool.informationUri ?? `${base}README.md#the-gate`, rules } },
        automationDetails: {
          id: automationId(report),
          description: { text: report.scope.fullCatalog ? `the whole catalog (${report.scope.catalogScenarios} scenarios)${report.scope.mutation ? ' and mutation mode' : ''}` : `a selection of ${report.scenarios.length} of ${report.scope.catalogScenarios} scenarios${report.scope.mutation ? ' and mutation mode' : ''}` },
        },
        invocations: [{ executionSuccessful: !report.scenarios.some((s) => s.outcome === 'error') && !report.aborted, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt }],
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The meshgate repository root' } } },
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

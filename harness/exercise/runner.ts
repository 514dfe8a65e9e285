/**
 * Plays an exercise on an attached mesh, unattended from a facilitator script.
 * The exercise clock runs `speed` times faster than the wall clock and stops
 * while paused; every measurement is taken in wall-clock time from evidence
 * the harness sees (the mesh's logs carrying the inject's correlation id, a
 * probe that proves containment), never from what the team declares.
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { attachEngine } from '../engine/attach-engine.ts';
import { LifecycleJournal } from '../engine/lifecycle-journal.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import { Impersonator } from '../actors/impersonator.ts';
import { EndUser } from '../actors/end-user.ts';
import { samplePayment } from '../actors/payment.ts';
import { newReference } from '../gate/reference.ts';
import { ALLOW_ALL_POLICY } from '../gate/mutants.ts';
import { StolenSigningKey } from '../attacks/stolen-signing-key.ts';
import { statePaths } from '../../services/kit/state-layout.ts';
import { newRunId, correlationIdFor } from '../scenario/correlation.ts';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { offsetMs, type Exercise, type Inject } from './exercise.ts';
import { readFacilitatorScript, type ScriptAction } from './facilitator-script.ts';
import { ExerciseState, type ExerciseEvent } from './state.ts';
import { openDetectionWatch, type DetectionWatch } from './detection-watch.ts';
import { buildAar, type Aar } from './aar.ts';
import { renderAarHtml, renderAarMarkdown } from './aar-render.ts';

export interface RunOptions {
  exercise: Exercise;
  stateDir: string;
  speed: number;
  reportDir: string;
  /** Unattended: the facilitator script. Without it the facilitator drives the run through `control`. */
  scriptFile?: string;
  log?: (line: string) => void;
  /** The team's Prometheus, with meshgate's alert rules loaded: alert detections are read from it. */
  prometheusUrl?: string;
  /** Hands a live run's controls to a console: actions it queues are played at once. */
  control?: (control: ExerciseControl) => void;
}

export interface ExerciseControl {
  state: ExerciseState;
  /** Plays a facilitator action now (its `at` is ignored). */
  act(action: Omit<ScriptAction, 'at' | 'atMs'>): void;
}

const TICK_MS = 50;
const POLL_MS = 250;
/** A run never outlives this much wall-clock time after its last scheduled moment. */
const GRACE_MS = 60_000;

interface ActiveAttack {
  inject: string;
  stop: () => Promise<void>;
  /** Resolves once no request of this attack is in flight. */
  quiesce: () => Promise<void>;
}

/** The injects still to fire, in order (for a console's countdown). */
export function upcoming(exercise: Exercise, state: ExerciseState): Inject[] {
  return [...exercise.injects].filter((i) => !state.measure(i.id).firedAt).sort((a, b) => offsetMs(a.at) - offsetMs(b.at));
}

export async function runExercise(options: RunOptions): Promise<Aar & { path: string }> {
  const { exercise, speed } = options;
  const log = options.log ?? (() => undefined);
  const script = options.scriptFile ? readFacilitatorScript(options.scriptFile, exercise) : [];
  const live: ScriptAction[] = [];
  const reportDir = resolve(options.reportDir);
  mkdirSync(reportDir, { recursive: true });
  const eventsFile = join(reportDir, 'events.jsonl');
  writeFileSync(eventsFile, '');

  const engine = await attachEngine(options.stateDir, log);
  const runId = newRunId();
  const baseline = engine.baseline();
  const journal = new LifecycleJournal(engine.stateDir);
  journal.begin(runId, baseline);
  const state = new ExerciseState(exercise, speed, runId);
  state.on('event', (e: ExerciseEvent) => {
    appendFileSync(eventsFile, JSON.stringify(e) + '\n');
    log(`${e.at} ${e.type}${e.inject ? ` ${e.inject}` : ''}${e.detail ? `: ${e.detail}` : ''}`);
  });

  const attacks: ActiveAttack[] = [];
  const watches = new Map<string, DetectionWatch[]>();
  const impersonators: Impersonator[] = [];
  const leaked = new Map<string, { serial: string; creds: Impersonator['credentials'] }>();
  let ended = false;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    ended = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const pending = [...exercise.injects].sort((a, b) => offsetMs(a.at) - offsetMs(b.at));
  const scriptQueue = [...script];
  const lastMoment = Math.max(...pending.map((i) => offsetMs(i.at)), ...script.map((s) => s.atMs));
  // A console-driven run lasts until the facilitator ends it (bounded at 15 minutes of exercise time past the timeline).
  const deadline = Date.now() + (options.scriptFile ? 0 : (15 * 60_000) / speed) + lastMoment / speed + script.reduce((n, s) => n + (s.do === 'pause' ? (s.for ?? 0) * 1000 : 0), 0) + GRACE_MS;

  const fire = async (inject: Inject): Promise<void> => {
    const correlationId = correlationIdFor(runId, inject.id);
    // Watches are opened before the inject acts, so its first effect is seen and nothing earlier counts.
    const opened: DetectionWatch[] = [];
    for (const d of inject.detections ?? []) {
      const watch = await openDetectionWatch(d, { engine, correlationId, firedAtMs: Date.now(), prometheusUrl: options.prometheusUrl });
      if (watch.unobservable) state.evidence(inject.id, 'detected', `${d.id} not observable here: ${watch.unobservable}`);
      opened.push(watch);
    }
    watches.set(inject.id, opened);
    state.fired(inject.id, correlationId);
    journal.enter({ kind: 'scenario', id: `exercise:${exercise.id}:${inject.id}` });
    if (journal.state !== 'injected') journal.move('injected');
    const action = inject.action;
    if ('message' in action) return;
    if ('attack' in action) {
      const attack = await startAttack(engine, inject, correlationId, state, impersonators, leaked, (serial) => journal.minted(serial));
      attacks.push(attack);
      return;
    }
    const params = action.params ?? {};
    if (action.mesh === 'push-policy') {
      const r = await engine.operator.pushPolicy({ 'zz-exercise-allow-all.cedar': ALLOW_ALL_POLICY }, { merge: true });
      state.evidence(inject.id, 'fired', `policy ${r.previousVersion} -> ${r.version}`);
    } else if (action.mesh === 'redeploy') {
      const service = String(params.service) as ServiceName;
      await engine.restart(service, params.settings as Partial<SecuritySettings>);
      state.evidence(inject.id, 'fired', `${service} redeployed with ${JSON.stringify(params.settings)}`);
    }
  };

  const perform = async (a: ScriptAction): Promise<void> => {
    switch (a.do) {
      case 'pause':
        // No request may still be on its way once the pause is recorded.
        state.holdTraffic(true);
        await Promise.all(attacks.map((x) => x.quiesce()));
        state.pause(a.by);
        state.holdTraffic(false);
        setTimeout(() => state.resume('script'), (a.for ?? 0) * 1000).unref();
        return;
      case 'resume':
        state.resume(a.by);
        return;
      case 'trigger': {
        const next = a.inject ? pending.find((p) => p.id === a.inject) : pending[0];
        if (next) {
          pending.splice(pending.indexOf(next), 1);
          await fire(next);
        }
        return;
      }
      case 'hint':
        state.record('hint', a.inject, a.what ?? exercise.injects.find((i) => i.id === a.inject)?.hints?.[0] ?? '', a.by);
        return;
      case 'note':
        state.record('decision', a.inject, `${a.what ?? ''}${a.why ? ` (why: ${a.why})` : ''}`, a.by);
        return;
      case 'acknowledge':
        state.acknowledged(a.inject!, a.by);
        return;
      case 'rate':
        state.record('rating', undefined, `${a.objective}=${a.rating}`, a.by);
        state.override(a.objective!, a.rating!);
        return;
      case 'revoke-cert': {
        const l = leaked.get(a.inject!);
        if (!l) throw new Error(`revoke-cert: inject ${a.inject} has no leaked certificate`);
        const r = await engine.operator.revokeCert(l.serial);
        state.record('action', a.inject, `revoked certificate ${l.serial} (CRL ${r.crlNumber})`, a.by);
        return;
      }
      case 'revoke-signing-key': {
        // The stolen key: the one the inject's tokens name (else the current one); rotate first so a new key signs.
        const named = a.inject ? state.measure(a.inject).evidence.fired.find((e) => e.startsWith('kid '))?.slice(4) : undefined;
        await engine.operator.rotateSigningKey();
        const kid = named ?? (await engine.operator.health('sts')).jwks?.kids[0];
        if (kid) await engine.operator.revokeSigningKey(kid);
        state.record('action', a.inject, `revoked signing key ${kid} and rotated`, a.by);
        return;
      }
      case 'rollback-policy': {
        const r = await engine.operator.rollbackPolicy(baseline.policyVersion);
        state.record('action', a.inject, `rolled the policy back to ${r.version}`, a.by);
        return;
      }
      case 'redeploy-baseline': {
        const service = (a.what ?? 'payments') as ServiceName;
        await engine.restart(service, {});
        state.record('action', a.inject, `redeployed ${service} with its baseline settings`, a.by);
        return;
      }
      case 'end':
        ended = true;
    }
  };

  let lastPoll = 0;
  options.control?.({ state, act: (a) => live.push({ ...a, at: 'now', atMs: 0 } as ScriptAction) });
  try {
    state.start();
    while (!ended && Date.now() < deadline) {
      const now = state.exerciseMs();
      while (!state.paused && pending.length > 0 && offsetMs(pending[0]!.at) <= now) await fire(pending.shift()!);
      while (scriptQueue.length > 0 && scriptQueue[0]!.atMs <= now && !ended) {
        const a = scriptQueue.shift()!;
        if (state.paused && a.do !== 'resume' && a.do !== 'end' && a.do !== 'note') {
          scriptQueue.unshift(a);
          break;
        }
        await perform(a);
      }
      while (live.length > 0 && !ended) {
        const a = live.shift()!;
        if (a.do === 'pause' && state.paused) state.resume(a.by);
        else if (a.do === 'pause') {
          state.holdTraffic(true);
          await Promise.all(attacks.map((x) => x.quiesce()));
          state.pause(a.by);
          state.holdTraffic(false);
        } else await perform(a);
      }
      if (Date.now() - lastPoll >= POLL_MS) {
        lastPoll = Date.now();
        await pollEvidence(engine, exercise, state, leaked, watches);
      }
      if (options.scriptFile && pending.length === 0 && scriptQueue.length === 0 && !state.paused) ended = true;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    // A last look, so a containment made by the last scripted action counts.
    await pollEvidence(engine, exercise, state, leaked, watches);
  } finally {
    state.endedAt();
    for (const a of attacks) await a.stop();
    await revert(engine, leaked, state);
    for (const i of impersonators) i.close();
    journal.end();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engine.close();
  }
  const aar = buildAar(state, { meshEngine: engine.kind, stateDir: options.stateDir, interrupted });
  const path = join(reportDir, 'aar.json');
  writeFileSync(path, JSON.stringify(aar, null, 2) + '\n');
  writeFileSync(join(reportDir, 'aar.md'), renderAarMarkdown(aar));
  writeFileSync(join(reportDir, 'aar.html'), renderAarHtml(aar));
  return { ...aar, path };
}

/** Starts an attack inject's bounded background traffic; it sends nothing while the exercise is paused. */
async function startAttack(engine: MeshEngine, inject: Inject, correlationId: string, state: ExerciseState, impersonators: Impersonator[], leaked: Map<string, { serial: string; creds: Impersonator['credentials'] }>, minted: (serial: string) => void): Promise<ActiveAttack> {
  const action = inject.action as { attack: string; params?: Record<string, unknown>; ratePerSecond?: number };
  const params = action.params ?? {};
  if (action.attack === 'card-payments') return startCardPayments(engine, inject, correlationId, state, Math.min(action.ratePerSecond ?? 2, 20), params.plaintext === true);
  const identity = String(params.identity ?? params.from ?? 'gateway');
  const target = String(params.target ?? 'payments') as ServiceName;
  const actor = await Impersonator.mint(engine, identity);
  minted(actor.serial);
  actor.correlation = { correlationId, scenarioId: `exercise.${inject.id}` };
  impersonators.push(actor);
  leaked.set(inject.id, { serial: actor.serial, creds: actor.credentials });
  state.evidence(inject.id, 'fired', `${action.attack} as ${actor.spiffeId} (certificate ${actor.serial}) against ${target}, correlation id ${correlationId}`);
  const intervalMs = 1000 / Math.min(action.ratePerSecond ?? 5, 20);
  const nextRequest = await attackRequests(engine, inject, action.attack, actor, target, state);
  let running = true;
  let inFlight: Promise<unknown> = Promise.resolve();
  const loop = (async () => {
    while (running) {
      if (!state.trafficHeld && !state.isContained(inject.id)) {
        // Each request on a fresh connection, as a thief's script would: a revoked certificate is then refused at the handshake.
        const sent = nextRequest().then((r) => actor.call(target, r.method, r.path, { headers: r.headers, body: r.body })).then(
          (res) => state.attackResult(inject.id, target, res.status < 400, true),
          () => state.attackResult(inject.id, target, false, false),
        );
        inFlight = sent;
        await sent;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    inject: inject.id,
    stop: async () => {
      running = false;
      await loop;
    },
    quiesce: async () => {
      await inFlight;
    },
  };
}

interface AttackRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** What each request of an attack carries; the token attacks mint fresh single-use tokens per request. */
async function attackRequests(engine: MeshEngine, inject: Inject, attack: string, actor: Impersonator, target: ServiceName, state: ExerciseState): Promise<() => Promise<AttackRequest>> {
  const headers = { connection: 'close' };
  const reference = () => newReference(`ex-${inject.id.slice(0, 40)}`);
  if (attack === 'forged-token') {
    // The thief copies the token service's key backup once and signs its own tokens: none was issued by the token service.
    const stolen = await StolenSigningKey.steal(statePaths(engine.stateDir).signingKeyBackup);
    state.evidence(inject.id, 'fired', `kid ${stolen.kid}`);
    return async () => ({
      method: 'POST',
      path: '/payments',
      headers: { ...headers, authorization: `Bearer ${await stolen.accessToken(actor.spiffeId, spiffeIdFor(target), actor.credentials.certPem)}`, 'txn-token': await stolen.transactionToken('alice', 25) },
      body: samplePayment(reference(), { amount: 25 }),
    });
  }
  if (attack === 'amount-tampering') {
    // A compromised gateway asks for the user's approval of 12 EUR and books 900: only the policy stands in the way.
    const user = new EndUser(engine);
    const userToken = await user.login('alice');
    user.close();
    return async () => ({
      method: 'POST',
      path: '/payments',
      headers: { ...headers, authorization: `Bearer ${await actor.accessToken(target)}`, 'txn-token': await actor.transactionToken(userToken, 12) },
      body: samplePayment(reference(), { amount: 900 }),
    });
  }
  // The route the stolen identity may call: the mesh logs each call, correlation id included.
  const plain: AttackRequest = target === 'payments' ? { method: 'POST', path: '/payments', headers, body: samplePayment(reference(), { amount: 100 }) } : target === 'ledger' ? { method: 'GET', path: '/entries/exercise', headers } : { method: 'GET', path: '/healthz', headers };
  return async () => plain;
}

/** Checks every fired inject's detections and containment condition. */
async function pollEvidence(engine: MeshEngine, exercise: Exercise, state: ExerciseState, leaked: Map<string, { serial: string; creds: Impersonator['credentials'] }>, watches: Map<string, DetectionWatch[]>): Promise<void> {
  for (const inject of exercise.injects) {
    const m = state.measure(inject.id);
    if (!m.firedAt) continue;
    for (const watch of watches.get(inject.id) ?? []) {
      if (m.detections[watch.detection.id] || watch.unobservable) continue;
      const where = await watch.check();
      if (where) state.detected(inject.id, watch.detection.id, watch.pages, where);
    }
    if (!m.containedAt && inject.containment) {
      const proof = await containmentProof(engine, inject, leaked, state);
      if (proof) state.contained(inject.id, proof);
    }
  }
}

/** Evidence that the containment condition holds now, or undefined. */
async function containmentProof(engine: MeshEngine, inject: Inject, leaked: Map<string, { serial: string; creds: Impersonator['credentials'] }>, state: ExerciseState): Promise<string | undefined> {
  const c = inject.containment!;
  const baseline = engine.baseline();
  if (c.condition === 'cert-revoked') {
    const l = leaked.get(inject.id);
    if (!l) return undefined;
    const target = String((inject.action as { params?: Record<string, unknown> }).params?.target ?? 'payments') as ServiceName;
    const probe = new MeshClient({ credentials: l.creds, userAgent: 'meshgate-exercise-containment-probe' });
    try {
      const res = await probe.request({ url: new URL('/healthz', engine.endpoint(target).url).href, method: 'GET', serverId: spiffeIdFor(target) });
      void res;
      return undefined;
    } catch (err) {
      return `${target} refused certificate ${l.serial} at the handshake: ${(err as Error).message.slice(0, 160)}`;
    } finally {
      probe.close();
    }
  }
  if (c.condition === 'policy-version-restored') {
    const version = (await engine.operator.policies()).version;
    return version === baseline.policyVersion ? `policy version is ${version} again` : undefined;
  }
  if (c.condition === 'settings-restored') {
    const service = (c.service ?? 'payments') as ServiceName;
    return engine.isRunning(service) && isDeepStrictEqual(engine.settings(service), baseline.settings[service]) ? `${service} runs its baseline settings` : undefined;
  }
  if (c.condition === 'signing-key-revoked') {
    const fired = state.measure(inject.id).evidence.fired.find((e) => e.startsWith('kid '));
    const res = await engine.operator.send('sts', 'GET /.well-known/jwks.json');
    const kids = res.status === 200 ? res.json<{ keys: Array<{ kid: string }> }>().keys.map((k) => k.kid) : [];
    if (kids.length === 0) return undefined;
    return fired && !kids.includes(fired.slice(4)) ? `signing key ${fired.slice(4)} is no longer published` : undefined;
  }
  return undefined;
}

/** Puts the mesh back as it was found: leaked certificates revoked, settings and policy at their baseline. */
async function revert(engine: MeshEngine, leaked: Map<string, { serial: string }>, state: ExerciseState): Promise<void> {
  for (const [inject, l] of leaked) {
    if (!state.isContained(inject)) await engine.operator.revokeCert(l.serial).catch(() => undefined);
  }
  const changes = await engine.converge();
  state.record('revert', undefined, changes.length > 0 ? changes.join('; ') : 'nothing to revert');
}

/** Customers paying through the gateway (with `plaintext`, cards in clear, as a legacy app sends them): what a leaky redeploy writes to its log. */
async function startCardPayments(engine: MeshEngine, inject: Inject, correlationId: string, state: ExerciseState, ratePerSecond: number, plaintext: boolean): Promise<ActiveAttack> {
  const user = new EndUser(engine);
  user.correlation = { correlationId, scenarioId: `exercise.${inject.id}` };
  const token = await user.login('alice');
  state.evidence(inject.id, 'fired', `alice pays through the gateway, correlation id ${correlationId}`);
  let running = true;
  let inFlight: Promise<unknown> = Promise.resolve();
  const loop = (async () => {
    while (running) {
      if (!state.trafficHeld && !state.isContained(inject.id)) {
        // Exposure: a payment payments accepted while its log may carry the card number.
        // A legacy client sends the card in clear (plaintext); a current one seals it for payments.
        const sent = user.pay(token, samplePayment(newReference(`ex-${inject.id.slice(0, 40)}`)), { plaintext }).then(
          (res) => state.attackResult(inject.id, 'payments', res.status < 400, true),
          () => state.attackResult(inject.id, 'payments', false, false),
        );
        inFlight = sent;
        await sent;
      }
      await new Promise((r) => setTimeout(r, 1000 / ratePerSecond));
    }
  })();
  return {
    inject: inject.id,
    stop: async () => {
      running = false;
      await loop;
      user.close();
    },
    quiesce: async () => {
      await inFlight;
    },
  };
}

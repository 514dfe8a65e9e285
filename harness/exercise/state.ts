/**
 * The exercise's state and its clock. Every change is an event on this
 * emitter (and in events.jsonl), so a console or a room view can follow the
 * exercise without reaching into the runner.
 */
import { EventEmitter } from 'node:events';
import type { Exercise } from './exercise.ts';

export type EventType = 'started' | 'fired' | 'detected' | 'alerted' | 'acknowledged' | 'contained' | 'paused' | 'resumed' | 'hint' | 'decision' | 'action' | 'rating' | 'revert' | 'ended';

export interface ExerciseEvent {
  type: EventType;
  /** Wall-clock ISO time. */
  at: string;
  /** Exercise time in ms. */
  exerciseMs: number;
  inject?: string;
  by?: string;
  detail?: string;
}

export interface InjectMeasure {
  id: string;
  correlationId?: string;
  firedAt?: number;
  detectedAt?: number;
  alertedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  containedAt?: number;
  detections: Record<string, number>;
  evidence: { fired: string[]; detected: string[]; alerted: string[]; acknowledged: string[]; contained: string[] };
  blastRadius: { attempted: number; succeeded: number; pausedAttempts: number; reached: Record<string, number> };
}

export class ExerciseState extends EventEmitter {
  readonly exercise: Exercise;
  readonly speed: number;
  readonly runId: string;
  readonly events: ExerciseEvent[] = [];
  readonly overrides: Record<string, string> = {};
  startedAtMs = 0;
  endedAtMs = 0;
  #pausedSince: number | undefined;
  #pausedTotal = 0;
  readonly #measures = new Map<string, InjectMeasure>();

  constructor(exercise: Exercise, speed: number, runId: string) {
    super();
    this.exercise = exercise;
    this.speed = speed;
    this.runId = runId;
    for (const i of exercise.injects) this.#measures.set(i.id, { id: i.id, detections: {}, evidence: { fired: [], detected: [], alerted: [], acknowledged: [], contained: [] }, blastRadius: { attempted: 0, succeeded: 0, pausedAttempts: 0, reached: {} } });
  }

  get paused(): boolean {
    return this.#pausedSince !== undefined;
  }

  #holding = false;
  /** Attack traffic stops as soon as a pause is asked for, before the pause begins. */
  get trafficHeld(): boolean {
    return this.#holding || this.paused;
  }

  holdTraffic(on: boolean): void {
    this.#holding = on;
  }

  /** Exercise time now: wall time since the start, less the pauses, times the speed. */
  exerciseMs(now = Date.now()): number {
    if (!this.startedAtMs) return 0;
    const paused = this.#pausedTotal + (this.#pausedSince !== undefined ? now - this.#pausedSince : 0);
    return (now - this.startedAtMs - paused) * this.speed;
  }

  pausedMs(): number {
    return this.#pausedTotal;
  }

  measure(id: string): InjectMeasure {
    const m = this.#measures.get(id);
    if (!m) throw new Error(`no inject ${id}`);
    return m;
  }

  measures(): InjectMeasure[] {
    return [...this.#measures.values()];
  }

  #emit(type: EventType, fields: Omit<ExerciseEvent, 'type' | 'at' | 'exerciseMs'> = {}): void {
    const e: ExerciseEvent = { type, at: new Date().toISOString(), exerciseMs: Math.round(this.exerciseMs()), ...fields };
    this.events.push(e);
    this.emit('event', e);
  }

  start(): void {
    this.startedAtMs = Date.now();
    this.#emit('started', { detail: `${this.exercise.id} at speed ${this.speed}` });
  }

  endedAt(): void {
    if (this.#pausedSince !== undefined) this.resume('end');
    this.endedAtMs = Date.now();
    this.#emit('ended');
  }

  pause(by?: string): void {
    if (this.paused) return;
    this.#pausedSince = Date.now();
    this.#emit('paused', by ? { by } : {});
  }

  resume(by?: string): void {
    if (this.#pausedSince === undefined) return;
    this.#pausedTotal += Date.now() - this.#pausedSince;
    this.#pausedSince = undefined;
    this.#emit('resumed', by ? { by } : {});
  }

  fired(id: string, correlationId: string): void {
    const m = this.measure(id);
    m.firedAt = Date.now();
    m.correlationId = correlationId;
    this.#emit('fired', { inject: id, detail: `correlation id ${correlationId}` });
  }

  evidence(id: string, kind: keyof InjectMeasure['evidence'], text: string): void {
    this.measure(id).evidence[kind].push(text);
  }

  detected(id: string, detection: string, pages: boolean, where: string): void {
    const m = this.measure(id);
    if (m.detections[detection] !== undefined) return;
    const now = Date.now();
    // Every expected signal is recorded when it first appears; the inject counts as detected at the first.
    m.detections[detection] = now;
    m.detectedAt ??= now;
    m.evidence.detected.push(`${detection}: ${where}`);
    this.#emit('detected', { inject: id, detail: `${detection} at ${where}` });
    if (pages && m.alertedAt === undefined) {
      m.alertedAt = now;
      m.evidence.alerted.push(`${detection}: ${where}`);
      this.#emit('alerted', { inject: id, detail: `${detection} at ${where}` });
    }
  }

  acknowledged(id: string, by?: string): void {
    const m = this.measure(id);
    if (m.acknowledgedAt !== undefined) return;
    m.acknowledgedAt = Date.now();
    if (by) m.acknowledgedBy = by;
    m.evidence.acknowledged.push(`acknowledged by ${by ?? 'the team'}`);
    this.#emit('acknowledged', { inject: id, ...(by ? { by } : {}) });
  }

  contained(id: string, proof: string): void {
    const m = this.measure(id);
    if (m.containedAt !== undefined) return;
    m.containedAt = Date.now();
    m.evidence.contained.push(proof);
    this.#emit('contained', { inject: id, detail: proof });
  }

  isContained(id: string): boolean {
    return this.measure(id).containedAt !== undefined;
  }

  /** One malicious request: `reached` when the target answered past its mTLS handshake, `succeeded` when it answered 2xx/3xx. */
  attackResult(id: string, target: string, succeeded: boolean, reached: boolean): void {
    const b = this.measure(id).blastRadius;
    b.attempted += 1;
    if (this.paused) b.pausedAttempts += 1;
    if (succeeded) b.succeeded += 1;
    if (reached) b.reached[target] = (b.reached[target] ?? 0) + 1;
  }

  record(type: 'hint' | 'decision' | 'action' | 'rating' | 'revert', inject: string | undefined, detail: string, by?: string): void {
    this.#emit(type, { ...(inject ? { inject } : {}), ...(by ? { by } : {}), detail });
  }

  override(objective: string, rating: string): void {
    this.overrides[objective] = rating;
  }
}

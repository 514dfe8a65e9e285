/**
 * The lifecycle journal: a run writes where each scenario or mutant stands
 * (steady → injected → expected → reverted → steady) into the mesh's state
 * folder before it acts. A run that dies after injecting leaves its record
 * behind, with the baseline it found; the next command that touches the mesh
 * reverts to that baseline before anything else.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../mesh/process-state.ts';
import type { LifecycleState } from '../scenario/lifecycle.ts';
import type { MeshBaseline } from './mesh-engine.ts';

export interface JournalSubject {
  kind: 'scenario' | 'mutant';
  id: string;
}

export interface JournalRecord {
  runId: string;
  pid: number;
  startedAt: string;
  baseline: MeshBaseline;
  state: LifecycleState;
  /** What is injected (a mutant and, inside it, a scenario). */
  subjects: JournalSubject[];
  /** Serials of attacker certificates the run minted (a leaked identity): revoked if the run dies before it does. */
  minted?: string[];
  updatedAt: string;
}

export class LifecycleJournal {
  readonly path: string;
  #record: JournalRecord | undefined;

  constructor(stateDir: string) {
    this.path = join(stateDir, 'lifecycle.json');
  }

  /** A record left by a run that is no longer alive, or undefined. */
  abandoned(): JournalRecord | undefined {
    if (!existsSync(this.path)) return undefined;
    let record: JournalRecord;
    try {
      record = JSON.parse(readFileSync(this.path, 'utf8')) as JournalRecord;
    } catch (err) {
      throw new Error(`${this.path} is not a lifecycle journal (${(err as Error).message}); remove it after checking the mesh by hand`);
    }
    if (record.pid !== process.pid && isRunning(record.pid)) throw new Error(`another meshgate run (pid ${record.pid}, run ${record.runId}) is driving this mesh`);
    return record;
  }

  begin(runId: string, baseline: MeshBaseline): void {
    const now = new Date().toISOString();
    this.#record = { runId, pid: process.pid, startedAt: now, baseline, state: 'steady', subjects: [], updatedAt: now };
    this.#write();
  }

  get state(): LifecycleState | undefined {
    return this.#record?.state;
  }

  /** Enters a subject (a mutant is entered once, its scenarios inside it). */
  enter(subject: JournalSubject): void {
    const record = this.#active();
    record.subjects.push(subject);
    this.#write();
  }

  leave(subject: JournalSubject): void {
    const record = this.#active();
    record.subjects = record.subjects.filter((s) => !(s.kind === subject.kind && s.id === subject.id));
    this.#write();
  }

  /** Records an attacker certificate before it is used, so a run that dies cannot leave it valid. */
  minted(serial: string): void {
    const record = this.#active();
    record.minted = [...(record.minted ?? []), serial];
    this.#write();
  }

  /** Persists a move the scenario engine made (it checks the transition). */
  move(to: LifecycleState): void {
    const record = this.#active();
    record.state = to;
    this.#write();
  }

  /** The run ended with the mesh at its baseline. */
  end(): void {
    this.#record = undefined;
    rmSync(this.path, { force: true });
  }

  /** Drops a record after its baseline was restored. */
  clear(): void {
    rmSync(this.path, { force: true });
  }

  #active(): JournalRecord {
    if (!this.#record) throw new Error('lifecycle journal: no run begun');
    return this.#record;
  }

  #write(): void {
    const record = this.#active();
    record.updatedAt = new Date().toISOString();
    writeFileSync(`${this.path}.tmp`, JSON.stringify(record, null, 2));
    renameSync(`${this.path}.tmp`, this.path);
  }
}

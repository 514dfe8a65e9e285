/** Starts the ladder server in its own Node process and reads its CPU time over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JwksDocument } from '../../services/kit/tokens/jwks-cache.ts';
import type { ChildMessage, LadderReady } from './ladder-protocol.ts';

const SERVER_SCRIPT = fileURLToPath(new URL('./ladder-server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const ANSWER_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LadderProcess extends LadderReady {
  pid: number;
  /** The server process's user + system CPU time so far, in microseconds, and its resident memory. */
  usage(): Promise<{ cpuUs: number; rssBytes: number }>;
  stop(): Promise<void>;
}

function answer<T extends ChildMessage>(child: ChildProcess, match: (m: ChildMessage) => m is T, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    };
    const onMessage = (m: ChildMessage) => {
      if (m.type === 'failed') done(new Error(`ladder server failed to start: ${m.message}`));
      else if (match(m)) done(undefined, m);
    };
    const onExit = (code: number | null) => done(new Error(`ladder server exited (code ${code}) before ${what}`));
    const timer = setTimeout(() => done(new Error(`ladder server did not answer ${what} within ${timeoutMs} ms`)), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export async function startLadderProcess(jwks: JwksDocument, sidecarKey: string): Promise<LadderProcess> {
  const child = fork(SERVER_SCRIPT, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const readyP = answer(child, (m): m is LadderReady => m.type === 'ready', START_TIMEOUT_MS, 'ready');
    child.send({ type: 'start', jwks, sidecarKey });
    const ready = await readyP;
    let nextId = 0;
    return {
      ...ready,
      pid: child.pid!,
      usage: async () => {
        const id = nextId++;
        const p = answer(child, (m): m is Extract<ChildMessage, { type: 'cpu' }> => m.type === 'cpu' && m.id === id, ANSWER_TIMEOUT_MS, 'a CPU query');
        child.send({ type: 'cpu', id });
        const m = await p;
        return { cpuUs: m.us, rssBytes: m.rssBytes };
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The environment manifest printed with every figure, so a reader can judge them. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Environment {
  cpuModel: string;
  cores: number;
  /** The CPU flags that matter for TLS and signatures (AES-NI, PCLMUL, AVX2, SHA, ADX, BMI2). */
  cpuFlags: string[];
  memoryMB: number;
  kernel: string;
  platform: string;
  node: string;
  /** The OpenSSL Node is linked against, and the openssl command line tool. */
  nodeOpenssl: string;
  opensslCli: string | undefined;
  nginx: string | undefined;
  loadAverageBefore: number[];
  loadAverageAfter?: number[];
}

const FLAGS = ['aes', 'pclmulqdq', 'avx', 'avx2', 'sha_ni', 'adx', 'bmi2', 'vaes', 'avx512f'];

/** A tool's version line (nginx -v answers on stderr); undefined when it is not installed. */
function toolVersion(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 5_000 });
  if (r.error) return undefined;
  return (r.stdout.trim() || r.stderr.trim()) || undefined;
}

function cpuFlags(): string[] {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    const present = new Set((line?.split(':')[1] ?? '').trim().split(/\s+/));
    return FLAGS.filter((f) => present.has(f));
  } catch {
    return [];
  }
}

export function captureEnvironment(): Environment {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    cpuFlags: cpuFlags(),
    memoryMB: Math.round(os.totalmem() / 2 ** 20),
    kernel: `${os.type()} ${os.release()}`,
    platform: `${process.platform}/${process.arch}`,
    node: process.version,
    nodeOpenssl: process.versions.openssl ?? 'unknown',
    opensslCli: toolVersion('openssl', ['version']),
    nginx: toolVersion('nginx', ['-v']),
    loadAverageBefore: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

export function finishEnvironment(env: Environment): Environment {
  return { ...env, loadAverageAfter: os.loadavg().map((v) => Math.round(v * 100) / 100) };
}

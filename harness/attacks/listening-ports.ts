/**
 * Every TCP port a process listens on, read from /proc like `ss -ltnp` does:
 * the socket inodes in /proc/<pid>/fd matched against the TCP tables of the
 * process's own network namespace (/proc/<pid>/net/tcp{,6}: a container's, for
 * a workload in one).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const LISTEN = '0A';

function listeningByInode(pid: number): Map<string, number> {
  const byInode = new Map<string, number>();
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== LISTEN) continue;
      const port = parseInt(cols[1]!.split(':')[1]!, 16);
      byInode.set(cols[9]!, port);
    }
  }
  return byInode;
}

export function listeningPorts(pid: number): number[] {
  const byInode = listeningByInode(pid);
  const ports = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const port = m ? byInode.get(m[1]!) : undefined;
      if (port !== undefined) ports.add(port);
    } catch {
      // the fd closed while we looked
    }
  }
  return [...ports].sort((a, b) => a - b);
}

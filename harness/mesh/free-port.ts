import net from 'node:net';

/**
 * Ports for the mesh's listeners, chosen below Linux's ephemeral range
 * (32768–60999): the kernel never hands those out to outgoing connections, so
 * nothing else grabs a port between choosing it and the workload binding it.
 */
const LOW = 20_000;
const HIGH = 32_000;

function tryListen(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export async function freePorts(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 50) throw new Error(`no free loopback port found in ${LOW}-${HIGH}`);
      const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
      if (ports.includes(port)) continue;
      const server = await tryListen(port);
      if (!server) continue;
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

// A free TCP port on 127.0.0.1 (for servers the tests and benchmarks spawn).
//
// Taken below the kernel's ephemeral range (Linux: 32768–60999), at random: a port that listen(0)
// handed out is one of the ports every outgoing connection also draws from, and a spawned server binds
// it seconds later (after its PostgreSQL has started); in between, one of the many connections of the
// test files running in parallel took it (EADDRINUSE in CI). Here only another pick could collide.
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port)) return port;
  }
  throw new Error(`freePort: no free port in ${LOW}–${HIGH - 1} after 100 tries`);
}

// One broker for `npm run bench:broker`, in a process of its own so its memory and CPU can be
// measured alone: `ours` (server/app.mjs, with its limits) or `plain` (the `peer` package's
// PeerServer with its defaults). Talks to bench/broker.mjs over IPC; run with --expose-gc.
import { PeerServer } from 'peer';
import { startServer } from '../server/app.mjs';

const [kind, perIp] = process.argv.slice(2);
const send = (/** @type {object} */ message) => process.send?.(message);

if (kind === 'ours') {
  // Every bench client comes from 127.0.0.1: the per-address limit is raised for them alone.
  const server = await startServer({ port: 0, host: '127.0.0.1', limits: { maxConnectionsPerIp: Number(perIp) } });
  send({ type: 'ready', port: server.port, mount: '/peerjs', limits: server.limits, peerOptions: server.peerOptions });
} else if (kind === 'plain') {
  const peerServer = PeerServer({ port: 0, host: '127.0.0.1', path: '/' }, (server) => {
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
    send({ type: 'ready', port, mount: '' });
  });
  // As the stock CLI would be without it: nothing. The bench sends only valid messages.
  void peerServer;
} else {
  throw new Error(`usage: broker-server.mjs ours|plain [maxConnectionsPerIp]`);
}

process.on('message', (/** @type {{ type: string, gc?: boolean }} */ message) => {
  if (message.type !== 'sample') return;
  // For memory: twice, the first pass may only finalize what the second frees. Not for CPU.
  if (message.gc) {
    globalThis.gc?.();
    globalThis.gc?.();
  }
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  send({ type: 'sample', rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, cpuMicros: cpu.user + cpu.system });
});
// The bench ends us; if it dies first, go too.
process.on('disconnect', () => process.exit(0));

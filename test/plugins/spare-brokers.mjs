// A web-test-runner plugin with brokers that tests may stop and start again: stock PeerServers
// (each on its own port, kept across restarts), for the broker-loss tests. Stopping one drops
// every socket at once, as a crashed or unreachable server would: no close frames. Each broker
// records the id and token of every socket it accepted (`tokens`), as a hostile broker would.
import http from 'node:http';
import express from 'express';
import { ExpressPeerServer } from 'peer';

/**
 * Where a broker's first start looks for a port: below Linux's ephemeral range (32768–60999), so
 * that no outgoing socket of the long suite takes the port of a broker that is stopped for a
 * while and must come back on it (that happened: EADDRINUSE on a restart).
 */
const PORT_RANGE = [30000, 32700];

/** Listens on `port`, or (none given) on a free one of PORT_RANGE; resolves with the port. */
async function listen(server, port) {
  for (let tries = 0; ; tries++) {
    const candidate = port ?? PORT_RANGE[0] + Math.floor(Math.random() * (PORT_RANGE[1] - PORT_RANGE[0]));
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(candidate, '127.0.0.1', () => {
          server.off('error', reject);
          resolve(undefined);
        });
      });
      return candidate;
    } catch (error) {
      if (port !== undefined || error.code !== 'EADDRINUSE' || tries >= 20) throw error;
    }
  }
}

export function spareBrokersPlugin() {
  /** name → { port, stop } */
  const running = new Map();
  const ports = new Map();
  /** name → [{ id, token }], across restarts */
  const accepted = new Map();

  async function start(name) {
    if (running.has(name)) return running.get(name).url;
    const app = express();
    const server = http.createServer(app);
    const sockets = new Set();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    const peerServer = ExpressPeerServer(server, { path: '/' });
    if (!accepted.has(name)) accepted.set(name, []);
    peerServer.on('connection', (client) => accepted.get(name).push({ id: client.getId(), token: client.getToken() }));
    app.use('/peerjs', peerServer);
    // The stock server re-emits its HTTP server's errors (a failed listen among them) on its app,
    // which throws without a listener and stops the test runner: the listen below reports them.
    peerServer.on('error', () => {});
    const port = await listen(server, ports.get(name));
    ports.set(name, port);
    const url = `http://127.0.0.1:${port}/peerjs`;
    running.set(name, {
      url,
      stop: () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve(undefined));
        }),
    });
    return url;
  }

  async function stop(name) {
    const broker = running.get(name);
    running.delete(name);
    await broker?.stop();
    return true;
  }

  return {
    name: 'vr-spare-brokers',
    async executeCommand({ command, payload }) {
      if (command !== 'vr-broker') return undefined;
      if (payload?.action === 'start') return start(payload.name);
      if (payload?.action === 'stop') return stop(payload.name);
      if (payload?.action === 'tokens') return accepted.get(payload.name) ?? [];
      throw new Error(`unknown vr-broker action ${payload?.action}`);
    },
    async serverStop() {
      for (const name of [...running.keys()]) await stop(name);
    },
  };
}

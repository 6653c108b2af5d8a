// A web-test-runner plugin with brokers that tests may stop and start again: stock PeerServers
// (each on its own port, kept across restarts), for the broker-loss tests. Stopping one drops
// every socket at once, as a crashed or unreachable server would: no close frames. Each broker
// records the id and token of every socket it accepted (`tokens`), as a hostile broker would.
import http from 'node:http';
import express from 'express';
import { ExpressPeerServer } from 'peer';

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
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports.get(name) ?? 0, '127.0.0.1', resolve);
    });
    const port = server.address().port;
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

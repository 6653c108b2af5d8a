// The one process behind `npm start`: the demo page, the CDN bundle and a stock PeerServer.
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { ExpressPeerServer } from 'peer';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Starts the server. Resolves with `{ url, port, close, peerServer }` (the PeerServer app emits
 * `connection`, `message` and `disconnect`).
 * @param {{ port?: number, host?: string, peerOptions?: object }} [options]
 */
export async function startServer({ port = 8080, host = undefined, peerOptions = {} } = {}) {
  const app = express();
  const server = http.createServer(app);

  // A stock PeerServer, unmodified, mounted at /peerjs (clients connect to /peerjs/peerjs?key=…).
  const peerServer = ExpressPeerServer(server, { path: '/', ...peerOptions });
  app.use('/peerjs', peerServer);

  app.get('/health', (_req, res) => res.json({ ok: true }));
  app.get('/video-room.js', (_req, res) => {
    res.type('text/javascript');
    res.sendFile(path.join(root, 'build', 'video-room.js'));
  });
  app.use('/build', express.static(path.join(root, 'build')));
  app.use('/', express.static(path.join(root, 'demo'), { extensions: ['html'] }));

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  return {
    peerServer,
    port: actualPort,
    url: `http://${host ?? 'localhost'}:${actualPort}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve(undefined));
      }),
  };
}

// The one process behind `npm start`: the demo page, the CDN bundle and a stock PeerServer, its
// WebSocket server limited by server/limits.mjs and its timeouts tuned for fast cleanup; and,
// with a Janus beside it, the browsers' way to it (server/janus-proxy.mjs).
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { ExpressPeerServer } from 'peer';
import { ICE_SERVERS_PATH, iceServersHandler } from './ice-credentials.mjs';
import { MEDIA_PATH, createJanusProxy } from './janus-proxy.mjs';
import { createRoomSweeper } from './janus-sweeper.mjs';
import { CLOSE_GOING_AWAY, DEFAULT_LIMITS, createGuardedWebSocketServer } from './limits.mjs';

export { DEFAULT_LIMITS } from './limits.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * PeerServer options that differ from, or pin, the stock ones.
 * @typedef {{ alive_timeout: number, expire_timeout: number, cleanup_out_msgs: number, concurrent_limit: number }} PeerTimings
 * @type {Readonly<PeerTimings>}
 */
export const DEFAULT_PEER_OPTIONS = Object.freeze({
  // PeerJS clients send a HEARTBEAT every 5 s. The stock 90 s (60 s in its README) lets a client
  // whose network vanished hold its ids, the room's rendezvous id among them, that long, and
  // joiners cannot take them meanwhile. 15 s is three heartbeats: two may be late or lost. A
  // live peer dropped by mistake only loses the broker for a moment (its calls go on, and the
  // element reconnects).
  alive_timeout: 15_000,
  // Stock: PeerJS and the element expect peer-unavailable 5 s after an OFFER to nobody.
  expire_timeout: 5_000,
  // How often queued messages are held against expire_timeout (stock 1 s): EXPIRE comes within
  // 5.25 s instead of 6 s. The check walks only the queues, which are few.
  cleanup_out_msgs: 250,
  // Stock: the most ids registered at once (further clients get ERROR and are closed).
  concurrent_limit: 5_000,
});

/** The Content-Security-Policy of the strict-CSP demo page (demo/csp.html). */
export const STRICT_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** How long `close()` waits for clients to answer the 1001 close before cutting them. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;

/**
 * Starts the server. Resolves with `{ url, port, close, peerServer, peerOptions, limits }` (the
 * PeerServer app emits `connection`, `message` and `disconnect`).
 *
 * `close()` drains: /health answers 503 and new WebSockets are refused (503), every WebSocket
 * is closed with 1001 (going away), and after they have gone, or `drainTimeoutMs`, the rest are
 * cut and the HTTP server closes. The stock PeerServer's own timers cannot be stopped, so the
 * process has to exit by itself afterwards (server/index.mjs does).
 * @param {{
 *   port?: number,
 *   host?: string,
 *   peerOptions?: Partial<PeerTimings> & Record<string, unknown>,
 *   limits?: Partial<import('./limits.mjs').Limits>,
 *   drainTimeoutMs?: number,
 *   turn?: Parameters<typeof iceServersHandler>[0],
 *   tls?: { cert: string | Buffer, key: string | Buffer } | null,
 *   media?: { janus: string, sweepIntervalMs?: number } | { urls: string[] } | null,
 * }} [options]
 * `turn`: the TURN service whose credentials /peerjs/video-room/ice-servers hands out (none: an
 * empty list). `tls`: a certificate and key to serve HTTPS (and WSS) instead of HTTP.
 * `media`: the media servers that answer lists as `mediaServers`: a Janus whose WebSocket URL
 * (`janus`, on loopback) browsers reach through MEDIA_PATH here, or Janus instances run
 * elsewhere (`urls`, WebSocket URLs the browsers use as they are); none: an empty list. The rooms
 * browsers create on that Janus are looked at every `sweepIntervalMs` (5 min) and destroyed once
 * empty at two looks in a row.
 */
export async function startServer({ port = 8080, host = undefined, peerOptions = {}, limits = {}, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS, turn = null, tls = null, media = null } = {}) {
  const app = express();
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, app) : http.createServer(app);
  const effectiveLimits = { ...DEFAULT_LIMITS, ...limits };
  const effectivePeerOptions = { ...DEFAULT_PEER_OPTIONS, ...peerOptions };
  const startedAt = Date.now();
  let draining = false;

  /** @type {ReturnType<typeof createGuardedWebSocketServer> | undefined} */
  let guarded;
  // Upgrades to MEDIA_PATH, filled in below once the guarded server (and its limits) exists.
  /** @type {import('./limits.mjs').UpgradeRoutes} */
  const routes = new Map();
  // Ours, under the broker's path (before the PeerServer, which would answer 404).
  const mediaServers = media && 'janus' in media ? { path: MEDIA_PATH, tls: Boolean(tls), trustProxy: effectiveLimits.trustProxy } : media;
  app.get(ICE_SERVERS_PATH, iceServersHandler(turn, mediaServers));
  // A stock PeerServer, unmodified, mounted at /peerjs (clients connect to /peerjs/peerjs?key=…).
  const peerServer = ExpressPeerServer(server, {
    path: '/',
    ...effectivePeerOptions,
    createWebSocketServer: (/** @type {{ path?: string }} */ options) => {
      guarded = createGuardedWebSocketServer({ server, path: options.path ?? '/', limits: effectiveLimits, isDraining: () => draining, routes });
      return guarded.wss;
    },
  });
  app.use('/peerjs', peerServer); // mounting creates the WebSocket server, synchronously
  if (!guarded) throw new Error('the PeerServer did not create its WebSocket server');
  const { wss, counters } = guarded;
  // The same per-address count and drain as the broker's sockets, and the same message rate.
  // The rooms created through it are destroyed once empty (server/janus-sweeper.mjs).
  const sweeper = media && 'janus' in media ? createRoomSweeper({ target: media.janus, ...(media.sweepIntervalMs && { intervalMs: media.sweepIntervalMs }) }) : null;
  const proxy = media && 'janus' in media ? createJanusProxy({ target: media.janus, Socket: guarded.GuardedSocket, onCreate: sweeper?.created }) : null;
  if (proxy) routes.set(MEDIA_PATH, proxy.handleUpgrade);
  const allSockets = () => [...wss.clients, ...(proxy?.wss.clients ?? [])];

  // The stock server re-emits socket errors (a frame over the size limit, a reset) and
  // unparsable messages as `error` on its app, which throws without a listener: one bad
  // client would take the process down. All of them are the client's doing.
  peerServer.on('error', () => {});

  // Ids registered now, for /health (the stock server does not expose its count).
  /** @type {Set<string>} */
  const peers = new Set();
  peerServer.on('connection', (/** @type {{ getId(): string }} */ client) => peers.add(client.getId()));
  peerServer.on('disconnect', (/** @type {{ getId(): string }} */ client) => peers.delete(client.getId()));

  // Counts only: no ids, no addresses.
  app.get('/health', (_req, res) => {
    const memory = process.memoryUsage();
    res.set('Cache-Control', 'no-store');
    res.status(draining ? 503 : 200).json({
      ok: !draining,
      draining,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      peers: peers.size,
      sockets: wss.clients.size,
      mediaSockets: proxy?.wss.clients.size ?? 0,
      mediaRooms: sweeper?.size ?? 0,
      refused: { perIp: counters.perIpRefused, draining: counters.drainingRefused },
      closed: { rateLimit: counters.rateLimited, oversize: counters.oversize },
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    });
  });
  // The bundle and its chunks are for other sites' pages: a module script from another origin
  // loads only with CORS. They are public code; no credentials are involved.
  const anyOrigin = (/** @type {import('express').Response} */ res) => res.set('Access-Control-Allow-Origin', '*');
  app.get('/video-room.js', (_req, res) => {
    anyOrigin(res);
    res.type('text/javascript');
    res.sendFile(path.join(root, 'build', 'video-room.js'));
  });
  // What the bundle loads beside itself when needed: translations, frame encryption.
  app.use('/chunks', express.static(path.join(root, 'build', 'chunks'), { setHeaders: anyOrigin }));
  app.use('/build', express.static(path.join(root, 'build'), { setHeaders: anyOrigin }));
  // The strict-CSP demo: no inline script or style, no eval. Frame encryption needs blob: workers.
  app.get('/csp.html', (_req, res, next) => {
    res.set('Content-Security-Policy', STRICT_CSP);
    next();
  });
  app.use('/', express.static(path.join(root, 'demo'), { extensions: ['html'] }));

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const actualPort = /** @type {import('node:net').AddressInfo} */ (server.address()).port;

  async function drain() {
    draining = true;
    // Resolves when the last WebSocket has closed (each answers our close frame), or at the deadline.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, drainTimeoutMs);
      const check = () => {
        if (allSockets().length > 0) return;
        clearTimeout(timer);
        resolve(undefined);
      };
      for (const ws of allSockets()) {
        ws.once('close', check);
        ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      }
      check();
    });
    for (const ws of allSockets()) ws.terminate();
    await new Promise((resolve) => {
      server.close(() => resolve(undefined));
      server.closeAllConnections();
    });
    wss.close();
    proxy?.wss.close();
    sweeper?.close();
  }
  /** @type {Promise<void> | undefined} */
  let closing;

  return {
    peerServer,
    /** The sweeper of the rooms created on our Janus (null without one). */
    sweeper,
    port: actualPort,
    url: `${tls ? 'https' : 'http'}://${host ?? 'localhost'}:${actualPort}`,
    peerOptions: effectivePeerOptions,
    limits: effectiveLimits,
    /** @returns {Promise<void>} */
    close: () => (closing ??= drain()),
  };
}

// The PeerServer's WebSocket server, with the limits the stock `peer` package lacks: message
// size, sockets per client address and messages per second per socket. Handed to the stock
// PeerServer through its `createWebSocketServer` hook, so its own code stays unmodified.
import { WebSocket, WebSocketServer } from 'ws';

/**
 * Defaults for `startServer({ limits })` (and the VR_* environment variables of `npm start`).
 * @typedef {{
 *   maxMessageBytes: number,
 *   maxConnectionsPerIp: number,
 *   messagesPerSecond: number,
 *   messageBurst: number,
 *   trustProxy: boolean,
 * }} Limits
 * @type {Readonly<Limits>}
 */
export const DEFAULT_LIMITS = Object.freeze({
  // An OFFER with a full SDP is a few KB; 64 KiB leaves room for many codecs and candidates.
  // Larger messages close the socket with 1009 (ws's own check, before any parsing).
  maxMessageBytes: 64 * 1024,
  // Every page holds 1 to 3 sockets (its own id, a rendezvous id while it holds one), and many
  // people can share one NAT address; 100 bounds one address without bothering an office.
  // The browser suite (about 10 pages on 127.0.0.1) stays far below it.
  maxConnectionsPerIp: 100,
  // A token bucket per socket. A client sends a HEARTBEAT every 5 s, plus per link one OFFER or
  // ANSWER and its ICE candidates (about 10 each on a real network) in a burst as it joins:
  // 250 covers joining a large mesh at once; 50/s refills it fast. A socket that empties the
  // bucket is closed with 1008 (policy violation) and its excess messages are dropped.
  messagesPerSecond: 50,
  messageBurst: 250,
  // Count sockets per address from the last X-Forwarded-For hop (the one our own reverse proxy
  // added) instead of the TCP peer. Only behind a proxy: otherwise anyone could pick an address.
  trustProxy: false,
});

/** Close codes sent by these limits (1009, message too big, comes from ws itself). */
export const CLOSE_RATE_LIMIT = 1008;
export const CLOSE_GOING_AWAY = 1001;

/**
 * The key sockets are counted under: the IPv4 address, or the /64 of an IPv6 address (one host
 * usually gets a whole /64, so counting single IPv6 addresses would limit nobody).
 * @param {import('node:http').IncomingMessage} req
 * @param {boolean} trustProxy
 */
export function clientKey(req, trustProxy) {
  let address = req.socket.remoteAddress ?? '';
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string' && forwarded.trim()) {
    address = forwarded.split(',').at(-1)?.trim() ?? address;
  }
  address = address.split('%')[0]; // no zone id
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice(7);
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/**
 * Counters of what the limits refused, for /health and the tests.
 * @typedef {{ perIpRefused: number, drainingRefused: number, rateLimited: number, oversize: number }} LimitCounters
 */

/**
 * A WebSocket class that holds each socket to the message rate of `limits` and counts what it
 * refused in `counters`; for a WebSocketServer's `WebSocket` option.
 * @param {Limits} limits
 * @param {LimitCounters} counters
 */
export function guardedSocketClass({ messagesPerSecond, messageBurst }, counters) {

  // ws emits every parsed message through emit('message'); refusing it there drops it before
  // the PeerServer's listener sees it, which a listener of our own could not do.
  class GuardedSocket extends WebSocket {
    tokens = messageBurst;
    refilledAt = Date.now();

    /**
     * @param {string | symbol} event
     * @param {any[]} args
     */
    emit(event, ...args) {
      if (event === 'message') {
        // Closing already (over the rate, or shutting down): whatever still arrives is dropped.
        if (this.readyState !== WebSocket.OPEN) return false;
        const now = Date.now();
        this.tokens = Math.min(messageBurst, this.tokens + ((now - this.refilledAt) * messagesPerSecond) / 1000);
        this.refilledAt = now;
        if (this.tokens < 1) {
          counters.rateLimited++;
          this.close(CLOSE_RATE_LIMIT, 'message rate limit');
          return false;
        }
        this.tokens -= 1;
      } else if (event === 'error' && /** @type {{ code?: string }} */ (args[0])?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        counters.oversize++;
      }
      return super.emit(event, ...args);
    }
  }
  return GuardedSocket;
}

/**
 * Other WebSocket paths on the same HTTP server (the media server's proxy): each handler gets
 * the upgrade once the limits have let it through, and answers it (or refuses it) itself.
 * @typedef {Map<string, (req: import('node:http').IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void>} UpgradeRoutes
 */

/**
 * Creates the guarded WebSocket server for the PeerServer at `path` and takes over the HTTP
 * server's upgrades. `isDraining()` true refuses new sockets with 503. Upgrades to a path of
 * `routes` go to its handler instead, under the same limits: one count of sockets per address
 * covers them all.
 * @param {{
 *   server: import('node:http').Server,
 *   path: string,
 *   limits: Limits,
 *   isDraining: () => boolean,
 *   routes?: UpgradeRoutes,
 * }} options
 */
export function createGuardedWebSocketServer({ server, path, limits, isDraining, routes = new Map() }) {
  /** @type {LimitCounters} */
  const counters = { perIpRefused: 0, drainingRefused: 0, rateLimited: 0, oversize: 0 };
  const GuardedSocket = guardedSocketClass(limits, counters);

  const wss = new WebSocketServer({
    noServer: true,
    path,
    maxPayload: limits.maxMessageBytes,
    // A peer that does not answer our close frame (gone, or flooding) is cut after 5 s, not 30.
    closeTimeout: 5_000,
    WebSocket: GuardedSocket,
  });

  /** Open sockets per client key. @type {Map<string, number>} */
  const perKey = new Map();

  server.on('upgrade', (req, socket, head) => {
    const route = routes.get(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!route && !wss.shouldHandle(req)) return refuse(socket, 400); // as ws itself answers
    if (isDraining()) {
      counters.drainingRefused++;
      return refuse(socket, 503);
    }
    const key = clientKey(req, limits.trustProxy);
    const count = perKey.get(key) ?? 0;
    if (count >= limits.maxConnectionsPerIp) {
      counters.perIpRefused++;
      return refuse(socket, 429);
    }
    perKey.set(key, count + 1);
    countUntilClosed(socket, key);
    if (route) route(req, socket, head);
    else wss.handleUpgrade(req, socket, head, emitConnection);
  });

  /** @param {unknown} ws @param {import('node:http').IncomingMessage} req */
  function emitConnection(ws, req) {
    wss.emit('connection', ws, req);
  }

  /**
   * Counted until the TCP socket is gone, however the WebSocket ends. (A function of its own:
   * a listener made in the upgrade handler would keep the request alive with the socket.)
   * @param {import('node:stream').Duplex} socket @param {string} key
   */
  function countUntilClosed(socket, key) {
    socket.once('close', () => {
      const left = (perKey.get(key) ?? 1) - 1;
      if (left > 0) perKey.set(key, left);
      else perKey.delete(key);
    });
  }

  return { wss, counters, GuardedSocket };
}

/**
 * Answers an upgrade with a bare HTTP status and closes it. A browser sees a failed WebSocket
 * (PeerJS: a `network` error), which the element treats like an unreachable broker.
 * @param {import('node:stream').Duplex} socket
 * @param {number} status
 */
export function refuse(socket, status) {
  socket.on('error', () => socket.destroy());
  const reason = { 400: 'Bad Request', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.once('finish', () => socket.destroy());
}

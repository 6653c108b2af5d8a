// A PeerJS-protocol client for the server tests and the broker benchmark: a plain `ws` socket
// speaking what peerjs speaks to a PeerServer (OPEN, HEARTBEAT, OFFER…), no browser.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';

/** A random id of the shape PeerJS accepts. */
export const randomId = () => `t-${randomBytes(8).toString('hex')}`;

/**
 * The PeerServer socket URL for `id` on a server whose PeerServer is mounted at `mount`.
 * @param {number} port @param {string} id @param {string} token @param {string} [mount]
 */
export const peerUrl = (port, id, token, mount = '/peerjs') =>
  `ws://127.0.0.1:${port}${mount}/peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`;

/**
 * Rejects after `ms` with `what` unless `promise` settles first.
 * @template T @param {Promise<T>} promise @param {number} ms @param {string} what @returns {Promise<T>}
 */
export function within(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout]).finally(() => clearTimeout(timer)));
}

export class PeerClient {
  /** Messages received, parsed. @type {any[]} */
  messages = [];
  /** @type {Set<{ test: (message: any) => boolean, resolve: (message: any) => void }>} */
  waiters = new Set();

  /**
   * @param {number} port
   * @param {{ id?: string, token?: string, headers?: Record<string, string>, mount?: string }} [options]
   */
  constructor(port, { id = randomId(), token = randomBytes(6).toString('hex'), headers = {}, mount } = {}) {
    this.id = id;
    this.token = token;
    this.ws = new WebSocket(peerUrl(port, id, token, mount), { headers });
    /** Close code and reason, once closed. @type {Promise<{ code: number, reason: string }>} */
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    /** The HTTP status of a refused upgrade. @type {Promise<number>} */
    this.refused = new Promise((resolve) => this.ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    this.ws.on('error', () => {}); // surfaces as `closed` or `refused`
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      this.messages.push(message);
      for (const waiter of this.waiters) {
        if (!waiter.test(message)) continue;
        this.waiters.delete(waiter);
        waiter.resolve(message);
      }
    });
  }

  /**
   * The first message (already received or to come) that passes `test`.
   * @param {(message: any) => boolean} test @param {number} [ms] @returns {Promise<any>}
   */
  next(test, ms = 5_000) {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return within(new Promise((resolve) => this.waiters.add({ test, resolve })), ms, `a message for ${this.id}`);
  }

  /** Resolves on the server's OPEN; rejects on anything else first. */
  async opened(ms = 5_000) {
    const first = await within(
      Promise.race([
        this.next(() => true, ms),
        this.refused.then((status) => ({ type: `HTTP ${status}` })),
        this.closed.then(({ code }) => ({ type: `closed ${code}` })),
      ]),
      ms,
      `OPEN for ${this.id}`,
    );
    if (first.type !== 'OPEN') throw new Error(`${this.id}: expected OPEN, got ${JSON.stringify(first)}`);
    return this;
  }

  /** @param {object} message */
  send(message) {
    this.ws.send(JSON.stringify(message));
  }

  heartbeat() {
    this.send({ type: 'HEARTBEAT' });
  }

  /**
   * An OFFER as peerjs sends it, `sdpBytes` of SDP.
   * @param {string} dst @param {number} [sdpBytes] @param {string} [connectionId]
   */
  offer(dst, sdpBytes = 3_000, connectionId = 'dc_test') {
    this.send({
      type: 'OFFER',
      dst,
      payload: { sdp: { type: 'offer', sdp: 'v'.repeat(sdpBytes) }, type: 'data', connectionId, label: connectionId, reliable: true, serialization: 'binary' },
    });
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/**
 * Opens a PeerClient and waits for its OPEN.
 * @param {number} port @param {ConstructorParameters<typeof PeerClient>[1]} [options]
 */
export const openClient = (port, options) => new PeerClient(port, options).opened();

/**
 * A client that does the WebSocket handshake by hand, reads the OPEN and then never answers
 * anything, not even a close frame: a frozen or vanished peer whose TCP connection stays up.
 * Resolves once OPEN has arrived; `ended` resolves when the server drops the connection.
 * @param {number} port @param {string} [id]
 */
export async function openSilentClient(port, id = randomId()) {
  const socket = net.connect(port, '127.0.0.1');
  const ended = new Promise((resolve) => socket.once('close', () => resolve(undefined)));
  socket.on('error', () => {});
  socket.write(
    [
      `GET /peerjs/peerjs?key=peerjs&id=${id}&token=silent HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      '',
      '',
    ].join('\r\n'),
  );
  let received = '';
  await within(
    new Promise((resolve) => {
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (received.includes('"type":"OPEN"')) resolve(undefined);
      });
    }),
    5_000,
    'OPEN for the silent client',
  );
  return { id, socket, ended };
}

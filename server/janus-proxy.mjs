// The browser's way to Janus: a WebSocket at /peerjs/video-room/janus on our own server (so TLS,
// the one port and a reverse proxy that forwards /peerjs serve it too), piped to Janus's
// WebSocket API on loopback. Each browser socket gets a Janus socket of its own; they close
// together, and Janus then ends that socket's sessions at once.
import { WebSocket, WebSocketServer } from 'ws';
import { refuse } from './limits.mjs';

/** Where browsers connect, relative to the server's root (beside the ICE servers endpoint). */
export const MEDIA_PATH = '/peerjs/video-room/janus';

/** The WebSocket subprotocol of Janus's API: Janus refuses sockets without it. */
export const JANUS_PROTOCOL = 'janus-protocol';

/**
 * The largest message either way. An SDP with many streams and candidates is tens of KB;
 * larger messages close the socket with 1009.
 */
export const DEFAULT_MAX_MEDIA_MESSAGE_BYTES = 256 * 1024;

/** Messages a browser may send before Janus's socket is open; more close the socket. */
const MAX_QUEUED = 64;

/**
 * VideoRoom requests that reach beyond the room: copying media to any address (rtp_forward),
 * writing recordings to disk. Janus locks rtp_forward only with an admin_key, which would also
 * stop browsers from creating rooms, so the proxy refuses them instead.
 */
const REFUSED_REQUESTS = new Set(['rtp_forward', 'stop_rtp_forward', 'listforwarders', 'enable_recording']);
/** Fields of a VideoRoom request that start recordings or name files (any value but false). */
const REFUSED_FIELDS = ['record', 'rec_dir', 'filename', 'new_rec_dir', 'new_lock_record', 'lock_record', 'permanent'];

/**
 * A browser's message to Janus, parsed once: the message, and the plugin request it carries
 * (null when it carries none); null when it is not JSON (Janus answers that itself).
 * @param {string} text
 * @returns {{ message: any, body: any } | null}
 */
function parse(text) {
  /** @type {any} */
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  const body = message?.janus === 'message' ? message.body : null;
  return { message, body: body && typeof body === 'object' ? body : null };
}

/**
 * What the proxy answers instead of forwarding `text`: a Janus error for a refused request, or
 * null to forward it as is (Janus answers anything malformed itself).
 * @param {string} text
 */
export const refusal = (text) => refusalOf(parse(text));

/** refusal, of a message parsed already. @param {ReturnType<typeof parse>} parsed */
function refusalOf(parsed) {
  const body = parsed?.body;
  if (!parsed || !body) return null;
  const what = REFUSED_REQUESTS.has(body.request) ? String(body.request) : REFUSED_FIELDS.find((field) => field in body && body[field] !== false);
  if (!what) return null;
  const { message } = parsed;
  // Janus's own shape for a refused request (403: JANUS_ERROR_UNAUTHORIZED).
  return {
    janus: 'error',
    ...(message.session_id !== undefined && { session_id: message.session_id }),
    transaction: message.transaction,
    error: { code: 403, reason: `not allowed through this server: ${what}` },
  };
}

/**
 * The room and secret of a VideoRoom `create` request in `text`, or null (for the room sweeper,
 * server/janus-sweeper.mjs).
 * @param {string} text
 */
export const createRequest = (text) => createOf(parse(text));

/** createRequest, of a message parsed already. @param {ReturnType<typeof parse>} parsed @returns {{ room: string, secret: string } | null} */
function createOf(parsed) {
  const body = parsed?.body;
  if (body?.request !== 'create' || typeof body.room !== 'string' || typeof body.secret !== 'string') return null;
  return { room: body.room, secret: body.secret };
}

/**
 * The proxy: `handleUpgrade` for the upgrade routes of limits.mjs (which count its sockets and
 * refuse them while draining), and its WebSocketServer (`wss.clients`, for the drain).
 * @param {{
 *   target: string,
 *   Socket: typeof WebSocket,
 *   maxMessageBytes?: number,
 *   onCreate?: (room: string, secret: string) => void,
 * }} options
 * `target`: Janus's WebSocket URL (ws://127.0.0.1:8188). `Socket`: the class that holds browser
 * sockets to the message rate (limits.mjs). `onCreate`: told of each VideoRoom `create` that goes
 * to Janus, with its room and secret (the room sweeper, server/janus-sweeper.mjs).
 */
export function createJanusProxy({ target, Socket, maxMessageBytes = DEFAULT_MAX_MEDIA_MESSAGE_BYTES, onCreate }) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    closeTimeout: 5_000,
    WebSocket: Socket,
    // Answer with Janus's subprotocol, as Janus does: browser clients check it.
    handleProtocols: (protocols) => (protocols.has(JANUS_PROTOCOL) ? JANUS_PROTOCOL : false),
  });

  /** @param {WebSocket} client */
  function pipe(client) {
    const upstream = new WebSocket(target, JANUS_PROTOCOL, { maxPayload: maxMessageBytes, handshakeTimeout: 10_000, perMessageDeflate: false });
    /** @type {string[]} */
    const queued = [];
    let opened = false;
    // Errors end in `close` on both; without listeners they would throw.
    client.on('error', () => {});
    upstream.on('error', () => {});

    client.on('message', (data, isBinary) => {
      if (isBinary) return client.close(1003, 'text messages only');
      const text = String(data);
      const parsed = parse(text);
      const refused = refusalOf(parsed);
      if (refused) return client.send(JSON.stringify(refused));
      const created = onCreate && createOf(parsed);
      if (created) onCreate(created.room, created.secret);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else if (queued.length < MAX_QUEUED) queued.push(text);
      else client.close(1008, 'too many messages before the media server answered');
    });
    upstream.on('open', () => {
      opened = true;
      for (const text of queued.splice(0)) upstream.send(text);
    });
    upstream.on('message', (data, isBinary) => {
      if (!isBinary && client.readyState === WebSocket.OPEN) client.send(String(data));
    });

    client.on('close', () => {
      queued.length = 0;
      if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
      else upstream.close(1000);
    });
    upstream.on('close', (code) => {
      if (client.readyState !== WebSocket.OPEN && client.readyState !== WebSocket.CONNECTING) return;
      // 1006: never opened, or cut; 1009: Janus sent a message over the limit.
      if (code === 1009) client.close(1011, 'media server message too big');
      else if (!opened) client.close(1011, 'media server unreachable');
      else client.close(1001, 'media server closed');
    });
  }

  return {
    wss,
    /** @param {import('node:http').IncomingMessage} req @param {import('node:stream').Duplex} socket @param {Buffer} head */
    handleUpgrade: (req, socket, head) => {
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((name) => name.trim());
      // Janus would refuse a socket without its subprotocol; refuse it here, before connecting.
      if (!offered.includes(JANUS_PROTOCOL)) return refuse(socket, 400);
      wss.handleUpgrade(req, socket, head, (client) => pipe(/** @type {WebSocket} */ (client)));
    },
  };
}

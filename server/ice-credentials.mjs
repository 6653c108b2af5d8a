// Short-lived STUN and TURN credentials for the element (the TURN REST API's scheme, which coturn
// checks with use-auth-secret): the username is the expiry time, the password an HMAC of it
// under the shared secret. Served at /peerjs/video-room/ice-servers, under the broker's own path,
// so a proxy that forwards the broker forwards this too. The same answer says where the media
// servers (Janus, for large rooms) are: `mediaServers`, a list of WebSocket URLs.
import { createHmac } from 'node:crypto';

/** Where the element asks, relative to the server's root (the broker lives at /peerjs). */
export const ICE_SERVERS_PATH = '/peerjs/video-room/ice-servers';

/**
 * One credential valid for `ttlSeconds` from `now` (ms): `{ username, credential }`.
 * @param {string} secret @param {number} ttlSeconds @param {number} [now]
 */
export function turnCredential(secret, ttlSeconds, now = Date.now()) {
  const username = `${Math.floor(now / 1000) + ttlSeconds}:video-room`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/**
 * The URLs of one TURN service on `host`: STUN, and TURN over UDP and over TCP (for networks
 * that let no UDP out).
 * @param {string} host @param {number} port
 */
export function turnUrls(host, port) {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return [`stun:${h}:${port}`, `turn:${h}:${port}?transport=udp`, `turn:${h}:${port}?transport=tcp`];
}

/**
 * The host name the browser used to reach this server (the Host header without its port), for
 * TURN URLs when none is configured; null when it is missing or not a plain host name.
 * @param {string | undefined} header
 */
export function requestHost(header) {
  if (!header) return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(header.trim());
  return match ? match[1].replace(/^\[|\]$/g, '') : null;
}

/**
 * The Host header as the browser sent it (host and port), when it is a plain host name or
 * address: what a URL back to this server is built from. Null otherwise.
 * @param {string | undefined} header
 */
export function requestAuthority(header) {
  if (!header) return null;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$/.exec(header.trim());
  return match ? match[0] : null;
}

/**
 * The WebSocket URLs of the media servers for one request: `urls` as configured (Janus run
 * elsewhere), or our own proxy at `path` on the host the browser used, `wss` when the browser
 * came over TLS (ours, or a reverse proxy's that says so in X-Forwarded-Proto when trusted).
 * @param {{ urls: string[] } | { path: string, tls: boolean, trustProxy: boolean } | null} media
 * @param {import('node:http').IncomingMessage} req
 * @returns {string[]}
 */
export function mediaServerUrls(media, req) {
  if (!media) return [];
  if ('urls' in media) return media.urls;
  const authority = requestAuthority(req.headers.host);
  if (!authority) return [];
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    .trim();
  const secure = media.tls || (media.trustProxy && forwarded === 'https');
  return [`${secure ? 'wss' : 'ws'}://${authority}${media.path}`];
}

/**
 * The express handler of ICE_SERVERS_PATH. `turn` is null when there is no TURN service: the
 * element then gets an empty list (host candidates only), as from a stock PeerServer.
 * `mediaServers`: the media servers (Janus) for large rooms, or null for none (an empty list).
 * Older elements ignore that field.
 * @param {{ secret: string, ttlSeconds: number, urls?: string[], port?: number, host?: string } | null} turn
 * @param {Parameters<typeof mediaServerUrls>[0]} [media]
 * @returns {import('express').RequestHandler}
 */
export function iceServersHandler(turn, media = null) {
  return (req, res) => {
    res.set('Cache-Control', 'no-store');
    // Any page may embed the element; the credentials are what any visitor of it gets.
    res.set('Access-Control-Allow-Origin', '*');
    const mediaServers = mediaServerUrls(media, req);
    if (!turn) return res.json({ iceServers: [], ttl: 0, mediaServers });
    const host = turn.host ?? requestHost(req.headers.host);
    const urls = turn.urls ?? (host && turn.port ? turnUrls(host, turn.port) : null);
    if (!urls) return res.status(400).json({ error: 'no usable Host header' });
    res.json({ iceServers: [{ urls, ...turnCredential(turn.secret, turn.ttlSeconds) }], ttl: turn.ttlSeconds, mediaServers });
  };
}

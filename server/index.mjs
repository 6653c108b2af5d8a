// `npm start`: serves the demo at /, the bundle at /video-room.js and a PeerServer at /peerjs.
// Settings come from the environment (README, "Server limits"); unset ones keep the defaults.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LIMITS, DEFAULT_PEER_OPTIONS, startServer } from './app.mjs';
import { MEDIA_PATH } from './janus-proxy.mjs';
import { DEFAULT_JANUS, hasJanus, startJanus } from './janus.mjs';
import { DEFAULT_TURN, hasCoturn, startCoturn } from './turn.mjs';

/**
 * A whole number from the environment, or `fallback` when unset; anything else stops here.
 * @param {string} name @param {number} fallback @param {number} min
 */
function whole(name, fallback, min = 1) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    console.error(`${name} must be a whole number of at least ${min}, not "${raw}"`);
    process.exit(2);
  }
  return value;
}

/** A comma-separated list from the environment (empty when unset). @param {string} name */
function list(name) {
  return (process.env[name] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A file named by the environment, read now; a missing or unreadable one stops here. @param {string} name */
function file(name) {
  const where = process.env[name];
  if (!where) return undefined;
  try {
    return readFileSync(where);
  } catch (error) {
    console.error(`${name}: cannot read ${where} (${/** @type {Error} */ (error).message})`);
    process.exit(2);
  }
}

/**
 * STUN and TURN: a coturn elsewhere (VR_TURN_URLS and VR_TURN_SECRET), or Debian's coturn started
 * here, or none (VR_TURN=off, or coturn not installed).
 */
async function turnService() {
  const ttlSeconds = whole('VR_TURN_TTL', DEFAULT_TURN.ttlSeconds, 10);
  const urls = list('VR_TURN_URLS');
  if (urls.length > 0 || process.env.VR_TURN_SECRET) {
    if (urls.length === 0 || !process.env.VR_TURN_SECRET) {
      console.error('VR_TURN_URLS and VR_TURN_SECRET go together (a coturn run elsewhere, with use-auth-secret)');
      process.exit(2);
    }
    const bad = urls.find((url) => !/^(stuns?|turns?):/i.test(url));
    if (bad) {
      console.error(`VR_TURN_URLS: "${bad}" is not a stun:, stuns:, turn: or turns: URL`);
      process.exit(2);
    }
    return { turn: { secret: process.env.VR_TURN_SECRET, ttlSeconds, urls }, coturn: null, said: `STUN/TURN: ${urls.join(' ')}` };
  }
  if (/^(0|off|false|no)$/i.test(process.env.VR_TURN ?? '')) return { turn: null, coturn: null, said: 'STUN/TURN: off (VR_TURN)' };
  if (!hasCoturn()) return { turn: null, coturn: null, said: 'STUN/TURN: none (install coturn: apt-get install coturn)' };
  const coturn = await startCoturn({
    port: whole('VR_TURN_PORT', DEFAULT_TURN.port),
    minPort: whole('VR_TURN_MIN_PORT', DEFAULT_TURN.minPort),
    maxPort: whole('VR_TURN_MAX_PORT', DEFAULT_TURN.maxPort),
    listenIp: process.env.VR_TURN_LISTEN_IP || undefined,
    externalIp: process.env.VR_TURN_EXTERNAL_IP || undefined,
    allowedPeers: list('VR_TURN_ALLOWED_PEERS'),
    log: process.env.VR_TURN_LOG ? (line) => console.log(`coturn: ${line}`) : undefined,
  });
  const host = process.env.VR_TURN_HOST || undefined;
  return {
    turn: { secret: coturn.secret, ttlSeconds, port: coturn.port, host },
    coturn,
    said: `STUN/TURN: coturn on port ${coturn.port} (UDP and TCP, relay ports ${whole('VR_TURN_MIN_PORT', DEFAULT_TURN.minPort)}-${whole('VR_TURN_MAX_PORT', DEFAULT_TURN.maxPort)}), credentials for ${ttlSeconds} s`,
  };
}

/** Set on SIGINT or SIGTERM: Janus exiting then is no news. */
let shuttingDown = false;

/**
 * HOST when it names one address Janus can offer media on: not 0.0.0.0 or ::, not loopback
 * (Janus never offers 127.0.0.1), not a host name.
 * @param {string | undefined} host
 */
function concreteAddress(host) {
  if (!host || !net.isIP(host)) return undefined;
  if (/^(0\.0\.0\.0|::|127\.|::1$|::ffff:127\.)/.test(host)) return undefined;
  return host;
}

/**
 * The media server for large rooms: Janus instances run elsewhere (VR_MEDIA_SERVERS), or
 * Debian's Janus started here and reached through our own server, or none (VR_JANUS=off, or
 * Janus not installed).
 */
async function mediaService() {
  const urls = list('VR_MEDIA_SERVERS');
  if (urls.length > 0) {
    const bad = urls.find((url) => !/^wss?:\/\/[^/]/i.test(url));
    if (bad) {
      console.error(`VR_MEDIA_SERVERS: "${bad}" is not a ws: or wss: URL`);
      process.exit(2);
    }
    return { media: { urls }, janus: null, said: `media servers: ${urls.join(' ')}` };
  }
  if (/^(0|off|false|no)$/i.test(process.env.VR_JANUS ?? '')) return { media: null, janus: null, said: 'media server: off (VR_JANUS)' };
  if (!hasJanus()) return { media: null, janus: null, said: 'media server: none (install Janus: apt-get install janus)' };
  const wsPort = whole('VR_JANUS_WS_PORT', DEFAULT_JANUS.wsPort);
  const rtpMinPort = whole('VR_JANUS_MIN_PORT', DEFAULT_JANUS.rtpMinPort);
  const rtpMaxPort = whole('VR_JANUS_MAX_PORT', DEFAULT_JANUS.rtpMaxPort);
  if (rtpMaxPort < rtpMinPort || rtpMaxPort > 65535) {
    console.error(`VR_JANUS_MIN_PORT and VR_JANUS_MAX_PORT: ${rtpMinPort}-${rtpMaxPort} is not a range of ports`);
    process.exit(2);
  }
  const iceIp = process.env.VR_JANUS_IP || concreteAddress(process.env.HOST);
  const natIp = process.env.VR_JANUS_PUBLIC_IP || undefined;
  const janus = await startJanus({
    wsPort,
    rtpMinPort,
    rtpMaxPort,
    iceIp,
    natIp,
    log: process.env.VR_JANUS_LOG ? (line) => console.log(`janus: ${line}`) : undefined,
  }).catch((/** @type {Error} */ error) => {
    // Most often its port is taken: on a machine with systemd, by the service Debian's package starts.
    console.error(`Janus did not start (port ${wsPort} taken? VR_JANUS_WS_PORT picks another, VR_JANUS=off runs without it): ${error.message}`);
    process.exit(1);
  });
  // A crash leaves the server up (calls in a mesh go on); say so, with Janus's last words.
  janus.exited.then((how) => {
    if (!shuttingDown) console.error(`Janus exited (${how}); large rooms have no media server until a restart:\n${janus.log(20).join('\n')}`);
  });
  return {
    media: { janus: janus.url },
    janus,
    said:
      `media server: Janus on ${janus.url} (VideoRoom; media on ${iceIp ?? 'its addresses'}${natIp ? `, announced as ${natIp}` : ''},` +
      ` UDP ports ${rtpMinPort}-${rtpMaxPort}), browsers through ${MEDIA_PATH}`,
  };
}

const cert = file('TLS_CERT');
const key = file('TLS_KEY');
if (!cert !== !key) {
  console.error('TLS_CERT and TLS_KEY go together');
  process.exit(2);
}
const drainTimeoutMs = whole('VR_DRAIN_TIMEOUT_MS', DEFAULT_DRAIN_TIMEOUT_MS, 0);
const { turn, coturn, said } = await turnService();
const { media, janus, said: saidMedia } = await mediaService();
const { url, port, close, limits, peerOptions } = await startServer({
  turn,
  media,
  tls: cert && key ? { cert, key } : null,
  port: whole('PORT', 8080, 0),
  host: process.env.HOST || undefined,
  drainTimeoutMs,
  limits: {
    maxMessageBytes: whole('VR_MAX_MESSAGE_BYTES', DEFAULT_LIMITS.maxMessageBytes),
    maxConnectionsPerIp: whole('VR_MAX_CONNECTIONS_PER_IP', DEFAULT_LIMITS.maxConnectionsPerIp),
    messagesPerSecond: whole('VR_MAX_MESSAGES_PER_SECOND', DEFAULT_LIMITS.messagesPerSecond),
    messageBurst: whole('VR_MESSAGE_BURST', DEFAULT_LIMITS.messageBurst),
    trustProxy: /^(1|true|yes)$/i.test(process.env.VR_TRUST_PROXY ?? ''),
  },
  peerOptions: {
    alive_timeout: whole('VR_ALIVE_TIMEOUT_MS', DEFAULT_PEER_OPTIONS.alive_timeout),
    concurrent_limit: whole('VR_MAX_PEERS', DEFAULT_PEER_OPTIONS.concurrent_limit),
  },
});
console.log(`video-room demo on ${url}/  (PeerServer at ${url}/peerjs)`);
console.log(said);
console.log(saidMedia);
console.log(
  `limits: ${limits.maxMessageBytes} bytes a message, ${limits.maxConnectionsPerIp} sockets an address` +
    `${limits.trustProxy ? ' (X-Forwarded-For)' : ''}, ${limits.messagesPerSecond} messages/s a socket (burst ${limits.messageBurst}),` +
    ` ${peerOptions.concurrent_limit} peers; alive_timeout ${peerOptions.alive_timeout} ms`,
);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    // A second signal does not wait for the drain.
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    console.log(`${signal}: draining port ${port} (up to ${drainTimeoutMs} ms)`);
    // close() is bounded by the drain timeout; this only guards against a bug in it.
    setTimeout(() => process.exit(1), drainTimeoutMs + 5_000).unref();
    await close();
    await Promise.all([coturn?.close(), janus?.close()]);
    console.log('closed');
    // The stock PeerServer's timers would keep the process alive.
    process.exit(0);
  });
}

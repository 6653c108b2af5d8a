// `npm start`: serves the demo at /, the bundle at /video-room.js and a PeerServer at /peerjs.
// Settings come from the environment (README, "Server limits"); unset ones keep the defaults.
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_LIMITS, DEFAULT_PEER_OPTIONS, startServer } from './app.mjs';

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

const drainTimeoutMs = whole('VR_DRAIN_TIMEOUT_MS', DEFAULT_DRAIN_TIMEOUT_MS, 0);
const { url, port, close, limits, peerOptions } = await startServer({
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
console.log(
  `limits: ${limits.maxMessageBytes} bytes a message, ${limits.maxConnectionsPerIp} sockets an address` +
    `${limits.trustProxy ? ' (X-Forwarded-For)' : ''}, ${limits.messagesPerSecond} messages/s a socket (burst ${limits.messageBurst}),` +
    ` ${peerOptions.concurrent_limit} peers; alive_timeout ${peerOptions.alive_timeout} ms`,
);

let shuttingDown = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    // A second signal does not wait for the drain.
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    console.log(`${signal}: draining port ${port} (up to ${drainTimeoutMs} ms)`);
    // close() is bounded by the drain timeout; this only guards against a bug in it.
    setTimeout(() => process.exit(1), drainTimeoutMs + 5_000).unref();
    await close();
    console.log('closed');
    // The stock PeerServer's timers would keep the process alive.
    process.exit(0);
  });
}

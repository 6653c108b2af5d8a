// STUN and TURN for `npm start`: Debian's coturn (`turnserver`) started beside the server with a
// random shared secret (the TURN REST API: use-auth-secret, static-auth-secret), or a coturn run
// elsewhere (VR_TURN_URLS, VR_TURN_SECRET). The element asks /peerjs/video-room/ice-servers for
// short-lived credentials (ice-credentials.mjs); the secret never leaves this process and coturn.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Defaults of the coturn that `npm start` runs (README, "Deploy it"). */
export const DEFAULT_TURN = Object.freeze({
  port: 3478,
  // The relay ports: coturn's own default range.
  minPort: 49152,
  maxPort: 65535,
  // How long a credential handed to a browser lets it open new allocations. Open ones outlive it.
  ttlSeconds: 3600,
});

/**
 * Peers a relay must never reach: this machine, its private networks, and addresses that are not
 * on the internet. Without them anyone with a credential could use the relay to reach services
 * behind it (a database on 10.0.0.5, a cloud metadata service on 169.254.169.254). coturn allows
 * loopback peers only with --allow-loopback-peers, which `npm start` never passes.
 */
export const DENIED_PEER_RANGES = Object.freeze([
  '0.0.0.0-0.255.255.255',
  '10.0.0.0-10.255.255.255',
  '100.64.0.0-100.127.255.255',
  '127.0.0.0-127.255.255.255',
  '169.254.0.0-169.254.255.255',
  '172.16.0.0-172.31.255.255',
  '192.0.0.0-192.0.0.255',
  '192.0.2.0-192.0.2.255',
  '192.88.99.0-192.88.99.255',
  '192.168.0.0-192.168.255.255',
  '198.18.0.0-198.19.255.255',
  '198.51.100.0-198.51.100.255',
  '203.0.113.0-203.0.113.255',
  '240.0.0.0-255.255.255.255',
  '::1',
  '64:ff9b::-64:ff9b::ffff:ffff',
  '::ffff:0.0.0.0-::ffff:255.255.255.255',
  '100::-100::ffff:ffff:ffff:ffff',
  '2001::-2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2002::-2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
]);

/**
 * The coturn settings `npm start` writes (one per line, the configuration file's syntax). The
 * secret goes into a file only this user can read, never onto a command line (`ps` shows those).
 * @param {{ port: number, minPort: number, maxPort: number, secret: string, listenIp?: string, externalIp?: string, allowedPeers?: string[], deniedPeers?: readonly string[], pidFile: string }} o
 */
export function coturnConfig(o) {
  return [
    'fingerprint',
    'use-auth-secret',
    `static-auth-secret=${o.secret}`,
    'realm=video-room',
    `listening-port=${o.port}`,
    ...(o.listenIp ? [`listening-ip=${o.listenIp}`] : []),
    ...(o.externalIp ? [`external-ip=${o.externalIp}`] : []),
    `min-port=${o.minPort}`,
    `max-port=${o.maxPort}`,
    // TURN over TLS needs a certificate of its own; the browsers reach UDP and TCP.
    'no-tls',
    'no-dtls',
    'no-cli',
    'no-multicast-peers',
    'stale-nonce=600',
    ...(o.deniedPeers ?? DENIED_PEER_RANGES).map((range) => `denied-peer-ip=${range}`),
    // Explicit exceptions (VR_TURN_ALLOWED_PEERS): a private deployment, or the test suite's
    // simulated internet on 198.18.0.0/15.
    ...(o.allowedPeers ?? []).map((range) => `allowed-peer-ip=${range}`),
    'log-file=stdout',
    'simple-log',
    `pidfile=${o.pidFile}`,
    '',
  ].join('\n');
}

/** Whether `turnserver` can be started here. */
export function hasCoturn() {
  return spawnSync('turnserver', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Starts coturn with a random secret. Resolves with `{ secret, port, close }` once it listens;
 * rejects if it exits or does not listen within 15 s.
 * `deniedPeers` is for tests only: what the relay would reach without the production list.
 * @param {{ port?: number, minPort?: number, maxPort?: number, listenIp?: string, externalIp?: string, allowedPeers?: string[], deniedPeers?: readonly string[], log?: (line: string) => void }} [options]
 */
export async function startCoturn({ port = DEFAULT_TURN.port, minPort = DEFAULT_TURN.minPort, maxPort = DEFAULT_TURN.maxPort, listenIp, externalIp, allowedPeers = [], deniedPeers = DENIED_PEER_RANGES, log } = {}) {
  const secret = randomBytes(32).toString('base64url');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vr-coturn-'));
  const file = path.join(dir, 'turnserver.conf');
  writeFileSync(file, coturnConfig({ port, minPort, maxPort, secret, listenIp, externalIp, allowedPeers, deniedPeers, pidFile: path.join(dir, 'turnserver.pid') }), { mode: 0o600 });
  const child = spawn('turnserver', ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let output = '';
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`coturn did not start in 15 s:\n${output}`)), 15_000);
      const done = (/** @type {Error | undefined} */ error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(undefined);
      };
      const onData = (/** @type {Buffer} */ chunk) => {
        output += chunk;
        if (/Total General servers/.test(output)) done(undefined);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', (error) => done(new Error(`coturn could not be started: ${error.message}`)));
      child.once('exit', (code) => done(new Error(`coturn exited with ${code}:\n${output}`)));
    });
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  child.removeAllListeners('exit');
  child.stdout.removeAllListeners('data');
  child.stderr.removeAllListeners('data');
  // Keep reading its log, or it blocks on a full pipe.
  for (const stream of [child.stdout, child.stderr]) {
    if (log) stream.on('data', (/** @type {Buffer} */ chunk) => String(chunk).split('\n').filter(Boolean).forEach(log));
    else stream.resume();
  }
  return {
    secret,
    port,
    pid: child.pid,
    file,
    /** Stops coturn; resolves once it exited. */
    close: () =>
      new Promise((resolve) => {
        process.off('exit', kill);
        const finish = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve(undefined);
        };
        if (child.exitCode !== null || child.signalCode !== null) return finish();
        child.once('exit', finish);
        child.kill('SIGTERM');
      }),
  };
}

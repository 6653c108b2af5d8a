// Debian's coturn (`turnserver`) on loopback, for the relay tests: started by the test
// configuration, stopped with it. Loopback peers must be allowed explicitly (--allow-loopback-peers),
// which is for tests only: never in production (see the README's "Run a TURN server").
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';

/** A free UDP port on loopback (the kernel picks it; released just before use). */
async function freeUdpPort() {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/**
 * Starts turnserver on 127.0.0.1 with one long-term-credential user. Resolves with
 * `{ iceServer, close }` once it listens; rejects if it is missing or does not start in 15 s.
 */
export async function startTurn() {
  const port = await freeUdpPort();
  const username = 'video-room';
  const credential = `test-${Math.random().toString(36).slice(2)}`;
  // Relay ports: a small range of its own above the listening port.
  const minPort = 40000 + (port % 20000);
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${minPort}`,
    `--max-port=${minPort + 200}`,
    '--lt-cred-mech',
    `--user=${username}:${credential}`,
    '--realm=video-room',
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--fingerprint',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${path.join(os.tmpdir(), `vr-turn-${port}.pid`)}`,
  ];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the test run.
  process.once('exit', () => child.kill('SIGKILL'));
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`turnserver did not start in 15 s:\n${output}`)), 15_000);
    const onData = (chunk) => {
      output += chunk;
      if (/Total General servers/.test(output)) {
        clearTimeout(timer);
        resolve(undefined);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`turnserver could not be started (apt-get install coturn): ${error.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`turnserver exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    iceServer: { urls: [`turn:127.0.0.1:${port}?transport=udp`], username, credential },
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      }),
  };
}

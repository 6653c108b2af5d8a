// Debian's coturn (`turnserver`) on loopback, for the relay tests: started by the test
// configuration, stopped with it. Loopback peers must be allowed explicitly (--allow-loopback-peers),
// which is for tests only: never in production (see the README's "Run a TURN server").
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';

/** A free UDP port on loopback (the kernel picks it; released just before use). */
export async function freeUdpPort() {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

/** Spawns turnserver; resolves with the child once it listens. */
async function spawnTurn(port, username, credential) {
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
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
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
  // Keep reading its log, or it blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

/** Stops a turnserver child; resolves once it exited. */
function stopChild(child, signal) {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    child.once('exit', () => resolve(undefined));
    child.kill(signal);
  });
}

/**
 * Starts turnserver on 127.0.0.1 with one long-term-credential user. Resolves with
 * `{ iceServer, stop, start, close }` once it listens; rejects if it is missing or does not
 * start in 15 s. `stop()` kills it at once (every allocation, so every relayed path, is gone, as
 * when a network drops) and `start()` starts a fresh one on the same port.
 */
export async function startTurn() {
  const port = await freeUdpPort();
  const username = 'video-room';
  const credential = `test-${Math.random().toString(36).slice(2)}`;
  let child = await spawnTurn(port, username, credential);
  return {
    iceServer: { urls: [`turn:127.0.0.1:${port}?transport=udp`], username, credential },
    stop: async () => {
      await stopChild(child, 'SIGKILL');
    },
    start: async () => {
      if (child.exitCode === null && child.signalCode === null) return;
      child = await spawnTurn(port, username, credential);
    },
    close: () => stopChild(child, 'SIGTERM'),
  };
}

/** Lets tests stop and start the TURN server (`vr-turn` with `{ action: 'stop' | 'start' }`). */
export function turnPlugin(turn) {
  return {
    name: 'vr-turn',
    async executeCommand({ command, payload }) {
      if (command !== 'vr-turn') return undefined;
      if (payload?.action === 'stop') await turn.stop();
      else if (payload?.action === 'start') await turn.start();
      else throw new Error(`unknown vr-turn action ${payload?.action}`);
      return true;
    },
  };
}

// `npm start`'s process (server/index.mjs) for the tests that need the real one, and a
// self-signed certificate for the ones that serve HTTPS.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { within } from './peer-client.mjs';

export const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/index.mjs');

/**
 * Starts server/index.mjs on a free port of 127.0.0.1 with `env` added; resolves once it has
 * printed its URL and its limits (its last line at start). Without Janus unless `env` asks for
 * it (VR_JANUS): test files run side by side, and each Janus needs ports of its own.
 * @param {Record<string, string>} [env]
 */
export async function startProcess(env = {}) {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', VR_JANUS: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = /** @type {Promise<[number | null, string | null]>} */ (once(child, 'exit'));
  const port = await within(
    new Promise((resolve, reject) => {
      child.stdout.on('data', () => {
        const match = /https?:\/\/127\.0\.0\.1:(\d+)\//.exec(output);
        if (match && /limits:/.test(output)) resolve(Number(match[1]));
      });
      exited.then(() => reject(new Error(`server exited early:\n${output}`)));
    }),
    20_000,
    'the server to start',
  );
  return {
    child,
    port: /** @type {number} */ (port),
    exited,
    output: () => output,
    /** SIGTERM, and the exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A self-signed certificate for the IP address `ip`, in files of a fresh folder: their paths,
 * the PEM to trust, and `remove()`.
 * @param {string} ip
 */
export function certificate(ip) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vr-tls-'));
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`, '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  return { cert, key, ca: readFileSync(cert), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

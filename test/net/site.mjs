// The simulated internet's servers: `npm start` (HTTPS, with its coturn) and a third-party site
// whose page is nothing but the embed snippet, both in the internet namespace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { certificate } from '../server/server-process.mjs';
import { launchIn } from './browser.mjs';
import { buildInternet, SERVER_IP } from './internet.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The embed snippet of the README, on a site of its own (another origin than the server). */
export const EMBED_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A site with a call</title></head><body>
<script type="module" src="https://${SERVER_IP}/video-room.js"></script>
<video-room room="standup"></video-room>
</body></html>`;

/**
 * Runs `command` in namespace `ns` (its own process group) until it prints a line matching
 * `ready`; resolves with `{ output, stop }`.
 * @param {string} ns @param {string[]} command @param {Record<string, string>} env @param {RegExp} ready
 */
async function startIn(ns, command, env, ready) {
  const child = spawn('ip', ['netns', 'exec', ns, ...command], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const exited = once(child, 'exit');
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command.join(' ')} did not start in 120 s:\n${output}`)), 120_000);
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk;
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(undefined);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${command.join(' ')} exited:\n${output}`));
    });
  });
  return {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-(/** @type {number} */ (child.pid)), 'SIGTERM');
      await exited;
    },
  };
}

/**
 * `npm start` on https://198.18.0.1 (its coturn on 198.18.0.1:3478), with credentials that live
 * `ttl` seconds. Its relay may reach the simulated internet's public part (198.18.0.0/16: the
 * server, the routers), which the production settings otherwise refuse as a non-internet range;
 * the homes' own networks (198.19.0.0/16) stay refused, as private networks are in production.
 * @param {string} ns @param {{ cert: string, key: string }} tls @param {number} ttl
 */
export function startNpmServer(ns, tls, ttl) {
  return startIn(
    ns,
    ['npm', 'start'],
    {
      PORT: '443',
      HOST: SERVER_IP,
      TLS_CERT: tls.cert,
      TLS_KEY: tls.key,
      VR_TURN_LISTEN_IP: SERVER_IP,
      // No Janus here: the simulated internet tests the mesh (its address sits on lo, where Janus offers no candidates).
      VR_JANUS: 'off',
      VR_TURN_ALLOWED_PEERS: '198.18.0.0-198.18.255.255',
      VR_TURN_TTL: String(ttl),
      // coturn's log in the output, for failure messages (see turnLog).
      VR_TURN_LOG: '1',
    },
    /limits:/,
  );
}

/**
 * The third-party site: https://198.18.0.1:8443/ serves EMBED_PAGE, and so does plain
 * http://198.18.0.1:8080/ (a page that is not a secure context).
 * @param {string} ns @param {{ cert: string, key: string }} tls
 */
export function startSite(ns, tls) {
  const script = `
    const http = require('node:http');
    const https = require('node:https');
    const fs = require('node:fs');
    const page = (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(${JSON.stringify(EMBED_PAGE)});
    };
    https.createServer({ cert: fs.readFileSync(${JSON.stringify(tls.cert)}), key: fs.readFileSync(${JSON.stringify(tls.key)}) }, page)
      .listen(8443, ${JSON.stringify(SERVER_IP)}, () => http.createServer(page).listen(8080, ${JSON.stringify(SERVER_IP)}, () => console.log('site ready')));`;
  return startIn(ns, [process.execPath, '-e', script], {}, /site ready/);
}

export const SITE_URL = `https://${SERVER_IP}:8443/`;
/** The same page over plain HTTP. */
export const PLAIN_SITE_URL = `http://${SERVER_IP}:8080/`;

/** The npm start output's last lines that are not coturn's, for a failure message. @param {string} output */
export const tail = (output) =>
  output
    .split('\n')
    .filter((line) => !line.startsWith('coturn:'))
    .slice(-15)
    .join('\n');

/** What coturn said of allocations and refusals lately, for a failure message. @param {string} output */
export const turnLog = (output) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('coturn:') && /ALLOCATE|PERMISSION|CHANNEL|error|denied|forbidden|\b4\d\d\b|timeout/i.test(line))
    .slice(-12)
    .map((line) => line.slice(0, 240))
    .join('\n');

/**
 * Everything a network test file runs on: the internet with homes `a` and `b`, `npm start` (TLS,
 * credentials of `ttl` s) and the site, and a Chromium in each home. `stop()` undoes it all.
 * @param {number} ttl
 */
export async function startWorld(ttl) {
  const net = buildInternet(['a', 'b']);
  const tls = certificate(SERVER_IP);
  /** @type {Awaited<ReturnType<typeof startIn>>[]} */
  const servers = [];
  /** @type {Awaited<ReturnType<typeof launchIn>>[]} */
  const browsers = [];
  const stop = async () => {
    await Promise.all(browsers.map((b) => b.browser.close().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop()));
    net.destroy();
    tls.remove();
  };
  try {
    servers.push(...(await Promise.all([startNpmServer(net.inet, tls, ttl), startSite(net.inet, tls)])));
    browsers.push(...(await Promise.all(net.homes.map((home) => launchIn(home.ns)))));
  } catch (error) {
    await stop();
    throw error;
  }
  return { net, server: servers[0], browsers, stop };
}

// Browsers in a home of the simulated internet, started through `ip netns exec`. Chromium is
// driven over DevTools on a pipe (file descriptors cross the namespace boundary, a TCP port would
// not). Firefox speaks WebDriver BiDi on a TCP port only: the port inside the namespace is reached
// through a unix socket (a file, seen from every namespace) and a forwarder on each side.
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS, FIREFOX_PREFS } from '../plugins/participants.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The browser suites' Chromium flags, and what a home on a real-looking network needs. */
const ARGS = [
  ...CHROMIUM_ARGS,
  // The server's certificate is made by the test for 198.18.0.1; nothing else is reached.
  '--ignore-certificate-errors',
  // Host candidates as addresses, as a page with camera permission gets them anyway.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

/**
 * Records every RTCPeerConnection the page makes (`window.__pcs`), before any script of the
 * page runs: the page itself is only the embed snippet.
 */
function recordConnections() {
  const made = [];
  Object.defineProperty(window, '__pcs', { value: made });
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      made.push(this);
    }
  };
}

/**
 * A camera that is hard to compress (a Y4M file Chromium's fake camera plays in a loop): a moving
 * gradient with a block of random noise wandering over it, so the sender uses far more bitrate
 * than the stock fake camera's picture (about 200 kbit/s, under any cap worth testing), and can
 * still send fewer bits for a coarser picture when the network says so.
 * @param {string} dir
 */
function busyCamera(dir) {
  const [width, height, frames, block] = [320, 240, 30, 96];
  const file = path.join(dir, 'busy.y4m');
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < frames; f++) {
    const y = Buffer.alloc(width * height);
    for (let row = 0; row < height; row++) for (let col = 0; col < width; col++) y[row * width + col] = (col + row + f * 8) & 255;
    const noise = randomBytes(block * block);
    const [x0, y0] = [(f * 7) % (width - block), (f * 5) % (height - block)];
    for (let row = 0; row < block; row++) noise.copy(y, (y0 + row) * width + x0, row * block, (row + 1) * block);
    parts.push(Buffer.from('FRAME\n'), y, Buffer.alloc(width * height / 2, 128));
  }
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/**
 * Starts Chromium inside namespace `ns`; resolves with `{ browser, open(url) }`, where `open`
 * makes a page that records its connections. `noise`: its camera is hard to compress (busyCamera).
 * @param {string} ns @param {{ noise?: boolean }} [options]
 */
export async function launchIn(ns, { noise = false } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vr-${ns}-`));
  const wrapper = path.join(dir, 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await puppeteer.launch({
    executablePath: wrapper,
    pipe: true,
    headless: true,
    args: noise ? [...ARGS, `--use-file-for-fake-video-capture=${busyCamera(dir)}`] : ARGS,
    userDataDir: path.join(dir, 'profile'),
    protocolTimeout: 120_000,
  });
  removeWhenGone(browser, dir);
  return driven(browser);
}

/** Removes `dir` (the browser's profile and wrapper) once `browser`'s process has exited. @param {import('puppeteer-core').Browser} browser @param {string} dir */
function removeWhenGone(browser, dir) {
  browser.process()?.once('exit', () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }));
}

/** `browser`, and `open(url)`: a page that records its connections. @param {import('puppeteer-core').Browser} browser */
function driven(browser) {
  return {
    browser,
    /** @param {string} url */
    async open(url) {
      const page = await browser.newPage();
      // PAGE_LOG=file: the pages' console lines go there, stamped (for finding races by hand).
      if (process.env.PAGE_LOG) page.on('console', (m) => appendFileSync(process.env.PAGE_LOG, `[${Date.now() % 100000}] ${m.text()}\n`));
      await page.evaluateOnNewDocument(recordConnections);
      await page.goto(url, { waitUntil: 'load' });
      return page;
    },
  };
}

/**
 * A connection to unix socket `file`, once something listens there (the forwarder in the
 * namespace starts beside Firefox); null after 10 s.
 * @param {string} file @returns {Promise<import('node:net').Socket | null>}
 */
async function reach(file) {
  for (let tries = 0; tries < 100; tries++) {
    const conn = net.connect(file);
    const ok = await new Promise((resolve) => conn.once('connect', () => resolve(true)).once('error', () => resolve(false)));
    if (ok) return conn;
    conn.destroy();
    // Not listening yet: a short wait, then again.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

/**
 * Starts Firefox ESR inside namespace `ns` (the browser suites' preferences: fake camera and
 * microphone, no permission prompt); resolves like launchIn. Puppeteer reads the port Firefox
 * listens on from its output and connects to that port on this side's 127.0.0.1, where a
 * forwarder passes the connection on, through a unix socket, to the one in the namespace.
 * @param {string} ns
 */
export async function launchFirefoxIn(ns) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vr-${ns}-ff-`));
  const socket = path.join(dir, 'bidi.sock');
  // This side's forwarder: a free port here, the same number for Firefox in the namespace (its
  // WebSocket checks the Host header against the port it listens on).
  const outer = net.createServer(async (conn) => {
    conn.on('error', () => conn.destroy());
    const inner = await reach(socket);
    if (!inner || conn.destroyed) return void (inner?.destroy(), conn.destroy());
    conn.pipe(inner).pipe(conn);
    const end = () => {
      conn.destroy();
      inner.destroy();
    };
    conn.on('close', end);
    inner.on('error', end).on('close', end);
  });
  await new Promise((resolve) => outer.listen(0, '127.0.0.1', () => resolve(undefined)));
  const port = /** @type {import('node:net').AddressInfo} */ (outer.address()).port;
  const wrapper = path.join(dir, 'firefox');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec ip netns exec ${ns} sh -c '"$0" ${JSON.stringify(path.join(here, 'forward.mjs'))} ${socket} ${port} </dev/null >/dev/null 2>&1 & exec /usr/bin/firefox-esr "$@"' ${process.execPath} "$@"\n`,
  );
  chmodSync(wrapper, 0o755);
  try {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: wrapper,
      headless: true,
      debuggingPort: port,
      acceptInsecureCerts: true,
      extraPrefsFirefox: {
        ...FIREFOX_PREFS,
        // Host candidates as addresses, as in Chromium (launchIn).
        'media.peerconnection.ice.obfuscate_host_addresses': false,
      },
      protocolTimeout: 120_000,
    });
    browser.once('disconnected', () => outer.close());
    removeWhenGone(browser, dir);
    return driven(browser);
  } catch (error) {
    outer.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

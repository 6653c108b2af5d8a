// Chromium in a home of the simulated internet: started through `ip netns exec`, driven over
// DevTools on a pipe (file descriptors cross the namespace boundary, a TCP port would not).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS } from '../plugins/participants.mjs';

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
  return {
    browser,
    /** @param {string} url */
    async open(url) {
      const page = await browser.newPage();
      await page.evaluateOnNewDocument(recordConnections);
      await page.goto(url, { waitUntil: 'load' });
      return page;
    },
  };
}

// Chromium in a home of the simulated internet: started through `ip netns exec`, driven over
// DevTools on a pipe (file descriptors cross the namespace boundary, a TCP port would not).
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

/** The flags of the browser suites' Chromium, for a home on a real-looking network. */
const ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
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
 * Starts Chromium inside namespace `ns`; resolves with `{ browser, open(url) }`, where `open`
 * makes a page that records its connections.
 * @param {string} ns
 */
export async function launchIn(ns) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `vr-${ns}-`));
  const wrapper = path.join(dir, 'chromium');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(wrapper, 0o755);
  const browser = await puppeteer.launch({
    executablePath: wrapper,
    pipe: true,
    headless: true,
    args: ARGS,
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

// A web-test-runner plugin that gives tests participants in *another* browser process: a page
// of Debian's Chromium or Firefox ESR that opens the demo page (the CDN bundle) and joins a room.
// Tests drive it with `executeServerCommand('vr-participant', …)`.
import puppeteer from 'puppeteer';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  // Chromium throttles timers in pages it thinks are hidden; all of ours are.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
};

/** @param {{ serverUrl: string }} options */
export function participantsPlugin({ serverUrl }) {
  /** @type {Map<string, import('puppeteer').Browser>} */
  const browsers = new Map();
  /** @type {Map<string, import('puppeteer').Page>} */
  const pages = new Map();
  let next = 0;

  async function browserFor(kind) {
    if (!browsers.has(kind)) {
      const browser =
        kind === 'chromium-no-autoplay'
          ? // A real autoplay block: sound needs a click on the page first. Chromium lets a page
            // that is capturing play sound, so this one is refused the camera and joins
            // receive-only; otherwise the outcome would race the capture.
            await puppeteer.launch({
              executablePath: '/usr/bin/chromium',
              headless: true,
              args: [
                ...CHROMIUM_ARGS.filter((arg) => arg !== '--use-fake-ui-for-media-stream'),
                '--deny-permission-prompts',
                '--autoplay-policy=document-user-activation-required',
              ],
            })
          : kind === 'firefox'
          ? await puppeteer.launch({
              browser: 'firefox',
              executablePath: '/usr/bin/firefox-esr',
              headless: true,
              extraPrefsFirefox: FIREFOX_PREFS,
            })
          : await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
      browsers.set(kind, browser);
    }
    return browsers.get(kind);
  }

  const actions = {
    async join({ browser = 'chromium', room, name = 'Remote' }) {
      const page = await (await browserFor(browser)).newPage();
      // Record the element's vr-error codes from the start.
      await page.evaluateOnNewDocument(() => {
        window.__vrErrors = [];
        addEventListener('vr-error', (event) => window.__vrErrors.push(event.detail.code));
      });
      const handle = `p${next++}`;
      pages.set(handle, page);
      const query = new URLSearchParams({ room, name });
      await page.goto(`${serverUrl}/?${query}&autojoin`);
      return handle;
    },
    async frames({ handle }) {
      // Presented frames, counted as in test/browser/helpers.ts (Firefox reports 0 from
      // getVideoPlaybackQuality for MediaStream playback, so count requestVideoFrameCallback).
      return pages.get(handle).evaluate(() => {
        const counters = (window.__vrFrameCounters ??= new WeakMap());
        const el = document.querySelector('video-room');
        return [...el.shadowRoot.querySelectorAll('[part~="tile"]:not([part~="local"]) video')].map((video) => {
          let counter = counters.get(video);
          if (!counter) {
            counter = { frames: 0 };
            counters.set(video, counter);
            const tick = () => {
              counter.frames++;
              if (video.isConnected) video.requestVideoFrameCallback(tick);
            };
            video.requestVideoFrameCallback(tick);
          }
          return Math.max(video.getVideoPlaybackQuality().totalVideoFrames, counter.frames);
        });
      });
    },
    async state({ handle }) {
      return pages.get(handle).evaluate(() => {
        const el = document.querySelector('video-room');
        return { state: el.state, participants: el.participants.map((p) => p.name) };
      });
    },
    async soundBlocked({ handle }) {
      return pages.get(handle).evaluate(() =>
        [...document.querySelector('video-room').shadowRoot.querySelectorAll('button')].some((b) =>
          /enable sound/i.test(b.textContent),
        ),
      );
    },
    /** Clicks the sound button as a person would; resolves whether every remote audio plays. */
    async enableSound({ handle }) {
      const page = pages.get(handle);
      const target = await page.evaluateHandle(() =>
        [...document.querySelector('video-room').shadowRoot.querySelectorAll('button')].find((b) =>
          /enable sound/i.test(b.textContent),
        ),
      );
      await target.asElement().click();
      return page.waitForFunction(
        () => {
          const audios = [...document.querySelector('video-room').shadowRoot.querySelectorAll('audio')];
          return audios.length > 0 && audios.every((a) => !a.paused);
        },
        { timeout: 10_000 },
      ).then(() => true, () => false);
    },
    async errors({ handle }) {
      return pages.get(handle).evaluate(() => window.__vrErrors ?? []);
    },
    async close({ handle }) {
      await pages.get(handle)?.close();
      pages.delete(handle);
      return true;
    },
  };

  return {
    name: 'vr-participants',
    async executeCommand({ command, payload }) {
      if (command !== 'vr-participant') return undefined;
      const action = actions[payload?.action];
      if (!action) throw new Error(`unknown vr-participant action ${payload?.action}`);
      return action(payload);
    },
    async serverStop() {
      for (const browser of browsers.values()) await browser.close().catch(() => {});
    },
  };
}

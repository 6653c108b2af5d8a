// A web-test-runner plugin that gives tests participants in *another* browser process: a page
// of Debian's Chromium or Firefox ESR that opens the demo page (the CDN bundle) and joins a room.
// Tests drive it with `executeServerCommand('vr-participant', …)`.
import puppeteer from 'puppeteer';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  // Three fake cameras, so switching cameras can be tested. The second is a 16-bit depth
  // camera (Y16) whose frames WebRTC cannot encode; the third (MJPEG) sends like the first.
  '--use-fake-device-for-media-stream=device-count=3',
  '--use-fake-ui-for-media-stream',
  '--disable-background-networking',
  '--disable-component-update',
  // Chromium throttles timers in pages it thinks are hidden; all of ours are.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
  // gc() for the leak test's heap measurements.
  '--js-flags=--expose-gc',
];

export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.autoplay.default': 0,
  // Headless Firefox here has no sound backend: without the mock, Web Audio stays suspended
  // and no speakers are listed.
  'media.cubeb.force_mock_context': true,
  // The test TURN server (coturn) listens on 127.0.0.1, which Firefox's ICE skips by default.
  'media.peerconnection.ice.loopback': true,
};

/**
 * Runs in the page before its scripts, for diagnosis: times every synchronous call of the WebRTC
 * and Web Audio objects (many wait on the browser's WebRTC thread) and how late a 50 ms timer
 * runs. `window.__vrProbe()` reports the calls that took over 200 ms in all, and the lag.
 */
function mainThreadProbe() {
  const slow = new Map();
  const note = (name, ms) => {
    const e = slow.get(name) ?? { n: 0, ms: 0, max: 0 };
    e.n++;
    e.ms += ms;
    e.max = Math.max(e.max, ms);
    slow.set(name, e);
  };
  const classes = { pc: RTCPeerConnection, recv: RTCRtpReceiver, send: RTCRtpSender, tx: RTCRtpTransceiver, dc: RTCDataChannel, ctx: AudioContext };
  for (const [name, cls] of Object.entries(classes))
    for (const key of Object.getOwnPropertyNames(cls.prototype)) {
      const d = Object.getOwnPropertyDescriptor(cls.prototype, key);
      if (key === 'constructor' || !d.configurable) continue;
      const wrap = (f) =>
        function (...args) {
          const t = performance.now();
          try {
            return f.apply(this, args);
          } finally {
            note(`${name}.${key}`, performance.now() - t);
          }
        };
      if (typeof d.value === 'function') Object.defineProperty(cls.prototype, key, { ...d, value: wrap(d.value) });
      else if (d.get) Object.defineProperty(cls.prototype, key, { ...d, get: wrap(d.get) });
    }
  let lag = { max: 0, sum: 0 };
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - 50;
    if (late > 0) lag.sum += late;
    lag.max = Math.max(lag.max, late);
    last = now;
  }, 50);
  window.__vrProbe = () => {
    const calls = [...slow].filter(([, e]) => e.ms > 200).sort((a, b) => b[1].ms - a[1].ms);
    const text = `lag max ${Math.round(lag.max)} sum ${Math.round(lag.sum)}; ${calls.map(([k, e]) => `${k} n=${e.n} ms=${Math.round(e.ms)} max=${Math.round(e.max)}`).join('; ')}`;
    slow.clear();
    lag = { max: 0, sum: 0 };
    return text;
  };
}

/** What `evaluation` gives, or a note that the page did not answer within `ms` (a page stuck in a long task). */
const answerWithin = (ms, evaluation) =>
  Promise.race([evaluation, new Promise((resolve) => setTimeout(() => resolve(`(no answer within ${ms} ms)`), ms))]);

/** CHROMIUM_ARGS refusing camera and microphone permission (getUserMedia: NotAllowedError). */
const CHROMIUM_DENIED_ARGS = [...CHROMIUM_ARGS.filter((arg) => arg !== '--use-fake-ui-for-media-stream'), '--deny-permission-prompts'];

/**
 * Runs in the page: frames presented by each video matching `selector` in the element's shadow
 * root, counted as in test/browser/helpers.ts (Firefox reports 0 from getVideoPlaybackQuality
 * for MediaStream playback, so requestVideoFrameCallback ticks are counted too).
 * @param {string} selector
 */
function presentedFramesIn(selector) {
  const counters = (window.__vrFrameCounters ??= new WeakMap());
  const el = document.querySelector('video-room');
  return [...el.shadowRoot.querySelectorAll(selector)].map((video) => {
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
}

/** @param {{ serverUrl: string }} options */
export function participantsPlugin({ serverUrl }) {
  /** Launched (or launching) browsers, by kind. @type {Map<string, Promise<import('puppeteer').Browser>>} */
  const browsers = new Map();
  /** @type {Map<string, import('puppeteer').Page>} */
  const pages = new Map();
  /** @type {WeakMap<import('puppeteer').Page, string[]>} */
  const pageErrorsOf = new WeakMap();
  let next = 0;

  /** @type {Record<string, () => Promise<import('puppeteer').Browser>>} */
  const launchers = {
    chromium: () => puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
    // A real autoplay block: sound needs a click on the page first. Chromium lets a page that is
    // capturing play sound, so this one is refused the camera and joins receive-only;
    // otherwise the outcome would race the capture.
    'chromium-no-autoplay': () =>
      puppeteer.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [...CHROMIUM_DENIED_ARGS, '--autoplay-policy=document-user-activation-required'],
      }),
    // Refuses camera and microphone permission: getUserMedia rejects with NotAllowedError.
    'chromium-denied': () => puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_DENIED_ARGS }),
    // No capture devices at all (no fake ones, and headless Chromium sees no real ones):
    // getUserMedia rejects with NotFoundError, for audio and video alike.
    'chromium-no-devices': () =>
      puppeteer.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: CHROMIUM_ARGS.filter((arg) => !arg.startsWith('--use-fake-device-for-media-stream')),
      }),
    firefox: () =>
      puppeteer.launch({ browser: 'firefox', executablePath: '/usr/bin/firefox-esr', headless: true, extraPrefsFirefox: FIREFOX_PREFS }),
    // A microphone but no camera: no fake streams, but the mock sound backend's audio inputs.
    'firefox-no-camera': () =>
      puppeteer.launch({
        browser: 'firefox',
        executablePath: '/usr/bin/firefox-esr',
        headless: true,
        extraPrefsFirefox: { ...FIREFOX_PREFS, 'media.navigator.streams.fake': false },
      }),
    // No fake streams and no mock sound backend: getUserMedia rejects with NotFoundError for
    // audio and video alike. (With the mock sound backend kept, Firefox lists its three mock
    // audio inputs and an audio-only capture succeeds.)
    'firefox-no-devices': () =>
      puppeteer.launch({
        browser: 'firefox',
        executablePath: '/usr/bin/firefox-esr',
        headless: true,
        extraPrefsFirefox: { ...FIREFOX_PREFS, 'media.navigator.streams.fake': false, 'media.cubeb.force_mock_context': false },
      }),
  };

  /**
   * The browser of `kind`, launched once; a launch still under way is shared, not repeated.
   * `kind#name` is a browser of `kind` of its own (e.g. `chromium#victim`, to be crashed alone).
   */
  function browserFor(kind) {
    if (!browsers.has(kind)) {
      const launch = launchers[kind.split('#')[0]];
      if (!launch) return Promise.reject(new Error(`unknown participant browser ${kind}`));
      const launching = launch();
      // A failed launch may be tried again.
      launching.catch(() => browsers.delete(kind));
      browsers.set(kind, launching);
    }
    return browsers.get(kind);
  }

  /** The page of a participant handle. */
  function pageOf(handle) {
    const page = pages.get(handle);
    if (!page) throw new Error(`no participant ${handle}`);
    return page;
  }

  const actions = {
    /** Prints `text` now (the runner prints a page's own console only once its file is done). */
    log({ text }) {
      process.stderr.write(`${text}\n`);
      return true;
    },
    /**
     * Starts the browser of `browser` without opening a page. A test can call this (again) first
     * where a launch may take longer than a command may (20 s on a loaded machine).
     */
    async launch({ browser = 'chromium' }) {
      await browserFor(browser);
      return true;
    },
    /**
     * Opens the demo page and joins `room`. Optional: `server`, another PeerServer URL (the
     * page's `server` query parameter); `hash`, the page URL's fragment (e.g. `vr-secret=…`),
     * which the element reads itself and which never reaches a server; `page`, another demo
     * page than `/` (e.g. `/classic.html`).
     */
    async join({ browser = 'chromium', room, name = 'Remote', server, hash, page: path = '/', probe = false }) {
      const page = await (await browserFor(browser)).newPage();
      if (probe) await page.evaluateOnNewDocument(mainThreadProbe);
      // Uncaught exceptions of the page, for `pageErrors`.
      const pageErrors = [];
      pageErrorsOf.set(page, pageErrors);
      page.on('pageerror', (error) => pageErrors.push(String(error?.message ?? error)));
      // Record the element's vr-error codes from the start.
      await page.evaluateOnNewDocument(() => {
        window.__vrErrors = [];
        addEventListener('vr-error', (event) => window.__vrErrors.push(event.detail.code));
        // Who left the call and why, with the time (this machine's clock, as the test's).
        window.__vrDepartures = [];
        addEventListener('vr-peer-left', (event) =>
          window.__vrDepartures.push({ name: event.detail.participant.name, reason: event.detail.reason, at: Date.now() }),
        );
        // A Content-Security-Policy violation counts as an error too (the strict-CSP demo).
        addEventListener('securitypolicyviolation', (event) => window.__vrErrors.push(`csp:${event.effectiveDirective} ${event.blockedURI}`));
      });
      const handle = `p${next++}`;
      pages.set(handle, page);
      const query = new URLSearchParams({ room, name });
      if (server) query.set('server', server);
      const fragment = hash ? `#${String(hash).replace(/^#/, '')}` : '';
      await page.goto(`${serverUrl}${path}?${query}&autojoin${fragment}`);
      return handle;
    },
    /** Frames presented by each remote camera tile's video, in tile order. */
    async frames({ handle }) {
      return pageOf(handle).evaluate(presentedFramesIn, '[part~="tile"]:not([part~="local"]):not([part~="screen"]) video');
    },
    /** Frames presented by each remote screen tile's video, in tile order. */
    async screenFrames({ handle }) {
      return pageOf(handle).evaluate(presentedFramesIn, '[part~="tile"][part~="screen"]:not([part~="local"]) video');
    },
    /** How many of the element's local tracks are live (0 when it joined receive-only). */
    async localTracks({ handle }) {
      return pageOf(handle).evaluate(
        () => (document.querySelector('video-room').localStream?.getTracks() ?? []).filter((t) => t.readyState === 'live').length,
      );
    },
    /** How many of the element's RTCPeerConnections are not closed (test-only access to the core). */
    async peerConnections({ handle }) {
      return pageOf(handle).evaluate(
        () =>
          (document.querySelector('video-room').roomCtl?.room?.peerConnections ?? []).filter((pc) => pc.connectionState !== 'closed')
            .length,
      );
    },
    /**
     * The DTLS fingerprints of each of the element's peer connections, from its local and
     * remote descriptions (`a=fingerprint:sha-256 …`; null where there is none yet).
     */
    async fingerprints({ handle }) {
      return pageOf(handle).evaluate(() => {
        const fingerprint = (description) => /^a=fingerprint:sha-256 (\S+)/im.exec(description?.sdp ?? '')?.[1]?.toUpperCase() ?? null;
        return (document.querySelector('video-room').roomCtl?.room?.peerConnections ?? []).map((pc) => ({
          local: fingerprint(pc.localDescription),
          remote: fingerprint(pc.remoteDescription),
        }));
      });
    },
    /** Audio samples received from all peers (getStats inbound-rtp audio `totalSamplesReceived`). */
    async audioSamples({ handle }) {
      return pageOf(handle).evaluate(async () => {
        let total = 0;
        for (const pc of document.querySelector('video-room').roomCtl?.room?.peerConnections ?? [])
          (await pc.getStats()).forEach((report) => {
            if (report.type === 'inbound-rtp' && report.kind === 'audio') total += report.totalSamplesReceived ?? 0;
          });
        return total;
      });
    },
    /** Starts sharing the screen; resolves what `shareScreen()` resolved. */
    async share({ handle }) {
      return pageOf(handle).evaluate(() => document.querySelector('video-room').shareScreen());
    },
    async stopShare({ handle }) {
      await pageOf(handle).evaluate(() => document.querySelector('video-room').stopScreenShare());
      return true;
    },
    /** Sends a chat message from the element (`sendMessage(text)`); resolves what it returned. */
    async chat({ handle, text }) {
      return pageOf(handle).evaluate((t) => document.querySelector('video-room').sendMessage(t), String(text));
    },
    /** The short code shown for each remote participant (null until known). */
    async codes({ handle }) {
      return pageOf(handle).evaluate(() => document.querySelector('video-room').participants.map((p) => p.verificationCode));
    },
    async state({ handle }) {
      return pages.get(handle).evaluate(() => {
        const el = document.querySelector('video-room');
        return { state: el.state, participants: el.participants.map((p) => p.name) };
      });
    },
    async soundBlocked({ handle }) {
      // Not page.evaluate: Puppeteer runs that as a user gesture, which would lift the very
      // autoplay block this checks if it came before the page's first play(). (Chromium pages.)
      const session = await pages.get(handle).createCDPSession();
      try {
        const { result } = await session.send('Runtime.evaluate', {
          expression: `[...document.querySelector('video-room').shadowRoot.querySelectorAll('button')].some((b) => /enable sound/i.test(b.textContent))`,
          returnByValue: true,
          userGesture: false,
        });
        return result.value === true;
      } finally {
        await session.detach().catch(() => {});
      }
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
    /** Every `vr-peer-left` the participant's element fired: `{ name, reason, at }` (`at`: Date.now()). */
    async departures({ handle }) {
      return pageOf(handle).evaluate(() => window.__vrDepartures ?? []);
    },
    /**
     * The page's view of the mesh, for a failure's message: its id (`*`: the rendezvous holder),
     * links (`>` dialed, `<` answered; ICE state; progress), connections under way, dials, backoffs,
     * departed ids. Reads the room's internals, as test/browser/mesh-report.ts does.
     */
    async mesh({ handle }) {
      return answerWithin(8_000, pageOf(handle).evaluate(() => {
        const room = document.querySelector('video-room')?.roomCtl?.room;
        if (!room) return 'no room';
        const short = (id) => id.slice(3, 8);
        const link = (l) => `${short(l.remoteId ?? l.conn.peer)}${l.outgoing ? '>' : '<'}${l.open ? '' : '(shut)'}:${l.pc?.iceConnectionState ?? 'nopc'}/${l.progress}`;
        const { mesh } = room;
        return `${short(room.id)}${room.isRendezvous ? '*' : ''}: links [${[...mesh.links.values()].map(link)}] pending [${[...mesh.pending].map(link)}] dialing [${[...mesh.dialing].map(short)}] backoff [${[...mesh.dialBackoff].map(([id, b]) => `${short(id)}x${b.failures}`)}] departed [${[...mesh.departed].map(short)}]`;
      }));
    },
    /** With `probe` at join: what blocked the page's main thread so far (see mainThreadProbe). */
    async probe({ handle }) {
      return answerWithin(8_000, pageOf(handle).evaluate(() => window.__vrProbe?.()));
    },
    async errors({ handle }) {
      return pages.get(handle).evaluate(() => window.__vrErrors ?? []);
    },
    /** Every <video-room> on the participant's page: its configuration and whether it drew its pre-join panel. */
    async elements({ handle }) {
      return pageOf(handle).evaluate(() =>
        [...document.querySelectorAll('video-room')].map((el) => ({
          room: el.room,
          state: el.state,
          maxParticipants: el.maxParticipants,
          videoQuality: el.videoQuality,
          audioMuted: el.audioMuted,
          videoMuted: el.videoMuted,
          upgraded: customElements.get('video-room') !== undefined && el instanceof customElements.get('video-room'),
          joinButton: !!el.shadowRoot?.querySelector('[part~="join-button"]'),
          joinText: el.shadowRoot?.querySelector('[part~="join-button"]')?.textContent?.trim() ?? null,
          background: getComputedStyle(el).backgroundColor,
          emptyText: el.shadowRoot?.querySelector('[part~="empty"]')?.textContent?.trim() ?? null,
        })),
      );
    },
    /**
     * The rendered text (`innerText`) of the first element matching `selector` on the
     * participant's page, outside any shadow root (default: the whole body); null if none matches.
     */
    async text({ handle, selector = 'body' }) {
      return pageOf(handle).evaluate((s) => document.querySelector(s)?.innerText ?? null, selector);
    },
    /** Uncaught exceptions on the participant's page. */
    async pageErrors({ handle }) {
      return pageErrorsOf.get(pageOf(handle)) ?? [];
    },
    /**
     * Freezes the participant's page: its main thread runs a busy loop for `ms`, starting just
     * after this command returns (so the command itself is not stuck). Its browser's network
     * threads go on (ICE consent, SCTP acknowledgements), but no timer, heartbeat or message
     * handler of the page runs: a page too busy to live, not a dead one. Resolves when the
     * freeze will end, on the clock `departures` uses.
     */
    async stall({ handle, ms }) {
      return pageOf(handle).evaluate((ms) => {
        const until = Date.now() + 50 + ms;
        setTimeout(() => {
          while (Date.now() < until);
        }, 50);
        return until;
      }, Number(ms));
    },
    /**
     * Kills the participant's whole browser process (SIGKILL): a crash, with no goodbye. Every
     * page of that browser goes with it; the next join of that kind launches a new one.
     */
    async crash({ handle }) {
      const browser = pageOf(handle).browser();
      for (const [kind, launching] of browsers) if ((await launching.catch(() => null)) === browser) browsers.delete(kind);
      for (const [other, page] of pages) if (page.browser() === browser) pages.delete(other);
      // The whole process group (Puppeteer starts the browser detached, as a group leader): a
      // content or socket process that outlived its parent could still close its connections
      // politely, which a crash does not.
      const pid = browser.process()?.pid;
      if (pid) process.kill(-pid, 'SIGKILL');
      // When it died, on the clock `departures` uses.
      return Date.now();
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
      for (const browser of browsers.values()) await browser.then((b) => b.close()).catch(() => {});
    },
  };
}

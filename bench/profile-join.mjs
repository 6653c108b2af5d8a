// `node bench/profile-join.mjs [n] [runs]`: where a join's time goes, for the element and raw
// PeerJS side by side. Not part of `npm run bench`: a profiling aid for bench/NOTES.md. Each
// page records, from its navigation start, when getUserMedia started and settled, when each
// WebSocket opened, each RTCPeerConnection was made and connected, each data channel opened, the
// first remote track arrived, the element's events fired, and the first remote frame showed.
// PROFILE_DC=1 also marks hellos and rosters on the data channels; PROFILE_DUMP=1 prints every
// page's marks of the last run; PROFILE_CPU=1 prints, per page of the last run, where its main
// thread went until it joined (a sampling CPU profile); PROFILE_EXTRA='<script>' runs that script
// in every page before its own (a probe: a switch the code under test reads, say).
import { median, launchChromium, num, startApp, startRawServer, withDeadline } from './lib/harness.mjs';
import { KINDS, LABEL, startCall } from './lib/call.mjs';

const N = Number(process.argv[2] ?? 2);
const RUNS = Number(process.argv[3] ?? 5);
const DC = !!process.env.PROFILE_DC;
/** PROFILE_CPU=1: a CPU profile of every page of the last run, from before it loads until it joined: where each page's main thread went. */
const CPU = !!process.env.PROFILE_CPU;

/** Starts a sampling profiler on each page (main thread), before navigation. */
async function startProfiles(pages) {
  return Promise.all(
    pages.map(async (page) => {
      const session = await page.createCDPSession();
      await session.send('Profiler.enable');
      await session.send('Profiler.setSamplingInterval', { interval: 500 });
      await session.send('Profiler.start');
      return session;
    }),
  );
}

/** Stops the profiles (just after the pages joined); prints per page its busy time over the profile, beside when it joined (`untils`), and the scripts and functions that took most of it. */
async function printProfiles(label, sessions, untils) {
  for (const [i, session] of sessions.entries()) {
    const { profile } = await session.send('Profiler.stop');
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const self = new Map();
    const byUrl = new Map();
    let busy = 0;
    for (const [k, id] of profile.samples.entries()) {
      const dt = profile.timeDeltas[k] / 1000;
      const node = byId.get(id);
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') continue;
      busy += dt;
      const file = url ? url.split('/').pop().split('?')[0] : functionName;
      const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      byUrl.set(file, (byUrl.get(file) ?? 0) + dt);
    }
    const top = (map, k) => [...map].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, ms]) => `${num(ms).padStart(6)} ms  ${name}`);
    console.log(`\n${label} page ${i}: main thread busy ${num(busy)} ms in ${num((profile.endTime - profile.startTime) / 1000)} ms of profile (joined at ${num(untils[i])} ms)`);
    console.log('  by script:\n    ' + top(byUrl, 8).join('\n    '));
    console.log('  by function (self):\n    ' + top(self, 15).join('\n    '));
  }
}

function timeline(dc) {
  const marks = (window.__marks = []);
  const mark = (name) => marks.push([name, performance.now()]);
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (c) => {
    mark('gUM start');
    return gum(c).then((s) => (mark('gUM done'), s));
  };
  const NativeWS = window.WebSocket;
  window.WebSocket = class extends NativeWS {
    constructor(...a) {
      super(...a);
      const n = (window.__sockets = (window.__sockets ?? 0) + 1);
      mark(`ws${n} new`);
      this.addEventListener('message', (e) => /ID-TAKEN|"OPEN"/.test(String(e.data)) && mark(`ws${n} ${String(e.data).includes('OPEN') ? 'OPEN' : 'ID-TAKEN'}`));
      this.addEventListener('open', () => mark(`ws${n} open`));
    }
  };
  const NativePC = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends NativePC {
    constructor(...a) {
      super(...a);
      mark('pc new');
      this.addEventListener('connectionstatechange', () => this.connectionState === 'connected' && mark('pc connected'));
      this.addEventListener('datachannel', (e) => e.channel.addEventListener('open', () => mark('dc open (in)')));
      this.addEventListener('track', () => mark('track'));
      const create = this.createDataChannel.bind(this);
      this.createDataChannel = (...args) => {
        const channel = create(...args);
        channel.addEventListener('open', () => mark('dc open (out)'));
        return channel;
      };
      for (const method of ['setLocalDescription', 'setRemoteDescription']) {
        const native = this[method].bind(this);
        this[method] = (...args) => {
          mark(`${method === 'setLocalDescription' ? 'setLocal' : 'setRemote'} ${args[0]?.type ?? '(implicit)'}`);
          return native(...args);
        };
      }
    }
  };
  for (const type of ['vr-state-change', 'vr-peer-joined', 'vr-peer-verified', 'vr-joined'])
    document.addEventListener(type, (e) => mark(type === 'vr-state-change' ? `state ${e.detail.state}` : type), true);
  document.addEventListener('DOMContentLoaded', () => mark('DOMContentLoaded'));
  // Scripts as they arrive (the element's chunks, PeerJS).
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.initiatorType === 'script' || entry.initiatorType === 'other' || entry.name.endsWith('.js'))
        marks.push([`loaded ${entry.name.split('/').pop()}`, entry.responseEnd]);
  }).observe({ type: 'resource', buffered: true });
  // Main-thread tasks over 50 ms: what the page was busy with instead of joining.
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) marks.push([`busy ${Math.round(entry.duration)} ms`, entry.startTime]);
  }).observe({ type: 'longtask', buffered: true });
  customElements.whenDefined('video-room').then(() => mark('element defined'));
  // What stands between a link and its first frame: tracks put on, encodings capped, stats read.
  const sender = RTCRtpSender.prototype;
  for (const method of ['replaceTrack', 'setParameters']) {
    const native = sender[method];
    sender[method] = function (...args) {
      mark(`${method} ${method === 'replaceTrack' ? (args[0]?.kind ?? 'null') : this.track?.kind ?? ''}`);
      return native.apply(this, args);
    };
  }
  const stats = RTCPeerConnection.prototype.getStats;
  RTCPeerConnection.prototype.getStats = function (...args) {
    const at = performance.now();
    return stats.apply(this, args).then((report) => {
      const ms = performance.now() - at;
      if (ms > 100) marks.push([`getStats ${Math.round(ms)} ms`, at]);
      return report;
    });
  };
  // Hellos and rosters over the data channels, sent and received (PROFILE_DC=1).
  if (dc) {
    const label = (data) => (typeof data === 'string' ? /"t":"(hello|roster)"/.exec(data)?.[1] : null);
    const send = RTCDataChannel.prototype.send;
    RTCDataChannel.prototype.send = function (data) {
      const t = label(data);
      if (t) mark(`dc send ${t}`);
      return send.call(this, data);
    };
    // Each received message once, however many listeners the page has on its channel.
    const seen = new WeakSet();
    const got = (e) => {
      const t = seen.has(e) ? null : label(e.data);
      seen.add(e);
      if (t) mark(`dc got ${t}`);
    };
    const add = RTCDataChannel.prototype.addEventListener;
    RTCDataChannel.prototype.addEventListener = function (type, listener, ...rest) {
      if (type === 'message') add.call(this, 'message', got);
      return add.call(this, type, listener, ...rest);
    };
    const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
    Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
      set(fn) {
        onmessage.set.call(this, fn && ((e) => (got(e), fn.call(this, e))));
      },
      get() {
        return onmessage.get.call(this);
      },
    });
  }
  // Each remote video: when it got a stream, and when it first presented a frame.
  const videos = new Map();
  const poll = setInterval(() => {
    const root = document.querySelector('video-room')?.shadowRoot ?? document;
    const found = [...root.querySelectorAll('video')].filter((v) => !v.closest?.('[part~="local"]'));
    for (const video of found) {
      const entry = videos.get(video) ?? { n: videos.size + 1, source: null, framed: false };
      videos.set(video, entry);
      if (video.srcObject && video.srcObject !== entry.source) {
        entry.source = video.srcObject;
        entry.framed = false;
        mark(`video ${entry.n} stream`);
      }
      if (entry.source && !entry.framed && video.getVideoPlaybackQuality().totalVideoFrames > 0) {
        entry.framed = true;
        mark(`video ${entry.n} frame`);
      }
    }
    if (performance.now() > 60_000) clearInterval(poll);
  }, 20);
}

await withDeadline('profile-join', 5 * 60_000, async (ctx) => {
  const app = await startApp(ctx);
  const raw = await startRawServer(ctx);
  const browser = await launchChromium(ctx);
  const urls = { app: app.url, raw, peerPort: app.port };
  const all = { element: new Map(), raw: new Map() };
  for (let run = 0; run <= RUNS; run++) {
    for (const kind of KINDS) {
      let sessions = null;
      const beforeLoad = CPU && run === RUNS ? async (pages) => (sessions = await startProfiles(pages)) : null;
      const call = await startCall(browser, urls, { kind, n: N, timeoutMs: 30_000, setup: `(${timeline})(${DC});${process.env.PROFILE_EXTRA ?? ""}`, beforeLoad });
      if (!call.ok) {
        console.log(`${LABEL[kind]} run ${run}: FAILED ${call.reason}`);
        continue;
      }
      const pages = await Promise.all(call.pages.map((page) => page.evaluate(() => [window.__marks, window.__bench.joinedAt])));
      if (sessions) await printProfiles(LABEL[kind], sessions, pages.map(([, joinedAt]) => joinedAt));
      await call.close();
      if (run === 0) continue; // warm-up
      // PROFILE_DUMP=1: every mark of every page of the last run, in order.
      if (process.env.PROFILE_DUMP && run === RUNS)
        pages.forEach(([marks], i) => console.log(`${LABEL[kind]} page ${i}: ${marks.map(([name, t]) => `${num(t)} ${name}`).join(' | ')}`));
      // Per mark: the first time each page reached it; the run's value is the slowest page's.
      const firsts = pages.map(([marks, joinedAt]) => {
        const first = new Map();
        for (const [name, t] of marks) if (!first.has(name)) first.set(name, t);
        first.set('first remote frame (all)', joinedAt);
        return first;
      });
      for (const name of new Set(firsts.flatMap((f) => [...f.keys()]))) {
        const values = firsts.map((f) => f.get(name)).filter(Number.isFinite);
        if (!all[kind].has(name)) all[kind].set(name, []);
        all[kind].get(name).push(Math.max(...values));
      }
    }
  }
  for (const kind of KINDS) {
    console.log(`\n${LABEL[kind]}, ${N} participants, medians of ${RUNS} runs (slowest page, ms from navigation start):`);
    const rows = [...all[kind]].map(([name, values]) => [name, median(values)]).sort((a, b) => a[1] - b[1]);
    for (const [name, ms] of rows) console.log(`  ${num(ms).padStart(6)}  ${name}`);
  }
});
process.exit();

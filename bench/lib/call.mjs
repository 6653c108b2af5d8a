// One call of `n` participants, the element's (the demo page with the CDN bundle, autojoin) or
// raw PeerJS's (bench/raw/mesh.html), every participant a browser context of one Chromium, all
// pages loaded at once as in a real meeting. The probe (probe.mjs) measures each page.
import { randomBytes } from 'node:crypto';
import { cpuSeconds, openParticipants, sleep, treeTicks } from './harness.mjs';
import { probe } from './probe.mjs';

export const KINDS = /** @type {const} */ (['element', 'raw']);
export const LABEL = { element: '<video-room>', raw: 'raw PeerJS' };

/**
 * A page setup (run before the page's scripts; `evaluateOnNewDocument(cameraOnly, raw)`): the
 * element's page gets no microphone; with `raw`, raw PeerJS's page (which asks for none itself,
 * `audio=0`) gets the camera `video-quality="low"` asks for.
 */
export function cameraOnly(raw) {
  const devices = navigator.mediaDevices;
  const getUserMedia = devices.getUserMedia.bind(devices);
  devices.getUserMedia = (constraints) => getUserMedia(raw ? { ...constraints, video: { width: 320, height: 180, frameRate: 15 } } : { ...constraints, audio: false });
}

/**
 * The page of participant `i` of a call. `secret` (element only) goes in the URL fragment;
 * `attributes` (element only) are the element's, in the demo page's query. Without `audio`, raw
 * PeerJS asks for no microphone (the element is given none by a setup of the caller's).
 */
function pageUrl(urls, kind, tag, i, secret, attributes, audio) {
  if (kind === 'raw') return `${urls.raw}/mesh.html?${new URLSearchParams({ port: String(urls.peerPort), run: tag, i: String(i), ...(audio ? {} : { audio: '0' }) })}`;
  const query = `${urls.app}/?${new URLSearchParams({ room: `bench-${tag}`, name: `P${i}`, ...attributes })}&autojoin`;
  return secret ? `${query}#vr-secret=${secret}` : query;
}

/**
 * Starts a call and waits until every participant shows every other's video. Resolves
 * `{ ok: true, joinMs, pages, close }` (joinMs: the slowest participant, from its navigation
 * start) or `{ ok: false, reason }`; never throws.
 */
export async function startCall(browser, urls, { kind, n, timeoutMs, secret = null, setup = null, setupArg = undefined, beforeLoad = null, attributes = {}, audio = true }) {
  const tag = randomBytes(4).toString('hex');
  let call;
  try {
    call = await openParticipants(browser, n, probe, { kind, expected: n - 1, script: null });
    // A profiler's own instrumentation, before the pages' scripts too.
    // (A string takes no argument: puppeteer refuses one.)
    if (setup) await Promise.all(call.pages.map((page) => (typeof setup === 'string' ? page.evaluateOnNewDocument(setup) : page.evaluateOnNewDocument(setup, setupArg))));
    // A profiler's own hook on the pages before they load (CPU profiles).
    if (beforeLoad) await beforeLoad(call.pages, kind);
  } catch (error) {
    return { ok: false, reason: String(error?.message ?? error).split('\n')[0] };
  }
  const fail = async (reason) => {
    await call.close();
    return { ok: false, reason };
  };
  try {
    const deadline = Date.now() + timeoutMs;
    await Promise.all(call.pages.map((page, i) => page.goto(pageUrl(urls, kind, tag, i, secret, attributes, audio), { timeout: timeoutMs })));
    try {
      await Promise.all(
        call.pages.map((page) =>
          page.waitForFunction(() => window.__bench?.joinedAt != null, { polling: 50, timeout: Math.max(1, deadline - Date.now()) }),
        ),
      );
    } catch {
      return fail(`not joined after ${Math.round(timeoutMs / 1000)} s: ${await diagnose(call.pages, kind)}`);
    }
    const results = await Promise.all(call.pages.map((page) => page.evaluate(() => window.__bench.joinedAt)));
    return { ok: true, joinMs: Math.max(...results), pages: call.pages, close: call.close };
  } catch (error) {
    return fail(String(error?.message ?? error).split('\n')[0]);
  }
}

/**
 * Measures a running call for `seconds`: browser CPU seconds per participant per minute, and per
 * participant the upstream and downstream bitrate (kbit/s, RTP bytes from getStats) and the
 * video frames decoded per second per remote participant; `minFps`, the slowest remote video of
 * any page (each page's n-1 busiest inbound video streams: an SFU page's mesh links carry none).
 * `serverPid`: a media server's process, whose CPU is given apart (per participant per minute).
 */
export async function measureCall(browser, pages, seconds, serverPid = null) {
  const pid = browser.process().pid;
  const sample = () => Promise.all(pages.map((page) => page.evaluate(() => window.__benchStats())));
  const serverTicks = async () => (serverPid ? (await treeTicks(serverPid)) : null);
  const [cpu0, server0, stats0] = [await treeTicks(pid), await serverTicks(), await sample()];
  await sleep(seconds * 1000);
  const [cpu1, server1, stats1] = [await treeTicks(pid), await serverTicks(), await sample()];
  const n = pages.length;
  const elapsed = stats1.map((s, i) => (s.at - stats0[i].at) / 1000);
  const per = (key) => stats1.map((s, i) => (s[key] - stats0[i][key]) / elapsed[i]);
  const avg = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  const wall = avg(elapsed);
  const streamFps = stats1.map((s, i) =>
    Object.entries(s.streams)
      .map(([id, frames]) => (frames - (stats0[i].streams[id] ?? 0)) / elapsed[i])
      .sort((a, b) => b - a)
      .slice(0, n - 1),
  );
  return {
    cpuPerParticipantMin: (cpuSeconds(cpu0, cpu1).all / n / wall) * 60,
    serverCpuPerParticipantMin: server0 && server1 ? (cpuSeconds(server0, server1).all / n / wall) * 60 : NaN,
    minFps: Math.min(...streamFps.map((fps) => (fps.length < n - 1 ? 0 : Math.min(...fps)))),
    upKbps: avg(per('sent')) * 8 / 1000,
    downKbps: avg(per('received')) * 8 / 1000,
    fpsPerRemote: avg(per('decoded')) / Math.max(1, n - 1),
    width: Math.max(...stats1.map((s) => s.width)),
    height: Math.max(...stats1.map((s) => s.height)),
  };
}

/** What each page of a stuck call got as far as, for the report. */
async function diagnose(pages, kind) {
  const states = await Promise.all(
    pages.map((page) =>
      page
        .evaluate((kind) => {
          const bench = window.__bench ?? {};
          const frames = `${bench.decoded}/${bench.expected} remote videos with frames of ${bench.remoteVideos}`;
          if (kind === 'element') {
            const el = document.querySelector('video-room');
            const room = el?.roomCtl?.room;
            const short = (id) => id.slice(-6);
            const mesh = room?.mesh;
            const peer = room?.session?.peer;
            const pcState = (pc) => (pc ? `${pc.signalingState}/${pc.iceConnectionState}/${pc.sctp?.transport.state ?? '-'}` : 'no pc');
            const internals = mesh
              ? ` [me ${short(room.id)}; linked ${[...mesh.links.keys()].map(short).join(' ')}; dialing ${[...mesh.dialing].map(short).join(' ')}; ` +
                `backoff ${[...mesh.dialBackoff].map(([id, b]) => `${short(id)}×${b.failures}`).join(' ')}; departed ${[...mesh.departed].map(short).join(' ')}; ` +
                `pending ${[...mesh.pending].map((l) => `${short(l.conn.peer)}${l.outgoing ? '>' : '<'}p${l.progress}(${pcState(l.pc)}, dc ${l.conn.dataChannel?.readyState ?? '-'})`).join(' ')}; ` +
                `broker ${peer ? (peer.open ? 'open' : peer.disconnected ? 'disconnected' : 'opening') : 'none'}]`
              : '';
            return `${el?.state}, ${el?.participants?.length ?? 0} participants, ${frames}${internals}${bench.events?.length ? `; events: ${bench.events.join(' / ')}` : ''}`;
          }
          const errors = window.__rawMesh?.errors ?? [];
          return `${frames}${errors.length ? `, errors: ${errors.join('; ')}` : ''}`;
        }, kind)
        .catch((error) => `unreadable (${error.message})`),
    ),
  );
  return states.map((state, i) => `P${i}: ${state}`).join(' | ');
}

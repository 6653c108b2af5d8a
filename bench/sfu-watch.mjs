// A profiling aid, not a benchmark: watches one call of the element through the SFU, page by page,
// every 2 s, as `npm run bench` runs it (each participant a browser context of one Chromium, Janus
// in a network namespace of its own behind the server's proxy), then prints each page's SFU
// connections' video stats and Janus's warnings. Needs root and `janus`, and a build.
//
//   N=6 T=5 AFTER=40 node bench/sfu-watch.mjs
//
// N participants (6); T the sfu-threshold (always); Q a video-quality; NOAUDIO=1 for no
// microphones; AFTER seconds to go on watching once every page shows every other's video.
// Each page prints as <roster size><route: m/s, u = the SFU's part not loaded><path: P published,
// p not yet, _ none><SFU connections' states, first letters>:<each remote tile: m mesh, s SFU>.
// Page errors, console errors and console lines starting with `vr-` are printed as they come
// (add some while looking).
import { launchChromium, sleep, withDeadline } from './lib/harness.mjs';
import { cameraOnly, startCall } from './lib/call.mjs';
import { startServer } from '../server/app.mjs';
import { startTestJanus } from '../test/plugins/janus.mjs';

const N = Number(process.env.N ?? 6);
const AFTER_S = Number(process.env.AFTER ?? 0);


/** One page's line (see above). */
function pageState() {
  const el = document.querySelector('video-room');
  const sfu = el?.roomCtl?.room?.sfu?.sfu;
  const path = sfu?.path;
  const sfuTracks = new Set((path?.peerConnections ?? []).flatMap((pc) => pc.getReceivers().map((r) => r.track)));
  const tiles = [...(el?.shadowRoot?.querySelectorAll('[part~="tile"]:not([part~="local"]) video') ?? [])].map((video) => {
    const track = video.srcObject?.getVideoTracks()[0];
    return !track ? '-' : sfuTracks.has(track) ? 's' : 'm';
  });
  const pcs = (path?.peerConnections ?? []).map((pc) => pc.connectionState[0]).join('');
  return `${el?.participants?.length ?? 0}${sfu ? sfu.route.way[0] : 'u'}${path ? (path.published ? 'P' : 'p') : '_'}${pcs}:${tiles.join('')}`;
}

/** One page's SFU connections: each video stream's counters. */
async function pageStats() {
  const path = document.querySelector('video-room')?.roomCtl?.room?.sfu?.sfu?.path;
  if (!path) return 'no SFU path';
  const lines = [];
  for (const [i, pc] of path.peerConnections.entries()) {
    // Its signalling state, and each sender's track (kind, state, enabled).
    const senders = pc.getSenders().map((s) => (s.track ? `${s.track.kind}:${s.track.readyState}${s.track.enabled ? '' : '(disabled)'}` : 'none'));
    lines.push(`  pc${i} ${pc.signalingState}/${pc.connectionState}, senders ${senders.join(' ') || '-'}`);
    const stats = await pc.getStats();
    // ICE: each candidate pair, local → remote, its state and checks answered.
    const cand = (id) => { const c = stats.get(id); return c ? `${c.candidateType}:${c.address}:${c.port}` : '?'; };
    const pairs = [...stats.values()].filter((r) => r.type === 'candidate-pair').map((r) => `${cand(r.localCandidateId)}→${cand(r.remoteCandidateId)} ${r.state}${r.nominated ? '*' : ''} ${r.responsesReceived}/${r.requestsSent} in ${r.requestsReceived}`);
    if (pc.connectionState !== 'connected') lines.push(`  pc${i} ice ${pc.iceConnectionState}/${pc.iceGatheringState}: ${pairs.join('; ') || 'no pairs'}`);
    stats.forEach((r) => {
      if (r.type === 'outbound-rtp' && r.kind === 'video') lines.push(`  pc${i} up ${r.rid}: encoded ${r.framesEncoded}${r.active === false ? ' (inactive)' : ''} ${r.frameWidth ?? '-'}×${r.frameHeight ?? '-'} limited by ${r.qualityLimitationReason}, packets ${r.packetsSent}`);
      if (r.type === 'inbound-rtp' && r.kind === 'video') lines.push(`  pc${i} down ${r.trackIdentifier}: decoded ${r.framesDecoded} of ${r.framesReceived}, packets ${r.packetsReceived}, key frames ${r.keyFramesDecoded}`);
    });
  }
  // The subscriber's m-lines as Janus last described them, and each transceiver's direction.
  const sub = path.subscriber;
  if (sub) {
    lines.push(`  subscriber handle ${sub.handle?.id}`);
    lines.push(`  subscriber m-lines: ${JSON.stringify([...sub.streams].map(([mid, s]) => `${mid}=${s.feed.slice(0, 6)}/${s.feedMid}${s.active ? '' : '(inactive)'}`))}`);
    lines.push(`  subscriber transceivers: ${JSON.stringify((sub.pc?.getTransceivers() ?? []).map((t) => `${t.mid}:${t.currentDirection}`))}`);
  }
  return lines.join('\n');
}

await withDeadline('sfu-watch', 300_000, async (ctx) => {
  const started = await startTestJanus();
  if (!started.janus) throw new Error(`no Janus: ${started.reason}`);
  const { janus } = started;
  ctx.onCleanup(() => janus.close());
  const app = await startServer({ port: 0, host: '127.0.0.1', media: { janus: janus.url } });
  ctx.onCleanup(app.close);
  const browser = await launchChromium(ctx);
  const t0 = Date.now();
  const since = () => ((Date.now() - t0) / 1000).toFixed(1);
  browser.on('targetcreated', async (target) => {
    const page = await target.page();
    const name = () => /name=(P[0-9]+)/.exec(page.url())?.[1] ?? '?';
    page?.on('console', (message) => {
      if (message.text().startsWith('vr-') || message.type() === 'error') console.log(`${since()} ${name()} ${message.type()}: ${message.text()}`);
    });
    page?.on('pageerror', (error) => console.log(`${since()} ${name()} uncaught: ${error.message}`));
  });
  const attributes = { 'sfu-threshold': process.env.T ?? 'always', 'max-participants': String(Math.max(8, N)), ...(process.env.Q ? { 'video-quality': process.env.Q } : {}) };
  const calling = startCall(browser, { app: app.url, raw: '', peerPort: app.port }, { kind: 'element', n: N, timeoutMs: 120_000, attributes, setup: process.env.NOAUDIO ? cameraOnly : null });
  let watching = true;
  calling.then((call) => {
    console.log(`${since()} every page shows every other's video: ${call.ok ? `${Math.round(call.joinMs)} ms after its load` : call.reason}`);
    setTimeout(() => (watching = false), AFTER_S * 1000);
  });
  const pages = async () => (await browser.pages()).filter((page) => page.url().includes('room='));
  while (watching) {
    await sleep(2000);
    const states = await Promise.all((await pages()).map((page) => page.evaluate(pageState).catch(() => 'x')));
    console.log(`${since()} ${states.join(' ')}`);
  }
  for (const [i, page] of (await pages()).entries()) console.log(`page ${i}:\n${await page.evaluate(pageStats).catch((error) => String(error))}`);
  // JLOG=1: every line Janus logged (kept), not only its warnings.
  console.log(janus.log(3000).filter((line) => process.env.JLOG || /ERR|WARN/.test(line)).slice(process.env.JLOG ? -3000 : -30).join('\n'));
  const call = await calling;
  if (call.ok) await call.close();
});
process.exit();

// Injected into every benchmark page before its own scripts (serialized, so self-contained).
// It measures the page from inside, relative to the page's own navigation start:
//
// - join: `window.__bench.joinedAt` once `expected` remote videos have presented a frame (from a
//   video's first requestVideoFrameCallback tick, or the first 10 ms poll that sees
//   getVideoPlaybackQuality().totalVideoFrames > 0; a video whose srcObject is replaced starts
//   over: what counts is the stream it ends up showing);
// - the pre-join panel: `window.__bench.drawnAt`, the first animation frame with the Join button
//   in the page, and `scriptAt`, when the page's main script (`script`) finished downloading;
// - media: every RTCPeerConnection the page makes is kept, and `window.__benchStats()` sums their
//   RTP counters (bytes sent and received, frames encoded and decoded) and gives each inbound
//   video stream's frames decoded (`streams`, by connection and stats id).
export function probe({ kind, expected, script }) {
  const state = (window.__bench = { expected, joinedAt: null, decoded: 0, remoteVideos: 0, drawnAt: null, scriptAt: null, events: [] });
  // The element's errors and departures, for the report of a run that does not come together.
  document.addEventListener('vr-error', (e) => state.events.push(`${Math.round(performance.now())} ms ${e.detail.code}: ${e.detail.message}`), true);
  document.addEventListener(
    'vr-peer-verification-failed',
    (e) => state.events.push(`${Math.round(performance.now())} ms verification of ${e.detail.name || e.detail.id.slice(-6)} failed: ${e.detail.reason}`),
    true,
  );
  document.addEventListener(
    'vr-peer-left',
    (e) => state.events.push(`${Math.round(performance.now())} ms ${e.detail.participant.name} ${e.detail.reason}`),
    true,
  );

  const connections = [];
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      connections.push(this);
    }
  };
  window.__benchStats = async () => {
    const totals = { sent: 0, received: 0, encoded: 0, decoded: 0, width: 0, height: 0, streams: {}, at: performance.now() };
    for (const [i, pc] of connections.entries()) {
      if (pc.signalingState === 'closed') continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') totals.streams[`${i}:${s.id}`] = s.framesDecoded ?? 0;
        if (s.type === 'outbound-rtp') {
          totals.sent += s.bytesSent ?? 0;
          totals.encoded += s.framesEncoded ?? 0;
          if (s.kind === 'video') totals.width = Math.max(totals.width, s.frameWidth ?? 0);
        } else if (s.type === 'inbound-rtp') {
          totals.received += s.bytesReceived ?? 0;
          totals.decoded += s.framesDecoded ?? 0;
          if (s.kind === 'video') totals.height = Math.max(totals.height, s.frameHeight ?? 0);
        }
      });
    }
    return totals;
  };

  const host = () => document.querySelector('video-room')?.shadowRoot;
  const remoteVideos = () =>
    kind === 'element' ? [...(host()?.querySelectorAll('[part~="tile"]:not([part~="local"]) video') ?? [])] : [...document.querySelectorAll('video.remote')];
  const joinButton = () => (kind === 'element' ? host()?.querySelector('[part~="join-button"]') : document.getElementById('join'));

  const seen = new WeakMap();
  const track = (video) => {
    let entry = seen.get(video);
    if (!entry || entry.source !== video.srcObject) {
      const fresh = { source: video.srcObject, at: null };
      entry = fresh;
      seen.set(video, fresh);
      if (fresh.source) {
        video.requestVideoFrameCallback(() => {
          if (fresh.at === null && seen.get(video) === fresh) fresh.at = performance.now();
        });
      }
    }
    if (entry.at === null && entry.source && video.getVideoPlaybackQuality().totalVideoFrames > 0) entry.at = performance.now();
    return entry;
  };

  if (expected > 0) {
    const timer = setInterval(() => {
      const videos = remoteVideos();
      const times = videos.map(track).flatMap((entry) => (entry.at === null ? [] : [entry.at]));
      state.remoteVideos = videos.length;
      state.decoded = times.length;
      if (times.length >= expected) {
        state.joinedAt = Math.max(...times);
        clearInterval(timer);
      }
    }, 10);
  }

  if (script) {
    const frame = () => {
      if (state.drawnAt === null && joinButton()) {
        state.drawnAt = performance.now();
        state.scriptAt = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === script)?.responseEnd ?? null;
        return;
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }
}

// What a test reads of a call in a page of the simulated internet: frames decoded from the other
// person, the ICE path in use, the connection quality the element reports. Read from the
// connections the page made (browser.mjs records them) and from the element's public events.

/**
 * Runs in the page: per live connection, the video frames decoded, the selected candidate pair
 * (local and remote candidate types and addresses), bytes received and its id in `__pcs`.
 */
export async function readCalls() {
  const out = [];
  const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs);
  for (const [index, pc] of pcs.entries()) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    let frames = 0;
    let videoBytes = 0;
    let pair = null;
    stats.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') {
        frames += r.framesDecoded ?? 0;
        videoBytes += r.bytesReceived ?? 0;
      }
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    });
    const side = (/** @type {string} */ id) => {
      const c = stats.get(id);
      return c ? { type: c.candidateType, address: c.address ?? c.ip, port: c.port, protocol: c.protocol, relayProtocol: c.relayProtocol } : null;
    };
    out.push({
      index,
      state: pc.connectionState,
      frames,
      videoBytes,
      local: pair ? side(pair.localCandidateId) : null,
      remote: pair ? side(pair.remoteCandidateId) : null,
    });
  }
  return out;
}

/** Runs in the page: the TURN usernames (`<expiry>:video-room`) each live connection is configured with now. */
export function turnUsernames() {
  const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs);
  return pcs.filter((pc) => pc.connectionState !== 'closed').map((pc) => pc.getConfiguration().iceServers?.find((s) => s.username)?.username ?? null);
}

/** Runs in the page: the room attribute set, the element joins; resolves when join() does. @param {string} room */
export function join(room) {
  const el = /** @type {any} */ (document.querySelector('video-room'));
  el.setAttribute('room', room);
  /** @type {any} */ (window).__events = [];
  for (const type of ['vr-error', 'vr-connection-quality', 'vr-peer-left', 'vr-peer-joined', 'vr-state-change', 'vr-broker-change'])
    el.addEventListener(type, (/** @type {CustomEvent} */ e) => /** @type {any} */ (window).__events.push({ type, at: performance.now(), detail: JSON.parse(JSON.stringify(e.detail ?? null)) }));
  return el.join();
}

/**
 * Runs in the page: per connection, what ICE had to work with: its state, the STUN and TURN URLs
 * it was configured with (no credentials), and the candidates gathered and received, by type
 * (a relay missing from `local` is a TURN server that did not answer).
 */
export async function iceReport() {
  const pcs = /** @type {RTCPeerConnection[]} */ (/** @type {any} */ (window).__pcs);
  return Promise.all(
    pcs.map(async (pc, index) => {
      const stats = await pc.getStats();
      /** @type {Record<string, string[]>} */
      const seen = { local: [], remote: [], pairs: [] };
      stats.forEach((r) => {
        if (r.type === 'local-candidate' || r.type === 'remote-candidate') seen[r.type === 'local-candidate' ? 'local' : 'remote'].push(`${r.candidateType} ${r.protocol} ${r.address ?? r.ip}:${r.port}`);
        if (r.type === 'candidate-pair') seen.pairs.push(`${r.state}${r.nominated ? '*' : ''}`);
      });
      return { index, connection: pc.connectionState, ice: pc.iceConnectionState, urls: (pc.getConfiguration().iceServers ?? []).flatMap((s) => s.urls), ...seen };
    }),
  );
}

/**
 * What `pages` say of their calls, for a failure message: each one's events, connections and ICE.
 * @param {import('puppeteer-core').Page[]} pages
 */
export function state(pages) {
  return Promise.all(pages.map(async (page) => ({ events: await page.evaluate(events), calls: await page.evaluate(readCalls), ice: await page.evaluate(iceReport) })));
}

/** Runs in the page: the element's events since the join (see join()). */
export function events() {
  return /** @type {any} */ (window).__events;
}

/** Runs in the page: the tiles' connection-quality badges (`data-quality` of the tiles' badges). */
export function qualities() {
  const el = /** @type {any} */ (document.querySelector('video-room'));
  return [...el.shadowRoot.querySelectorAll('.grid .tile.remote .quality')].map((q) => q.getAttribute('data-quality'));
}

/**
 * Polls `read` (in node) until `ok` passes; rejects with the last value after `ms`, and with what
 * `context` says then (the pages' events, say).
 * @template T @param {() => Promise<T>} read @param {(value: T) => boolean} ok @param {number} ms @param {string} what @param {() => Promise<unknown>} [context]
 */
export async function until(read, ok, ms, what, context) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(last)}${context ? `; ${JSON.stringify(await context().catch(String))}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

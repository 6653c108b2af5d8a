// Two people on two home networks call each other with nothing but the embed snippet against
// `npm start`, for every pair of NAT kinds: no NAT, endpoint-independent (cone) and symmetric;
// both in Chromium, then Chromium and Firefox. Media is proven by decoded frames; the path by
// the selected candidate pair. A relay is used only where no direct path can exist: between a
// port-restricted cone and a symmetric NAT, and between two symmetric NATs (every other pair
// punches through).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchFirefoxIn } from './browser.mjs';
import { events, join, readCalls, state, until } from './call.mjs';
import { PLAIN_SITE_URL, SITE_URL, startWorld, tail, turnLog } from './site.mjs';

/** @typedef {import('./internet.mjs').Nat} Nat */

/** @type {Awaited<ReturnType<typeof startWorld>>['net']} */
let net;
/** @type {Awaited<ReturnType<typeof startWorld>>['server']} */
let server;
/** @type {Awaited<ReturnType<typeof startWorld>>['browsers']} */
let browsers = [];
/** @type {() => Promise<void>} */
let stop = async () => {};

before(async () => {
  ({ net, server, browsers, stop } = await startWorld(3600));
});

/** Firefox in b's home, for the second round (started with its first cell). @type {Awaited<ReturnType<typeof launchFirefoxIn>> | null} */
let firefox = null;

after(async () => {
  await firefox?.browser.close();
  await stop();
});

/** Whether physics leaves only a relay between NATs `a` and `b`. @param {Nat} a @param {Nat} b */
const relayOnly = (a, b) => (a === 'symmetric' && b !== 'none') || (b === 'symmetric' && a !== 'none');

/** @type {[Nat, Nat][]} */
const CELLS = [
  ['none', 'none'],
  ['none', 'cone'],
  ['none', 'symmetric'],
  ['cone', 'cone'],
  ['cone', 'symmetric'],
  ['symmetric', 'symmetric'],
];

/** b's browser in each round: Chromium, then Firefox. */
const ROUNDS = /** @type {const} */ ([
  ['Chromium', 'chromium'],
  ['Firefox', 'firefox'],
]);

for (const [bName, bBrowser] of ROUNDS)
  for (const [natA, natB] of CELLS) {
    test(`a (Chromium) behind ${natA}, b (${bName}) behind ${natB}: the call forms over ${relayOnly(natA, natB) ? 'a relay' : 'a direct path'}, frames decode both ways`, async (t) => {
      const [a, b] = net.homes;
      a.setNat(natA);
      b.setNat(natB);
      if (bBrowser === 'firefox') firefox ??= await launchFirefoxIn(b.ns);
      const pages = await Promise.all([browsers[0], bBrowser === 'firefox' ? firefox : browsers[1]].map((browser) => /** @type {NonNullable<typeof browser>} */ (browser).open(SITE_URL)));
      try {
        const room = `nat-${natA}-${natB}-${Date.now()}`;
        const started = performance.now();
        await Promise.all(pages.map((page) => page.evaluate(join, room)));
        // The first decoded frame on each side, over a connected pair.
        const calls = await Promise.all(
          pages.map((page, i) =>
            until(
              () => page.evaluate(readCalls),
              (list) => list.some((c) => c.frames > 0 && c.local && c.remote),
              45_000,
              `frames at ${'ab'[i]} (${tail(server.output())})`,
              async () => ({ pages: await state(pages), coturn: turnLog(server.output()) }),
            ),
          ),
        );
        const ms = performance.now() - started;
        // ICE may pick a relay pair first and move to a direct one once that succeeds too: where a
        // direct path exists, wait for it.
        const settledCalls = relayOnly(natA, natB)
          ? calls
          : await Promise.all(
              pages.map((page, i) =>
                until(
                  () => page.evaluate(readCalls),
                  (list) => list.some((c) => c.frames > 0 && c.local && c.remote && c.local.type !== 'relay' && c.remote.type !== 'relay'),
                  20_000,
                  `a direct path at ${'ab'[i]}`,
                  async () => ({ pages: await state(pages), coturn: turnLog(server.output()) }),
                ),
              ),
            );
        // The connection that passed (a page may briefly have two, when both dialed at once).
        const settled = relayOnly(natA, natB)
          ? (/** @type {Awaited<ReturnType<typeof readCalls>>[number]} */ c) => c.frames > 0 && c.local && c.remote
          : (/** @type {Awaited<ReturnType<typeof readCalls>>[number]} */ c) => c.frames > 0 && c.local && c.remote && c.local.type !== 'relay' && c.remote.type !== 'relay';
        const [ca, cb] = settledCalls.map((list) => list.find(settled));
        const relayed = [ca.local.type, ca.remote.type, cb.local.type, cb.remote.type].includes('relay');
        const path = `a ${ca.local.type}→${ca.remote.type}, b ${cb.local.type}→${cb.remote.type}`;
        t.diagnostic(`${natA} × ${natB}${bBrowser === 'firefox' ? ' (Firefox)' : ''}: first frames both ways after ${Math.round(ms)} ms, ${path}`);
        assert.equal(relayed, relayOnly(natA, natB), `${path}: ${JSON.stringify(settledCalls)}`);
        if (natA === 'none' && natB === 'none') {
          // Public homes: host to host, each on its own address. The far end's address, where the
          // stats show it: a candidate learned from a check before it was signalled is prflx,
          // and Chromium hides a prflx candidate's address.
          assert.deepEqual([ca.local.type, cb.local.type], ['host', 'host'], `${path}: ${JSON.stringify(settledCalls)}`);
          assert.deepEqual([ca.local.address, cb.local.address], [a.address, b.address], JSON.stringify(settledCalls));
          for (const [c, other] of [[ca, b], [cb, a]]) if (c.remote.address) assert.equal(c.remote.address, other.address, JSON.stringify(settledCalls));
        }
        // A NATed home's own address never reaches the other side as the path's address.
        for (const [home, other] of [[a, cb], [b, ca]]) if (home.nat !== 'none') assert.notEqual(other.remote.address, home.address, path);
      } finally {
        await Promise.all(pages.map((page) => page.close()));
      }
    });
  }

test('a page over plain HTTP (not a secure context) joins receive-only: insecure-context on its screen, the other person’s video decoded there, and it in the other’s call', async (t) => {
  // Browsers give such a page no camera and no crypto.subtle: the hashes and MACs a call without
  // a secret needs come from a chunk loaded there only (util/digest.ts).
  const [a, b] = net.homes;
  a.setNat('cone');
  b.setNat('cone');
  const plain = await browsers[0].open(PLAIN_SITE_URL);
  const secure = await browsers[1].open(SITE_URL);
  const pages = [plain, secure];
  try {
    assert.equal(await plain.evaluate(() => window.isSecureContext), false);
    const room = `insecure-${Date.now()}`;
    const started = performance.now();
    await Promise.all(pages.map((page) => page.evaluate(join, room)));
    const [seen] = await Promise.all([
      until(() => plain.evaluate(readCalls), (list) => list.some((c) => c.frames > 10), 45_000, 'b’s frames decoded on the plain page', () => state(pages)),
      until(() => secure.evaluate(events), (list) => list.some((e) => e.type === 'vr-peer-joined'), 45_000, 'the plain page in b’s call', () => state(pages)),
    ]);
    const ms = performance.now() - started;
    const plainEvents = await plain.evaluate(events);
    assert.deepEqual(plainEvents.filter((e) => e.type === 'vr-error').map((e) => e.detail.code), ['insecure-context']);
    assert.ok(plainEvents.some((e) => e.type === 'vr-state-change' && e.detail.state === 'joined'), JSON.stringify(plainEvents));
    // Receive-only: nothing goes out from the plain page, so b decodes no video from it.
    assert.deepEqual((await secure.evaluate(readCalls)).map((c) => c.frames), [0]);
    const shown = await plain.evaluate(() => document.querySelector('video-room')?.shadowRoot?.textContent ?? '');
    assert.match(shown, /not served over HTTPS/);
    t.diagnostic(`plain HTTP: joined receive-only, insecure-context on the screen; ${seen.find((c) => c.frames > 10)?.frames} frames of b decoded ${Math.round(ms)} ms after the joins`);
  } finally {
    await Promise.all(pages.map((page) => page.close()));
  }
});

test('a page over plain HTTP does not join a room with a secret: insecure-context, and no join', async () => {
  const page = await browsers[0].open(PLAIN_SITE_URL);
  try {
    await page.evaluate(() => {
      /** @type {any} */ (document.querySelector('video-room')).secret = 'correct horse battery staple';
    });
    await page.evaluate(join, `insecure-secret-${Date.now()}`);
    const seen = await until(() => page.evaluate(events), (list) => list.some((e) => e.type === 'vr-error'), 20_000, 'a vr-error');
    assert.deepEqual(seen.filter((e) => e.type === 'vr-error').map((e) => e.detail.code), ['insecure-context']);
    assert.deepEqual(seen.filter((e) => e.type === 'vr-state-change'), [], 'no join was started');
  } finally {
    await page.close();
  }
});

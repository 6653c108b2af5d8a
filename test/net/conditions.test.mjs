// A call between two homes of the simulated internet when the network misbehaves: one side's line
// goes down (briefly, and long enough to be given up), loses packets, or is capped; and TURN
// credentials expire while a relayed call goes on. Each test prints its figure.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
// The outages and windows below are what is tested, not waits for something to happen.
import { setTimeout as delay } from 'node:timers/promises';
import { launchIn } from './browser.mjs';
import { events, join, qualities, readCalls, state, turnUsernames, until } from './call.mjs';
import { SITE_URL, startWorld, turnLog } from './site.mjs';

/** The credentials' lifetime here: short, so that a call outlives them. */
const TTL = 60;

/** @type {Awaited<ReturnType<typeof startWorld>>['net']} */
let net;
/** @type {Awaited<ReturnType<typeof startWorld>>['server']} */
let server;
/** @type {Awaited<ReturnType<typeof startWorld>>['browsers']} */
let browsers = [];
/** @type {() => Promise<void>} */
let stop = async () => {};
/** The pages of the call under test, for failure messages. @type {import('puppeteer-core').Page[]} */
let open = [];

before(async () => {
  ({ net, server, browsers, stop } = await startWorld(TTL));
});

after(() => stop());

/**
 * Two people in a fresh room, NATs as given, with frames decoded both ways. Returns the pages
 * and each side's connection carrying the call.
 * @param {string} name @param {import('./internet.mjs').Nat} nat
 */
async function call(name, nat) {
  for (const home of net.homes) {
    home.setNat(nat);
    home.setCut(false);
    home.setLoss(0);
    home.setUplink(0);
  }
  const pages = await Promise.all(browsers.map((browser) => browser.open(SITE_URL)));
  open = pages;
  const room = `${name}-${Date.now()}`;
  await Promise.all(pages.map((page) => page.evaluate(join, room)));
  const links = await Promise.all(pages.map((page) => framesFrom(page, 0, 45_000, 'the call')));
  return { pages, links };
}

/**
 * The connection of `page` whose decoded frames pass `after` (on connection `index`, when
 * given), once they do.
 * @param {import('puppeteer-core').Page} page @param {number} after @param {number} ms @param {string} what @param {number} [index]
 */
async function framesFrom(page, after, ms, what, index) {
  const list = await until(
    () => page.evaluate(readCalls),
    (calls) => calls.some((c) => c.frames > after && (index === undefined || c.index === index) && c.local),
    ms,
    what,
    async () => ({ pages: await state(open), coturn: turnLog(server.output()) }),
  );
  return /** @type {NonNullable<(typeof list)[number]>} */ (list.find((c) => c.frames > after && (index === undefined || c.index === index) && c.local));
}

/** @param {import('puppeteer-core').Page[]} pages */
const close = (pages) => Promise.all(pages.map((page) => page.close()));

test('a 5-s outage on one side: the call resumes on the same connections, with no rejoin and nobody dropped', async (t) => {
  const { pages, links } = await call('outage5', 'cone');
  try {
    const [a] = net.homes;
    a.setCut(true);
    // b's count of a's frames as the line goes down; then five seconds down.
    const frozen = (await pages[1].evaluate(readCalls)).find((c) => c.index === links[1].index)?.frames ?? 0;
    await delay(5_000);
    a.setCut(false);
    const restored = performance.now();
    const again = await Promise.all(pages.map((page, i) => framesFrom(page, (i === 1 ? frozen : links[0].frames) + 30, 30_000, `frames again at ${'ab'[i]}`, links[i].index)));
    t.diagnostic(`frames again both ways ${Math.round(performance.now() - restored)} ms after the line came back, on the same connections (${again.map((c) => c.index).join(', ')})`);
    for (const page of pages) {
      const seen = await page.evaluate(events);
      assert.deepEqual(seen.filter((e) => e.type === 'vr-peer-left'), [], 'nobody was dropped');
      // Joined once, and never anything else since: no rejoin.
      assert.deepEqual(
        seen.filter((e) => e.type === 'vr-state-change').map((e) => e.detail.state),
        ['joining', 'joined'],
      );
    }
  } finally {
    await close(pages);
  }
});

test('a 30-s outage on one side: the other drops it as lost, and it rejoins by itself when its line is back', async (t) => {
  const { pages } = await call('outage30', 'cone');
  try {
    const [a] = net.homes;
    const cutAt = performance.now();
    a.setCut(true);
    const cutInPage = await pages[0].evaluate(() => performance.now());
    const left = await until(async () => (await pages[1].evaluate(events)).find((e) => e.type === 'vr-peer-left'), Boolean, 30_000, 'b to drop a');
    const droppedAfter = performance.now() - cutAt;
    assert.equal(left.detail.reason, 'lost');
    await delay(Math.max(0, 30_000 - (performance.now() - cutAt)));
    // a found its broker socket dead while the line was down (no echo of its own message): it
    // does not wait for TCP, whose retransmissions are backed off to tens of seconds by now, to
    // find the broker gone once the line is back.
    const lostBroker = (await pages[0].evaluate(events)).find((e) => e.type === 'vr-broker-change' && !e.detail.connected);
    assert.ok(lostBroker, 'a said it lost the broker during the outage');
    a.setCut(false);
    const restored = performance.now();
    // A new connection carrying frames both ways, with no join() called again.
    await until(async () => (await pages[1].evaluate(events)).filter((e) => e.type === 'vr-peer-joined').length >= 2, Boolean, 60_000, 'b to see a join again');
    await Promise.all(pages.map((page, i) => until(() => page.evaluate(readCalls), (calls) => calls.some((c) => c.frames > 10 && c.state === 'connected' && c.index > 0), 60_000, `frames again at ${'ab'[i]}`)));
    t.diagnostic(`dropped as lost ${Math.round(droppedAfter)} ms after the cut; a off its dead broker socket ${Math.round(lostBroker.at - cutInPage)} ms after the cut; back in the call ${Math.round(performance.now() - restored)} ms after the line came back`);
  } finally {
    await close(pages);
  }
});

test('10 % loss on one side: the other’s tile says poor and vr-connection-quality fires while frames decode; both good again once lifted', async (t) => {
  const { pages, links } = await call('loss', 'cone');
  try {
    const [a] = net.homes;
    a.setLoss(10);
    const lossAt = performance.now();
    await until(() => pages[1].evaluate(qualities), (q) => q.includes('poor'), 30_000, 'b’s tile of a to say poor');
    const poorAfter = performance.now() - lossAt;
    const quality = (await pages[1].evaluate(events)).filter((e) => e.type === 'vr-connection-quality');
    assert.ok(quality.some((e) => e.detail.quality === 'poor'), JSON.stringify(quality));
    // Frames keep decoding through the loss.
    const during = await framesFrom(pages[1], links[1].frames + 50, 30_000, 'frames at b during the loss', links[1].index);
    a.setLoss(0);
    const liftedAt = performance.now();
    await Promise.all(pages.map((page, i) => until(() => page.evaluate(qualities), (q) => q.length > 0 && q.every((x) => x === 'good'), 45_000, `${'ab'[i]}’s tiles good again`)));
    t.diagnostic(`poor ${Math.round(poorAfter)} ms after 10 % loss began (${during.frames} frames decoded by then); good ${Math.round(performance.now() - liftedAt)} ms after it ended`);
  } finally {
    await close(pages);
  }
});

test('a 300 kbit/s uplink on one side: its video keeps arriving, at a lower bitrate, and the call holds', async (t) => {
  // a's camera is hard to compress: uncapped, it sends far over 300 kbit/s.
  const noisy = await launchIn(net.homes[0].ns, { noise: true });
  const [plain] = browsers.splice(0, 1, noisy);
  const { pages, links } = await call('uplink', 'cone');
  try {
    const [a] = net.homes;
    /** b's received video bitrate from a over `ms`, in kbit/s, and the frames decoded meanwhile. */
    const rate = async (/** @type {number} */ ms) => {
      const first = await framesFrom(pages[1], 0, 5_000, 'b reading', links[1].index);
      const start = performance.now();
      await delay(ms);
      const last = await framesFrom(pages[1], 0, 5_000, 'b reading', links[1].index);
      return { kbps: ((last.videoBytes - first.videoBytes) * 8) / (performance.now() - start), frames: last.frames - first.frames };
    };
    // Uncapped, once the sender's estimate has ramped up past what the cap will allow.
    const before = await until(() => rate(3_000), (r) => r.kbps > 600, 40_000, 'a’s video over 600 kbit/s before the cap');
    a.setUplink(300);
    // Ten seconds for the sender's congestion control to settle under the cap, then ten measured.
    await rate(10_000);
    const capped = await rate(10_000);
    t.diagnostic(`b receives a's video at ${before.kbps.toFixed(0)} kbit/s before the cap, ${capped.kbps.toFixed(0)} kbit/s under it (${capped.frames} frames in 10 s)`);
    assert.ok(capped.kbps < 300, `${capped.kbps} kbit/s under a 300 kbit/s cap`);
    assert.ok(capped.frames > 20, `video keeps arriving: ${capped.frames} frames in 10 s`);
    const [now] = await Promise.all([pages[1].evaluate(readCalls)]);
    assert.ok(now.some((c) => c.index === links[1].index && c.state === 'connected'), 'the same connection, connected');
    for (const page of pages) assert.deepEqual((await page.evaluate(events)).filter((e) => e.type === 'vr-peer-left'), []);
  } finally {
    await close(pages);
    browsers.splice(0, 1, plain);
    await noisy.browser.close();
  }
});

test(`TURN credentials that expire after ${TTL} s: a relayed call outlives them, and a new path after a break is a relay again`, async (t) => {
  const { pages, links } = await call('expiry', 'symmetric');
  try {
    assert.equal(links[0].local.type === 'relay' || links[0].remote.type === 'relay', true, 'the call is relayed');
    const startedAt = performance.now();
    const expiry = (/** @type {(string | null)[]} */ names) => Math.min(...names.map((n) => Number(n?.split(':')[0] ?? 0)));
    const first = await Promise.all(pages.map((page) => page.evaluate(turnUsernames)));
    // Past the lifetime of the credentials the call started with.
    await delay(Math.max(0, (TTL + 5) * 1000 - (performance.now() - startedAt)));
    const past = await Promise.all(pages.map((page, i) => framesFrom(page, links[i].frames + 100, 10_000, `frames at ${'ab'[i]} past the expiry`, links[i].index)));
    // The connections hold fresh credentials by now (asked for at 80 % of the lifetime).
    const fresh = await Promise.all(pages.map((page) => page.evaluate(turnUsernames)));
    for (const [i, names] of fresh.entries()) assert.ok(expiry(names) > expiry(first[i]) && expiry(names) * 1000 > Date.now(), `${JSON.stringify(first[i])} → ${JSON.stringify(names)}`);
    // A break long enough to need a new path: the relay allocation is asked for again, with the fresh credentials.
    const [a] = net.homes;
    a.setCut(true);
    await delay(8_000);
    a.setCut(false);
    const again = await Promise.all(pages.map((page, i) => framesFrom(page, past[i].frames + 30, 45_000, `frames at ${'ab'[i]} after the break`)));
    const relayed = again.every((c) => c.local.type === 'relay' || c.remote.type === 'relay');
    t.diagnostic(`frames ${Math.round((performance.now() - startedAt) / 1000)} s into a relayed call with ${TTL}-s credentials, across a break: ${again.map((c) => `${c.local.type}→${c.remote.type}`).join(', ')}`);
    assert.ok(relayed, JSON.stringify(again));
  } finally {
    await close(pages);
  }
});

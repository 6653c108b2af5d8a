/**
 * A slow page is not a dead one. Six people at the default quality, each in a page of their own
 * (other processes, opened one after another on this 2-core machine, as people arrive), load
 * the machine far more than a call of two. The room must still close its mesh and keep it:
 * nobody dropped as `lost` while every page lives. And a browser that is really killed must
 * still leave everyone's grid within 10 s.
 *
 * The participants are Chromium pages whichever browser runs this file, so it runs once (in
 * the Chromium run); Firefox's own pages are covered by the other call tests.
 */
import { expect } from '@open-wc/testing';
import { participant, uniqueRoom, waitFor } from './helpers.js';

const isFirefox = navigator.userAgent.includes('Firefox');
/**
 * Not in the suite yet: it does not pass on this machine (issue 17, open). `VR_BUSY_ROOM=1` runs
 * it. Six browsers at once are also more than the suite's other files should share a machine with.
 */
const RUN = (window as unknown as { __VR_TEST__: { busyRoom: boolean } }).__VR_TEST__.busyRoom;
/** How long the full mesh must hold. */
const HOLD_MS = 120_000;
/** How often the rosters are looked at while it holds (the departure log is the real record). */
const LOOK_EVERY_MS = 5_000;

interface Departure {
  name: string;
  reason: string;
  at: number;
}

const rosters = (handles: string[]) =>
  Promise.all(handles.map((handle) => participant<{ participants: string[] }>('state', { handle }).then((s) => s.participants.length)));
const departures = (handle: string) => participant<Departure[]>('departures', { handle });
const frames = (handle: string) => participant<number[]>('frames', { handle });
/** Resolves after `ms` of the test's own clock (a pause between looks, not a synchronisation). */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a busy room of six pages', function () {
  this.timeout(360_000);
  /** Every page opened, closed after the test whatever happened: six busy pages left behind would starve the next files. */
  const handles: string[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await participant('close', { handle }).catch(() => undefined);
  });

  it('reaches a full mesh, holds it for 2 minutes with nobody lost, and drops a killed browser within 10 s', async function () {
    if (isFirefox || !RUN) this.skip();
    const room = uniqueRoom('busy');
    // Each person in a browser of their own, as six people are: pages of one browser share its
    // GPU process, whose software compositing of 25 remote videos alone starved their main
    // threads here (timers up to 14 s late, against 1 s in a browser of its own). The last one
    // is killed.
    const kinds = ['chromium#p0', 'chromium#p1', 'chromium#p2', 'chromium#p3', 'chromium#p4', 'chromium#victim'];
    for (const browser of new Set(kinds))
      await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `${browser} started`, 90_000);
    const started = Date.now();
    for (const [i, browser] of kinds.entries()) handles.push(await participant<string>('join', { browser, room, name: `P${i}`, probe: true }));
    const [victim] = handles.slice(-1);
    const survivors = handles.slice(0, -1);

    let last: number[] = [];
    // A page too busy to answer within the command's 20 s is asked again on the next look.
    await waitFor(async () => (last = await rosters(handles).catch(() => last)).every((n) => n === 5), () => `six full rosters; have ${last}`, 120_000).catch(
      async (error: Error) => {
        const views = await Promise.all(
          handles.map(async (handle, i) => `P${i} ${await participant('mesh', { handle })}\n   ${await participant('probe', { handle })}\n   left ${JSON.stringify(await departures(handle))} errors ${JSON.stringify(await participant('errors', { handle }))}`),
        );
        throw new Error(`${error.message}\n${views.join('\n')}`);
      },
    );
    console.log(`six pages opened one after another: full mesh after ${Date.now() - started} ms`);

    // It holds: every look sees five others everywhere, and nobody fired a departure.
    const holdStart = Date.now();
    const framesBefore = await Promise.all(handles.map(frames));
    while (Date.now() - holdStart < HOLD_MS) {
      await pause(LOOK_EVERY_MS);
      const now = await rosters(handles);
      expect(now, `rosters ${Math.round((Date.now() - holdStart) / 1000)} s into the hold`).to.deep.equal([5, 5, 5, 5, 5, 5]);
    }
    for (const handle of handles) expect(await departures(handle), `departures seen by ${handle}`).to.deep.equal([]);
    // Media went on flowing on every link: each remote tile presented frames during the hold.
    const framesAfter = await Promise.all(handles.map(frames));
    for (const [i, after] of framesAfter.entries()) {
      expect(after, `remote tiles of P${i}`).to.have.length(5);
      for (const [j, count] of after.entries()) expect(count, `P${i}'s tile ${j}`).to.be.above(framesBefore[i]![j] ?? 0);
    }

    // A real crash: the victim's whole browser is killed; every survivor drops it as lost, in time.
    const killedAt = await participant<number>('crash', { handle: victim });
    await waitFor(async () => (await rosters(survivors)).every((n) => n === 4), 'the survivors dropped the killed browser', 30_000);
    const delays: number[] = [];
    for (const handle of survivors) {
      const gone = await departures(handle);
      expect(gone.map(({ name, reason }) => ({ name, reason }))).to.deep.equal([{ name: 'P5', reason: 'lost' }]);
      delays.push(gone[0]!.at - killedAt);
    }
    console.log(`killed browser dropped after ${delays.map((ms) => `${ms} ms`).join(', ')}`);
    for (const ms of delays) expect(ms).to.be.below(10_000);
  });
});

/**
 * Leaving and crashing: a participant in another browser process closes its tab (a goodbye
 * goes out) or has its browser killed (nothing goes out), and everyone else notices in time.
 */
import { expect } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import { mountRooms, nextEvent, participant, tileFrames, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';

const browser = navigator.userAgent.includes('Firefox') ? 'firefox' : 'chromium';


/** This page's element and a remote participant (same engine, another process) in one call. */
async function callWithRemote(): Promise<{ el: VideoRoomElement; remote: string }> {
  const room = uniqueRoom('resilience');
  // A launch can outlast one command's time limit on a busy machine; it goes on meanwhile.
  await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
  const [el] = await mountRooms(1, room);
  await el.join();
  const remote = await participant<string>('join', { browser, room, name: 'Remote' });
  await waitForFullMeshMedia([el], 5, 60_000, 1);
  await waitFor(async () => ((await participant<number[]>('frames', { handle: remote }))[0] ?? 0) > 5, 'the remote decoding our video');
  return { el, remote };
}

describe('leaving and crashing', function () {
  this.timeout(180_000);

  it('a participant who closes the tab leaves everyone’s grid within 3 s, as “left”', async () => {
    const { el, remote } = await callWithRemote();
    const left = nextEvent<{ reason: string; participant: { name: string } }>(el, EVENTS.peerLeft);
    const start = performance.now();
    await participant('close', { handle: remote });
    const detail = await left;
    const ms = performance.now() - start;
    console.log(`tab closed: gone after ${Math.round(ms)} ms (${detail.reason})`);
    expect(detail.participant.name).to.equal('Remote');
    expect(detail.reason).to.equal('left');
    expect(ms).to.be.below(3_000);
    await el.updateComplete;
    expect(tileFrames(el)).to.deep.equal([]);
    el.leave();
  });

  it('a participant whose browser is killed leaves everyone’s grid within 10 s, as “lost”', async () => {
    const { el, remote } = await callWithRemote();
    const left = nextEvent<{ reason: string; participant: { name: string } }>(el, EVENTS.peerLeft, 20_000);
    const start = performance.now();
    await participant('crash', { handle: remote });
    const detail = await left;
    const ms = performance.now() - start;
    console.log(`browser killed: gone after ${Math.round(ms)} ms (${detail.reason})`);
    expect(detail.participant.name).to.equal('Remote');
    expect(detail.reason).to.equal('lost');
    expect(ms).to.be.below(10_000);
    await el.updateComplete;
    expect(tileFrames(el)).to.deep.equal([]);
    expect(el.participants).to.deep.equal([]);
    el.leave();
  });

  it('when the rendezvous holder is killed, a newcomer gets into the room within 15 s, and the room does not split', async () => {
    const room = uniqueRoom('rendezvous-loss');
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
    // The remote joins an empty room first, so it holds the rendezvous id.
    const holder = await participant<string>('join', { browser, room, name: 'Holder' });
    await waitFor(async () => (await participant<{ state: string }>('state', { handle: holder })).state === 'joined', 'the holder in the room');
    const [b, c, newcomer] = await mountRooms(3, room);
    await b!.join();
    await c!.join();
    await waitForFullMeshMedia([b!, c!], 5, 60_000, 2);

    // It dies without a word, and a newcomer arrives at that very moment.
    const killed = performance.now();
    await participant('crash', { handle: holder });
    await newcomer!.join();
    await waitForFullMeshMedia([b!, c!, newcomer!], 5, 30_000);
    const ms = performance.now() - killed;
    console.log(`rendezvous holder killed: the newcomer was in the full mesh after ${Math.round(ms)} ms`);
    expect(ms).to.be.below(15_000);
    // One room: each sees exactly the two others, and the holder is gone everywhere.
    for (const el of [b!, c!, newcomer!])
      expect(el.participants.map((p) => p.name).sort()).to.deep.equal(['P0', 'P1', 'P2'].filter((n) => n !== el.name));
    for (const el of [b!, c!, newcomer!]) el.leave();
  });
});

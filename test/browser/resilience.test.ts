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
});

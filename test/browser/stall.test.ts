/**
 * A rendezvous holder whose page freezes past the broker's alive timeout (15 s) loses the room's
 * id: the broker drops its sockets, and a newcomer or a member who finds the id free takes it. The frozen
 * page's group and the newcomer must still end as one room, with one holder, once the page runs
 * again (issue 17: two groups formed this way and never merged).
 *
 * The holder is a Chromium page of its own browser (a page of this one would freeze the test);
 * the others are elements of this page. Runs in the Chromium run only, like busy-room.test.ts.
 */
import { expect } from '@open-wc/testing';
import type { VideoRoomElement } from '../../src/video-room.js';
import { EVENTS } from '../../src/constants.js';
import { meshRecorder } from './mesh-report.js';
import { mountRooms, participant, uniqueRoom, waitFor } from './helpers.js';

const isFirefox = navigator.userAgent.includes('Firefox');
/** Well past the test broker's alive_timeout (15 s): the newcomer, dialing the frozen holder in vain for 15 s, then finds the id free. */
const FREEZE_MS = 30_000;

interface RoomView {
  isRendezvous: boolean;
}
const roomOf = (el: VideoRoomElement) => (el as unknown as { roomCtl: { room: RoomView | null } }).roomCtl.room;
const holderMark = (view: string) => /^\w+\*:/.test(view);

describe('a rendezvous holder frozen past the broker timeout', function () {
  this.timeout(180_000);
  let handle: string | null = null;
  afterEach(async () => {
    if (handle) await participant('close', { handle }).catch(() => undefined);
    handle = null;
  });

  it('loses the id while frozen, and its group and a newcomer end as one room with one holder', async function () {
    if (isFirefox) this.skip();
    const room = uniqueRoom('stall');
    const browser = 'chromium#stall';
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `${browser} started`, 90_000);
    handle = await participant<string>('join', { browser, room, name: 'Frozen' });
    const frozen = handle;
    await waitFor(async () => holderMark(await participant<string>('mesh', { handle: frozen })), 'the first page holds the id');

    const [a, b, newcomer] = await mountRooms(3, room);
    await Promise.all([a!.join(), b!.join()]);
    await waitFor(() => a!.participants.length === 2 && b!.participants.length === 2, 'a group of three');
    expect(holderMark(await participant<string>('mesh', { handle: frozen })), 'the frozen page still holds the id').to.equal(true);

    const everyone = [a!, b!, newcomer!];
    const mesh = meshRecorder(everyone);
    const until = await participant<number>('stall', { handle: frozen, ms: FREEZE_MS });
    // Who saw whom arrive and leave, in ms after the freeze ended: for the message of a failure.
    const log: string[] = [];
    everyone.forEach((el, i) => {
      el.addEventListener(EVENTS.peerJoined, (event) => log.push(`${Date.now() - until} #${i} +${event.detail.participant.name}`));
      el.addEventListener(EVENTS.peerLeft, (event) => log.push(`${Date.now() - until} #${i} -${event.detail.participant.name}:${event.detail.reason}`));
    });
    // The newcomer arrives while the holder is frozen: its dial gets no answer. Once the broker
    // has dropped the frozen page, the id is free, and whoever asks first takes it: the newcomer
    // (it then forms a group of its own, to be merged), or a member that heard the holder go
    // silent (the newcomer then joins through it). Either way the id has left the frozen page.
    await newcomer!.join();
    expect(Date.now(), 'the newcomer joined while the holder was frozen').to.be.below(until);
    expect(everyone.filter((el) => roomOf(el)?.isRendezvous).length, 'one of the others took the id').to.equal(1);

    // Once the page runs again: one room of four, everyone linked to everyone, one holder.
    let views: string[] = [];
    const names = () => everyone.map((el) => el.participants.map((p) => p.name).sort().join(','));
    await waitFor(
      async () => {
        const frozenView = await participant<{ participants: string[] }>('state', { handle: frozen }).catch(() => null);
        return frozenView?.participants.length === 3 && everyone.every((el) => el.participants.length === 3);
      },
      () => `one room of four; the elements see ${names().join(' | ')}\n${log.join(', ')}\n${mesh.report()}`,
      90_000,
    );
    // Who left and came back meanwhile is reported, not asserted: in one run of five the frozen
    // page closed a link as it woke (issue 17, open).
    const departures = log.filter((line) => line.includes(' -'));
    console.log(`frozen holder: one room again ${Date.now() - until} ms after the freeze ended; departures [${departures.join(', ')}]`);
    await waitFor(
      async () => {
        views = [await participant<string>('mesh', { handle: frozen })];
        const holders = everyone.filter((el) => roomOf(el)?.isRendezvous).length + (holderMark(views[0]!) ? 1 : 0);
        return holders === 1;
      },
      () => `exactly one holder; the frozen page: ${views[0]}\n${mesh.report()}`,
    );
  });
});

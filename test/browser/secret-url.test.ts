/**
 * The room secret leaves the address bar once the element reads it: `location.href` (seen by
 * history, analytics and session replay) no longer holds it, the page's query and other fragment
 * parameters stay, and the invite link still brings a second participant, in another browser
 * process, into the same call, verified by the secret and with frames decoding both ways.
 */
import { expect } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import { forgetPageSecret, secretStorageKey } from '../../src/e2ee/secret.js';
import type { RoomController } from '../../src/element/controllers/room-controller.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { mountRooms, nextEvent, participant, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

const browser = navigator.userAgent.includes('Firefox') ? 'firefox' : 'chromium';

/** Frames this element decrypted (test-only access to the core). */
async function decrypted(el: VideoRoomElement): Promise<number> {
  const room = (el as unknown as { roomCtl: RoomController }).roomCtl.room;
  return (await room?.frameStats())?.decrypted ?? 0;
}

describe('the secret leaves the address bar', function () {
  // The remote browser may first take a while to launch on a busy machine.
  this.timeout(180_000);
  let before: string;
  let beforeState: unknown;
  /** The page's query with `x=1` added (the test runner's own parameters kept). */
  let query: string;

  beforeEach(() => {
    before = location.href;
    beforeState = history.state;
    query = location.search ? `${location.search}&x=1` : '?x=1';
  });

  afterEach(() => {
    // Forgotten while the URL still has this test's query: the memory is keyed by it.
    forgetPageSecret();
    history.replaceState(beforeState, '', before);
  });

  it('after a join with #vr-secret=…&other=1, location.href no longer holds the secret, and the invite link brings in a verified participant', async () => {
    const room = uniqueRoom('secret-url');
    // Person-chosen (so stretched with PBKDF2 on both sides), with characters that need encoding.
    const secret = `our phrase & ${crypto.randomUUID()}`;
    const encoded = encodeURIComponent(secret);
    history.replaceState({ kept: 'state' }, '', `${query}#vr-secret=${encoded}&other=1`);
    // Control: until the element reads it, the secret is in location.href (as it stayed before this change).
    expect(location.href).to.contain(encoded);
    const [el] = await mountRooms(1, room);
    expect(location.href, 'mounting reads nothing').to.contain(encoded);
    let remote: string | undefined;
    try {
      await el!.join();
      expect(el!.state).to.equal('joined');
      expect(el!.verification).to.equal('secret');
      expect(location.href).not.to.contain(encoded);
      expect(location.href).not.to.contain('vr-secret');
      expect(location.hash).to.equal('#other=1');
      expect(location.search).to.equal(query);
      expect(history.state).to.deep.equal({ kept: 'state' });
      // Kept for a reload of this tab: sessionStorage, per tab and never sent to a server.
      expect(sessionStorage.getItem(secretStorageKey(location.href))).to.equal(secret);
      expect([...el!.attributes].some((attr) => attr.value.includes(secret))).to.equal(false);

      const invite = new URL(el!.inviteLink());
      expect(invite.hash).to.equal(`#other=1&vr-secret=${encoded}`);
      expect(invite.search).to.equal(query);
      expect(location.href, 'making the invite link leaves the URL alone').not.to.contain(encoded);

      const verified = nextEvent<{ method: string }>(el!, EVENTS.peerVerified, 90_000);
      await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
      remote = await participant<string>('join', { browser, room, name: 'Invited', hash: invite.hash });
      // Its proof checked here, so it holds the same secret.
      expect((await verified).method).to.equal('secret');
      await waitForFullMeshMedia([el!], 5, 60_000, 1);
      expect(await decrypted(el!), 'frames decrypted here').to.be.greaterThan(0);
      // A page with a secret shows remote video only once it has verified the peer.
      await waitFor(async () => ((await participant<number[]>('frames', { handle: remote }))[0] ?? 0) > 5, 'the invited page decoding our video');
      expect(await participant<string[]>('errors', { handle: remote })).to.deep.equal([]);
    } finally {
      el!.leave();
      if (remote) await participant('close', { handle: remote });
    }
  });

  it('another element on the page and a rejoin still get the secret the fragment gave', async () => {
    const room = uniqueRoom('secret-memory');
    const secret = `kept ${crypto.randomUUID()}`;
    history.replaceState(null, '', `${query}#vr-secret=${encodeURIComponent(secret)}`);
    const [a, b] = await mountRooms(2, room);
    try {
      await a!.join();
      // The fragment's only parameter: no bare '#' is left.
      expect(location.href).to.equal(`${location.origin}${location.pathname}${query}`);
      const verified = [a!, b!].map((el) => nextEvent<{ method: string }>(el, EVENTS.peerVerified, 60_000));
      // b reads no fragment (it is gone) but the secret remembered for the page: without it,
      // b would join the room without a secret, under another rendezvous id, and never meet a.
      await b!.join();
      expect(b!.verification).to.equal('secret');
      for (const detail of await Promise.all(verified)) expect(detail.method).to.equal('secret');
      await waitForFullMeshMedia([a!, b!]);

      a!.leave();
      const again = [a!, b!].map((el) => nextEvent<{ method: string }>(el, EVENTS.peerVerified, 60_000));
      await a!.join();
      expect(a!.verification).to.equal('secret');
      for (const detail of await Promise.all(again)) expect(detail.method).to.equal('secret');
      await waitForFullMeshMedia([a!, b!]);
      expect(location.href).not.to.contain('vr-secret');
    } finally {
      a!.leave();
      b!.leave();
    }
  });
});

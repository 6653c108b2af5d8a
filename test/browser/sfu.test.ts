import { expect } from '@open-wc/testing';
import { setViewport } from '@web/test-runner-commands';
import type { FrameKeys } from '../../src/e2ee/frame-keys.js';
import { JanusSession, type JanusHandle } from '../../src/sfu/janus-client.js';
import { derivedId } from '../../src/room/room-id.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { presentedFrames, waitFor, waitForFullMeshMedia } from './helpers.js';
import { JANUS, decodedVideo, statsOfB, frameKeys, linkKeyId, coreRoom, waitForSfuMedia, inboundVideo, outboundVideo, mountSfu, checkSwitches, waitForFrames, watchGaps, sfuOf, tileWays } from './sfu-helpers.js';

describe('media through the SFU (Janus)', () => {
  after(() => setViewport({ width: 800, height: 600 }));

  it('six in SFU mode, on the media server their PeerServer names: each page decodes the five others and sends its video up on one connection only', async function () {
    this.timeout(180_000);
    // No media-server attribute: the server's own Janus, through its proxy.
    const elements = await mountSfu(6, 'sfu6', 'always', 'medium', [600, 420], null);
    await Promise.all(elements.map((el) => el.join()));
    await waitForSfuMedia(elements, 5, 10);
    for (const el of elements) {
      const out = await outboundVideo(el);
      expect(out.connections, 'connections sending video').to.equal(1);
      // Nothing goes over the mesh links: their senders carry no track.
      expect(sfuOf(el).route.sfuFrom).to.have.length(5);
    }
    // Every frame went through the encryption: sent encrypted, decrypted with its sender's key, none refused.
    for (const el of elements) {
      const stats = (await coreRoom(el).frameStats())!;
      expect(stats.video.encrypted, 'video frames encrypted').to.be.greaterThan(10);
      expect(stats.video.decrypted, 'video frames decrypted').to.be.greaterThan(50);
      expect(stats.authFailed + stats.noKey + stats.malformed, 'frames refused').to.equal(0);
    }
    for (const el of elements) el.leave();
  });

  it('crosses the threshold up and back down make-before-break, with at most 1 s without a frame on any tile', async () => {
    const elements = await mountSfu(4, 'sfu-switch', '4', 'low');
    const [a, b, c, d] = elements as [VideoRoomElement, VideoRoomElement, VideoRoomElement, VideoRoomElement];
    await Promise.all([a, b, c].map((el) => el.join()));
    await waitForFullMeshMedia([a, b, c], 10);
    expect([a, b, c].map((el) => sfuOf(el).route.way)).to.deep.equal(['mesh', 'mesh', 'mesh']);
    // Up: the fourth makes the room four, the threshold.
    const upGaps = [a, b, c].map(watchGaps);
    await d.join();
    await waitFor(
      () => elements.every((el) => { const ways = tileWays(el); return ways.length === 3 && ways.every((w) => w === 'sfu'); }),
      () => `every tile on the SFU; ${JSON.stringify(elements.map(tileWays))}`,
      60_000,
    );
    await waitForFrames(elements, 3);
    checkSwitches('up', upGaps.flatMap((stop) => stop()));
    // Every page sends its video on one connection only: the mesh holds it back.
    for (const el of elements) expect((await outboundVideo(el)).connections).to.equal(1);

    // Down: two leave, the room is two, two below the threshold.
    const downGaps = [a, b].map(watchGaps);
    d.leave();
    c.leave();
    await waitFor(
      () => [a, b].every((el) => tileWays(el).join() === 'mesh' && sfuOf(el).path === null),
      () => `both back on the mesh; ${JSON.stringify([a, b].map(tileWays))}`,
      60_000,
    );
    await waitForFrames([a, b], 1);
    const stay = new Set([a, b].map((el) => sfuOf(el).room.id));
    checkSwitches('down', downGaps.flatMap((stop) => stop()).filter(({ id }) => stay.has(id)));
    for (const el of [a, b]) el.leave();
  });

  it('without a secret, the frame keys know every participant’s link the moment they exist: a key arriving next is taken, not lost', async () => {
    const [a, b] = await mountSfu(2, 'sfu-keys', '2');
    await a.join();
    // Watch a's room get its frame keys (without a secret: when it moves to the SFU, b joining).
    const room = coreRoom(a) as unknown as { frameKeys: FrameKeys | null };
    let keys: FrameKeys | null = null;
    let addedAtOnce: string[] | null = null;
    Object.defineProperty(room, 'frameKeys', {
      configurable: true,
      get: () => keys,
      set: (value: FrameKeys | null) => {
        keys = value;
        if (!value) return;
        const added: string[] = [];
        const add = value.add.bind(value);
        value.add = (link) => {
          added.push(link.keyId);
          add(link);
        };
        // The earliest a peer's key message could be handled: a data channel message is a task.
        queueMicrotask(() => (addedAtOnce = [...added]));
      },
    });
    await b.join();
    await waitForSfuMedia([a, b], 1, 10);
    expect(addedAtOnce, 'links the keys knew right after they existed').to.deep.equal([linkKeyId(a, sfuOf(b).room.id)]);
    for (const el of [a, b]) el.leave();
  });

  it('no keys, no frames: a subscriber of our own at the SFU, without keys, decodes nothing of what it forwards', async () => {
    const [a, b] = await mountSfu(2, 'sfu-nokeys');
    await Promise.all([a.join(), b.join()]);
    await waitForSfuMedia([a, b], 1, 10);
    const feed = sfuOf(a).path!.feedId;
    // What the server, or anyone it lets in, gets: the room by its id, a's feed, no keys.
    const session = await JanusSession.connect(JANUS);
    const handle = await session.attach();
    const pc = new RTCPeerConnection();
    try {
      const roomId = await derivedId(a.room, null, 'sfu');
      const joined = await handle.message({ request: 'join', ptype: 'subscriber', room: roomId, streams: [{ feed }] });
      expect(joined.jsep?.type).to.equal('offer');
      await pc.setRemoteDescription({ type: 'offer', sdp: joined.jsep!.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await handle.message({ request: 'start' }, { type: 'answer', sdp: answer.sdp! });
      // It receives a's video: packets and bytes, in quantity.
      let received = { packets: 0, decoded: 0, keyFrames: 0 };
      await waitFor(
        async () => {
          const stats = await pc.getStats();
          stats.forEach((r: { type: string; kind?: string; packetsReceived?: number; framesDecoded?: number; keyFramesDecoded?: number }) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') received = { packets: r.packetsReceived ?? 0, decoded: r.framesDecoded ?? 0, keyFrames: r.keyFramesDecoded ?? 0 };
          });
          return received.packets > 200;
        },
        () => `the keyless subscriber receiving a's video; ${JSON.stringify(received)}`,
      );
      // ...and decodes none of it: every frame is SFrame ciphertext.
      expect(received.decoded, 'frames decoded without keys').to.equal(0);
      // A mute reaches what goes up: the publisher sends clones of the page's tracks.
      a.audioMuted = true;
      a.videoMuted = true;
      await a.updateComplete;
      const sent = sfuOf(a).path!.peerConnections[0]!.getSenders().map((s) => s.track);
      expect(sent.length, 'tracks going up').to.equal(2);
      for (const track of sent) expect(track?.enabled, `${track?.kind} going up while muted`).to.equal(false);
    } finally {
      pc.close();
      session.close();
      for (const el of [a, b]) el.leave();
    }
  });

  it('a feed the server puts on another participant’s m-line decodes nothing, and the drops are counted', async () => {
    const [a, b, c] = await mountSfu(3, 'sfu-swap');
    await Promise.all([a.join(), b.join(), c.join()]);
    await waitForSfuMedia([a, b, c], 2, 10);
    // The server "switches" a's m-line carrying b's camera to c's camera (Janus's switch request
    // on a's own subscriber handle: what a dishonest server can do without renegotiating).
    const subscriber = (sfuOf(a).path as unknown as { subscriber: { handle: import('../../src/sfu/janus-client.js').JanusHandle; streams: Map<string, { feed: string; feedMid: string; type: string }> } }).subscriber;
    const bId = sfuOf(b).room.id;
    const bFeed = sfuOf(b).path!.feedId;
    const cFeed = sfuOf(c).path!.feedId;
    const bVideo = [...subscriber.streams].find(([, s]) => s.feed === bFeed && s.type === 'video')!;
    const cVideo = [...subscriber.streams].find(([, s]) => s.feed === cFeed && s.type === 'video')!;
    const before = (await coreRoom(a).frameStats())!.senders;
    const bKey = Object.keys(before).find((id) => id === linkKeyId(a, bId))!;
    await subscriber.handle.message({ request: 'switch', streams: [{ feed: cFeed, mid: cVideo[1].feedMid, sub_mid: bVideo[0] }] });
    let dropped = 0;
    await waitFor(
      async () => {
        const stats = (await coreRoom(a).frameStats())!;
        dropped = (stats.senders[bKey]?.dropped ?? 0) - (before[bKey]?.dropped ?? 0);
        return dropped >= 20;
      },
      () => `a dropping c's frames on b's m-line; ${dropped} so far`,
    );
    // Nothing of c reached the decoder as b: b's tile on a stands still while c's goes on.
    const bTile = () => a.shadowRoot!.querySelector<HTMLVideoElement>(`[part~="tile"][data-id="${bId}"] video`)!;
    const frozen = presentedFrames(bTile());
    await waitForFrames([c], 20);
    expect(presentedFrames(bTile()) - frozen, 'frames shown as b after the swap').to.be.below(3);
    for (const el of [a, b, c]) el.leave();
  });

  it('a leave rotates every sender’s key in SFU mode, and the others go on decoding each other', async () => {
    const [a, b, c] = await mountSfu(3, 'sfu-rotate');
    await Promise.all([a.join(), b.join(), c.join()]);
    await waitForSfuMedia([a, b, c], 2, 10);
    const before = [a, b].map((el) => frameKeys(el).kid);
    const cKeys = new Set<number>(before);
    const cHandle = frameKeys(c).handle.bind(frameKeys(c));
    frameKeys(c).handle = (link, message) => {
      if (message.t === 'key') cKeys.add(message.kid);
      cHandle(link, message);
    };
    const epochs = [a, b].map((el) => new Promise((resolve) => coreRoom(el).on('key-epoch', resolve)));
    c.leave();
    await Promise.all(epochs);
    for (const [i, el] of [a, b].entries()) {
      expect(frameKeys(el).kid).not.to.equal(before[i]);
      expect(cKeys.has(frameKeys(el).kid), 'the leaver never got the new key').to.equal(false);
    }
    // Frames under the new keys decode through the SFU.
    await waitForFrames([a, b], 30);
    for (const el of [a, b]) expect(tileWays(el)).to.deep.equal(['sfu']);
    for (const el of [a, b]) el.leave();
  });

  it('a connection to the SFU that the server hangs up is made anew: our subscriber, and our publisher under a new feed id; every page decodes again', async () => {
    const [a, b, c] = await mountSfu(3, 'sfu-remake');
    await Promise.all([a.join(), b.join(), c.join()]);
    await waitForSfuMedia([a, b, c], 2, 10);
    type Side = { pc: RTCPeerConnection; handle: JanusHandle };
    const path = (el: VideoRoomElement) => sfuOf(el).path as unknown as { subscriber: Side | null; publisher: Side | null; feedId: string; published: boolean };
    // Janus hangs up a's subscriber connection and b's publisher connection, as it does when their ICE or DTLS fails.
    const [sub, pub, feed] = [path(a).subscriber!, path(b).publisher!, path(b).feedId];
    for (const side of [sub, pub]) await side.handle.session.send({ janus: 'hangup', handle_id: side.handle.id }, false);
    await waitFor(
      () => !!path(a).subscriber && path(a).subscriber !== sub && !!path(b).publisher && path(b).publisher !== pub && path(b).published,
      () => `a's subscriber and b's publisher made anew; b published: ${path(b).published}`,
      20_000,
    );
    expect(path(b).feedId, "b's new feed").not.to.equal(feed);
    expect(sub.pc.signalingState, "a's old subscriber connection").to.equal('closed');
    // a decodes both others on its new subscriber connection; a and c decode b's new feed.
    let last = '';
    await waitFor(
      async () => {
        // A subscriber made anew has no connection until Janus's first offer, nor b's new feed an m-line at first.
        const pc = path(a).subscriber?.pc;
        if (!pc) return false;
        const mine = await decodedVideo(pc);
        const ofB = await Promise.all([a, c].map((el) => statsOfB(el, sfuOf(b).room.id).catch(() => 0)));
        last = JSON.stringify({ mine, ofB });
        return mine.filter((n) => n >= 20).length === 2 && ofB.every((n) => n >= 20);
      },
      () => `a decoding two videos on its new subscriber, a and c decoding b's new feed; last ${last}`,
      30_000,
    );
    await waitForFrames([a, b, c], 20);
    for (const el of [a, b, c]) expect(tileWays(el), el.name).to.deep.equal(['sfu', 'sfu']);
    for (const el of [a, b, c]) el.leave();
  });

  it('simulcast: the top layer for a tile wide enough, the lowest for thumbnails, none for a tile on another page', async () => {
    const [a, b, c] = await mountSfu(3, 'sfu-layers', 'always', 'high', [600, 420]);
    await Promise.all([a.join(), b.join(), c.join()]);
    await waitForSfuMedia([a, b, c], 2, 10);
    // b publishes three layers (the top one once the estimate to the server allows it).
    let layers: string[] = [];
    await waitFor(async () => (layers = (await outboundVideo(b)).layers.sort()).join() === 'h,l,m', () => `three layers from b; ${layers.join()}`);
    const bId = sfuOf(b).room.id;
    const widthOf = async (el: VideoRoomElement, id: string) => {
      const track = (el.shadowRoot!.querySelector<HTMLVideoElement>(`[part~="tile"][data-id="${id}"] video`)?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      const receiver = sfuOf(el).path!.peerConnections.flatMap((pc) => pc.getReceivers()).find((r) => r.track === track);
      let width = 0;
      let decoded = 0;
      (await receiver!.getStats()).forEach((r: { type: string; frameWidth?: number; framesDecoded?: number }) => {
        if (r.type === 'inbound-rtp') ({ frameWidth: width = 0, framesDecoded: decoded = 0 } = r);
      });
      return { width, decoded };
    };
    // In a 600-px element three tiles are thumbnails: the lowest layer (a quarter of 1280).
    let seen = {};
    await waitFor(async () => (seen = await widthOf(a, bId)).width === 320, () => `b's camera at 320 px on a; ${JSON.stringify(seen)}`);
    // Wider, two of them side by side pass 400 px: the top layer.
    a.style.width = '1800px';
    a.style.height = '800px';
    await waitFor(async () => (seen = await widthOf(a, bId)).width === 1280, () => `b's camera at 1280 px on a; ${JSON.stringify(seen)}`);
    for (const el of [a, b, c]) el.leave();
  });

  it('simulcast: a tile on another page of the grid gets nothing from the SFU, and frames again when shown', async () => {
    // Five in 400×300 elements: each grid shows two of the four others and pages the rest.
    const elements = await mountSfu(5, 'sfu-paged', 'always', 'low');
    const [a, b] = elements as [VideoRoomElement, VideoRoomElement];
    await Promise.all(elements.map((el) => el.join()));
    await waitForSfuMedia(elements, 2, 10);
    const shown = new Set([...a.shadowRoot!.querySelectorAll<HTMLElement>('[part~="tile"]')].map((t) => t.dataset.id));
    const hidden = a.participants.map((p) => p.id).filter((id) => !shown.has(id));
    expect(hidden, 'participants on the second page').to.have.length(2);
    // The hidden ones' cameras are not forwarded: no frame decodes while the shown ones go on.
    const before = await Promise.all(hidden.map((id) => statsOfB(a, id)));
    await waitForFrames([a], 20);
    const after = await Promise.all(hidden.map((id) => statsOfB(a, id)));
    for (const [i, n] of after.entries()) expect(n - before[i]!, 'frames of a hidden tile decoded').to.be.below(3);
    expect(await inboundVideo(b)).to.satisfy((d: number[]) => d.filter((f) => f > 10).length >= 2);
    // Big enough for every tile: the hidden ones' frames come back.
    a.style.width = '1000px';
    a.style.height = '700px';
    await waitFor(async () => {
      const now = await Promise.all(hidden.map((id) => statsOfB(a, id)));
      return now.every((n, i) => n > after[i]! + 10);
    }, 'frames again once shown');
    for (const el of elements) el.leave();
  });

  it('a shared screen goes through the SFU, encrypted, and shows on the others (Chromium: Firefox cannot share headless)', async function () {
    if (navigator.userAgent.includes('Firefox')) this.skip();
    const [a, b, c] = await mountSfu(3, 'sfu-screen');
    await Promise.all([a.join(), b.join(), c.join()]);
    await waitForSfuMedia([a, b, c], 2, 10);
    expect(await a.shareScreen()).to.equal(true);
    for (const el of [b, c]) {
      const screenVideo = () => el.shadowRoot!.querySelector<HTMLVideoElement>('[part~="screen"] video');
      await waitFor(() => !!screenVideo() && presentedFrames(screenVideo()!) > 20, 'the screen presenting through the SFU');
      const track = (screenVideo()!.srcObject as MediaStream).getVideoTracks()[0];
      const sfuTracks = sfuOf(el).path!.peerConnections.flatMap((pc) => pc.getReceivers().map((r) => r.track));
      expect(sfuTracks.includes(track!), 'the screen came from the SFU').to.equal(true);
    }
    // Still one connection sending video: the screen goes up beside the camera, on the publisher.
    expect((await outboundVideo(a)).connections).to.equal(1);
    for (const el of [a, b, c]) el.leave();
  });
});

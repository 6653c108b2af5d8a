/**
 * FrameCrypto in real browsers: loopback calls between RTCPeerConnections of this page, fake camera
 * and microphone, proven by decoded frames (getStats inbound-rtp) and FrameCrypto's counters.
 */
import { expect } from '@open-wc/testing';
import { FrameCrypto, pinCodecsForE2EE, type FrameCryptoMode } from '../../src/e2ee/frame-crypto.js';
import { waitFor } from './helpers.js';

interface Inbound {
  framesDecoded: number;
  framesReceived: number;
  packetsReceived: number;
  totalSamplesReceived: number;
  concealedSamples: number;
}

/** Sums the inbound-rtp counters of `kind` on `pc`. */
async function inbound(pc: RTCPeerConnection, kind: 'audio' | 'video'): Promise<Inbound> {
  const total: Inbound = { framesDecoded: 0, framesReceived: 0, packetsReceived: 0, totalSamplesReceived: 0, concealedSamples: 0 };
  (await pc.getStats()).forEach((report: { type: string; kind?: string } & Partial<Inbound>) => {
    if (report.type !== 'inbound-rtp' || report.kind !== kind) return;
    for (const key of Object.keys(total) as (keyof Inbound)[]) total[key] += report[key] ?? 0;
  });
  return total;
}

const randomKey = () => crypto.getRandomValues(new Uint8Array(16));

describe('FrameCrypto (SFrame over encoded transforms)', function () {
  this.timeout(120_000);

  let media: MediaStream;
  const connections: RTCPeerConnection[] = [];
  const cryptos: FrameCrypto[] = [];
  const players: HTMLMediaElement[] = [];

  before(async () => {
    media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
  });

  after(() => media?.getTracks().forEach((track) => track.stop()));

  afterEach(() => {
    connections.splice(0).forEach((pc) => pc.close());
    cryptos.splice(0).forEach((fc) => fc.close());
    players.splice(0).forEach((player) => player.remove());
  });

  function frameCrypto(mode?: FrameCryptoMode): FrameCrypto {
    const fc = new FrameCrypto(mode ? { mode } : {});
    cryptos.push(fc);
    return fc;
  }

  /**
   * A one-way call from `send` to `receive`, camera and microphone, signalled inside the page.
   * The receiver decrypts with the keys of `senderId`. Either side may go without FrameCrypto.
   */
  async function call(options: {
    send: FrameCrypto | null;
    receive: FrameCrypto | null;
    senderId?: string;
    config?: RTCConfiguration;
  }): Promise<{ sender: RTCPeerConnection; receiver: RTCPeerConnection; transceivers: RTCRtpTransceiver[] }> {
    const sender = new RTCPeerConnection(options.config);
    const receiver = new RTCPeerConnection(options.config);
    connections.push(sender, receiver);
    sender.onicecandidate = ({ candidate }) => void (candidate && receiver.addIceCandidate(candidate));
    receiver.onicecandidate = ({ candidate }) => void (candidate && sender.addIceCandidate(candidate));
    receiver.ontrack = ({ receiver: rtpReceiver, track }) => {
      options.receive?.protectReceiver(rtpReceiver, options.senderId ?? 'alice');
      // Chromium decodes remote audio only while something plays it (muted is enough).
      if (track.kind !== 'audio') return;
      const player = document.createElement('audio');
      player.muted = true;
      player.srcObject = new MediaStream([track]);
      document.body.append(player);
      players.push(player);
      void player.play().catch(() => {});
    };
    const transceivers = media.getTracks().map((track) => {
      const transceiver = sender.addTransceiver(track, { direction: 'sendonly', streams: [media] });
      expect(pinCodecsForE2EE(transceiver), `pin ${track.kind}`).to.equal(true);
      options.send?.protectSender(transceiver.sender);
      return transceiver;
    });
    await sender.setLocalDescription();
    await receiver.setRemoteDescription(sender.localDescription!);
    await receiver.setLocalDescription();
    await sender.setRemoteDescription(receiver.localDescription!);
    return { sender, receiver, transceivers };
  }

  /** Waits until `receiver` has decoded at least `count` more video frames than when called. */
  async function decodesMore(receiver: RTCPeerConnection, count: number, what: string): Promise<number> {
    const start = (await inbound(receiver, 'video')).framesDecoded;
    let last = start;
    await waitFor(
      async () => (last = (await inbound(receiver, 'video')).framesDecoded) >= start + count,
      () => `${what}: ${count} more decoded frames (from ${start}, at ${last})`,
      60_000,
    );
    return last;
  }

  it('finds RTCRtpScriptTransform in this browser and needs no extra RTCConfiguration for it', () => {
    expect(FrameCrypto.availableMode()).to.equal('script-transform');
    expect(FrameCrypto.rtcConfig('script-transform')).to.deep.equal({});
    expect(FrameCrypto.rtcConfig('encoded-streams')).to.deep.equal({ encodedInsertableStreams: true });
  });

  it('decodes video and audio when both sides hold the key; frames are counted both ways', async () => {
    const alice = frameCrypto();
    const bob = frameCrypto();
    const key = randomKey();
    alice.setSendKey(1, key);
    bob.addReceiveKey('alice', 1, key);
    const { receiver, transceivers } = await call({ send: alice, receive: bob });

    await decodesMore(receiver, 1, 'first frame');
    const before = [await alice.stats(), await bob.stats()];
    await decodesMore(receiver, 30, 'with the key');
    // Each side counts on its own clock: under load the sender's encoder slows down while the
    // receiver works through frames already in flight, so each count is awaited, not compared
    // at one instant.
    await waitFor(async () => (await alice.stats()).video.encrypted > before[0]!.video.encrypted + 20, 'alice: 20 more frames encrypted');
    await waitFor(async () => (await bob.stats()).video.decrypted > before[1]!.video.decrypted + 20, 'bob: 20 more frames decrypted');
    const [sent, received] = [await alice.stats(), await bob.stats()];
    expect(received.senders['alice']?.decrypted).to.equal(received.decrypted);
    expect([sent.dropped, received.dropped]).to.deep.equal([0, 0]);
    expect(sent.sendKid).to.equal(1);

    // Audio: decrypted Opus frames and samples that were decoded rather than concealed.
    let heard = '';
    await waitFor(
      async () => {
        const [audio, stats] = [await inbound(receiver, 'audio'), await bob.stats()];
        heard = JSON.stringify({ audio, decrypted: stats.audio });
        return audio.totalSamplesReceived - audio.concealedSamples > 48_000 && stats.audio.decrypted > 50;
      },
      () => `decoded audio samples: ${heard}`,
    );

    // Only VP8 (+ RTX) and Opus were negotiated.
    const mimeTypes = transceivers.flatMap((t) => t.sender.getParameters().codecs.map((codec) => codec.mimeType.toLowerCase()));
    expect(mimeTypes.filter((m) => !['audio/opus', 'video/vp8', 'video/rtx'].includes(m))).to.deep.equal([]);
    expect(mimeTypes).to.include.members(['audio/opus', 'video/vp8']);
  });

  it('decodes nothing at a receiver without the key, while frames keep arriving; decodes once the key comes', async () => {
    const alice = frameCrypto();
    const bob = frameCrypto();
    const key = randomKey();
    alice.setSendKey(7, key);
    // The right key under another sender id must not open alice's frames.
    bob.addReceiveKey('mallory', 7, key);
    const { receiver } = await call({ send: alice, receive: bob, senderId: 'alice' });

    let state = '';
    await waitFor(
      async () => {
        const [video, stats] = [await inbound(receiver, 'video'), await bob.stats()];
        state = JSON.stringify({ video, alice: stats.senders['alice'] });
        return video.packetsReceived > 100 && (stats.senders['alice']?.noKey ?? 0) >= 60;
      },
      () => `frames arriving and dropped without a key: ${state}`,
    );
    const video = await inbound(receiver, 'video');
    const stats = await bob.stats();
    expect(video.framesDecoded, state).to.equal(0);
    expect(stats.decrypted).to.equal(0);
    expect(stats.senders['mallory']).to.equal(undefined);

    bob.addReceiveKey('alice', 7, key);
    await decodesMore(receiver, 30, 'after the key arrived');
  });

  it('rotation: after the sender moves to a new key, a receiver with only the old one stops decoding', async () => {
    const alice = frameCrypto();
    const bob = frameCrypto();
    const carol = frameCrypto();
    const [oldKey, newKey] = [randomKey(), randomKey()];
    alice.setSendKey(1, oldKey);
    for (const receiver of [bob, carol]) receiver.addReceiveKey('alice', 1, oldKey);
    bob.addReceiveKey('alice', 2, newKey);
    // One FrameCrypto encrypts for both links: one counter for the key.
    const toBob = await call({ send: alice, receive: bob });
    const toCarol = await call({ send: alice, receive: carol });
    await Promise.all([decodesMore(toBob.receiver, 10, 'bob, old key'), decodesMore(toCarol.receiver, 10, 'carol, old key')]);

    alice.setSendKey(2, newKey);
    expect((await alice.stats()).sendKid).to.equal(2);
    // Frames encrypted before the switch may still be on their way: wait for carol's first drops.
    await waitFor(async () => (await carol.stats()).noKey >= 10, 'carol dropping frames with the new KID');
    const carolDecoded = (await inbound(toCarol.receiver, 'video')).framesDecoded;
    const carolDecrypted = (await carol.stats()).video.decrypted;

    await decodesMore(toBob.receiver, 30, 'bob, new key');
    let drops = 0;
    await waitFor(async () => (drops = (await carol.stats()).video.noKey) >= 60, () => `carol dropping (${drops})`);
    expect((await inbound(toCarol.receiver, 'video')).framesDecoded).to.equal(carolDecoded);
    expect((await carol.stats()).video.decrypted).to.equal(carolDecrypted);
    const bobStats = await bob.stats();
    expect(bobStats.dropped, JSON.stringify(bobStats)).to.equal(0);
  });

  it('sends nothing decodable from a sender without a key', async () => {
    const alice = frameCrypto();
    const bob = frameCrypto();
    bob.addReceiveKey('alice', 1, randomKey());
    const { receiver } = await call({ send: alice, receive: bob });

    let dropped = 0;
    await waitFor(async () => (dropped = (await alice.stats()).video.noSendKey) >= 60, () => `sender dropping (${dropped})`);
    const [sent, received, video] = [await alice.stats(), await bob.stats(), await inbound(receiver, 'video')];
    expect(sent.encrypted).to.equal(0);
    expect(sent.sendKid).to.equal(null);
    expect(received.decrypted).to.equal(0);
    expect(video.framesDecoded).to.equal(0);
  });

  it('works in the forced encoded-streams mode (Chromium)', async function () {
    if (!('createEncodedStreams' in RTCRtpSender.prototype)) this.skip();
    const alice = frameCrypto('encoded-streams');
    const bob = frameCrypto('encoded-streams');
    expect(alice.mode).to.equal('encoded-streams');
    const key = randomKey();
    alice.setSendKey(3, key);
    bob.addReceiveKey('alice', 3, key);
    const config = FrameCrypto.rtcConfig('encoded-streams') as RTCConfiguration;
    const { receiver } = await call({ send: alice, receive: bob, config });
    await decodesMore(receiver, 30, 'encoded-streams');
    const stats = await bob.stats();
    expect(stats.video.decrypted).to.be.greaterThan(25);
    expect(stats.dropped).to.equal(0);
  });

  it('refuses key ids and base keys it cannot use', () => {
    const fc = frameCrypto();
    expect(() => fc.setSendKey(-1, randomKey())).to.throw(RangeError);
    expect(() => fc.setSendKey(2 ** 32, randomKey())).to.throw(RangeError);
    expect(() => fc.setSendKey(1.5, randomKey())).to.throw(RangeError);
    expect(() => fc.addReceiveKey('a', 1, new Uint8Array(8))).to.throw(RangeError);
  });
});

/**
 * The send caps of one link (LinkMedia.applyCaps) on a fake connection that counts what the
 * browser would be asked: getParameters is synchronous and waits on the browser's WebRTC thread
 * (seconds at a time on a busy machine), so caps that have not changed must not ask again.
 */
import { expect } from '@open-wc/testing';
import { LinkMedia } from '../../src/link/link-media.js';
import type { SenderCaps, UpstreamCaps } from '../../src/link/bandwidth.js';
import { flush } from './fakes/fake-clock.js';

/** A sender with one encoding (once negotiated), counting reads and writes of its parameters. */
function fakeSender(negotiated = true) {
  const sender = {
    negotiated,
    reads: 0,
    writes: [] as SenderCaps[],
    encoding: {} as RTCRtpEncodingParameters,
    getParameters() {
      sender.reads++;
      return { encodings: sender.negotiated ? [{ ...sender.encoding }] : [] } as unknown as RTCRtpSendParameters;
    },
    setParameters(params: RTCRtpSendParameters) {
      const e = params.encodings[0]!;
      sender.encoding = e;
      sender.writes.push({ maxBitrate: e.maxBitrate!, scaleResolutionDownBy: e.scaleResolutionDownBy!, maxFramerate: e.maxFramerate! });
      return Promise.resolve();
    },
  };
  return sender;
}

/** A link whose connection has negotiated one audio and one video m-line, with `video` as the camera's sender. */
function linkMedia(video: ReturnType<typeof fakeSender>) {
  const transceiver = (mid: string, kind: string, sender: unknown) => ({ mid, direction: 'sendrecv', sender, receiver: { track: { kind } } });
  const pc = {
    remoteDescription: { sdp: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n' },
    localDescription: null,
    getTransceivers: () => [transceiver('0', 'audio', fakeSender()), transceiver('1', 'video', video)],
  } as unknown as RTCPeerConnection;
  return new LinkMedia({ pc: () => pc, maySend: () => true, mayShare: () => true, close: () => undefined }, true, null, 'peer');
}

const caps = (maxBitrate: number): UpstreamCaps => ({ camera: { maxBitrate, scaleResolutionDownBy: 1, maxFramerate: 30 }, screen: null });

describe('send caps (LinkMedia)', () => {
  it('reads and sets a sender once for caps applied again and again, and again when they change', async () => {
    const video = fakeSender();
    const media = linkMedia(video);
    media.setSendCaps(caps(1_000_000));
    await flush();
    // Every stable state applies the caps again (renegotiations, ICE restarts): nothing to ask.
    for (let i = 0; i < 10; i++) media.applyCaps();
    media.setSendCaps(caps(1_000_000));
    await flush();
    expect(video.reads, 'getParameters calls').to.equal(1);
    expect(video.writes.map((w) => w.maxBitrate)).to.deep.equal([1_000_000]);
    media.setSendCaps(caps(500_000));
    await flush();
    expect(video.reads).to.equal(2);
    expect(video.writes.map((w) => w.maxBitrate)).to.deep.equal([1_000_000, 500_000]);
  });

  it('asks a sender not yet negotiated again at the next stable state, and then has its caps', async () => {
    const video = fakeSender(false);
    const media = linkMedia(video);
    media.setSendCaps(caps(800_000));
    await flush();
    expect(video.writes, 'nothing to cap before negotiation').to.deep.equal([]);
    video.negotiated = true;
    media.applyCaps();
    await flush();
    expect(video.writes.map((w) => w.maxBitrate)).to.deep.equal([800_000]);
    media.applyCaps();
    await flush();
    expect(video.reads).to.equal(2);
  });

  it('applies caps that changed again while a change was under way once, as they are last', async () => {
    const video = fakeSender();
    let release: () => void = () => undefined;
    const set = video.setParameters;
    // The first setParameters settles only when released, as on a busy machine.
    video.setParameters = (params) => {
      set(params);
      return new Promise<void>((resolve) => (release = resolve));
    };
    const media = linkMedia(video);
    media.setSendCaps(caps(1_000_000));
    await flush();
    // Three newcomers while the first change is under way: the caps change three times.
    for (const bitrate of [800_000, 600_000, 400_000]) media.setSendCaps(caps(bitrate));
    video.setParameters = set;
    release();
    await flush();
    expect(video.writes.map((w) => w.maxBitrate)).to.deep.equal([1_000_000, 400_000]);
    expect(video.reads, 'getParameters calls').to.equal(2);
  });
});

/**
 * Our media going up to the SFU, once: one connection to Janus carrying the microphone, the
 * camera in three simulcast layers and, while sharing, the screen. Every sender encrypts its
 * frames (SFrame) before anything is negotiated, and Janus is told so (`e2ee`): a room created
 * with `require_e2ee` takes nothing else.
 */
import type { FrameProtector } from '../link/link-media.js';
import { VIDEO_QUALITIES } from '../media/quality.js';
import type { Upstream } from '../media/media-path.js';
import { AUDIO_KBPS, MAX_SCREEN_KBPS, SCREEN_FRAME_RATE } from '../link/bandwidth.js';
import type { JanusHandle } from './janus-client.js';
import { ConnectWatch } from './connect-watch.js';

/** The simulcast layers, highest first as Janus (and janus.js) expect: full, half and quarter size. */
export const SIMULCAST_LAYERS = [
  { rid: 'h', scaleResolutionDownBy: 1, share: 0.7 },
  { rid: 'm', scaleResolutionDownBy: 2, share: 0.22 },
  { rid: 'l', scaleResolutionDownBy: 4, share: 0.08 },
] as const;

/** The bitrate cap of each simulcast layer (bit/s): the quality's own, within the upstream budget. */
export function layerBitrates({ maxUpstreamKbps, quality }: Upstream, sharingScreen: boolean): number[] {
  const screenKbps = sharingScreen ? Math.min(MAX_SCREEN_KBPS, maxUpstreamKbps * 0.5) : 0;
  const videoKbps = Math.max(100, Math.min(VIDEO_QUALITIES[quality].maxKbps / SIMULCAST_LAYERS[0].share, maxUpstreamKbps - AUDIO_KBPS - screenKbps));
  return SIMULCAST_LAYERS.map(({ share }) => Math.round(videoKbps * share * 1000));
}

export class Publisher {
  readonly pc: RTCPeerConnection;
  #audio: RTCRtpTransceiver | null = null;
  #video: RTCRtpTransceiver | null = null;
  #screen: RTCRtpTransceiver | null = null;
  #upstream: Upstream;
  /** The tracks we send: clones of the page's (see #put), with the track each was cloned from. */
  readonly #clones = new Map<RTCRtpTransceiver, { clone: MediaStreamTrack; source: MediaStreamTrack }>();
  #queue: Promise<unknown> = Promise.resolve();
  /** Whether our connection comes up (`stalled`: it did not, or failed, or Janus hung it up). */
  readonly watch: ConnectWatch;

  constructor(
    rtc: RTCConfiguration,
    readonly handle: JanusHandle,
    readonly frames: FrameProtector,
    upstream: Upstream,
    stalled: (reason: string) => void,
  ) {
    this.pc = new RTCPeerConnection(rtc);
    this.#upstream = upstream;
    this.pc.onicecandidate = ({ candidate }) => handle.trickle(candidate);
    this.watch = new ConnectWatch(this.pc, stalled);
  }

  /** Publishes `stream`'s tracks (audio and camera); resolves once Janus answered. */
  publish(stream: MediaStream): Promise<void> {
    const audio = stream.getAudioTracks()[0];
    const video = stream.getVideoTracks()[0];
    if (audio) this.#audio = this.#add(audio, { direction: 'sendonly', streams: [stream] });
    if (video) {
      const bitrates = layerBitrates(this.#upstream, false);
      const sendEncodings = SIMULCAST_LAYERS.map(({ rid, scaleResolutionDownBy }, i) => ({ rid, scaleResolutionDownBy, maxBitrate: bitrates[i] ?? 0 }));
      this.#video = this.#add(video, { direction: 'sendonly', streams: [stream], sendEncodings });
    }
    return this.#renegotiate('publish').then(() => this.watch.arm());
  }

  /** The camera or microphone changed: the same senders take the new tracks. */
  async setLocalStream(stream: MediaStream | null): Promise<void> {
    await Promise.all([this.#put(this.#audio, stream?.getAudioTracks()[0] ?? null), this.#put(this.#video, stream?.getVideoTracks()[0] ?? null)]);
  }

  /** Shares a screen (a transceiver of its own, negotiated again with Janus) or stops (null). */
  setScreenTrack(track: MediaStreamTrack | null): Promise<void> {
    if (track) {
      if (!this.#screen) {
        this.#screen = this.#add(track, { direction: 'sendonly', sendEncodings: [{ maxBitrate: MAX_SCREEN_KBPS * 1000, maxFramerate: SCREEN_FRAME_RATE }] });
        return this.#renegotiate('configure');
      }
      const screen = this.#screen;
      const reactivate = screen.direction !== 'sendonly';
      screen.direction = 'sendonly';
      void this.#put(screen, track);
      return reactivate ? this.#renegotiate('configure') : Promise.resolve();
    }
    if (!this.#screen || this.#screen.direction === 'inactive') return Promise.resolve();
    void this.#put(this.#screen, null);
    this.#screen.direction = 'inactive';
    return this.#renegotiate('configure');
  }

  /** A new budget or quality: the layers' caps follow. */
  async setUpstream(upstream: Upstream): Promise<void> {
    this.#upstream = upstream;
    const sender = this.#video?.sender;
    if (!sender) return;
    const params = sender.getParameters();
    const bitrates = layerBitrates(upstream, this.#screen?.direction === 'sendonly');
    params.encodings.forEach((encoding, i) => (encoding.maxBitrate = bitrates[i] ?? encoding.maxBitrate));
    await sender.setParameters(params).catch(() => undefined);
  }

  close(): void {
    this.watch.close();
    this.pc.close();
    for (const { clone } of this.#clones.values()) clone.stop();
    this.#clones.clear();
  }

  /** A mute or unmute (the page's tracks' `enabled`): the clones we send follow at once. */
  syncEnabled(): void {
    for (const { clone, source } of this.#clones.values()) clone.enabled = source.enabled;
  }

  /**
   * Puts a clone of `track` on a sender: in Chromium, publishing the very tracks the mesh links
   * send held back every other copy's video for about two seconds (measured in sfu.test), and a
   * clone has a pipeline of its own. A clone does not follow its source's `enabled` (a mute):
   * syncEnabled does.
   */
  async #put(transceiver: RTCRtpTransceiver | null, track: MediaStreamTrack | null): Promise<void> {
    if (!transceiver) return;
    const sent = track?.clone() ?? null;
    const before = this.#clones.get(transceiver);
    if (sent && track) this.#clones.set(transceiver, { clone: sent, source: track });
    else this.#clones.delete(transceiver);
    await transceiver.sender.replaceTrack(sent).catch(() => undefined);
    before?.clone.stop();
  }

  /** A sendonly transceiver whose frames are encrypted before its track goes on. */
  #add(track: MediaStreamTrack, init: RTCRtpTransceiverInit): RTCRtpTransceiver {
    const transceiver = this.pc.addTransceiver(track.kind, init);
    this.frames.pinCodecs(transceiver);
    this.frames.protectSender(transceiver.sender);
    void this.#put(transceiver, track);
    return transceiver;
  }

  /** Offers our media to Janus and takes its answer; one negotiation at a time. */
  #renegotiate(request: 'publish' | 'configure'): Promise<void> {
    const run = async () => {
      const offer = await this.pc.createOffer();
      await this.pc.setLocalDescription(offer);
      // `e2ee`: every frame is encrypted; a room created with require_e2ee refuses anything else.
      const reply = await this.handle.message({ request }, { type: 'offer', sdp: offer.sdp ?? '', e2ee: true });
      if (!reply.jsep || reply.jsep.type !== 'answer') throw new Error('the media server sent no answer');
      await this.pc.setRemoteDescription(reply.jsep);
    };
    const turn = this.#queue.then(run, run);
    this.#queue = turn.catch(() => undefined);
    return turn;
  }
}

/**
 * The media of one link: the camera and microphone transceivers negotiated in the first
 * handshake (our tracks go on with replaceTrack, never by renegotiating), the screen share on a
 * transceiver of its own, the send caps, and frame encryption on every sender and receiver.
 */
import { cameraMids } from './sdp.js';
import type { SenderCaps, UpstreamCaps } from './bandwidth.js';

/** Frame encryption as a link needs it: every sender and receiver goes through it. */
export interface FrameProtector {
  /** Encrypts what `sender` sends. */
  protectSender(sender: RTCRtpSender): void;
  /** Decrypts what `receiver` receives with the keys of `senderId`. */
  protectReceiver(receiver: RTCRtpReceiver, senderId: string): void;
  /** Keeps the codecs whose clear bytes the encryption knows (VP8, Opus). */
  pinCodecs(transceiver: RTCRtpTransceiver): void;
}

/** What the media needs of its link. */
export interface MediaLink {
  /** The peer connection, while the link is up (null once closed). */
  pc(): RTCPeerConnection | null;
  /** Whether our camera may go out: the link started (its handshake checked) and the peer is verified. */
  maySend(): boolean;
  /** Whether a screen may be shared: the channel is open and the peer verified. */
  mayShare(): boolean;
  /** Closes the link (a transform that cannot be attached fails closed). */
  close(): void;
}

const CAMERA_KINDS = ['audio', 'video'] as const;

/** One camera or microphone transceiver. */
interface Camera {
  kind: 'audio' | 'video';
  transceiver: RTCRtpTransceiver;
}

/** The transceivers, tracks, caps and frame protection of one link. */
export class LinkMedia {
  #localStream: MediaStream | null = null;
  /** Whether our media is held back on this link (the peer gets it from the SFU; see pause). */
  #paused = false;
  /** The screen we share on this link, if any. */
  #screenTrack: MediaStreamTrack | null = null;
  /** Our screen transceiver, kept (inactive) after a share so the next one reuses its m-line. */
  #screenTransceiver: RTCRtpTransceiver | null = null;
  #caps: UpstreamCaps | null = null;
  /** setLocalStream's track changes, one at a time. */
  #tracksQueue: Promise<void> = Promise.resolve();
  /** setParameters calls on one sender must not overlap; they queue here. */
  #capsQueue: Promise<void> = Promise.resolve();
  /**
   * The caps each sender has, as last applied or read. getParameters is synchronous and waits on
   * the browser's WebRTC thread (up to 1.6 s a call in a busy six-person join), so a sender whose
   * caps have not changed is not asked again.
   */
  readonly #applied = new WeakMap<RTCRtpSender, SenderCaps>();
  /** The camera mids of the last description read (see cameraTransceivers). */
  #midsOf: { sdp: string | undefined; mids: ReturnType<typeof cameraMids> } = { sdp: undefined, mids: {} };

  readonly #link: MediaLink;
  /** Whether this side dialed: its first offer settled the camera m-lines. */
  readonly #outgoing: boolean;
  /** Frame encryption (with a room secret), or null. */
  readonly #frames: FrameProtector | null;
  /** The id under which the peer's frame keys are kept. */
  readonly #keyId: string;
  constructor(
    link: MediaLink,
    outgoing: boolean,
    frames: FrameProtector | null,
    keyId: string,
  ) {
    this.#link = link;
    this.#outgoing = outgoing;
    this.#frames = frames;
    this.#keyId = keyId;
  }

  /**
   * Readies a connection we dial, before PeerJS makes its first offer: the camera and microphone
   * transceivers (sendrecv, no track yet), with their codecs pinned and their senders encrypting,
   * so that the one handshake through the broker negotiates the media with the channel. Nothing
   * is sent on them before the link has started (and, with a room secret, the peer is verified).
   */
  static prepareOffer(pc: RTCPeerConnection, frames: FrameProtector | null): void {
    for (const kind of CAMERA_KINDS) {
      const transceiver = pc.addTransceiver(kind, { direction: 'sendrecv' });
      try {
        frames?.pinCodecs(transceiver);
        frames?.protectSender(transceiver.sender);
      } catch {
        // The link's own check (protect) fails closed on the same transceiver.
      }
    }
  }

  /** The local camera and microphone (null: none yet, or receive only). */
  get localStream(): MediaStream | null {
    return this.#localStream;
  }

  /**
   * Puts every sender and receiver of `pc` through frame encryption, before media flows (each
   * is done once). Fails closed: if a transform cannot be attached, the link closes rather than
   * send or show anything unencrypted. Returns whether the link is still usable.
   */
  protect(pc: RTCPeerConnection): boolean {
    const frames = this.#frames;
    if (!frames) return true;
    try {
      for (const transceiver of pc.getTransceivers()) {
        if (transceiver.direction === 'stopped') continue;
        frames.pinCodecs(transceiver);
        frames.protectSender(transceiver.sender);
        frames.protectReceiver(transceiver.receiver, this.#keyId);
      }
      return true;
    } catch {
      this.#link.close();
      return false;
    }
  }

  /** See PeerLink.setLocalStream. */
  setLocalStream(stream: MediaStream | null): Promise<void> {
    this.#localStream = stream;
    // One at a time, each putting on what is wanted when it runs: a replaceTrack still under way
    // leaves sender.track as it was, so a second call comparing with it would skip its change (a
    // pause right after the first tracks went on left Firefox sending the camera).
    const run = async () => {
      const pc = this.#link.pc();
      // No track goes out before the link has started (its handshake checked), nor to a peer that
      // has not proved it knows the room secret, nor on a sender that does not encrypt.
      if (!pc || !this.#link.maySend() || !this.protect(pc)) return;
      await Promise.all(
        this.#cameras(pc).map(({ kind, transceiver }) => {
          const track = this.#localTrack(kind);
          return transceiver.sender.track === track ? undefined : transceiver.sender.replaceTrack(track);
        }),
      ).catch(() => undefined);
    };
    return (this.#tracksQueue = this.#tracksQueue.then(run, run));
  }

  /**
   * Holds our camera, microphone and screen back on this link (the peer gets them from the SFU),
   * or lets them go again: a replaceTrack on the transceivers negotiated at the start, so the
   * link stays as it is and either way takes effect at once.
   */
  pause(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    void this.setLocalStream(this.#localStream);
    this.applyScreen();
  }

  /** See PeerLink.setScreenTrack. */
  setScreenTrack(track: MediaStreamTrack | null): void {
    this.#screenTrack = track;
    this.applyScreen();
  }

  /** See PeerLink.setSendCaps. */
  setSendCaps(caps: UpstreamCaps): void {
    this.#caps = caps;
    this.applyCaps();
  }

  /** Whether `transceiver` carries the camera or microphone (else it is a screen). */
  isCamera(pc: RTCPeerConnection, transceiver: RTCRtpTransceiver): boolean {
    return this.#cameras(pc).some((c) => c.transceiver === transceiver);
  }

  /**
   * Accepts offered camera transceivers as sendrecv, with our tracks if capture has settled, and
   * protects them. Returns whether the link is still usable (see protect).
   */
  acceptOffer(pc: RTCPeerConnection): boolean {
    for (const { kind, transceiver } of this.#cameras(pc)) {
      transceiver.direction = 'sendrecv';
      const track = this.#link.maySend() ? this.#localTrack(kind) : null;
      if (track && !transceiver.sender.track) void transceiver.sender.replaceTrack(track);
    }
    return this.protect(pc);
  }

  #localTrack(kind: 'audio' | 'video'): MediaStreamTrack | null {
    if (this.#paused) return null;
    return this.#localStream?.getTracks().find((t) => t.kind === kind) ?? null;
  }

  /**
   * The camera and microphone transceivers: the first audio and video m-lines once negotiated
   * (a screen transceiver we added before the first offer arrived comes first in
   * getTransceivers(), but not in the SDP); before that, the dialer's first of each kind.
   */
  #cameras(pc: RTCPeerConnection): Camera[] {
    const sdp = pc.remoteDescription?.sdp ?? pc.localDescription?.sdp;
    // Read many times a second (the speaker level): the SDP is parsed once per description.
    if (sdp !== this.#midsOf.sdp) this.#midsOf = { sdp, mids: cameraMids(sdp) };
    const mids = this.#midsOf.mids;
    const live = pc.getTransceivers().filter((t) => t.direction !== 'stopped');
    const result: Camera[] = [];
    for (const kind of CAMERA_KINDS) {
      const mid = mids[kind];
      const transceiver =
        mid !== undefined
          ? live.find((t) => t.mid === mid)
          : live.find((t) => t.receiver.track.kind === kind && t !== this.#screenTransceiver);
      if (transceiver) result.push({ kind, transceiver });
    }
    return result;
  }

  /** Puts the screen on its transceiver, or takes it off; a no-op until sharing is allowed. */
  applyScreen(): void {
    const pc = this.#link.pc();
    // The camera m-lines must be settled first, so a screen transceiver cannot be mistaken for one.
    if (!pc || !this.#link.mayShare() || !(this.#outgoing || pc.remoteDescription !== null)) return;
    const track = this.#paused ? null : this.#screenTrack;
    const transceiver = this.#screenTransceiver;
    if (track) {
      if (!transceiver) {
        const encodings = this.#caps?.screen ? [{ ...this.#caps.screen }] : undefined;
        // Protected before the track goes on, so no frame leaves in clear.
        const added = (this.#screenTransceiver = pc.addTransceiver(track.kind, { direction: 'sendonly', ...(encodings ? { sendEncodings: encodings } : {}) }));
        if (this.protect(pc)) void added.sender.replaceTrack(track).catch(() => undefined);
        return;
      }
      if (transceiver.direction !== 'sendonly') transceiver.direction = 'sendonly';
      if (transceiver.sender.track !== track) void transceiver.sender.replaceTrack(track).catch(() => undefined);
      this.applyCaps();
    } else if (transceiver && transceiver.direction !== 'inactive') {
      void transceiver.sender.replaceTrack(null).catch(() => undefined);
      transceiver.direction = 'inactive';
    }
  }

  /**
   * Applies the send caps to the camera and screen senders (queued: never two at once). A queued
   * turn applies the caps as they are when it runs: while a room fills, its caps change with
   * every newcomer, and changes that queue up behind one under way cost one getParameters, not
   * one each.
   */
  applyCaps(): void {
    if (!this.#link.pc() || !this.#caps) return;
    const applied = this.#applied;
    const apply = async (sender: RTCRtpSender | undefined, wanted: SenderCaps | null) => {
      if (!sender || !wanted || sameCaps(applied.get(sender), wanted)) return;
      if (await setCaps(sender, wanted)) applied.set(sender, wanted);
    };
    this.#capsQueue = this.#capsQueue.then(async () => {
      const pc = this.#link.pc();
      const caps = this.#caps;
      if (!pc || !caps) return;
      await apply(this.#cameras(pc).find((c) => c.kind === 'video')?.transceiver.sender, caps.camera);
      await apply(this.#screenTrack ? this.#screenTransceiver?.sender : undefined, caps.screen);
    });
  }
}

const sameCaps = (a: SenderCaps | undefined, b: SenderCaps): boolean =>
  !!a && a.maxBitrate === b.maxBitrate && a.scaleResolutionDownBy === b.scaleResolutionDownBy && a.maxFramerate === b.maxFramerate;

/**
 * Applies caps to a sender's single encoding. Resolves whether the sender has them now: false for
 * a sender not yet negotiated, or one that closed or renegotiated meanwhile (the next stable
 * state applies the caps again).
 */
async function setCaps(sender: RTCRtpSender, caps: SenderCaps): Promise<boolean> {
  const params = sender.getParameters();
  const encoding = params.encodings?.[0];
  if (!encoding) return false;
  if (sameCaps(encoding as SenderCaps, caps)) return true;
  encoding.maxBitrate = caps.maxBitrate;
  encoding.scaleResolutionDownBy = caps.scaleResolutionDownBy;
  encoding.maxFramerate = caps.maxFramerate;
  try {
    await sender.setParameters(params);
    return true;
  } catch {
    return false;
  }
}

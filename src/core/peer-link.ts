/**
 * One participant-to-participant link: the PeerJS DataConnection that made the first handshake
 * through the broker, and its RTCPeerConnection, which from then on renegotiates over the data
 * channel with the perfect-negotiation pattern
 * (https://www.w3.org/TR/webrtc/#perfect-negotiation-example).
 */
import type { DataConnection } from 'peerjs';
import { TypedEventTarget } from './typed-event-target.js';
import { encodeMessage, parseMessage, type PeerMessage } from './messages.js';

/** Events of a PeerLink. */
export interface PeerLinkEvents {
  /** The data channel is open. */
  open: undefined;
  /** A valid, non-signalling message arrived. */
  message: PeerMessage;
  /** A remote media track arrived. */
  track: { track: MediaStreamTrack };
  /** A message failed validation. */
  invalid: { count: number };
  /** The link is gone. `bye`: the peer said goodbye first; `failed`: the connection failed. */
  close: { bye: boolean; failed: boolean };
}

const CAMERA_KINDS = ['audio', 'video'] as const;

/** Wraps one DataConnection and drives its RTCPeerConnection. */
export class PeerLink extends TypedEventTarget<PeerLinkEvents> {
  /** The remote participant id, once its hello has arrived. */
  remoteId: string | null = null;
  /** Whether the remote said goodbye. */
  private bye = false;
  private closed = false;
  private failed = false;
  private closing: ReturnType<typeof setTimeout> | undefined;
  private makingOffer = false;
  private localStream: MediaStream | null = null;
  private invalidCount = 0;
  private readonly onConnOpen = () => this.handleOpen();
  private readonly onConnData = (data: unknown) => this.handleData(data);
  private readonly onConnClose = () => this.close();

  constructor(
    /** The PeerJS data connection. */
    readonly conn: DataConnection,
    /** Whether this side dialed. The dialer offers media; the answerer is the polite peer. */
    readonly outgoing: boolean,
    /** The local camera and microphone, once capture has settled (null: receive only). */
    localMedia: Promise<MediaStream | null>,
  ) {
    super();
    void localMedia.then((stream) => {
      if (!this.localStream) void this.setLocalStream(stream);
    });
    conn.on('open', this.onConnOpen);
    conn.on('data', this.onConnData);
    conn.on('close', this.onConnClose);
    conn.on('error', this.onConnClose);
    if (conn.open) queueMicrotask(this.onConnOpen);
  }

  /** The underlying peer connection (PeerJS creates it; it is null once closed). */
  get pc(): RTCPeerConnection | null {
    return (this.conn.peerConnection as RTCPeerConnection | null) ?? null;
  }

  /** Whether the data channel is open. */
  get open(): boolean {
    return this.conn.open && !this.closed;
  }

  /** Sends one protocol message if the channel is open. */
  send(message: PeerMessage): void {
    if (!this.open) return;
    try {
      void this.conn.send(encodeMessage(message));
    } catch {
      // A channel that closes between the check and the send: the close event follows.
    }
  }

  /**
   * Sends a last message (`bye` or `full`) and closes once the peer has closed in answer, or
   * after `graceMs`. Closing at once would lose the message: PeerJS closes the whole
   * RTCPeerConnection, not just the channel.
   */
  leave(message: PeerMessage = { t: 'bye' }, graceMs = 1000): void {
    if (this.closed) return;
    this.send(message);
    this.closing = setTimeout(() => this.close(), graceMs);
  }

  /** Closes the link (idempotent) and reports it once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closing);
    const pc = this.pc;
    pc?.removeEventListener('negotiationneeded', this.onNegotiationNeeded);
    pc?.removeEventListener('icecandidate', this.onIceCandidate);
    pc?.removeEventListener('track', this.onTrack);
    pc?.removeEventListener('connectionstatechange', this.onConnectionState);
    this.conn.off('open', this.onConnOpen);
    this.conn.off('data', this.onConnData);
    this.conn.off('close', this.onConnClose);
    this.conn.off('error', this.onConnClose);
    this.conn.close();
    this.emit('close', { bye: this.bye, failed: this.failed });
  }

  /**
   * Puts the local camera and microphone tracks on this link. The camera transceivers are
   * negotiated sendrecv from the start, so this is a replaceTrack: no renegotiation.
   */
  async setLocalStream(stream: MediaStream | null): Promise<void> {
    this.localStream = stream;
    const pc = this.pc;
    if (!pc || this.closed) return;
    await Promise.all(
      this.cameraTransceivers(pc).map(({ kind, transceiver }) => {
        const track = this.localTrack(kind);
        return transceiver.sender.track === track ? undefined : transceiver.sender.replaceTrack(track);
      }),
    ).catch(() => undefined);
  }

  private localTrack(kind: 'audio' | 'video'): MediaStreamTrack | null {
    return this.localStream?.getTracks().find((t) => t.kind === kind) ?? null;
  }

  /** The first audio and first video transceiver carry the camera and microphone. */
  private cameraTransceivers(pc: RTCPeerConnection) {
    const result: { kind: 'audio' | 'video'; transceiver: RTCRtpTransceiver }[] = [];
    for (const kind of CAMERA_KINDS) {
      const transceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.direction !== 'stopped');
      if (transceiver) result.push({ kind, transceiver });
    }
    return result;
  }

  private handleOpen(): void {
    const pc = this.pc;
    if (!pc || this.closed) return;
    // From here on, signalling is ours and goes over the data channel. PeerJS's own handler
    // would send candidates through the broker.
    pc.onicecandidate = null;
    pc.addEventListener('icecandidate', this.onIceCandidate);
    pc.addEventListener('negotiationneeded', this.onNegotiationNeeded);
    pc.addEventListener('track', this.onTrack);
    pc.addEventListener('connectionstatechange', this.onConnectionState);
    this.emit('open', undefined);
    if (this.outgoing) {
      // The dialer offers both camera transceivers (sendrecv) at once, even while the camera is
      // still starting; the answerer accepts them sendrecv in the same round trip. When capture
      // settles, each side only calls replaceTrack, so the first frames wait for no signalling.
      for (const kind of CAMERA_KINDS) pc.addTransceiver(this.localTrack(kind) ?? kind, { direction: 'sendrecv' });
    }
  }

  private readonly onConnectionState = () => {
    if (this.pc?.connectionState !== 'failed') return;
    this.failed = true;
    this.close();
  };

  private readonly onTrack = (event: RTCTrackEvent) => {
    this.emit('track', { track: event.track });
  };

  private readonly onIceCandidate = (event: RTCPeerConnectionIceEvent) => {
    if (event.candidate) this.send({ t: 'ice', candidate: event.candidate.toJSON() });
  };

  private readonly onNegotiationNeeded = async () => {
    const pc = this.pc;
    if (!pc) return;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      const description = pc.localDescription;
      if (description && (description.type === 'offer' || description.type === 'answer'))
        this.send({ t: 'sdp', description: { type: description.type, sdp: description.sdp } });
    } catch {
      // A failed offer leaves the state stable; the next negotiationneeded retries.
    } finally {
      this.makingOffer = false;
    }
  };

  private async onDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const polite = !this.outgoing;
    const offerCollision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    // The impolite side ignores a colliding offer; the polite side rolls back and answers it.
    if (!polite && offerCollision) return;
    try {
      await pc.setRemoteDescription(description);
      if (description.type === 'offer') {
        this.acceptOfferedTransceivers(pc);
        await pc.setLocalDescription();
        const answer = pc.localDescription;
        if (answer) this.send({ t: 'sdp', description: { type: 'answer', sdp: answer.sdp } });
      }
    } catch {
      this.close();
    }
  }

  /** Accepts offered camera transceivers as sendrecv, with our tracks if capture has settled. */
  private acceptOfferedTransceivers(pc: RTCPeerConnection): void {
    for (const { kind, transceiver } of this.cameraTransceivers(pc)) {
      transceiver.direction = 'sendrecv';
      const track = this.localTrack(kind);
      if (track && !transceiver.sender.track) void transceiver.sender.replaceTrack(track);
    }
  }

  private async onCandidate(candidate: RTCIceCandidateInit | null): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      await pc.addIceCandidate(candidate ?? undefined);
    } catch {
      // Candidates for an offer we ignored are expected to fail.
    }
  }

  private handleData(data: unknown): void {
    if (this.closed) return;
    const message = parseMessage(data);
    if (!message) {
      this.invalidCount++;
      this.emit('invalid', { count: this.invalidCount });
      return;
    }
    switch (message.t) {
      case 'sdp':
        void this.onDescription(message.description);
        return;
      case 'ice':
        void this.onCandidate(message.candidate);
        return;
      case 'bye':
        this.bye = true;
        this.close();
        return;
      default:
        this.emit('message', message);
    }
  }
}

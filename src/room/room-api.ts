/** The room's public types: what it needs to join, and the events it fires. */
import type { VerificationFailure } from '../e2ee/link-verifier.js';
import type { ConnectionQuality, QualityFigures } from '../link/link-quality.js';
import type { BrokerConfig } from '../signalling/broker.js';
import type { VideoQuality } from '../media/quality.js';
import type { ErrorCode, RoomState } from '../constants.js';
import type { Participant, VerificationMethod } from './participants.js';
import type { SfuThreshold } from './sfu-mode.js';

/** What a room needs to join. */
export interface RoomConfig {
  room: string;
  /** The PeerServers to use, in order of preference: the room lives on the first that answers. */
  brokers: BrokerConfig[];
  /** `auto`: the STUN and TURN servers the first broker's server hands out (none from a stock PeerServer). */
  iceServers: RTCIceServer[] | 'auto';
  /** `relay`: connect through TURN only. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  maxParticipants: number;
  name: string;
  audioMuted: boolean;
  videoMuted: boolean;
  /** The local camera and microphone; links offer media once it settles (null: receive only). */
  localMedia: Promise<MediaStream | null>;
  /** How long joining may take before `join-timeout`. */
  joinTimeoutMs?: number;
  /** The most this participant may send, in kbit/s, over all copies (default 2500). */
  maxUpstreamKbps?: number;
  /** The camera quality, which sets the bitrate one copy may use at most. */
  videoQuality?: VideoQuality;
  /**
   * The room secret. With one, broker-visible ids are derived from it, every peer must prove it
   * knows it, and media frames are encrypted end to end. Never sent anywhere.
   */
  secret?: string | null;
  /** The room size at which media moves to the SFU (default 5), or never, or always. */
  sfuThreshold?: SfuThreshold;
  /** The media servers (Janus WebSocket URLs); `auto`: those the broker's server names. */
  mediaServers?: string[] | 'auto';
  /** Test-only: the rendezvous ids to use instead of derived ones. */
  rendezvousIdsOverride?: string[];
}

/** Events of a Room. */
export interface RoomEvents {
  state: { state: RoomState };
  'peer-joined': { participant: Participant };
  'peer-left': { participant: Participant; reason: 'left' | 'lost' };
  'peer-updated': { participant: Participant };
  'peer-track': { participant: Participant; track: MediaStreamTrack; screen: boolean };
  /** A participant started or stopped sharing a screen. */
  'peer-screen': { participant: Participant; sharing: boolean };
  /** A participant is verified: by the room secret at once, or by a person confirming the code. */
  'peer-verified': { participant: Participant; method: VerificationMethod };
  /** Without a secret: the short code of a participant's connection is known (or changed). */
  'peer-code': { participant: Participant };
  /** The connection to a participant lost its path and is looking for a new one, or found it. */
  'peer-reconnecting': { participant: Participant; reconnecting: boolean };
  /** The quality of the connection to a participant changed. */
  'peer-quality': { participant: Participant; quality: ConnectionQuality } & QualityFigures;
  /**
   * A chat message from a participant, with whether they were verified when it arrived (with short
   * codes, whether this person had confirmed their code by then).
   */
  chat: { participant: Participant; text: string; verified: boolean };
  /** A connection could not be verified (or its code was rejected) and was closed. */
  'verification-failed': { id: string; name: string; reason: VerificationFailure | 'rejected'; detail?: string };
  /** We now encrypt with a new frame key (a participant left). */
  'key-epoch': { epoch: number };
  /**
   * We lost the broker (the call goes on; newcomers cannot find us until it is back), or are on
   * one again. `server` is the broker's URL.
   */
  broker: { connected: boolean; server: string };
  error: { code: ErrorCode; message: string };
}

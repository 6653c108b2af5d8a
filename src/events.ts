/**
 * The public events of `<video-room>`, typed for `addEventListener`, and the one helper
 * that dispatches them (bubbling and composed, so they cross the shadow root).
 */
import { EVENTS, type ErrorCode, type RoomState } from './constants.js';
import type { DeviceKind } from './media/devices.js';
import type { ConnectionQuality } from './link/link-quality.js';

/** A participant as the public API shows it. */
export interface ParticipantInfo {
  /** Random per-join participant id. */
  id: string;
  /** Display name (text). */
  name: string;
  /** Whether their microphone is muted. */
  audioMuted: boolean;
  /** Whether their camera is off. */
  videoMuted: boolean;
  /** Whether they are sharing a screen. */
  screenSharing: boolean;
  /** Whether their connection is verified: by the room secret, or by a person comparing the short code. */
  verified: boolean;
  /** Without a room secret: the short code (7 emoji, space-separated) both people should see, once known. */
  verificationCode: string | null;
  /** The quality of our connection to them: `good`, `poor` (loss above 5 % or a round trip above 400 ms) or `reconnecting`. */
  connectionQuality: ConnectionQuality;
}

/** Who an event is about: this participant (`local: true`) or a peer. */
export interface Who {
  local: boolean;
  id: string;
  name: string;
}

export interface VideoRoomEventMap {
  [EVENTS.stateChange]: CustomEvent<{ state: RoomState; previous: RoomState }>;
  [EVENTS.joined]: CustomEvent<{ room: string; id: string }>;
  [EVENTS.left]: CustomEvent<{ room: string }>;
  [EVENTS.peerJoined]: CustomEvent<{ participant: ParticipantInfo }>;
  [EVENTS.peerLeft]: CustomEvent<{ participant: ParticipantInfo; reason: 'left' | 'lost' }>;
  [EVENTS.muteChange]: CustomEvent<Who & Pick<ParticipantInfo, 'audioMuted' | 'videoMuted' | 'screenSharing'>>;
  [EVENTS.deviceChange]: CustomEvent<{ kind: DeviceKind; deviceId: string; label: string; reason: 'selected' | 'fallback' }>;
  [EVENTS.screenShareStart]: CustomEvent<Who>;
  [EVENTS.screenShareStop]: CustomEvent<Who>;
  [EVENTS.activeSpeaker]: CustomEvent<Who>;
  [EVENTS.peerVerified]: CustomEvent<{ participant: ParticipantInfo; method: 'secret' | 'sas' }>;
  [EVENTS.peerVerificationFailed]: CustomEvent<{ code: ErrorCode; message: string; id: string; name: string; reason: string }>;
  [EVENTS.brokerChange]: CustomEvent<{ connected: boolean; server: string }>;
  [EVENTS.connectionQuality]: CustomEvent<Who & { quality: ConnectionQuality; rttMs: number | null; lossPercent: number }>;
  [EVENTS.reconnecting]: CustomEvent<Who & { reconnecting: boolean }>;
  /**
   * A chat message: `time` in ms since the epoch; `verified` is whether the sender was verified when
   * it arrived (true for our own); `recipients` (sent here only) is how many it went to.
   */
  [EVENTS.message]: CustomEvent<Who & { text: string; time: number; verified: boolean; recipients?: number }>;
  [EVENTS.pipChange]: CustomEvent<{ open: boolean; mode: 'document' | 'video' | null }>;
  [EVENTS.fullscreenChange]: CustomEvent<{ fullscreen: boolean; id: string | null }>;
  [EVENTS.error]: CustomEvent<{ code: ErrorCode; message: string }>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging
  interface HTMLElementEventMap extends VideoRoomEventMap {}
}

/** Dispatches a public event from `target`. Returns false if a listener cancelled it. */
export function fire<K extends keyof VideoRoomEventMap>(
  target: EventTarget,
  type: K,
  detail: VideoRoomEventMap[K]['detail'],
): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: false }));
}

/** What a PeerLink tells the room: its events and their details. */
import type { PeerMessage } from '../signalling/protocol.js';
import type { VerificationFailure } from '../e2ee/link-verifier.js';
import type { ShortCode } from '../e2ee/verification.js';
import type { ConnectionQuality, QualityFigures } from './link-quality.js';

/** Events of a PeerLink. */
export interface PeerLinkEvents {
  /** The data channel is open (with a room secret: and the peer proved it knows it). */
  open: undefined;
  /** A valid, non-signalling message arrived (with a room secret: only once verified). */
  message: PeerMessage;
  /** Without a room secret: the short code of this connection. */
  code: { code: ShortCode };
  /** The far end could not be verified; the link closes. */
  'verification-failed': { reason: VerificationFailure; detail?: string };
  /** A remote media track arrived: camera or microphone, or (`screen`) a shared screen. */
  track: { track: MediaStreamTrack; screen: boolean };
  /** A message failed validation. */
  invalid: { count: number };
  /** Nothing has come from the peer for SILENT_MS (once per silence): it may be gone. */
  silent: undefined;
  /** The connection lost its path and an ICE restart is under way (true), or it has a path again (false). */
  reconnecting: { reconnecting: boolean };
  /** The connection quality changed. */
  quality: { quality: ConnectionQuality } & QualityFigures;
  /**
   * The link is gone. `bye`: the peer said goodbye first; `closedByPeer`: the peer closed the
   * channel; `failed`: the connection failed.
   */
  close: { bye: boolean; failed: boolean; closedByPeer: boolean };
}

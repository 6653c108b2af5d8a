/**
 * The first handshake's descriptions are read as the broker delivered them, before PeerJS
 * applies them: Chromium shows script only the fingerprint line it uses, so the applied
 * description cannot tell that the broker listed two. The offer of an incoming connection is
 * already in hand; a dialer's answer comes through PeerJS's handleMessage, wrapped here. Once
 * the channel is open, nothing the broker sends with this connection's id reaches it: PeerJS
 * would apply an ANSWER or CANDIDATE unchecked (relayed signalling goes through receiveRelayed).
 */
import type { DataConnection } from 'peerjs';
import { parseFingerprint, type FingerprintProblem } from '../e2ee/fingerprint.js';

/** What checks a remote description (the link guard); false: the link is refused (and closes). */
export interface RemoteCheck {
  checkRemote(sdp: string | null): boolean;
}

/** What the broker guard needs of its link. */
export interface BrokeredLink {
  /** Refuses the link as a suspected man in the middle. */
  refuse(problem: FingerprintProblem, detail: string): void;
  /** Whether the broker's part is over: the channel opened, or the link closed. */
  done(): boolean;
}

type BrokerMessage = { type?: unknown; payload?: { sdp?: { sdp?: unknown } } };

/** Checks the broker's offer of `conn`, and wraps PeerJS's handler of the broker's later messages. */
export function guardBroker(conn: DataConnection, guard: RemoteCheck, link: BrokeredLink): void {
  const peerjs = conn as unknown as { handleMessage(message: BrokerMessage): unknown; options?: { _payload?: BrokerMessage['payload'] } };
  const offer = peerjs.options?._payload?.sdp?.sdp;
  if (offer !== undefined) {
    const parsed = parseFingerprint(typeof offer === 'string' ? offer : null);
    if (parsed.ok) guard.checkRemote(offer as string);
    // Refused (and closed) as soon as the room listens: in this same task, before PeerJS can
    // have applied the offer, let alone answered it.
    else queueMicrotask(() => link.refuse(parsed.problem, parsed.detail));
  }
  const handle = peerjs.handleMessage.bind(conn);
  peerjs.handleMessage = (message) => {
    if (link.done()) return undefined;
    if (message.type === 'ANSWER') {
      const sdp = message.payload?.sdp?.sdp;
      if (!guard.checkRemote(typeof sdp === 'string' ? sdp : null)) return undefined;
    }
    return handle(message);
  };
}

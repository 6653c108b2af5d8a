/**
 * Signalling relayed through the broker that the broker cannot forge. While a link looks for a
 * new path its data channel is down, so the ICE restart's offer, answer and candidates ride the
 * broker. Each side gave the other a random MAC key over the verified data channel beforehand;
 * every relayed message carries HMAC-SHA-256 under the sender's key over both ids, a sequence
 * number and the message. The broker can still drop or delay them, never forge, alter or replay.
 */
import { fromBase64, parseMessage, toBase64, type Bytes, type PeerMessage } from './protocol.js';
import { encodeMessage } from './protocol.js';
import { hmacKey, type MacKey } from '../util/digest.js';

/** Bytes of a relay MAC key. */
export const RELAY_KEY_BYTES = 32;

/** What a relayed message carries through the broker (a PeerJS CANDIDATE payload without a connection id). */
export interface RelayPayload {
  /** The protocol message, encoded as on the data channel. */
  vr: string;
  /** The sender's count of relayed messages on this link, from 1. */
  seq: number;
  /** HMAC-SHA-256 under the sender's relay key, base64. */
  mac: string;
}

const encoder = new TextEncoder();

function macInput(from: string, to: string, seq: number, vr: string): Bytes {
  return encoder.encode(`video-room/v1/relay\n${from}\n${to}\n${seq}\n${vr}`);
}

/** The relay keys of one link: ours (sent to the peer), the peer's, and both sequence counters. */
export class RelayAuth {
  /** Our key, to give the peer over the verified data channel. */
  readonly ownKey: Bytes = crypto.getRandomValues(new Uint8Array(RELAY_KEY_BYTES));
  readonly #signing = hmacKey(this.ownKey);
  #peerKey: Promise<MacKey> | null = null;
  #sent = 0;
  #received = 0;

  /** Takes the peer's key (the first one only: a second could only come from a confused or hostile peer). */
  setPeerKey(key: Bytes): boolean {
    if (this.#peerKey) return false;
    this.#peerKey = hmacKey(key);
    return true;
  }

  /** Signs `message` for the broker, from us (`from`) to the peer (`to`). */
  async seal(from: string, to: string, message: PeerMessage): Promise<RelayPayload> {
    const vr = encodeMessage(message);
    const seq = ++this.#sent;
    const mac = await (await this.#signing).sign(macInput(from, to, seq, vr));
    return { vr, seq, mac: toBase64(mac) };
  }

  /**
   * The message of a relayed payload from the peer (`from`) to us (`to`), or null when it does
   * not check: no peer key yet, a bad or missing MAC, a sequence number already seen, or a
   * message that is not valid signalling. Call in arrival order.
   */
  async open(from: string, to: string, payload: unknown): Promise<PeerMessage | null> {
    if (!this.#peerKey || typeof payload !== 'object' || payload === null) return null;
    const { vr, seq, mac } = payload as Partial<Record<keyof RelayPayload, unknown>>;
    const tag = fromBase64(mac, 32);
    if (typeof vr !== 'string' || !tag || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq <= this.#received) return null;
    if (!(await (await this.#peerKey).verify(tag, macInput(from, to, seq, vr)))) return null;
    // Checked again after the wait: two payloads of one sequence number must not both pass.
    if (seq <= this.#received) return null;
    this.#received = seq;
    const message = parseMessage(vr);
    return message && (message.t === 'sdp' || message.t === 'ice') ? message : null;
  }
}

/**
 * Who holds which frame-encryption key. Each participant encrypts everything it sends with a
 * random key of its own and gives that key, over data channels whose far end proved it knows
 * the room secret, to every peer. When a participant goes, everyone makes a new key, hands it
 * to those who stay, and sends with it once they have it (or after a short wait), so the
 * leaver's copy decrypts nothing new.
 */
import { TypedEventTarget } from '../util/typed-event-target.js';
import type { Bytes, PeerMessage } from '../signalling/protocol.js';
import { MAX_KEY_ID } from '../signalling/protocol.js';

/** The frame-encryption engine the keys go to (FrameCrypto, or a fake in unit tests). */
export interface FrameKeyEngine {
  setSendKey(kid: number, baseKey: Uint8Array): void;
  addReceiveKey(senderId: string, kid: number, baseKey: Uint8Array): void;
  removeReceiveKeys(senderId: string, keepKid?: number): void;
}

/** A link as the key manager sees it. */
export interface KeyLink {
  /** The id the peer's keys are kept under. */
  readonly keyId: string;
  send(message: PeerMessage): void;
}

/** How long a new key waits for acknowledgements before we send with it anyway. */
export const KEY_SWITCH_TIMEOUT_MS = 2_000;
/** Departures within this time share one new key. */
export const ROTATE_DEBOUNCE_MS = 250;
/** How long a peer's previous key is kept for frames still in flight. */
export const OLD_KEY_GRACE_MS = 10_000;

/** Events of FrameKeys. */
export interface FrameKeysEvents {
  /** We now send with a new key. */
  epoch: { epoch: number; kid: number };
}

interface Key {
  kid: number;
  key: Bytes;
}

function newKey(avoid?: number): Key {
  let kid: number;
  do kid = crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
  while (kid === avoid || kid > MAX_KEY_ID);
  return { kid, key: crypto.getRandomValues(new Uint8Array(16)) };
}

export class FrameKeys extends TypedEventTarget<FrameKeysEvents> {
  #current: Key;
  #pending: { key: Key; waiting: Set<string>; timer: ReturnType<typeof setTimeout> } | null = null;
  readonly #links = new Map<string, KeyLink>();
  /** Per peer: the timer that drops its older keys. */
  readonly #graceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #rotateTimer: ReturnType<typeof setTimeout> | undefined;
  #epochValue = 0;

  readonly #engine: FrameKeyEngine;
  constructor(engine: FrameKeyEngine) {
    super();
    this.#engine = engine;
    this.#current = newKey();
    engine.setSendKey(this.#current.kid, this.#current.key);
  }

  /** How many times our key has changed since joining. */
  get epoch(): number {
    return this.#epochValue;
  }

  /** The id of the key we send with. */
  get kid(): number {
    return this.#current.kid;
  }

  /** A link whose peer is verified: it gets our key (and a new one about to take over). */
  add(link: KeyLink): void {
    this.#links.set(link.keyId, link);
    link.send({ t: 'key', ...this.#current });
    if (this.#pending) {
      this.#pending.waiting.add(link.keyId);
      link.send({ t: 'key', ...this.#pending.key });
    }
  }

  /** A link closed: its keys are forgotten, and it is no longer waited for. */
  remove(link: KeyLink): void {
    this.#links.delete(link.keyId);
    clearTimeout(this.#graceTimers.get(link.keyId));
    this.#graceTimers.delete(link.keyId);
    this.#engine.removeReceiveKeys(link.keyId);
    if (this.#pending?.waiting.delete(link.keyId)) this.#maybeSwitch();
  }

  /** A key or an acknowledgement from a verified peer. */
  handle(link: KeyLink, message: Extract<PeerMessage, { t: 'key' | 'key-ack' }>): void {
    if (!this.#links.has(link.keyId)) return;
    if (message.t === 'key-ack') {
      if (this.#pending?.key.kid === message.kid && this.#pending.waiting.delete(link.keyId)) this.#maybeSwitch();
      return;
    }
    this.#engine.addReceiveKey(link.keyId, message.kid, message.key);
    link.send({ t: 'key-ack', kid: message.kid });
    // Older keys of this peer stay a while for frames already on their way, then go.
    clearTimeout(this.#graceTimers.get(link.keyId));
    this.#graceTimers.set(
      link.keyId,
      setTimeout(() => {
        this.#graceTimers.delete(link.keyId);
        this.#engine.removeReceiveKeys(link.keyId, message.kid);
      }, OLD_KEY_GRACE_MS),
    );
  }

  /** Someone left: make a new key for those who stay (several departures at once share one). */
  rotate(): void {
    clearTimeout(this.#rotateTimer);
    this.#rotateTimer = setTimeout(() => this.#startRotation(), ROTATE_DEBOUNCE_MS);
  }

  /** Stops every timer. */
  close(): void {
    clearTimeout(this.#rotateTimer);
    if (this.#pending) clearTimeout(this.#pending.timer);
    this.#pending = null;
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
    this.#links.clear();
  }

  #startRotation(): void {
    if (this.#pending) clearTimeout(this.#pending.timer);
    const key = newKey(this.#current.kid);
    const timer = setTimeout(() => this.#switchTo(key), KEY_SWITCH_TIMEOUT_MS);
    this.#pending = { key, waiting: new Set(this.#links.keys()), timer };
    for (const link of this.#links.values()) link.send({ t: 'key', ...key });
    this.#maybeSwitch();
  }

  #maybeSwitch(): void {
    if (this.#pending && this.#pending.waiting.size === 0) this.#switchTo(this.#pending.key);
  }

  #switchTo(key: Key): void {
    if (this.#pending?.key !== key) return;
    clearTimeout(this.#pending.timer);
    this.#pending = null;
    this.#current = key;
    this.#engine.setSendKey(key.kid, key.key);
    this.#epochValue++;
    this.emit('epoch', { epoch: this.#epochValue, kid: key.kid });
  }

}

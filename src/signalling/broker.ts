/**
 * Talking to a stock PeerServer through PeerJS: where it is, and opening a Peer under an id.
 */
import { Peer, type PeerError, type PeerOptions } from 'peerjs';
import type { BrokerConfig } from './broker-config.js';
import { randomParticipantId } from '../room/room-id.js';

export { brokerUrl, parseBrokerUrl, parseBrokerUrls, type BrokerConfig } from './broker-config.js';

/** How long to wait for the broker to accept an id before giving up. */
export const BROKER_OPEN_TIMEOUT_MS = 10_000;

/** The first wait before trying a lost broker again; it doubles with each failure. */
export const BROKER_RETRY_MIN_MS = 1_000;
/**
 * The longest wait between tries. A line that was down for half a minute comes back to a broker
 * within this (and the jitter) of its return: the room is found again through it.
 */
export const BROKER_RETRY_MAX_MS = 8_000;

/**
 * How long to wait before the next try after `failures` failed ones: exponential, capped, with
 * ±25 % jitter so that a room's members do not all come back to a restarted broker at once.
 */
export function backoffDelay(failures: number, random: () => number = Math.random): number {
  const base = Math.min(BROKER_RETRY_MAX_MS, BROKER_RETRY_MIN_MS * 2 ** Math.max(0, failures));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Readies a dialed connection's RTCPeerConnection (its media sections) before its first offer. */
export type OfferPreparer = (pc: RTCPeerConnection) => void;

/** PeerJS's data connection class as its Peer keeps it (not exported by PeerJS). */
type DataConnectionClass = new (...args: never[]) => {
  peerConnection: RTCPeerConnection | null;
  options: { _payload?: unknown };
  _initializeDataChannel(channel: RTCDataChannel): void;
};

/**
 * Makes every connection this Peer dials offer what `prepare` adds (the camera and microphone
 * sections) in its first offer, so that the one handshake through the broker negotiates the media
 * too and no second round is needed once the channel opens. PeerJS creates the offer in the
 * connection's constructor, right after it hands the new data channel to
 * `_initializeDataChannel`: that call, overridden in a subclass of PeerJS's own `raw` connection
 * class (which every connection with `serialization: 'raw'` is made of), is the one moment in
 * between. An incoming connection is made with the broker's offer as its `_payload`, so only
 * connections we dial are prepared.
 */
export function prepareFirstOffers(peer: Peer, prepare: OfferPreparer): void {
  const serializers = (peer as unknown as { _serializers: Record<string, DataConnectionClass> })._serializers;
  const Raw = serializers.raw;
  if (!Raw) return;
  serializers.raw = class extends Raw {
    override _initializeDataChannel(channel: RTCDataChannel): void {
      super._initializeDataChannel(channel);
      if (this.peerConnection && !this.options._payload) prepare(this.peerConnection);
    }
  };
}

/**
 * Sends `peer` (whose id is `id`) a message of its own through the broker, which a stock
 * PeerServer relays back like any other (a CANDIDATE without a connection id, which PeerJS
 * ignores). Returns the nonce the echo carries in `payload.echo`.
 */
export function sendEcho(peer: Peer, id: string): string {
  const nonce = randomParticipantId();
  peer.socket.send({ type: 'CANDIDATE', dst: id, payload: { echo: nonce } });
  return nonce;
}

/**
 * A stock PeerServer that still holds `id` for an older socket of ours (same token: a socket it
 * has not yet noticed is dead) hands the id to the new socket without a word: no OPEN, so PeerJS
 * never says `open`. Our own message relayed back to us through the new socket shows that the
 * broker routes the id there: `confirmed` is then called. The PeerJS socket's WebSocket is
 * internal; without it, only OPEN opens. Returns what stops listening.
 */
function echoOnOpen(peer: Peer, id: string, confirmed: () => void): () => void {
  let nonce: string | null = null;
  const ws = (peer.socket as unknown as { _socket?: WebSocket })._socket;
  const send = () => (nonce = sendEcho(peer, id));
  const onMessage = (data: unknown) => {
    const { type, src, payload } = (data ?? {}) as { type?: unknown; src?: unknown; payload?: { echo?: unknown } | null };
    if (type === 'CANDIDATE' && src === id && payload?.echo === nonce) confirmed();
  };
  ws?.addEventListener('open', send);
  peer.socket.on('message', onMessage);
  return () => {
    ws?.removeEventListener('open', send);
    peer.socket.off('message', onMessage);
  };
}

/** Result of trying to take an id on the broker. */
export type OpenResult = { peer: Peer } | { taken: true };

/**
 * Opens a Peer under `id`. Resolves with the open peer, or `{ taken: true }` when the broker
 * says another client holds the id (PeerJS `unavailable-id`). Rejects when the broker cannot be
 * reached. With the `token` of an earlier Peer, the broker hands its id over to this one (a
 * reconnect while the broker still holds the old socket).
 */
export function openPeer(
  id: string,
  broker: BrokerConfig,
  config: RTCConfiguration,
  token?: string,
  prepareOffer?: OfferPreparer,
): Promise<OpenResult> {
  const options: PeerOptions = { ...broker, config, debug: 0, ...(token ? { token } : {}) };
  const peer = new Peer(id, options);
  if (prepareOffer) prepareFirstOffers(peer, prepareOffer);
  return new Promise<OpenResult>((resolve, reject) => {
    const stopEcho = token ? echoOnOpen(peer, id, () => onOpen()) : () => undefined;
    const done = () => {
      clearTimeout(timer);
      stopEcho();
      peer.off('open', onOpen);
      peer.off('error', onError);
    };
    const onOpen = () => {
      done();
      resolve({ peer });
    };
    const onError = (error: PeerError<string>) => {
      done();
      peer.destroy();
      if (error.type === 'unavailable-id') resolve({ taken: true });
      else reject(new Error(`${error.type}: ${error.message}`));
    };
    const timer = setTimeout(() => onError({ type: 'timeout', message: 'the broker did not answer' } as PeerError<string>), BROKER_OPEN_TIMEOUT_MS);
    peer.on('open', onOpen);
    peer.on('error', onError);
  });
}

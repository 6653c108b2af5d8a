/**
 * After verification, a broker that forges: relayed `ice` and restart offers or answers it makes
 * up, and PeerJS ANSWERs it sends with the connection's id. The forged messages go in through
 * the element's own broker socket (PeerJS's socket `message` event, exactly where a broker's
 * frames arrive). Each test has its control: the same path carrying an authentic message (or
 * the old handling) is acted upon, so the refusals are the product's doing, not the harness's.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { encodeMessage, type PeerMessage } from '../../src/signalling/protocol.js';
import { parseFingerprint, fingerprintText } from '../../src/e2ee/fingerprint.js';
import { decodedFrames, SERVER, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

interface Guard {
  relayAuth: { seal(from: string, to: string, message: PeerMessage): Promise<{ vr: string; seq: number; mac: string }> };
}
interface Link {
  pc: RTCPeerConnection;
  remoteId: string;
  conn: { connectionId: string; handleMessage(message: unknown): void };
  guard: Guard;
  sendNow(message: PeerMessage): void;
}
interface CoreRoom {
  id: string;
  mesh: { links: Map<string, Link> };
  session: { peer: { socket: { emit(event: string, data: unknown): void } } };
  rejectedRelays: number;
}

function core(el: VideoRoomElement): CoreRoom {
  return (el as unknown as { roomCtl: { room: CoreRoom } }).roomCtl.room;
}

/** The fingerprint a description names, as the product reads it. */
function named(sdp: string | undefined): string {
  const parsed = parseFingerprint(sdp);
  return parsed.ok ? fingerprintText(parsed.fingerprint) : parsed.problem;
}

const ATTACKER = Array.from({ length: 32 }, (_, i) => (0x40 + i).toString(16).toUpperCase()).join(':');

/** `sdp` with its fingerprint replaced by the attacker's, or with the attacker's added after it. */
function forge(sdp: string, how: 'changed' | 'duplicated'): string {
  return sdp.replace(/^(a=fingerprint:sha-256 \S+)\r$/gm, (line) =>
    how === 'changed' ? `a=fingerprint:sha-256 ${ATTACKER}\r` : `${line}\na=fingerprint:sha-256 ${ATTACKER}\r`,
  );
}

/** Two elements with a secret in one call, media flowing; `a` is the one the broker forges to. */
async function securedPair(prefix: string): Promise<{ a: VideoRoomElement; b: VideoRoomElement; ab: Link; ba: Link; failures: string[]; reconnecting: boolean[] }> {
  const room = uniqueRoom(prefix);
  const container = await fixture<HTMLDivElement>(html`<div>
    <video-room room=${room} server=${SERVER} name="A"></video-room>
    <video-room room=${room} server=${SERVER} name="B"></video-room>
  </div>`);
  const [a, b] = [...container.querySelectorAll('video-room')] as [VideoRoomElement, VideoRoomElement];
  for (const el of [a, b]) el.secret = 'a secret only these two know';
  await a.join();
  await b.join();
  await waitForFullMeshMedia([a, b], 5);
  const failures: string[] = [];
  const reconnecting: boolean[] = [];
  a.addEventListener(EVENTS.peerVerificationFailed, (e) => failures.push((e as CustomEvent<{ reason: string }>).detail.reason));
  a.addEventListener(EVENTS.reconnecting, (e) => reconnecting.push((e as CustomEvent<{ reconnecting: boolean }>).detail.reconnecting));
  const ab = core(a).mesh.links.get(core(b).id)!;
  const ba = core(b).mesh.links.get(core(a).id)!;
  return { a, b, ab, ba, failures, reconnecting };
}

/** What the broker sends `to` as a relayed message from `from` (a PeerJS CANDIDATE without a connection id). */
function brokerSends(to: VideoRoomElement, from: VideoRoomElement, payload: unknown): void {
  core(to).session.peer.socket.emit('message', { type: 'CANDIDATE', src: core(from).id, dst: core(to).id, payload });
}

async function framesGrow(el: VideoRoomElement, by: number): Promise<void> {
  const [base = 0] = await decodedFrames(el);
  await waitFor(async () => ((await decodedFrames(el))[0] ?? 0) >= base + by, `${by} more frames decoded`);
}

describe('a broker forging signalling after verification', function () {
  this.timeout(180_000);

  it('forged relayed ice and restart offers or answers are counted and dropped; the call goes on', async () => {
    const { a, b, ab, ba, failures, reconnecting } = await securedPair('forged-relay');
    const verified = named(ab.pc.remoteDescription?.sdp);
    const remote = ab.pc.remoteDescription!.sdp;
    const candidate = { candidate: 'candidate:1 1 udp 2122260223 198.18.0.66 4444 typ host', sdpMid: '0', sdpMLineIndex: 0 };
    const offer = (sdp: string): PeerMessage => ({ t: 'sdp', description: { type: 'offer', sdp } });
    const forgeries: unknown[] = [
      // As the old code took them: no MAC at all.
      { vr: encodeMessage({ t: 'ice', candidate }) },
      { vr: encodeMessage(offer(forge(remote, 'changed'))) },
      { vr: encodeMessage(offer(forge(remote, 'duplicated'))) },
      { vr: encodeMessage({ t: 'sdp', description: { type: 'answer', sdp: forge(remote, 'duplicated') } }) },
      // A MAC the broker made up, and one lifted from an authentic message onto another.
      { vr: encodeMessage({ t: 'ice', candidate }), seq: 1, mac: btoa(String.fromCharCode(...new Uint8Array(32))) },
      { ...(await ba.guard.relayAuth.seal(core(b).id, core(a).id, { t: 'ice', candidate: null })), vr: encodeMessage({ t: 'ice', candidate }) },
    ];
    for (const payload of forgeries) brokerSends(a, b, payload);
    await waitFor(() => core(a).rejectedRelays >= forgeries.length, () => `forgeries counted: ${core(a).rejectedRelays}`);
    expect(core(a).rejectedRelays).to.equal(forgeries.length);
    await framesGrow(a, 10);
    expect(reconnecting, 'no forgery starts a reconnection').to.deep.equal([]);
    expect(failures).to.deep.equal([]);
    expect(ab.pc.signalingState).to.equal('stable');
    expect(named(ab.pc.remoteDescription?.sdp)).to.equal(verified);
    expect(core(a).mesh.links.get(core(b).id)).to.equal(ab);

    // Control: the same path with an authentic message (MAC'd by b's own relay key) is acted on.
    const authentic = await ba.guard.relayAuth.seal(core(b).id, core(a).id, { t: 'ice', candidate: null });
    brokerSends(a, b, authentic);
    await waitFor(() => reconnecting.length >= 1, 'an authentic relayed message starts a reconnection');
    expect(reconnecting[0]).to.equal(true);
    await waitFor(() => reconnecting.length >= 2, 'the path found again');
    // Played again by the broker, it is refused: its sequence number was used.
    const before = core(a).rejectedRelays;
    brokerSends(a, b, authentic);
    await waitFor(() => core(a).rejectedRelays === before + 1, 'the replay counted');
    expect(reconnecting).to.deep.equal([true, false]);
    for (const el of [a, b]) el.leave();
  });

  for (const how of ['changed', 'duplicated'] as const) {
    it(`an authentic renegotiation whose fingerprint is ${how} closes the link as a man in the middle`, async () => {
      const { a, b, ab, ba, failures } = await securedPair(`fp-${how}`);
      const closed = new Promise((resolve) => a.addEventListener(EVENTS.peerLeft, resolve, { once: true }));
      // b's own link sends it over the verified data channel: only the fingerprint is wrong.
      ba.sendNow({ t: 'sdp', description: { type: 'offer', sdp: forge(ab.pc.remoteDescription!.sdp.replace(/^a=ice-ufrag:.*$/m, 'a=ice-ufrag:forg'), how) } });
      await waitFor(() => failures.length > 0, 'the link refused');
      expect(failures).to.deep.equal([how === 'changed' ? 'fingerprint-changed' : 'fingerprint-duplicate']);
      await closed;
      expect(ab.pc?.signalingState ?? 'closed').to.equal('closed');
      for (const el of [a, b]) el.leave();
    });
  }

  it('a PeerJS ANSWER the broker sends with the connection id is not applied (control: PeerJS alone applies it)', async () => {
    // b dialed a's rendezvous id, so b's link is the one that offers, and waits for answers.
    const { a, b, ba } = await securedPair('forged-answer');
    const pc = ba.pc;
    const verified = named(pc.remoteDescription?.sdp);
    const failures: string[] = [];
    const messages: string[] = [];
    b.addEventListener(EVENTS.peerVerificationFailed, (e) => {
      const { reason, message } = (e as CustomEvent<{ reason: string; message: string }>).detail;
      failures.push(reason);
      messages.push(message);
    });
    const applied: string[] = [];
    pc.addEventListener('signalingstatechange', () => pc.signalingState !== 'closed' && applied.push(named(pc.remoteDescription?.sdp)));
    const attackers: RTCPeerConnection[] = [];
    const attackerFingerprints: string[] = [];
    /** Restarts ICE (a renegotiation b offers) and, while b waits for the answer, the broker sends its own. */
    const forgeAnswerDuringRenegotiation = async () => {
      const offered = new Promise<string>((resolve) => {
        const check = () => {
          if (pc.signalingState !== 'have-local-offer') return;
          pc.removeEventListener('signalingstatechange', check);
          resolve(pc.localDescription!.sdp);
        };
        pc.addEventListener('signalingstatechange', check);
      });
      pc.restartIce();
      // The attacker answers b's restart offer with a connection of its own, as a real one would.
      const attacker = new RTCPeerConnection();
      attackers.push(attacker);
      await attacker.setRemoteDescription({ type: 'offer', sdp: await offered });
      await attacker.setLocalDescription();
      const sdp = attacker.localDescription!.sdp;
      attackerFingerprints.push(named(sdp));
      core(b).session.peer.socket.emit('message', {
        type: 'ANSWER',
        // As PeerJS knows the connection: b dialed a's rendezvous id.
        src: (ba.conn as unknown as { peer: string }).peer,
        dst: core(b).id,
        payload: { connectionId: ba.conn.connectionId, sdp: { type: 'answer', sdp }, type: 'data' },
      });
    };

    /**
     * Holds what b's link sends a (its restart offer among it) until the returned function
     * releases it: the broker's answer arrives first, as the attacker would want, on a loaded
     * machine as on an idle one.
     */
    const holdLink = () => {
      type Send = (...args: unknown[]) => unknown;
      const conn = ba.conn as unknown as { send: Send };
      const send = conn.send;
      const held: unknown[][] = [];
      conn.send = (...args) => void held.push(args);
      return () => {
        conn.send = send;
        for (const args of held) void send.apply(conn, args);
      };
    };

    let release = holdLink();
    await forgeAnswerDuringRenegotiation();
    release();
    await waitFor(() => pc.signalingState === 'stable', 'the real answer, over the data channel');
    await framesGrow(b, 10);
    expect(applied.filter((f) => f !== verified), 'descriptions applied with another fingerprint').to.deep.equal([]);
    expect(failures).to.deep.equal([]);

    // Control: with PeerJS's own handler back (the old code), the same forgery reaches the
    // connection; the check on every applied description then closes the link.
    ba.conn.handleMessage = (Object.getPrototypeOf(ba.conn) as { handleMessage: (message: unknown) => void }).handleMessage;
    release = holdLink();
    await forgeAnswerDuringRenegotiation();
    await waitFor(() => failures.length > 0, 'the forged answer applied, and the link refused');
    release();
    expect(failures).to.deep.equal(['fingerprint-changed']);
    // What was applied named the attacker's certificate (the link closed in the same event).
    expect(messages[0], 'PeerJS applied the forged answer').to.include(attackerFingerprints[1]!.slice('sha-256 '.length, 'sha-256 '.length + 11));
    // No DTLS with the attacker either time.
    expect(attackers.map((m) => m.sctp?.transport.state ?? 'new')).to.not.include('connected');
    for (const m of attackers) m.close();
    for (const el of [a, b]) el.leave();
  });
});

describe('keys and chat on the wire, in a room with a secret', function () {
  this.timeout(180_000);

  it('travel sealed, and an unsealed key or chat is refused', async () => {
    const { a, b, ab, ba } = await securedPair('sealed-wire');
    // What reaches b over the data channel, as raw text.
    const raw: string[] = [];
    (ba.conn as unknown as { on(event: 'data', listener: (data: unknown) => void): void }).on('data', (data) => typeof data === 'string' && raw.push(data));
    const received: { text: string; verified: boolean }[] = [];
    const atA: string[] = [];
    a.addEventListener(EVENTS.message, (e) => atA.push((e as CustomEvent<{ text: string }>).detail.text));
    b.addEventListener(EVENTS.message, (e) => {
      const detail = (e as CustomEvent<{ local: boolean; text: string; verified: boolean }>).detail;
      if (!detail.local) received.push(detail);
    });
    a.sendMessage('sealed hello');
    // A new frame key, as after a departure.
    const epoch = (core(a) as unknown as { keyEpoch: { epoch: number } }).keyEpoch.epoch;
    (core(a) as unknown as { frameKeys: { rotate(): void } }).frameKeys.rotate();
    await waitFor(() => received.length === 1, 'the chat message at b');
    expect(received[0]).to.include({ text: 'sealed hello', verified: true });
    await waitFor(() => (core(a) as unknown as { keyEpoch: { epoch: number } }).keyEpoch.epoch > epoch, 'a sends with its new key');
    await framesGrow(b, 10);
    const types = raw.map((text) => (JSON.parse(text) as { t: string }).t);
    expect(types.filter((t) => t === 'sealed').length, 'sealed messages').to.be.at.least(2);
    expect(types.filter((t) => t === 'chat' || t === 'key'), 'key or chat in the open').to.deep.equal([]);
    expect(raw.join('\n')).to.not.include('sealed hello');

    // Unsealed, as a broken link would carry them: refused, not shown, not used.
    const invalid = (ab as unknown as { invalidCount: number }).invalidCount;
    ba.sendNow({ t: 'chat', text: 'in the clear' });
    ba.sendNow({ t: 'key', kid: 7, key: new Uint8Array(16) });
    await waitFor(() => (ab as unknown as { invalidCount: number }).invalidCount === invalid + 2, 'both refused');
    expect(atA).to.deep.equal(['sealed hello']);
    for (const el of [a, b]) el.leave();
  });
});

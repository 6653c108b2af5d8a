import { expect } from '@open-wc/testing';
import { generateSecret, inviteUrl, isValidSecret, secretFromFragment } from '../../src/e2ee/secret.js';
import { rendezvousIds } from '../../src/room/room-id.js';
import { deriveAuthKey, hkdfParams, secretKeyMaterial } from '../../src/e2ee/keys.js';
import {
  checkProof,
  proveFingerprints,
  sasCode,
  sasCommit,
  sasCommitMatches,
  sasNonce,
  SAS_EMOJI,
  type Fingerprints,
} from '../../src/e2ee/verification.js';
import { LinkVerifier } from '../../src/e2ee/link-verifier.js';
import { FrameKeys, KEY_SWITCH_TIMEOUT_MS, ROTATE_DEBOUNCE_MS, type FrameKeyEngine, type KeyLink } from '../../src/e2ee/frame-keys.js';
import { encodeMessage, parseMessage, type PeerMessage } from '../../src/signalling/protocol.js';

/** Polls `check` until truthy; fails after `timeout` ms (a condition, not a sleep). */
async function waitFor<T>(check: () => T, message: string | (() => string), timeout = 3_000): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeout;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out: ${typeof message === 'function' ? message() : message}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A made-up SHA-256 fingerprint whose every byte is `byte`. */
function fp(byte: number): string {
  return Array.from({ length: 32 }, () => byte.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
const A = fp(0xaa);
const B = fp(0xbb);
const M1 = fp(0x11);
const M2 = fp(0x22);

describe('room secret', () => {
  it('is read from the fragment among other parameters, and only from there', () => {
    expect(secretFromFragment('#tab=2&vr-secret=abc_-DEF&x')).to.equal('abc_-DEF');
    expect(secretFromFragment('vr-secret=a%20b')).to.equal('a b');
    expect(secretFromFragment('#tab=2')).to.equal(undefined);
    expect(secretFromFragment('')).to.equal(undefined);
    expect(secretFromFragment('#xvr-secret=abc')).to.equal(undefined);
  });

  it('reports an unusable secret as null', () => {
    for (const hash of ['#vr-secret=', '#vr-secret', '#vr-secret=%E0%A4%A', `#vr-secret=${'a'.repeat(257)}`])
      expect(secretFromFragment(hash), hash).to.equal(null);
    expect(isValidSecret('')).to.equal(false);
    expect(isValidSecret(42)).to.equal(false);
  });

  it('generates 128 random bits in base64url', () => {
    const a = generateSecret();
    expect(a).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(generateSecret()).not.to.equal(a);
  });

  it('puts the secret in an invite link, keeping the page and its other fragment parameters', () => {
    expect(inviteUrl('https://x.test/p?q=1#tab=2', 'S1')).to.equal('https://x.test/p?q=1#tab=2&vr-secret=S1');
    expect(inviteUrl('https://x.test/p#vr-secret=old&tab=2', 'n w')).to.equal('https://x.test/p#vr-secret=n%20w&tab=2');
    expect(inviteUrl('https://x.test/p#a=1&vr-secret=old&tab=2', null)).to.equal('https://x.test/p#a=1&tab=2');
    const link = inviteUrl('https://x.test/', generateSecret());
    expect(secretFromFragment(new URL(link).hash)).to.match(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('broker-blind ids', () => {
  it('are HKDF of the secret and the room name: documented derivation', async () => {
    const bits = await crypto.subtle.deriveBits(hkdfParams('rendezvous/0/standup'), await secretKeyMaterial('s3cret', 'standup'), 128);
    const hex = Array.from(new Uint8Array(bits), (x) => x.toString(16).padStart(2, '0')).join('');
    expect(await rendezvousIds('standup', 's3cret')).to.deep.equal([`vr-${hex}`]);
  });

  it('differ by secret and by room, and differ from the secret-less id', async () => {
    const [plain] = await rendezvousIds('standup');
    const [one] = await rendezvousIds('standup', 'one');
    const [two] = await rendezvousIds('standup', 'two');
    const [other] = await rendezvousIds('retro', 'one');
    expect(new Set([plain, one, two, other]).size).to.equal(4);
    expect(await rendezvousIds(' standup ', 'one')).to.deep.equal([one]);
  });
});

describe('fingerprint proofs', () => {
  it('accepts an honest peer and refuses a relayed proof, a wrong secret and a reflection', async () => {
    const key = await deriveAuthKey('standup', 'secret');
    const aSees: Fingerprints = { local: A, remote: B };
    const bSees: Fingerprints = { local: B, remote: A };
    expect(await checkProof(key, await proveFingerprints(key, aSees), bSees)).to.equal(true);
    // A man in the middle: A talks to M1, B to M2. A's proof, relayed to B, does not check.
    const aSeesMitm: Fingerprints = { local: A, remote: M1 };
    const bSeesMitm: Fingerprints = { local: B, remote: M2 };
    expect(await checkProof(key, await proveFingerprints(key, aSeesMitm), bSeesMitm)).to.equal(false);
    expect(await checkProof(key, await proveFingerprints(key, bSeesMitm), aSeesMitm)).to.equal(false);
    // The secret of another room, or another secret, proves nothing.
    for (const wrong of [await deriveAuthKey('standup', 'Secret'), await deriveAuthKey('retro', 'secret')])
      expect(await checkProof(key, await proveFingerprints(wrong, aSees), bSees)).to.equal(false);
    // A's own proof sent back to A.
    expect(await checkProof(key, await proveFingerprints(key, aSees), aSees)).to.equal(false);
  });
});

describe('short codes', () => {
  it('are the same on both ends and differ through a man in the middle', async () => {
    const [na, nb, nm1, nm2] = [sasNonce(), sasNonce(), sasNonce(), sasNonce()];
    const atA = await sasCode({ local: A, remote: B }, na, nb);
    const atB = await sasCode({ local: B, remote: A }, nb, na);
    expect(atA).to.deep.equal(atB);
    expect(atA.emoji).to.have.length(7);
    expect(atA.names.every((n) => SAS_EMOJI.some(([, name]) => name === n))).to.equal(true);
    const mitmA = await sasCode({ local: A, remote: M1 }, na, nm1);
    const mitmB = await sasCode({ local: B, remote: M2 }, nb, nm2);
    expect(mitmA.emoji.join('')).not.to.equal(mitmB.emoji.join(''));
  });

  it('has 64 distinct symbols', () => {
    expect(new Set(SAS_EMOJI.map(([e]) => e)).size).to.equal(64);
    expect(new Set(SAS_EMOJI.map(([, n]) => n)).size).to.equal(64);
  });

  it('binds the nonce to its commitment', async () => {
    const nonce = sasNonce();
    const commit = await sasCommit(nonce);
    expect(await sasCommitMatches(commit, nonce)).to.equal(true);
    expect(await sasCommitMatches(commit, sasNonce())).to.equal(false);
  });
});

/** A stand-in RTCPeerConnection with just the descriptions a verifier reads. */
function fakePc(local: string, remote: string): RTCPeerConnection {
  const sdp = (f: string) => ({ type: 'offer', sdp: `v=0\r\na=fingerprint:sha-256 ${f}\r\n` });
  return { currentLocalDescription: sdp(local), currentRemoteDescription: sdp(remote), sctp: null, getTransceivers: () => [] } as unknown as RTCPeerConnection;
}

/** Two verifiers wired to each other through the message codec, optionally through a tamperer. */
function pair(keyA: CryptoKey | null, keyB: CryptoKey | null, options: { fps?: [Fingerprints, Fingerprints]; tamper?: (m: PeerMessage) => PeerMessage | null } = {}) {
  const events: string[] = [];
  const verifiers: LinkVerifier[] = [];
  const deliver = (to: number) => (message: PeerMessage) => {
    const passed = options.tamper ? options.tamper(message) : message;
    const parsed = passed && parseMessage(encodeMessage(passed));
    if (parsed && (parsed.t === 'auth' || parsed.t === 'sas-commit' || parsed.t === 'sas-reveal')) setTimeout(() => verifiers[to]?.handle(parsed));
  };
  const a = new LinkVerifier(keyA, deliver(1), 500);
  const b = new LinkVerifier(keyB, deliver(0), 500);
  verifiers.push(a, b);
  const codes: Record<string, string> = {};
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    v.on('verified', () => events.push(`${name}:verified`));
    v.on('failed', ({ reason }) => events.push(`${name}:failed:${reason}`));
    v.on('code', ({ code }) => {
      codes[name] = code.emoji.join('');
      events.push(`${name}:code`);
    });
  }
  const [fa, fb] = options.fps ?? [{ local: A, remote: B }, { local: B, remote: A }];
  a.start(fakePc(fa.local, fa.remote));
  b.start(fakePc(fb.local, fb.remote));
  return { events, codes };
}

describe('link verification exchange', () => {
  it('verifies both ends that know the secret', async () => {
    const key = await deriveAuthKey('r', 's');
    const { events } = pair(key, key);
    await waitFor(() => events.length === 2, () => events.join());
    expect([...events].sort()).to.deep.equal(['a:verified', 'b:verified']);
  });

  it('fails both ends on a wrong secret, and through a man in the middle', async () => {
    const { events } = pair(await deriveAuthKey('r', 's'), await deriveAuthKey('r', 'wrong'));
    await waitFor(() => events.length === 2, () => events.join());
    expect([...events].sort()).to.deep.equal(['a:failed:mismatch', 'b:failed:mismatch']);
    const key = await deriveAuthKey('r', 's');
    const mitm = pair(key, key, { fps: [{ local: A, remote: M1 }, { local: B, remote: M2 }] });
    await waitFor(() => mitm.events.length === 2, () => mitm.events.join());
    expect([...mitm.events].sort()).to.deep.equal(['a:failed:mismatch', 'b:failed:mismatch']);
  });

  it('fails when no proof comes in time', async () => {
    const key = await deriveAuthKey('r', 's');
    const { events } = pair(key, key, { tamper: () => null });
    await waitFor(() => events.length === 2, () => events.join(), 5_000);
    expect([...events].sort()).to.deep.equal(['a:failed:timeout', 'b:failed:timeout']);
  });

  it('gives both ends the same code without a secret, and different codes through a man in the middle', async () => {
    const honest = pair(null, null);
    await waitFor(() => honest.events.length === 2, () => honest.events.join());
    expect(honest.codes.a).to.have.length.greaterThan(0);
    expect(honest.codes.a).to.equal(honest.codes.b);
    const mitm = pair(null, null, { fps: [{ local: A, remote: M1 }, { local: B, remote: M2 }] });
    await waitFor(() => mitm.events.length === 2, () => mitm.events.join());
    expect(mitm.codes.a).not.to.equal(mitm.codes.b);
  });

  it('waits for the answer when the channel opens before script can see it, instead of failing an honest peer', async () => {
    // Real connections, caught in the state a data channel can open in under load: the offerer's
    // answer applied natively but not yet visible (here: not yet applied at all).
    const offerer = new RTCPeerConnection();
    const answerer = new RTCPeerConnection();
    try {
      offerer.createDataChannel('vr');
      await offerer.setLocalDescription();
      await answerer.setRemoteDescription(offerer.localDescription!);
      await answerer.setLocalDescription();
      const events: string[] = [];
      const sent: string[] = [];
      const verifiers: LinkVerifier[] = [];
      const deliver = (to: number) => (message: PeerMessage) => {
        sent.push(`${to === 1 ? 'a' : 'b'}:${message.t}`);
        const parsed = parseMessage(encodeMessage(message));
        if (parsed && (parsed.t === 'sas-commit' || parsed.t === 'sas-reveal')) setTimeout(() => verifiers[to]?.handle(parsed));
      };
      const a = new LinkVerifier(null, deliver(1));
      const b = new LinkVerifier(null, deliver(0));
      verifiers.push(a, b);
      const codes: string[] = [];
      for (const [name, v] of [['a', a], ['b', b]] as const) {
        v.on('failed', ({ reason }) => events.push(`${name}:failed:${reason}`));
        v.on('code', ({ code }) => codes.push(code.emoji.join('')));
      }
      expect(offerer.signalingState).to.equal('have-local-offer');
      a.start(offerer);
      b.start(answerer);
      // b's commitment reaches a, which holds it until it can read its own connection.
      await waitFor(() => sent.includes('b:sas-commit'), () => sent.join());
      expect(events, 'no failure while the answer is not there').to.deep.equal([]);
      expect(sent, 'a says nothing before it can read both fingerprints').not.to.include('a:sas-commit');
      await offerer.setRemoteDescription(answerer.localDescription!);
      await waitFor(() => codes.length === 2 || events.length > 0, () => `${events.join()} ${sent.join()}`);
      expect(events).to.deep.equal([]);
      expect(codes[0]).to.equal(codes[1]);
    } finally {
      offerer.close();
      answerer.close();
    }
  });

  it('fails a reveal that does not match its commitment', async () => {
    const { events } = pair(null, null, { tamper: (m) => (m.t === 'sas-reveal' ? { t: 'sas-reveal', nonce: sasNonce() } : m) });
    await waitFor(() => events.length === 2, () => events.join());
    expect([...events].sort()).to.deep.equal(['a:failed:protocol', 'b:failed:protocol']);
  });
});

describe('frame keys', () => {
  function setup() {
    const calls: string[] = [];
    const engine: FrameKeyEngine = {
      setSendKey: (kid) => calls.push(`send:${kid}`),
      addReceiveKey: (id, kid) => calls.push(`recv:${id}:${kid}`),
      removeReceiveKeys: (id, keep) => calls.push(`remove:${id}:${keep ?? 'all'}`),
    };
    const sent: Record<string, PeerMessage[]> = {};
    const link = (keyId: string): KeyLink => ({ keyId, send: (m) => (sent[keyId] ??= []).push(m) });
    return { calls, sent, link, keys: new FrameKeys(engine) };
  }

  it('gives every verified peer our key and acknowledges theirs', () => {
    const { calls, sent, link, keys } = setup();
    const b = link('b');
    keys.add(b);
    expect(sent.b).to.deep.equal([{ t: 'key', kid: keys.kid, key: (sent.b?.[0] as { key: Uint8Array }).key }]);
    keys.handle(b, { t: 'key', kid: 7, key: new Uint8Array(16) });
    expect(calls).to.include('recv:b:7');
    expect(sent.b?.at(-1)).to.deep.equal({ t: 'key-ack', kid: 7 });
    // Not from a link that was never verified.
    keys.handle(link('x'), { t: 'key', kid: 9, key: new Uint8Array(16) });
    expect(calls).not.to.include('recv:x:9');
    keys.close();
  });

  it('on a departure, switches to a new key once everyone who stays has it', async () => {
    const { calls, sent, link, keys } = setup();
    const [b, c] = [link('b'), link('c')];
    keys.add(b);
    keys.add(c);
    const first = keys.kid;
    keys.remove(c);
    expect(calls).to.include('remove:c:all');
    keys.rotate();
    const offered = await waitFor(() => sent.b?.find((m) => m.t === 'key' && m.kid !== first), 'no new key offered', ROTATE_DEBOUNCE_MS + 2000);
    expect(keys.kid).to.equal(first);
    expect(sent.c?.some((m) => m.t === 'key' && m.kid !== first)).to.equal(false);
    const kid = (offered as { kid: number }).kid;
    keys.handle(b, { t: 'key-ack', kid });
    expect(keys.kid).to.equal(kid);
    expect(keys.epoch).to.equal(1);
    expect(calls.at(-1)).to.equal(`send:${kid}`);
    keys.close();
  });

  it('switches anyway when a peer never acknowledges', async () => {
    const { link, keys } = setup();
    keys.add(link('b'));
    const first = keys.kid;
    keys.rotate();
    await waitFor(() => keys.kid !== first, 'never switched', ROTATE_DEBOUNCE_MS + KEY_SWITCH_TIMEOUT_MS + 2000);
    expect(keys.epoch).to.equal(1);
    keys.close();
  });
});

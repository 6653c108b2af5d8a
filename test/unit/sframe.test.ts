import { expect } from '@open-wc/testing';
import * as sframeModule from '../../src/e2ee/sframe.js';
import { createSFrameCodec, sframeCodecSource, type SFrameCodec, type SFrameKey } from '../../src/e2ee/sframe.js';
import * as sframePartsModule from '../../src/e2ee/sframe-parts.js';
import * as frameCryptoModule from '../../src/e2ee/frame-crypto.js';
import { frameCryptoWorkerSource } from '../../src/e2ee/frame-crypto.js';
import * as workerModule from '../../src/e2ee/frame-crypto-worker.js';
import type { FrameCryptoReply, FrameCryptoRequest, FrameCryptoStats, FrameTransformOptions } from '../../src/e2ee/frame-crypto-worker.js';
import { C1, C2, C2_COMMON, C3, C3_COMMON, hex, toHex } from './sframe-vectors.js';

/** The codec `sframeCodecSource()` describes, built by `new Function` in the global scope, as the worker builds it. */
const codecFromSource = (): SFrameCodec => (new Function(`"use strict"; return (${sframeCodecSource()});`)() as () => SFrameCodec)();

/** The codec on this thread, and the one built from source text. */
const codecs: Record<string, SFrameCodec> = {
  'createSFrameCodec()': createSFrameCodec(),
  'sframeCodecSource() in a fresh scope': codecFromSource(),
};
const mainCodec = codecs['createSFrameCodec()']!;

/** The bytes of `parts` one after the other. */
const concat = (...parts: Uint8Array[]) => hex(parts.map(toHex).join(''));
/** A stand-in media frame of `length` bytes. */
const frame = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + 1) & 0xff);

/** HKDF-Extract("", ikm) = HMAC-Hash(HashLen zero bytes, ikm) (RFC 5869 §2.2), computed independently of the codec. */
async function hkdfExtract(hash: 'SHA-256' | 'SHA-512', ikm: Uint8Array<ArrayBuffer>): Promise<string> {
  const zeros = new Uint8Array(hash === 'SHA-256' ? 32 : 64);
  const key = await crypto.subtle.importKey('raw', zeros, { name: 'HMAC', hash }, false, ['sign']);
  return toHex(new Uint8Array(await crypto.subtle.sign('HMAC', key, ikm)));
}

/** An encoded frame as the worker sees it: video frames have a type, audio frames none. */
type EncodedFrameLike = { data: ArrayBuffer; type?: string };

/** A VP8 key frame, a VP8 delta frame and an Opus frame. */
const mediaFrames = (): EncodedFrameLike[] => [
  { type: 'key', data: frame(120).buffer },
  { type: 'delta', data: frame(40).buffer },
  { data: frame(30).buffer },
];
const copy = (frames: EncodedFrameLike[]) => frames.map((f) => ({ ...f, data: f.data.slice(0) }));
const frameHex = (f: EncodedFrameLike) => toHex(new Uint8Array(f.data));

/**
 * Evaluates the worker source in a fresh function scope with a stand-in `self`, so the test can
 * feed it frames as RTCRtpScriptTransform would (an rtctransform event with readable and writable).
 */
function workerInFreshScope() {
  const replies: FrameCryptoReply[] = [];
  const scope: {
    onmessage?: (event: { data: FrameCryptoRequest }) => void;
    onrtctransform?: (event: { transformer: unknown }) => void;
    postMessage: (reply: FrameCryptoReply) => void;
  } = { postMessage: (reply) => replies.push(reply) };
  new Function('self', frameCryptoWorkerSource())(scope);
  let nextId = 1;
  const post = (message: FrameCryptoRequest) => scope.onmessage!({ data: message });
  const stats = async (): Promise<FrameCryptoStats> => {
    const id = nextId++;
    post({ type: 'stats', id });
    for (let i = 0; i < 200; i++) {
      const reply = replies.find((r) => r.id === id);
      if (reply) return reply.stats;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('no stats from the worker');
  };
  const transform = (transformer: { readable: ReadableStream; writable: WritableStream; options: FrameTransformOptions }) =>
    scope.onrtctransform!({ transformer });
  /** Runs `frames` through a new transform with `options`; resolves with what came out. */
  const run = async (frames: EncodedFrameLike[], options: FrameTransformOptions) => {
    const out: EncodedFrameLike[] = [];
    const readable = new ReadableStream<EncodedFrameLike>({
      start(controller) {
        frames.forEach((f) => controller.enqueue(f));
        controller.close();
      },
    });
    let done!: () => void;
    const closed = new Promise<void>((resolve) => (done = resolve));
    const writable = new WritableStream<EncodedFrameLike>({ write: (f) => void out.push(f), close: () => done() });
    transform({ readable, writable, options });
    await closed;
    return out;
  };
  return { post, stats, run, transform };
}

async function waitUntilCounted(worker: ReturnType<typeof workerInFreshScope>, check: (stats: FrameCryptoStats) => boolean) {
  for (let i = 0; i < 200; i++) {
    if (check(await worker.stats())) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('worker counters never got there');
}

/**
 * Every vector and frame test runs on both codecs: the one built on this thread, and the one the
 * worker builds from `sframeCodecSource()`, evaluated where no name of the modules exists (a part
 * that used one would throw there, or be missing).
 */
for (const [built, codec] of Object.entries(codecs)) {
  describe(`SFrame codec from ${built}`, () => {
    describe('SFrame header (RFC 9605 §4.3, Appendix C.1)', () => {
      it('encodes and decodes the RFC vectors', () => {
        expect(C1.length).to.equal(65);
        for (const { kid, ctr, header } of C1) {
          expect(toHex(codec.encodeHeader(kid, ctr)), `kid ${kid} ctr ${ctr}`).to.equal(header);
          expect(codec.decodeHeader(hex(header)), header).to.deep.equal({ kid, ctr, length: header.length / 2 });
        }
      });

      it('round-trips KID and CTR values of every length, at an offset and followed by other bytes', () => {
        const values = [0n, 1n, 7n, 8n, 0x7fn, 0x80n, 0xffffn, 0x123456n, 0xdeadbeefn, 0xffffffffn, (1n << 53n) - 1n, (1n << 64n) - 1n];
        for (const kid of values) {
          for (const ctr of values) {
            const header = codec.encodeHeader(kid, ctr);
            const framed = concat(hex('abcd'), header, hex('eeff'));
            expect(codec.decodeHeader(framed, 2)).to.deep.equal({ kid, ctr, length: header.length });
          }
        }
      });

      it('rejects truncated and non-minimal headers', () => {
        for (const bad of [
          '', // nothing
          '08', // CTR of 1 byte missing
          '0f01020304050607', // CTR of 8 bytes, 7 present
          '80', // KID of 1 byte missing
          '90ff', // KID of 2 bytes, 1 present
          'f8ffffffffffffffff', // KID present, CTR missing
          '0807', // CTR 7 must be in the config byte
          '8005', // KID 5 must be in the config byte
          '090001', // CTR with a leading zero byte
          '900001', // KID with a leading zero byte
        ]) {
          expect(codec.decodeHeader(hex(bad)), bad).to.equal(null);
        }
        expect(codec.decodeHeader(hex('00'), 1)).to.equal(null);
      });

      it('refuses to encode values outside 0..2^64-1', () => {
        expect(() => codec.encodeHeader(-1n, 0n)).to.throw(RangeError);
        expect(() => codec.encodeHeader(0n, 1n << 64n)).to.throw(RangeError);
      });
    });

    describe('SFrame key schedule and encryption (RFC 9605 §4.4, Appendix C.3)', () => {
      for (const vector of C3) {
        const suite = codec.suite(vector.suite);
        it(`derives labels, secret, key and salt for suite 0x000${vector.suite} ${suite.name}`, async () => {
          const labels = codec.derivationLabels(vector.suite, C3_COMMON.kid);
          expect(toHex(labels.key)).to.equal(toHex(hex(vector.keyLabel)));
          expect(toHex(labels.salt)).to.equal(toHex(hex(vector.saltLabel)));
          expect(await hkdfExtract(suite.hash, hex(C3_COMMON.baseKey))).to.equal(toHex(hex(vector.secret)));
          const { key, salt } = await codec.deriveKeySalt(vector.suite, C3_COMMON.kid, hex(C3_COMMON.baseKey));
          expect(toHex(key)).to.equal(toHex(hex(vector.key)));
          expect(toHex(salt)).to.equal(vector.salt);
        });

        it(`encrypts and decrypts the vector of suite 0x000${vector.suite} (nonce, aad, ct)`, async () => {
          const key = await codec.importKey(vector.suite, C3_COMMON.kid, hex(C3_COMMON.baseKey));
          expect(toHex(codec.nonce(key.salt, C3_COMMON.ctr))).to.equal(vector.nonce);
          const aad = concat(codec.encodeHeader(C3_COMMON.kid, C3_COMMON.ctr), hex(C3_COMMON.metadata));
          expect(toHex(aad)).to.equal(toHex(hex(C3_COMMON.aad)));
          const ct = await codec.encrypt(key, C3_COMMON.ctr, hex(C3_COMMON.metadata), hex(C3_COMMON.pt));
          expect(toHex(ct)).to.equal(toHex(hex(vector.ct)));
          const opened = await codec.decrypt((kid) => (kid === C3_COMMON.kid ? key : undefined), hex(C3_COMMON.metadata), hex(vector.ct));
          expect(opened.ok && toHex(opened.plaintext)).to.equal(toHex(hex(C3_COMMON.pt)));
          // Other metadata, or a KID without a key, does not open it.
          expect(await codec.decrypt(() => key, hex('00'), hex(vector.ct))).to.deep.equal({ ok: false, error: 'auth' });
          expect(await codec.decrypt(() => undefined, hex(C3_COMMON.metadata), hex(vector.ct))).to.deep.equal({ ok: false, error: 'no-key' });
        });
      }
    });

    describe('SFrame AES-CTR + HMAC AEAD (RFC 9605 §4.5.1, Appendix C.2)', () => {
      for (const vector of C2) {
        it(`matches the vector of suite 0x000${vector.suite}`, async () => {
          const suite = codec.suite(vector.suite);
          const key = hex(C2_COMMON.key);
          expect(toHex(key.subarray(0, suite.nka))).to.equal(C2_COMMON.encKey);
          expect(toHex(key.subarray(suite.nka))).to.equal(toHex(hex(C2_COMMON.authKey)));
          const aead = await codec.importAeadKey(vector.suite, key);
          const ct = await codec.aeadEncrypt(suite, aead, hex(C2_COMMON.nonce), hex(C2_COMMON.aad), hex(C2_COMMON.pt));
          expect(toHex(ct)).to.equal(toHex(hex(vector.ct)));
          const pt = await codec.aeadDecrypt(suite, aead, hex(C2_COMMON.nonce), hex(C2_COMMON.aad), hex(vector.ct));
          expect(pt && toHex(pt)).to.equal(toHex(hex(C2_COMMON.pt)));
          const tampered = hex(vector.ct);
          tampered[tampered.length - 1] ^= 1;
          expect(await codec.aeadDecrypt(suite, aead, hex(C2_COMMON.nonce), hex(C2_COMMON.aad), tampered)).to.equal(null);
        });
      }
    });

    describe('SFrame media frames (clear prefix, trailer)', () => {
      let key: SFrameKey;
      let otherKey: SFrameKey;
      const lookup = (kid: bigint) => (kid === 3n ? key : undefined);

      before(async () => {
        key = await codec.importKey(4, 3n, hex('00112233445566778899aabbccddeeff'));
        otherKey = await codec.importKey(4, 3n, hex('ffeeddccbbaa99887766554433221100'));
      });

      it('keeps the codec bytes in clear (VP8 key 10, delta 3, Opus 1) and puts header, P and H last', async () => {
        for (const [kind, keyFrame, clear] of [
          ['video', true, 10],
          ['video', false, 3],
          ['audio', false, 1],
        ] as const) {
          expect(codec.clearBytes(kind, keyFrame)).to.equal(clear);
          const plain = frame(200);
          const wire = await codec.protectFrame(key, 0x1234n, plain, clear);
          const header = codec.encodeHeader(3n, 0x1234n);
          expect(wire.length).to.equal(200 + 16 + header.length + 2);
          expect(toHex(wire.subarray(0, clear))).to.equal(toHex(plain.subarray(0, clear)));
          expect(toHex(wire.subarray(clear, 200))).not.to.equal(toHex(plain.subarray(clear)));
          expect(toHex(wire.subarray(wire.length - 2 - header.length))).to.equal(toHex(concat(header, Uint8Array.of(clear, header.length))));
          const opened = await codec.unprotectFrame(lookup, wire);
          expect(opened.ok && toHex(opened.plaintext)).to.equal(toHex(plain));
          expect(opened.ok && opened.ctr).to.equal(0x1234n);
        }
      });

      it('VP8: the clear frame tag claims the largest first partition (a keyless decoder refuses it), the true tag travels encrypted', async () => {
        for (const clear of [10, 3]) {
          const plain = frame(200);
          plain[0] = 0x10; // a key frame tag: P bit 0, version 0, show_frame 1, first partition 0
          const wire = await codec.protectFrame(key, 77n, plain, clear, true);
          // The tag's 19 size bits all set; the key-frame bit, version, show flag and the start code and size stay.
          expect(toHex(wire.subarray(0, 3))).to.equal('f0ffff');
          expect(toHex(wire.subarray(3, clear))).to.equal(toHex(plain.subarray(3, clear)));
          expect(wire.length).to.equal(200 + 3 + 16 + codec.encodeHeader(3n, 77n).length + 2);
          const opened = await codec.unprotectFrame(lookup, wire, true);
          expect(opened.ok && toHex(opened.plaintext)).to.equal(toHex(plain));
          // Read without the VP8 rule it is not the frame: the two ends must agree.
          const plainRead = await codec.unprotectFrame(lookup, wire);
          expect(plainRead.ok && toHex(plainRead.plaintext)).not.to.equal(toHex(plain));
          // The poisoned tag is authenticated like the rest of the prefix.
          const tampered = wire.slice();
          tampered[1] = 0x00;
          expect((await codec.unprotectFrame(lookup, tampered, true)).ok).to.equal(false);
        }
        // Audio (1 clear byte) and frames shorter than a tag are left as they are.
        for (const length of [0, 1, 2]) {
          const opened = await codec.unprotectFrame(lookup, await codec.protectFrame(key, 9n, frame(length), 10, true), true);
          expect(opened.ok && toHex(opened.plaintext)).to.equal(toHex(frame(length)));
        }
      });

      it('round-trips frames shorter than their clear prefix, and empty frames', async () => {
        for (const length of [0, 1, 2, 3, 9, 10, 11]) {
          const wire = await codec.protectFrame(key, BigInt(length), frame(length), 10);
          expect(wire[wire.length - 2]).to.equal(Math.min(length, 10));
          const opened = await codec.unprotectFrame(lookup, wire);
          expect(opened.ok && toHex(opened.plaintext), `length ${length}`).to.equal(toHex(frame(length)));
        }
      });

      it('rejects a frame when any byte is changed: clear prefix, ciphertext, tag, header, P or H', async () => {
        const wire = await codec.protectFrame(key, 300n, frame(100), 10);
        const headerLength = wire[wire.length - 1]!;
        const positions = {
          'clear prefix': 0,
          'last clear byte': 9,
          ciphertext: 40,
          tag: 100 + 15,
          'header config byte': wire.length - 2 - headerLength,
          'header CTR': wire.length - 3,
          'prefix length P': wire.length - 2,
          'header length H': wire.length - 1,
        };
        for (const [name, at] of Object.entries(positions)) {
          for (const flip of [0x01, 0x80]) {
            const tampered = wire.slice();
            tampered[at] ^= flip;
            const opened = await codec.unprotectFrame(lookup, tampered);
            expect(opened.ok, `${name} ^ ${flip}`).to.equal(false);
          }
        }
        // Cut short, padded, or nothing at all.
        for (const bad of [wire.subarray(0, wire.length - 1), wire.subarray(1), concat(wire, hex('00')), new Uint8Array(0), hex('0001')]) {
          const opened = await codec.unprotectFrame(lookup, bad.slice());
          expect(opened.ok).to.equal(false);
        }
      });

      it('tells malformed frames, unknown KIDs and failed tags apart', async () => {
        const wire = await codec.protectFrame(key, 5n, frame(50), 3);
        expect(await codec.unprotectFrame(() => undefined, wire)).to.deep.equal({ ok: false, error: 'no-key' });
        // Same KID, another sender's key: the tag fails.
        expect(await codec.unprotectFrame(() => otherKey, wire)).to.deep.equal({ ok: false, error: 'auth' });
        const badLength = wire.slice();
        badLength[badLength.length - 1] = 18;
        expect(await codec.unprotectFrame(lookup, badLength)).to.deep.equal({ ok: false, error: 'malformed' });
        const badPrefix = wire.slice();
        badPrefix[badPrefix.length - 2] = 255;
        expect(await codec.unprotectFrame(lookup, badPrefix)).to.deep.equal({ ok: false, error: 'malformed' });
      });

      it('never produces two frames with the same header for different counters', async () => {
        const a = await codec.protectFrame(key, 1n, frame(20), 3);
        const b = await codec.protectFrame(key, 2n, frame(20), 3);
        expect(toHex(a)).not.to.equal(toHex(b));
      });
    });
  });
}

describe('self-contained codec and worker (Blob worker source)', () => {
  it('builds the same codec from source text, and it round-trips a frame and the RFC vector', async () => {
    const isolated = codecFromSource();
    // The same members as ever, and nothing a part keeps to itself (the byte helpers).
    const members = ['suites', 'suite', 'encodeHeader', 'decodeHeader', 'derivationLabels', 'deriveKeySalt', 'importAeadKey', 'importKey'];
    members.push('nonce', 'aeadEncrypt', 'aeadDecrypt', 'encrypt', 'decrypt', 'clearBytes', 'protectFrame', 'unprotectFrame');
    expect(Object.keys(isolated)).to.deep.equal(members);
    expect(Object.keys(createSFrameCodec())).to.deep.equal(members);
    const key = await isolated.importKey(4, C3_COMMON.kid, hex(C3_COMMON.baseKey));
    const wire = await isolated.protectFrame(key, 77n, frame(60), 10);
    const opened = await isolated.unprotectFrame(() => key, wire);
    expect(opened.ok && toHex(opened.plaintext)).to.equal(toHex(frame(60)));
    const vector = C3.find((v) => v.suite === 4)!;
    const ct = await isolated.encrypt(key, C3_COMMON.ctr, hex(C3_COMMON.metadata), hex(C3_COMMON.pt));
    expect(toHex(ct)).to.equal(toHex(hex(vector.ct)));
    expect(toHex(isolated.encodeHeader(0xffffffffn, 0xffffffffffffffffn))).to.equal('bfffffffffffffffffffffffff');
  });

  it('sends only functions to the worker that name nothing of their modules', () => {
    // The functions whose source text the worker runs: every part, the codec's assembler, the worker main.
    const sent: { name: string; toString(): string }[] = [
      ...Object.values(sframePartsModule),
      sframeModule.assembleSFrameCodec,
      ...Object.values(workerModule.FRAME_WORKER_PARTS),
      workerModule.frameCryptoWorker,
    ];
    // Names of the modules' scope (runtime exports, and the one constant sframe.ts keeps to itself).
    const names = [sframeModule, sframePartsModule, frameCryptoModule, workerModule].flatMap((module) => Object.keys(module));
    names.push('SFRAME_PARTS');
    expect(sent).to.have.length(13);
    for (const part of sent) {
      const text = part.toString();
      for (const name of names) {
        if (name !== part.name) expect(new RegExp(`\\b${name}\\b`).test(text), `${part.name} names ${name}`).to.equal(false);
      }
    }
  });

  it('encrypts and decrypts frames with the worker source evaluated in a fresh scope', async () => {
    const alice = workerInFreshScope();
    const bob = workerInFreshScope();
    const baseKey = hex('0102030405060708090a0b0c0d0e0f10');

    // No send key yet: everything dropped.
    expect(await alice.run(mediaFrames(), { role: 'send' })).to.have.length(0);
    alice.post({ type: 'send-key', kid: 9, baseKey });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 9, baseKey });
    expect((await alice.stats()).sendKid).to.equal(9);
    await bob.stats();
    const wire = await alice.run(mediaFrames(), { role: 'send' });
    expect(wire).to.have.length(3);
    const decrypted = await bob.run(copy(wire), { role: 'receive', port: 1, senderId: 'alice' });
    expect(decrypted.map(frameHex)).to.deep.equal(mediaFrames().map(frameHex));
    // Bound to another sender id, the same frames find no key.
    expect(await bob.run(copy(wire), { role: 'receive', port: 2, senderId: 'mallory' })).to.have.length(0);

    const a = await alice.stats();
    expect([a.encrypted, a.noSendKey, a.video.encrypted, a.audio.encrypted]).to.deep.equal([3, 3, 2, 1]);
    const b = await bob.stats();
    expect(b.senders['alice']?.decrypted).to.equal(3);
    expect(b.senders['mallory']?.noKey).to.equal(3);
    expect(b.dropped).to.equal(3);
  });

  it('keeps one counter per send key across senders and key changes', async () => {
    const alice = workerInFreshScope();
    const [key1, key2] = [hex('0102030405060708090a0b0c0d0e0f10'), hex('1112131415161718191a1b1c1d1e1f20')];
    const ctrs = (frames: EncodedFrameLike[]) =>
      frames.map((f) => {
        const bytes = new Uint8Array(f.data);
        const header = mainCodec.decodeHeader(bytes.subarray(0, bytes.length - 2), bytes.length - 2 - bytes[bytes.length - 1]!)!;
        return `${header.kid}:${header.ctr}`;
      });
    alice.post({ type: 'send-key', kid: 1, baseKey: key1 });
    await alice.stats();
    // Two senders (say camera and microphone, or two peer links) at once: no CTR twice.
    const [x, y] = await Promise.all([alice.run(mediaFrames(), { role: 'send' }), alice.run(mediaFrames(), { role: 'send' })]);
    expect([...ctrs(x), ...ctrs(y)].sort()).to.deep.equal(['1:0', '1:1', '1:2', '1:3', '1:4', '1:5']);
    // The same KID set again (even with the same key) goes on counting; a new KID starts at 0.
    alice.post({ type: 'send-key', kid: 1, baseKey: key1 });
    await alice.stats();
    expect(ctrs(await alice.run(mediaFrames().slice(0, 1), { role: 'send' }))).to.deep.equal(['1:6']);
    alice.post({ type: 'send-key', kid: 2, baseKey: key2 });
    await alice.stats();
    expect(ctrs(await alice.run(mediaFrames().slice(0, 1), { role: 'send' }))).to.deep.equal(['2:0']);
    alice.post({ type: 'send-key', kid: 1, baseKey: key1 });
    await alice.stats();
    expect(ctrs(await alice.run(mediaFrames().slice(0, 1), { role: 'send' }))).to.deep.equal(['1:7']);
  });

  it('forgets receive keys, keeps the one asked for, and rebinds a receiver to another sender', async () => {
    const alice = workerInFreshScope();
    const bob = workerInFreshScope();
    const [key1, key2] = [hex('0102030405060708090a0b0c0d0e0f10'), hex('1112131415161718191a1b1c1d1e1f20')];
    alice.post({ type: 'send-key', kid: 1, baseKey: key1 });
    await alice.stats();
    const old = await alice.run(mediaFrames(), { role: 'send' });
    alice.post({ type: 'send-key', kid: 2, baseKey: key2 });
    await alice.stats();
    const current = await alice.run(mediaFrames(), { role: 'send' });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 1, baseKey: key1 });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 2, baseKey: key2 });
    await bob.stats();
    expect(await bob.run(copy(old), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(3);
    bob.post({ type: 'remove-receive-keys', senderId: 'alice', keepKid: 2 });
    await bob.stats();
    expect(await bob.run(copy(old), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(0);
    expect(await bob.run(copy(current), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(3);
    bob.post({ type: 'remove-receive-keys', senderId: 'alice' });
    await bob.stats();
    expect(await bob.run(copy(current), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(0);

    // A receiver (port 5) first bound to carol, then to alice, uses alice's keys from then on.
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 2, baseKey: key2 });
    await bob.stats();
    const frames = copy(current);
    const out: EncodedFrameLike[] = [];
    const writable = new WritableStream<EncodedFrameLike>({ write: (f) => void out.push(f) });
    let push!: (frame: EncodedFrameLike) => void;
    const readable = new ReadableStream<EncodedFrameLike>({ start: (controller) => void (push = (f) => controller.enqueue(f)) });
    bob.transform({ readable, writable, options: { role: 'receive', port: 5, senderId: 'carol' } });
    push(frames[0]!);
    await waitUntilCounted(bob, (s) => s.senders['carol']?.noKey === 1);
    const decryptedBefore = (await bob.stats()).senders['alice']!.decrypted;
    bob.post({ type: 'bind', port: 5, senderId: 'alice' });
    push(frames[1]!);
    await waitUntilCounted(bob, (s) => s.senders['alice']?.decrypted === decryptedBefore + 1);
    expect(out).to.have.length(1);
  });

  it('drops replayed frames, per receiver and key, once they are authentic', async () => {
    const alice = workerInFreshScope();
    const bob = workerInFreshScope();
    const baseKey = hex('0102030405060708090a0b0c0d0e0f10');
    alice.post({ type: 'send-key', kid: 4, baseKey });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 4, baseKey });
    await Promise.all([alice.stats(), bob.stats()]);
    const wire = await alice.run([...mediaFrames(), ...mediaFrames()], { role: 'send' });
    // Out of order is fine; the same CTR twice is not.
    const [first, second] = [wire.slice(0, 3), wire.slice(3)];
    expect(await bob.run(copy([...second, ...first]), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(6);
    expect(await bob.run(copy([first[1]!, second[2]!]), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(0);
    const stats = await bob.stats();
    expect([stats.replayed, stats.video.replayed, stats.dropped]).to.deep.equal([2, 1, 0]);
    // Another receiver has its own window.
    expect(await bob.run(copy(first), { role: 'receive', port: 2, senderId: 'alice' })).to.have.length(3);
  });

  it('starts as a real Blob worker', async () => {
    const url = URL.createObjectURL(new Blob([frameCryptoWorkerSource()], { type: 'text/javascript' }));
    const worker = new Worker(url);
    try {
      const reply = new Promise<FrameCryptoReply>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<FrameCryptoReply>) => resolve(event.data);
        worker.onerror = (event) => reject(new Error(event.message));
      });
      worker.postMessage({ type: 'send-key', kid: 70000, baseKey: hex('0102030405060708090a0b0c0d0e0f10') });
      worker.postMessage({ type: 'stats', id: 1 });
      const { stats } = await reply;
      expect(stats.sendKid).to.equal(70000);
      expect(stats.lastError).to.equal(null);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
  });
});

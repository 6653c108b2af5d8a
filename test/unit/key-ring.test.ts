/**
 * The frame-crypto worker keeps a few receive keys per sender: a peer sending key after key
 * pushes out only its own older keys, and memory stays bounded. Run on the worker's own source
 * in a fresh scope, as the Blob worker runs it.
 */
import { expect } from '@open-wc/testing';
import { frameCryptoWorkerSource } from '../../src/e2ee/frame-crypto.js';
import type { FrameCryptoReply, FrameCryptoRequest, FrameCryptoStats, FrameTransformOptions } from '../../src/e2ee/frame-crypto-worker.js';

interface Frame {
  data: ArrayBuffer;
  type?: string;
}

const frames = (): Frame[] => [0, 1, 2].map((n) => ({ data: Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + n) & 0xff).buffer, type: 'delta' }));
const randomKey = () => crypto.getRandomValues(new Uint8Array(16));

function worker() {
  const replies: FrameCryptoReply[] = [];
  const scope: {
    onmessage?: (event: { data: FrameCryptoRequest }) => void;
    onrtctransform?: (event: { transformer: unknown }) => void;
    postMessage: (reply: FrameCryptoReply) => void;
  } = { postMessage: (reply) => replies.push(reply) };
  new Function('self', frameCryptoWorkerSource())(scope);
  let nextId = 1;
  const post = (message: FrameCryptoRequest) => scope.onmessage!({ data: message });
  /** Resolves once every earlier request has been applied (stats answer in queue order). */
  const settled = async (): Promise<FrameCryptoStats> => {
    const id = nextId++;
    post({ type: 'stats', id });
    for (let i = 0; i < 400; i++) {
      const reply = replies.find((r) => r.id === id);
      if (reply) return reply.stats;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('no stats from the worker');
  };
  const run = async (input: Frame[], options: FrameTransformOptions): Promise<Frame[]> => {
    const out: Frame[] = [];
    const readable = new ReadableStream<Frame>({
      start(controller) {
        input.forEach((f) => controller.enqueue({ ...f, data: f.data.slice(0) }));
        controller.close();
      },
    });
    let done!: () => void;
    const closed = new Promise<void>((resolve) => (done = resolve));
    const writable = new WritableStream<Frame>({ write: (f) => void out.push(f), close: () => done() });
    scope.onrtctransform!({ transformer: { readable, writable, options } });
    await closed;
    return out;
  };
  return { post, settled, run };
}

/** Frames alice sends under `kid`. */
async function sentUnder(kid: number, baseKey: Uint8Array): Promise<Frame[]> {
  const alice = worker();
  alice.post({ type: 'send-key', kid, baseKey });
  await alice.settled();
  return alice.run(frames(), { role: 'send' });
}

describe('receive key ring', () => {
  it('keeps the newest few keys of a sender: a flood of 100 pushes out the first, not the newest', async () => {
    const first = randomKey();
    const wire = await sentUnder(1, first);
    const bob = worker();
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 1, baseKey: first });
    // Another sender's key is not touched by alice's flood.
    const carolKey = randomKey();
    bob.post({ type: 'receive-key', senderId: 'carol', kid: 1, baseKey: carolKey });
    let last = first;
    for (let kid = 1000; kid < 1100; kid++) bob.post({ type: 'receive-key', senderId: 'alice', kid, baseKey: (last = randomKey()) });
    await bob.settled();
    expect(await bob.run(wire, { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(0);
    expect((await bob.settled()).senders['alice']?.noKey).to.equal(3);
    expect(await bob.run(await sentUnder(1099, last), { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(3);
    expect(await bob.run(await sentUnder(1, carolKey), { role: 'receive', port: 2, senderId: 'carol' })).to.have.length(3);
  });

  it('control: three newer keys (current, pending and a replaced one) leave the first one in use', async () => {
    const first = randomKey();
    const wire = await sentUnder(1, first);
    const bob = worker();
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 1, baseKey: first });
    for (const kid of [2, 3, 4]) bob.post({ type: 'receive-key', senderId: 'alice', kid, baseKey: randomKey() });
    await bob.settled();
    expect(await bob.run(wire, { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(3);
  });

  it('a KID given again counts as the newest', async () => {
    const first = randomKey();
    const wire = await sentUnder(1, first);
    const bob = worker();
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 1, baseKey: first });
    for (const kid of [2, 3, 4]) bob.post({ type: 'receive-key', senderId: 'alice', kid, baseKey: randomKey() });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 1, baseKey: first });
    bob.post({ type: 'receive-key', senderId: 'alice', kid: 5, baseKey: randomKey() });
    await bob.settled();
    expect(await bob.run(wire, { role: 'receive', port: 1, senderId: 'alice' })).to.have.length(3);
  });
});

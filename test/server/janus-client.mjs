// A Janus WebSocket API client for the server tests: a plain `ws` socket with the
// `janus-protocol` subprotocol, requests matched to answers by transaction. And an SDP offer
// written by hand, for publishing without a browser (Janus answers it; no media ever flows).
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import net from 'node:net';
import { WebSocket } from 'ws';
import { startJanus } from '../../server/janus.mjs';
import { within } from './peer-client.mjs';

/** A free TCP port on loopback (the kernel picks it; released just before use). */
export async function freeTcpPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {net.AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

let started = 0;

/**
 * startJanus on a free port of loopback, with media ports of its own (29000 and up: below the
 * kernel's ephemeral ports, above the relay ranges of turn.test.mjs), and its output as `lines`
 * events, so tests wait for a line instead of sleeping.
 * @param {Partial<Parameters<typeof startJanus>[0]>} [options]
 */
export async function startTestJanus(options = {}) {
  const lines = new EventEmitter();
  const rtpMinPort = 29_000 + ((process.pid * 7 + started++ * 50) % 3_000);
  const janus = await startJanus({ wsPort: await freeTcpPort(), rtpMinPort, rtpMaxPort: rtpMinPort + 49, log: (line) => lines.emit('line', line), ...options });
  /**
   * Resolves with the first line from now on that matches `pattern` (10 s at most).
   * @param {RegExp} pattern
   */
  const line = (pattern) =>
    within(
      new Promise((resolve) => {
        const check = (/** @type {string} */ text) => {
          if (!pattern.test(text)) return;
          lines.off('line', check);
          resolve(text);
        };
        lines.on('line', check);
      }),
      10_000,
      `Janus to log ${pattern}:\n${janus.log(30).join('\n')}`,
    );
  return { ...janus, line };
}

export class JanusClient {
  /** Messages that answered no request (events, webrtcup, media…). @type {any[]} */
  events = [];
  /** @type {Map<string, (message: any) => void>} */
  waiting = new Map();
  count = 0;

  /**
   * @param {string} url
   * @param {{ protocol?: string | null, headers?: Record<string, string> }} [options]
   * `protocol`: the subprotocol to offer (null: none).
   */
  constructor(url, { protocol = 'janus-protocol', headers = {} } = {}) {
    this.ws = new WebSocket(url, protocol ? [protocol] : [], { headers });
    /** @type {Promise<unknown>} */
    this.opened = once(this.ws, 'open');
    /** @type {Promise<{ code: number, reason: string }>} */
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    /** The HTTP status of a refused upgrade. @type {Promise<number>} */
    this.refused = new Promise((resolve) => this.ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    this.ws.on('error', () => {}); // surfaces as `closed` or `refused`
    this.ws.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.janus === 'ack') return;
      const answer = this.waiting.get(message.transaction);
      if (answer) {
        this.waiting.delete(message.transaction);
        answer(message);
      } else this.events.push(message);
    });
  }

  /**
   * Sends `message` with a fresh transaction; resolves with its answer (not the ack).
   * @param {Record<string, unknown>} message
   * @returns {Promise<any>}
   */
  request(message) {
    const transaction = `t${++this.count}`;
    const answer = new Promise((resolve) => this.waiting.set(transaction, resolve));
    this.ws.send(JSON.stringify({ ...message, transaction }));
    return within(answer, 10_000, `an answer to ${JSON.stringify(message).slice(0, 200)}`);
  }

  /** A session with a VideoRoom handle: `{ session, handle, message(body, jsep?) }`. */
  async videoRoom() {
    const created = await this.request({ janus: 'create' });
    const session = created.data.id;
    const attached = await this.request({ janus: 'attach', session_id: session, plugin: 'janus.plugin.videoroom' });
    const handle = attached.data.id;
    return {
      session,
      handle,
      /** @param {Record<string, unknown>} body @param {Record<string, unknown>} [jsep] */
      message: (body, jsep) => this.request({ janus: 'message', session_id: session, handle_id: handle, body, ...(jsep && { jsep }) }),
    };
  }

  close() {
    this.ws.close();
    return this.closed;
  }
}

/**
 * An SDP offer as a browser would make to publish (Opus and VP8, bundled, sending only), with
 * a made-up fingerprint and ICE credentials: enough for Janus to answer.
 */
export function publisherOffer() {
  const fingerprint = randomBytes(32).toString('hex').toUpperCase().match(/../g)?.join(':');
  const common = ['c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0', `a=ice-ufrag:${randomBytes(3).toString('hex')}`, `a=ice-pwd:${randomBytes(12).toString('hex')}`, 'a=ice-options:trickle', `a=fingerprint:sha-256 ${fingerprint}`, 'a=setup:actpass'];
  return [
    'v=0',
    'o=- 1 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=msid-semantic: WMS s',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111',
    ...common,
    'a=mid:0',
    'a=sendonly',
    'a=msid:s a',
    'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2',
    'a=fmtp:111 minptime=10;useinbandfec=1',
    'a=ssrc:1111 cname:c',
    'm=video 9 UDP/TLS/RTP/SAVPF 96',
    ...common,
    'a=mid:1',
    'a=sendonly',
    'a=msid:s v',
    'a=rtcp-mux',
    'a=rtcp-rsize',
    'a=rtpmap:96 VP8/90000',
    'a=rtcp-fb:96 nack',
    'a=rtcp-fb:96 nack pli',
    'a=ssrc:2222 cname:c',
    '',
  ].join('\r\n');
}

// A hostile broker for tests: a stock PeerServer (the `npm start` server) behind a WebSocket
// proxy that can quietly re-route PeerJS signalling to an attacker. The PeerServer itself is
// unmodified; the proxy only rewrites `dst` on the way in and `src` on the way out, which is all
// a malicious broker operator needs to sit in the middle of the first offer/answer.
//
// Tests drive it with `executeServerCommand('vr-mitm', …)`:
//   { action: 'divert', target, attacker, fingerprints? }
//                                           messages to `target` from anyone else go to `attacker`
//   { action: 'clear' }                     drops every rule and the log
//   { action: 'log', target? }              the messages diverted (to or from `target`), in order
//
// With a rule { target: T, attacker: M }, for every victim V (any id but T and M):
//   V → T  is delivered to M, src V kept (M learns its victim);
//   M → V  arrives at V as if from T;
//   M → T  arrives at T as if from V (V found by the PeerJS connectionId, which the attacker
//          reuses for its second leg; else the latest victim);
//   T → V  is delivered to M (on connections that were diverted), src T kept.
// Everything else passes untouched, so ordinary participants work through this broker.
//
// With `fingerprints: <shape>`, the broker also lies about certificates. It learns each honest
// party's `a=fingerprint` line from the SDP it relays (V's OFFER; T's ANSWER to M's second leg,
// same connectionId), and in the SDP (`payload.sdp.sdp`) of every OFFER or ANSWER that M sends
// to a victim it lists the fingerprint of the party that victim thinks it talks to (T's for V,
// V's for T) together with M's own, in one of these shapes:
//   media-real-first      every media section: the real party's line, then M's
//   media-attacker-first  every media section: M's line, then the real party's
//   session-real          the real party's line at session level, M's in every media section
//   session-attacker      M's line at session level, the real party's in every media section
// Browsers accept all four descriptions. Measured (test/browser/mitm-fingerprints.test.ts):
// Chromium completes DTLS with M for media-real-first and session-real (the last line, a
// media-level one winning); Firefox for all but session-attacker. M answers V before T has answered
// M, so everything M sends to V on that connection (ANSWER, CANDIDATEs) is held, in order,
// until T's fingerprint is known, then released rewritten. With `standIn: true` it does not wait:
// a fingerprint it has not learnt yet (T may refuse M's offer and never answer) is replaced by a
// made-up one, which to V is as good as T's. The log notes the shape and the fingerprints listed
// on each rewritten message.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, WebSocket } from 'ws';
import { startServer } from '../../server/app.mjs';

/** PeerServer message types that carry a `dst` and are relayed between clients. */
const RELAYED = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE']);

/** Where each shape puts the real party's fingerprint line and the attacker's. */
export const FINGERPRINT_SHAPES = {
  'media-real-first': { session: [], media: ['real', 'attacker'] },
  'media-attacker-first': { session: [], media: ['attacker', 'real'] },
  'session-real': { session: ['real'], media: ['attacker'] },
  'session-attacker': { session: ['attacker'], media: ['real'] },
};

/**
 * @typedef {keyof typeof FINGERPRINT_SHAPES} Shape
 * @typedef {{ target: string, attacker: string, shape?: Shape, standIn?: boolean }} Rule
 * @typedef {{ message: any, send: (text: string) => void }} Held
 * @typedef {{ victim: string, target: string, attacker: string, shape?: Shape,
 *   real: Map<string, string>, held: Map<string, Held[]>, standIn?: string }} Diverted
 *   `real`: each honest party's `a=fingerprint` line, by id; `held`: messages to each recipient
 * @typedef {{ shape: Shape, real: string, attacker: string, listed: string[] }} Lie
 * @typedef {{ type: string, connectionId?: string, from: string, to: string, deliveredTo: string, shownAs: string, fingerprints?: Lie }} DivertedMessage
 */

/** The `a=fingerprint:` lines of an SDP, in order. @param {string} sdp */
export function fingerprintLines(sdp) {
  return sdp.split(/\r?\n/).filter((line) => line.startsWith('a=fingerprint:'));
}

/** The value of an `a=fingerprint:<hash> <value>` line, upper case. @param {string} line */
const valueOf = (line) => (line.split(' ')[1] ?? '').toUpperCase();

/**
 * `sdp` with its fingerprint lines replaced by `real` and `attacker` (two `a=fingerprint` lines)
 * as `shape` says: each section's lines go before its first attribute.
 * @param {string} sdp @param {Shape} shape @param {string} real @param {string} attacker
 */
export function listFingerprints(sdp, shape, real, attacker) {
  const place = FINGERPRINT_SHAPES[shape];
  const line = { real, attacker };
  const lines = sdp.split('\r\n').filter((l) => !l.startsWith('a=fingerprint:'));
  const ending = lines.at(-1) === '' ? lines.pop() : undefined;
  /** @type {string[][]} */
  const sections = [[]];
  for (const l of lines) {
    if (l.startsWith('m=')) sections.push([]);
    sections.at(-1)?.push(l);
  }
  const out = sections.flatMap((section, i) => {
    const added = (i === 0 ? place.session : place.media).map((who) => line[/** @type {'real' | 'attacker'} */ (who)]);
    const at = section.findIndex((l) => l.startsWith('a='));
    section.splice(at < 0 ? section.length : at, 0, ...added);
    return section;
  });
  if (ending !== undefined) out.push(ending);
  return out.join('\r\n');
}

/** The routing rules and what they did. */
class Diversions {
  /** @type {Rule[]} */
  rules = [];
  /** Diverted PeerJS connections by connectionId. @type {Map<string, Diverted>} */
  connections = new Map();
  /** The latest victim of each target. @type {Map<string, string>} */
  latestVictim = new Map();
  /** @type {DivertedMessage[]} */
  log = [];

  /** @param {Rule} rule */
  divert(rule) {
    this.rules = this.rules.filter((r) => r.target !== rule.target);
    this.rules.push(rule);
  }

  clear() {
    this.rules = [];
    this.connections.clear();
    this.latestVictim.clear();
    this.log = [];
  }

  /**
   * Client → server: where a message sent by `from` should really go. Returns the new `dst`, or
   * undefined to leave the message alone.
   * @param {string} from
   * @param {{ type: string, dst?: string, payload?: { connectionId?: string } }} message
   */
  route(from, message) {
    const dst = message.dst;
    if (!dst || !RELAYED.has(message.type)) return undefined;
    const connectionId = message.payload?.connectionId;
    // A victim writing to the target: to the attacker instead.
    const rule = this.rules.find((r) => r.target === dst);
    if (rule && from !== rule.attacker && from !== rule.target) {
      if (connectionId && !this.connections.has(connectionId))
        this.connections.set(connectionId, {
          victim: from,
          target: dst,
          attacker: rule.attacker,
          shape: rule.shape,
          real: new Map(),
          held: new Map(),
          standIn: rule.standIn ? `a=fingerprint:sha-256 ${Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':')}` : undefined,
        });
      this.latestVictim.set(dst, from);
      this.record(message, from, dst, rule.attacker, from);
      if (connectionId) this.learn(connectionId, from, message);
      return rule.attacker;
    }
    // The target answering a victim on a diverted connection: to the attacker too.
    const diverted = connectionId ? this.connections.get(connectionId) : undefined;
    if (connectionId && diverted && diverted.target === from && diverted.victim === dst) {
      this.record(message, from, dst, diverted.attacker, from);
      this.learn(connectionId, from, message);
      return diverted.attacker;
    }
    return undefined;
  }

  /**
   * Notes the fingerprint line an honest party sent in an OFFER or ANSWER, and releases what was
   * held for want of it.
   * @param {string} connectionId @param {string} from @param {{ payload?: { sdp?: { sdp?: unknown } } }} message
   */
  learn(connectionId, from, message) {
    const diverted = this.connections.get(connectionId);
    const sdp = message.payload?.sdp?.sdp;
    if (!diverted?.shape || typeof sdp !== 'string' || diverted.real.has(from)) return;
    const [line] = fingerprintLines(sdp);
    if (!line) return;
    diverted.real.set(from, line);
    for (const to of diverted.held.keys()) this.release(diverted, to);
  }

  /**
   * Server → client: delivers a frame to `to` through `send`, as `present` says; on a connection
   * diverted with a fingerprint shape, the attacker's frames are held until the fingerprint of
   * the party `to` expects is known, then rewritten and released in order.
   * @param {string} to @param {string} text @param {(text: string) => void} send
   */
  deliver(to, text, send) {
    const message = parse(text);
    const shownAs = message && this.present(to, message);
    if (!message || !shownAs) return send(text);
    const from = message.src;
    message.src = shownAs;
    const connectionId = message.payload?.connectionId;
    const diverted = connectionId ? this.connections.get(connectionId) : undefined;
    if (!diverted?.shape) {
      this.record(message, from, to, to, shownAs);
      return send(JSON.stringify(message));
    }
    const queue = diverted.held.get(to) ?? [];
    diverted.held.set(to, queue);
    queue.push({ message, send });
    this.release(diverted, to);
  }

  /**
   * Sends what is held for `to` on `diverted` once the real fingerprint of whom `to` expects
   * (the target for a victim, the victim for the target) is known.
   * @param {Diverted} diverted @param {string} to
   */
  release(diverted, to) {
    const expected = to === diverted.target ? diverted.victim : diverted.target;
    const real = diverted.real.get(expected) ?? diverted.standIn;
    const queue = diverted.held.get(to) ?? [];
    if (!real || !diverted.shape) return;
    for (const { message, send } of queue.splice(0)) {
      const sdp = message.payload?.sdp?.sdp;
      /** @type {Lie | undefined} */
      let lie;
      if (typeof sdp === 'string') {
        const attacker = fingerprintLines(sdp)[0];
        if (attacker) {
          message.payload.sdp.sdp = listFingerprints(sdp, diverted.shape, real, attacker);
          lie = { shape: diverted.shape, real: valueOf(real), attacker: valueOf(attacker), listed: fingerprintLines(message.payload.sdp.sdp).map(valueOf) };
        }
      }
      this.record(message, diverted.attacker, to, to, message.src, lie);
      send(JSON.stringify(message));
    }
  }

  /**
   * Server → client: who a message delivered to `to` should seem to come from. Returns the new
   * `src`, or undefined to leave it alone. The stock server has set `src` to the real sender.
   * (`deliver` records it.)
   * @param {string} to
   * @param {{ type: string, src?: string, dst?: string, payload?: { connectionId?: string } }} message
   */
  present(to, message) {
    const src = message.src;
    if (!src || !RELAYED.has(message.type)) return undefined;
    const rules = this.rules.filter((r) => r.attacker === src);
    if (rules.length === 0) return undefined;
    const connectionId = message.payload?.connectionId;
    const diverted = connectionId ? this.connections.get(connectionId) : undefined;
    let shownAs;
    if (rules.some((r) => r.target === to)) {
      // The attacker's second leg, to the target: as if from the victim.
      shownAs = diverted?.target === to ? diverted.victim : this.latestVictim.get(to);
    } else {
      // The attacker's first leg, to a victim: as if from the target.
      shownAs = diverted?.victim === to ? diverted.target : rules.length === 1 ? rules[0].target : undefined;
    }
    return shownAs;
  }

  /**
   * @param {{ type: string, payload?: { connectionId?: string } }} message
   * @param {string} from @param {string} to @param {string} deliveredTo @param {string} shownAs
   * @param {Lie} [fingerprints] how the SDP was rewritten, if it was
   */
  record(message, from, to, deliveredTo, shownAs, fingerprints) {
    this.log.push({ type: message.type, connectionId: message.payload?.connectionId, from, to, deliveredTo, shownAs, ...(fingerprints && { fingerprints }) });
  }
}

/**
 * Starts the hostile broker: a stock PeerServer on a private port, and the proxy in front of
 * it. Resolves with `{ url, peerUrl, diversions, close }`; `peerUrl` is what clients use.
 * @param {{ host?: string }} [options]
 */
export async function startMitmBroker({ host = '127.0.0.1' } = {}) {
  const inner = await startServer({ port: 0, host });
  const diversions = new Diversions();
  const innerUrl = new URL(inner.url);

  // Plain HTTP (PeerJS's /peerjs/id, the demo page…) is passed through as is.
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: innerUrl.hostname, port: innerUrl.port, path: req.url, method: req.method, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => proxy(client, req.url ?? '/'));
  });

  /**
   * One PeerJS client socket, relayed to the inner PeerServer over a socket of its own.
   * @param {WebSocket} client @param {string} path
   */
  function proxy(client, path) {
    const id = new URL(path, 'http://x').searchParams.get('id') ?? '';
    const upstream = new WebSocket(`ws://${innerUrl.host}${path}`);
    /** @type {string[]} */
    const queued = [];
    const close = () => {
      if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close();
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
      else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    };
    client.on('message', (data) => {
      const text = rewrite(data.toString(), (message) => {
        const dst = diversions.route(id, message);
        if (dst) message.dst = dst;
        return dst !== undefined;
      });
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else queued.push(text);
    });
    upstream.on('open', () => {
      for (const text of queued.splice(0)) upstream.send(text);
    });
    upstream.on('message', (data) => {
      diversions.deliver(id, data.toString(), (text) => {
        if (client.readyState === WebSocket.OPEN) client.send(text);
      });
    });
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(undefined));
  });
  const port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    peerUrl: `${url}/peerjs`,
    diversions,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await inner.close();
    },
  };
}

/**
 * A PeerServer frame as an object with a `type`, or undefined (heartbeats and anything
 * unparsable then pass byte for byte).
 * @param {string} text @returns {any}
 */
function parse(text) {
  try {
    const message = JSON.parse(text);
    return typeof message === 'object' && message !== null && typeof message.type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses a PeerServer frame and lets `change` edit it; returns the frame re-serialised when it
 * changed, else the original text.
 * @param {string} text @param {(message: any) => boolean} change
 */
function rewrite(text, change) {
  const message = parse(text);
  return message && change(message) ? JSON.stringify(message) : text;
}

/**
 * The web-test-runner plugin for the `vr-mitm` command.
 * @param {Awaited<ReturnType<typeof startMitmBroker>>} broker
 */
export function mitmBrokerPlugin(broker) {
  const actions = {
    /** @param {{ target?: unknown, attacker?: unknown, fingerprints?: unknown, standIn?: unknown }} payload */
    divert({ target, attacker, fingerprints, standIn }) {
      if (typeof target !== 'string' || typeof attacker !== 'string' || !target || !attacker || target === attacker)
        throw new Error('vr-mitm divert needs a target and a different attacker id');
      if (fingerprints !== undefined && !Object.hasOwn(FINGERPRINT_SHAPES, String(fingerprints)))
        throw new Error(`vr-mitm divert: unknown fingerprint shape ${fingerprints}`);
      broker.diversions.divert({ target, attacker, shape: /** @type {Shape | undefined} */ (fingerprints), standIn: standIn === true });
      return true;
    },
    clear() {
      broker.diversions.clear();
      return true;
    },
    /** @param {{ target?: unknown }} payload */
    log({ target }) {
      const log = broker.diversions.log;
      return typeof target === 'string' ? log.filter((m) => m.to === target || m.from === target || m.shownAs === target) : log;
    },
  };
  return {
    name: 'vr-mitm-broker',
    /** @param {{ command: string, payload?: { action?: string } & Record<string, unknown> }} args */
    executeCommand({ command, payload }) {
      if (command !== 'vr-mitm') return undefined;
      const action = actions[/** @type {keyof typeof actions} */ (payload?.action)];
      if (!action) throw new Error(`unknown vr-mitm action ${payload?.action}`);
      return action(payload ?? {});
    },
    async serverStop() {
      await broker.close();
    },
  };
}

// A hostile broker for tests: a stock PeerServer (the `npm start` server) behind a WebSocket
// proxy that can quietly re-route PeerJS signalling to an attacker. The PeerServer itself is
// unmodified; the proxy only rewrites `dst` on the way in and `src` on the way out, which is all
// a malicious broker operator needs to sit in the middle of the first offer/answer.
//
// Tests drive it with `executeServerCommand('vr-mitm', …)`:
//   { action: 'divert', target, attacker }  messages to `target` from anyone else go to `attacker`
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
import http from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import { startServer } from '../../server/app.mjs';

/** PeerServer message types that carry a `dst` and are relayed between clients. */
const RELAYED = new Set(['OFFER', 'ANSWER', 'CANDIDATE', 'LEAVE', 'EXPIRE']);

/**
 * @typedef {{ target: string, attacker: string }} Rule
 * @typedef {{ victim: string, target: string, attacker: string }} Diverted
 * @typedef {{ type: string, connectionId?: string, from: string, to: string, deliveredTo: string, shownAs: string }} DivertedMessage
 */

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
      if (connectionId) this.connections.set(connectionId, { victim: from, target: dst, attacker: rule.attacker });
      this.latestVictim.set(dst, from);
      this.record(message, from, dst, rule.attacker, from);
      return rule.attacker;
    }
    // The target answering a victim on a diverted connection: to the attacker too.
    const diverted = connectionId ? this.connections.get(connectionId) : undefined;
    if (diverted && diverted.target === from && diverted.victim === dst) {
      this.record(message, from, dst, diverted.attacker, from);
      return diverted.attacker;
    }
    return undefined;
  }

  /**
   * Server → client: who a message delivered to `to` should seem to come from. Returns the new
   * `src`, or undefined to leave it alone. The stock server has set `src` to the real sender.
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
    if (shownAs) this.record(message, src, to, to, shownAs);
    return shownAs;
  }

  /**
   * @param {{ type: string, payload?: { connectionId?: string } }} message
   * @param {string} from @param {string} to @param {string} deliveredTo @param {string} shownAs
   */
  record(message, from, to, deliveredTo, shownAs) {
    this.log.push({ type: message.type, connectionId: message.payload?.connectionId, from, to, deliveredTo, shownAs });
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
      const text = rewrite(data.toString(), (message) => {
        const src = diversions.present(id, message);
        if (src) message.src = src;
        return src !== undefined;
      });
      if (client.readyState === WebSocket.OPEN) client.send(text);
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
 * Parses a PeerServer frame and lets `change` edit it; returns the frame re-serialised when it
 * changed, else the original text (heartbeats and anything unparsable pass byte for byte).
 * @param {string} text @param {(message: any) => boolean} change
 */
function rewrite(text, change) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return text;
  return change(message) ? JSON.stringify(message) : text;
}

/**
 * The web-test-runner plugin for the `vr-mitm` command.
 * @param {Awaited<ReturnType<typeof startMitmBroker>>} broker
 */
export function mitmBrokerPlugin(broker) {
  const actions = {
    /** @param {{ target?: unknown, attacker?: unknown }} payload */
    divert({ target, attacker }) {
      if (typeof target !== 'string' || typeof attacker !== 'string' || !target || !attacker || target === attacker)
        throw new Error('vr-mitm divert needs a target and a different attacker id');
      broker.diversions.divert({ target, attacker });
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

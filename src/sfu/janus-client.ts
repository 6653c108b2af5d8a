/**
 * A small client of Janus's WebSocket API (subprotocol `janus-protocol`): one session, its
 * handles on the VideoRoom plugin, requests matched to answers by transaction, keepalives. Only
 * what the SFU media path needs; janus.js (the npm `janus-gateway`) is ten times its size and
 * brings webrtc-adapter. Everything Janus says is checked before use: it is a server we trust
 * with ciphertext only.
 */

import { toHex } from '../room/room-id.js';

/** A JSEP description, as Janus carries it (`e2ee` flags frames encrypted end to end). */
export interface Jsep {
  type: 'offer' | 'answer';
  sdp: string;
  e2ee?: boolean;
}

/** What the plugin said: its data, and a description when it sent one. */
export interface PluginReply {
  data: Record<string, unknown>;
  jsep: Jsep | null;
}

/** A message from Janus not answering one of ours: an event of a handle, or its connection state. */
export type HandleEvent =
  | { kind: 'event'; reply: PluginReply }
  | { kind: 'webrtcup' }
  | { kind: 'hangup'; reason: string };

/** Janus or its plugin refused a request; `code` is Janus's (433: the room requires end-to-end encryption). */
export class JanusError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'JanusError';
  }
}

/** Keepalive period: Janus ends a session silent for 60 s. */
export const KEEPALIVE_MS = 25_000;
/** How long a request may wait for its answer. */
export const REQUEST_TIMEOUT_MS = 15_000;
/** Largest message taken from the server (an SDP offer for a room of many feeds fits). */
const MAX_MESSAGE_LENGTH = 512 * 1024;

export type Obj = Record<string, unknown>;
/** Whether `value` is a plain JSON object (not null, not an array). */
export const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

function parseJsep(value: unknown): Jsep | null {
  if (!isObj(value) || (value.type !== 'offer' && value.type !== 'answer') || typeof value.sdp !== 'string') return null;
  return { type: value.type, sdp: value.sdp };
}

function randomTransaction(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(9)));
}

interface Pending {
  resolve: (message: Obj) => void;
  reject: (error: Error) => void;
  /** A plugin request answered asynchronously: the `ack` is not the answer. */
  async: boolean;
  timer: ReturnType<typeof setTimeout>;
}

/** One handle on a plugin. */
export class JanusHandle {
  onevent: ((event: HandleEvent) => void) | null = null;
  constructor(
    readonly session: JanusSession,
    readonly id: number,
  ) {}

  /** A plugin request answered at once (create, exists, configure of a subscriber…). */
  request(body: Obj): Promise<PluginReply> {
    return this.session.send({ janus: 'message', handle_id: this.id, body }, false).then(pluginReply);
  }

  /** A plugin request answered by an event (join, publish, start…), with an optional description. */
  message(body: Obj, jsep?: Jsep): Promise<PluginReply> {
    return this.session.send({ janus: 'message', handle_id: this.id, body, ...(jsep ? { jsep } : {}) }, true).then(pluginReply);
  }

  /** Our ICE candidate (null: gathering is complete). */
  trickle(candidate: RTCIceCandidate | null): void {
    const c = candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex } : { completed: true };
    void this.session.send({ janus: 'trickle', handle_id: this.id, candidate: c }, false).catch(() => undefined);
  }

  /** Lets the handle go (its peer connection on the server closes). */
  detach(): void {
    void this.session.send({ janus: 'detach', handle_id: this.id }, false).catch(() => undefined);
    this.session.forget(this.id);
  }
}

/** The plugin data (and description) of an answer; a plugin error rejects. */
function pluginReply(message: Obj): PluginReply {
  const plugindata = isObj(message.plugindata) ? message.plugindata : null;
  const data = plugindata && isObj(plugindata.data) ? plugindata.data : null;
  if (!data) throw new JanusError(0, 'Janus answered without plugin data');
  if (typeof data.error_code === 'number') throw new JanusError(data.error_code, typeof data.error === 'string' ? data.error : 'refused');
  return { data, jsep: parseJsep(message.jsep) };
}

/** A Janus session over one WebSocket. `closed` settles when the socket or the session ends. */
export class JanusSession {
  onclose: ((reason: string) => void) | null = null;
  readonly #socket: WebSocket;
  readonly #pending = new Map<string, Pending>();
  readonly #handles = new Map<number, JanusHandle>();
  #id = 0;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => this.#end('the media server closed the connection');
    socket.onerror = () => this.#end('the media server connection failed');
  }

  /** Opens a socket to `url` and creates a session on it. */
  static async connect(url: string): Promise<JanusSession> {
    const socket = new WebSocket(url, 'janus-protocol');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail('timed out'), REQUEST_TIMEOUT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        socket.close();
        reject(new JanusError(0, `the media server at ${url} could not be reached (${why})`));
      };
      socket.onopen = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.onerror = () => fail('connection refused');
    });
    const session = new JanusSession(socket);
    const created = await session.send({ janus: 'create' }, false);
    const id = isObj(created.data) ? created.data.id : undefined;
    if (typeof id !== 'number') {
      session.close();
      throw new JanusError(0, 'Janus created no session');
    }
    session.#id = id;
    session.#keepalive = setInterval(() => void session.send({ janus: 'keepalive' }, false).catch(() => undefined), KEEPALIVE_MS);
    return session;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A handle on the VideoRoom plugin. */
  async attach(): Promise<JanusHandle> {
    const answer = await this.send({ janus: 'attach', plugin: 'janus.plugin.videoroom' }, false);
    const id = isObj(answer.data) ? answer.data.id : undefined;
    if (typeof id !== 'number') throw new JanusError(0, 'Janus attached no handle');
    const handle = new JanusHandle(this, id);
    this.#handles.set(id, handle);
    return handle;
  }

  /** Sends a request; resolves with its answer (for `async` plugin requests: the event after the ack). */
  send(message: Obj, async: boolean): Promise<Obj> {
    if (this.#closed) return Promise.reject(new JanusError(0, 'the media server session is closed'));
    const transaction = randomTransaction();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(transaction);
        const body = isObj(message.body) ? ` ${String(message.body.request)}` : '';
        reject(new JanusError(0, `the media server did not answer ${String(message.janus)}${body}`));
      }, REQUEST_TIMEOUT_MS);
      this.#pending.set(transaction, { resolve, reject, async, timer });
      this.#socket.send(JSON.stringify({ ...message, transaction, ...(this.#id ? { session_id: this.#id } : {}) }));
    });
  }

  /** A detached handle hears nothing more. */
  forget(id: number): void {
    this.#handles.delete(id);
  }

  /** Destroys the session and closes the socket. */
  close(): void {
    if (this.#closed) return;
    if (this.#id && this.#socket.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify({ janus: 'destroy', session_id: this.#id, transaction: randomTransaction() }));
    this.#end('closed');
    this.#socket.close();
  }

  #end(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new JanusError(0, reason));
    }
    this.#pending.clear();
    this.#handles.clear();
    this.onclose?.(reason);
  }

  #receive(raw: unknown): void {
    if (typeof raw !== 'string' || raw.length > MAX_MESSAGE_LENGTH) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (!isObj(message) || typeof message.janus !== 'string') return;
    const kind = message.janus;
    const pending = typeof message.transaction === 'string' ? this.#pending.get(message.transaction) : undefined;
    if (pending) {
      if (kind === 'ack' && pending.async) return;
      clearTimeout(pending.timer);
      this.#pending.delete(message.transaction as string);
      if (kind === 'error') {
        const error = isObj(message.error) ? message.error : {};
        pending.reject(new JanusError(typeof error.code === 'number' ? error.code : 0, typeof error.reason === 'string' ? error.reason : 'error'));
      } else pending.resolve(message);
      return;
    }
    const handle = typeof message.sender === 'number' ? this.#handles.get(message.sender) : undefined;
    if (!handle?.onevent) return;
    if (kind === 'event') {
      try {
        handle.onevent({ kind: 'event', reply: pluginReply(message) });
      } catch {
        // An unsolicited error event: nothing waits for it.
      }
    } else if (kind === 'webrtcup') handle.onevent({ kind: 'webrtcup' });
    else if (kind === 'hangup') handle.onevent({ kind: 'hangup', reason: typeof message.reason === 'string' ? message.reason : '' });
  }
}

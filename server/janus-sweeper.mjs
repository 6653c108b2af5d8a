// The rooms browsers create on our Janus would stay until Janus stops: VideoRoom has no idle
// timeout, and each room is created with a random secret only its creator knew, so nobody could
// destroy it. The proxy sees each `create` go by, with its room and secret (server/janus-proxy.mjs);
// the sweeper looks at those rooms now and then and destroys each one that had no participant at
// two looks in a row. A browser that comes back later creates its room anew (its join finds no
// room, see src/sfu/sfu-media-path.ts).
import { once } from 'node:events';
import { WebSocket } from 'ws';

/** How often the rooms are looked at: an empty room goes after one to two of these. */
export const SWEEP_INTERVAL_MS = 5 * 60_000;
/** Looks in a row at which a room had nobody before it is destroyed. */
export const IDLE_LOOKS = 2;
/** Most rooms followed: the creates of a flood beyond it are not followed (those rooms stay, as before). */
export const MAX_SWEPT_ROOMS = 10_000;
/** How long Janus has to answer one request of a sweep. */
const ANSWER_MS = 10_000;

/** VideoRoom's "no such room". */
const NO_SUCH_ROOM = 426;

/**
 * One session on Janus's WebSocket API with a VideoRoom handle: `request(body)` resolves with the
 * plugin's data.
 * @param {string} target
 */
async function videoRoomSession(target) {
  const ws = new WebSocket(target, 'janus-protocol', { handshakeTimeout: ANSWER_MS, perMessageDeflate: false });
  ws.on('error', () => {});
  /** @type {Map<string, (message: any) => void>} */
  const waiting = new Map();
  let count = 0;
  ws.on('message', (data) => {
    /** @type {any} */
    let message;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (message?.janus === 'ack') return;
    waiting.get(message?.transaction)?.(message);
  });
  await Promise.race([once(ws, 'open'), once(ws, 'close').then(() => Promise.reject(new Error('Janus closed the socket')))]);
  /** @param {Record<string, unknown>} message @returns {Promise<any>} */
  const send = (message) => {
    const transaction = `sweep-${++count}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(transaction);
        reject(new Error('Janus did not answer'));
      }, ANSWER_MS);
      waiting.set(transaction, (answer) => {
        clearTimeout(timer);
        waiting.delete(transaction);
        resolve(answer);
      });
      ws.send(JSON.stringify({ ...message, transaction }));
    });
  };
  const session = (await send({ janus: 'create' }))?.data?.id;
  const handle = (await send({ janus: 'attach', session_id: session, plugin: 'janus.plugin.videoroom' }))?.data?.id;
  if (session === undefined || handle === undefined) throw new Error('Janus gave no session');
  return {
    /** @param {Record<string, unknown>} body */
    request: async (body) => (await send({ janus: 'message', session_id: session, handle_id: handle, body }))?.plugindata?.data,
    // Closing the socket ends its session.
    close: () => ws.close(1000),
  };
}

/**
 * The sweeper of the rooms created through our proxy on Janus at `target`.
 * @param {{ target: string, intervalMs?: number, maxRooms?: number }} options
 */
export function createRoomSweeper({ target, intervalMs = SWEEP_INTERVAL_MS, maxRooms = MAX_SWEPT_ROOMS }) {
  /** Each room followed: its secret, and the looks in a row at which it had nobody. @type {Map<string, { secret: string, idle: number }>} */
  const rooms = new Map();
  /** @type {Promise<void> | null} */
  let running = null;

  async function look() {
    const janus = await videoRoomSession(target).catch(() => null);
    // Janus not there now: the next look.
    if (!janus) return;
    try {
      for (const [room, entry] of [...rooms]) {
        const data = await janus.request({ request: 'listparticipants', room });
        if (data?.error_code === NO_SUCH_ROOM) rooms.delete(room);
        else if (!Array.isArray(data?.participants)) continue;
        else if (data.participants.length > 0) entry.idle = 0;
        else if (++entry.idle >= IDLE_LOOKS) {
          // Destroyed; or refused, when the secret was not the room's: not followed any more either way.
          await janus.request({ request: 'destroy', room, secret: entry.secret });
          rooms.delete(room);
        }
      }
    } catch {
      // Janus stopped answering: the next look.
    } finally {
      janus.close();
    }
  }

  /** Looks at the rooms now (unless a look is under way: that one); resolves when done. */
  const sweep = () => (running ??= look().finally(() => (running = null)));
  const timer = setInterval(() => rooms.size > 0 && void sweep(), intervalMs);
  timer.unref();

  return {
    /**
     * A browser asked Janus to create `room` with `secret`. The first create of a room is its
     * secret: a later one for the same room fails at Janus (it exists), whatever it says.
     * @param {string} room @param {string} secret
     */
    created(room, secret) {
      if (!rooms.has(room) && rooms.size < maxRooms) rooms.set(room, { secret, idle: 0 });
    },
    sweep,
    /** How many rooms are followed. */
    get size() {
      return rooms.size;
    },
    close() {
      clearInterval(timer);
    },
  };
}

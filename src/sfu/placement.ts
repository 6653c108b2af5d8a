/**
 * Which media server a room lives on. Janus has no clustering: a room exists on one instance, so
 * every participant must pick the same one from the same list. Rendezvous hashing does that and,
 * when a server is added or removed, moves only the rooms that were (or will be) on it: each
 * server scores SHA-256(server URL, room id) and the highest wins. The room id is already derived
 * (it never names the room), so the choice says nothing more about it.
 */
import { digest } from '../util/digest.js';

const encoder = new TextEncoder();

/** The server among `servers` that the room `roomId` lives on. */
export async function pickServer(servers: readonly string[], roomId: string): Promise<string> {
  if (servers.length === 0) throw new RangeError('no media server');
  let best = servers[0] as string;
  let bestScore = -1;
  for (const server of servers) {
    const bytes = new Uint8Array(await digest('SHA-256', encoder.encode(`${server}\n${roomId}`)));
    const score = new DataView(bytes.buffer).getUint32(0);
    if (score > bestScore) {
      best = server;
      bestScore = score;
    }
  }
  return best;
}

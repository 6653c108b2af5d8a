/**
 * What each room of a test thinks of its mesh, for the message of a convergence test that
 * failed: links, connections under way, dials, backoffs and who left how.
 */
import { EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.js';

interface RoomInternals {
  id: string;
  isRendezvous: boolean;
  mesh: MeshInternals;
}

interface MeshInternals {
  links: Map<string, { open: boolean; outgoing: boolean }>;
  pending: Set<{ outgoing: boolean; open: boolean; conn: { peer: string } }>;
  dialing: Set<string>;
  departed: Set<string>;
  dialBackoff: Map<string, { failures: number; until: number }>;
}

const short = (id: string) => id.slice(3, 8);

/** Starts recording departures; `report()` describes every room's view of the mesh. */
export function meshRecorder(elements: VideoRoomElement[]): { report(): string } {
  const started = performance.now();
  const departures: string[][] = elements.map(() => []);
  elements.forEach((el, i) =>
    el.addEventListener(EVENTS.peerLeft, (event) => {
      const { participant, reason } = event.detail;
      departures[i]!.push(`${short(participant.id)}:${reason}@${Math.round(performance.now() - started)}`);
    }),
  );
  return {
    report() {
      return elements
        .map((el, i) => {
          const room = (el as unknown as { roomCtl: { room: RoomInternals | null } }).roomCtl.room;
          if (!room) return `#${i}: no room`;
          const { mesh } = room;
          const links = [...mesh.links].map(([id, l]) => `${short(id)}${l.outgoing ? '>' : '<'}${l.open ? '' : '(closed)'}`);
          const pending = [...mesh.pending].map((l) => `${short(l.conn.peer)}${l.outgoing ? '>' : '<'}${l.open ? 'open' : ''}`);
          const backoff = [...mesh.dialBackoff].map(([id, b]) => `${short(id)}x${b.failures}`);
          return `#${i} ${short(room.id)}${room.isRendezvous ? '*' : ''}: links [${links}] pending [${pending}] dialing [${[...mesh.dialing].map(short)}] backoff [${backoff}] departed [${[...mesh.departed].map(short)}] left [${departures[i]}]`;
        })
        .join('\n');
    },
  };
}

/**
 * What each room of a test thinks of its mesh, for the message of a convergence test that
 * failed: links, connections under way, dials, backoffs and who left how; and the simultaneous
 * joins that call.test.ts and joins.test.ts run with it.
 */
import { expect } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.js';
import { mountRooms, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

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

/**
 * `count` elements of one page join one room in the same tick. Asserts they close into one full
 * mesh (everyone sees the same others, nobody themselves), with exactly one rendezvous holder
 * once the claims settle and media on every link; prints the time to the full mesh as
 * `<label>: full mesh after … ms`. Resolves the elements.
 */
export async function simultaneousJoins(count: number, label: string): Promise<VideoRoomElement[]> {
  const elements = await mountRooms(count, uniqueRoom(`joins${count}`));
  const mesh = meshRecorder(elements);
  const started = performance.now();
  await Promise.all(elements.map((el) => el.join()));
  const ids = await waitFor(
    () => {
      const sets = elements.map((el) => el.participants.map((p) => p.id));
      return sets.every((s) => s.length === count - 1) ? sets : null;
    },
    () => `${count} full rosters; have ${elements.map((el) => el.participants.length)}\n${mesh.report()}`,
    60_000,
  );
  console.log(`${label}: full mesh after ${Math.round(performance.now() - started)} ms`);
  expect(new Set(ids.flat()).size).to.equal(count);
  const rooms = elements.map((el) => (el as unknown as { roomCtl: { room: RoomInternals } }).roomCtl.room);
  for (const [i, room] of rooms.entries()) expect(ids[i]).not.to.include(room.id);
  const holders = () => rooms.filter((room) => room.isRendezvous).length;
  await waitFor(() => holders() === 1, () => `one rendezvous holder; have ${holders()}`);
  await waitForFullMeshMedia(elements, 1, 90_000);
  return elements;
}

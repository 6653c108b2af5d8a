/**
 * What each room of a test thinks of its mesh, for the message of a convergence test that
 * failed: whether its own id is on the broker; links; connections under way with their
 * signalling, ICE, DTLS and data channel state; dials, backoffs, links that closed before their
 * hello, and who left how; and every broker socket opened and closed, with its close code. To see those, this
 * module wraps the page's WebSocket and Mesh.prototype.add (test pages only). Also the
 * simultaneous joins that call.test.ts and joins.test.ts run with it.
 */
import { expect } from '@open-wc/testing';
import { EVENTS } from '../../src/constants.js';
import { Mesh, type MeshLink } from '../../src/room/mesh.js';
import type { VideoRoomElement } from '../../src/video-room.js';
import { mountRooms, participant, statsWithin, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

interface RoomInternals {
  id: string;
  isRendezvous: boolean;
  mesh: MeshInternals;
  session: { onBroker: boolean; peer: { open: boolean; disconnected: boolean; destroyed: boolean } | null };
}

interface MeshInternals {
  links: Map<string, { open: boolean; outgoing: boolean; pc?: RTCPeerConnection | null }>;
  pending: Set<{ outgoing: boolean; open: boolean; progress: number; conn: { peer: string; dataChannel?: RTCDataChannel; _buffer?: unknown[]; _buffering?: boolean }; pc: RTCPeerConnection | null }>;
  dialing: Set<string>;
  departed: Set<string>;
  dialBackoff: Map<string, { failures: number; until: number }>;
}

const short = (id: string) => id.slice(3, 8);
/** When this module loaded: the origin of the report's times. */
const t0 = performance.now();
/**
 * Prints a line of a convergence test. Under VR_JOIN_RUNS also at once, through the participants
 * plugin: the runner shows a page's console only when its file is done, and a page that hangs
 * past the file's time shows nothing.
 */
async function say(text: string): Promise<void> {
  console.log(text);
  if ((window as unknown as { __VR_TEST__: { joinRuns: number } }).__VR_TEST__.joinRuns > 0) await participant('log', { text });
}

/** A pending link's connection: signalling state, descriptions script sees (L, R), ICE and DTLS state. */
function pcState(pc: RTCPeerConnection | null): string {
  if (!pc) return '(no pc)';
  const d = `${pc.currentLocalDescription ? 'L' : ''}${pc.currentRemoteDescription ? 'R' : ''}`;
  return `(${pc.signalingState} ${d} ${pc.iceConnectionState} ${pc.sctp?.transport.state ?? 'no-sctp'})`;
}

/** Every broker socket opened (`id+@ms`) and closed (`id:code@ms`), in order. */
const brokerSockets: string[] = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(url: string | URL, protocols?: string | string[]) {
    super(url, protocols);
    const id = /[?&]id=(vr-[0-9a-f]{32})/.exec(String(url))?.[1];
    const name = id ? short(id) : '?';
    const at = () => Math.round(performance.now() - t0);
    brokerSockets.push(`${name}+@${at()}`);
    this.addEventListener('close', (e) => brokerSockets.push(`${name}:${e.code}@${at()}`));
  }
};

/** A pending link's data channel: its state, bytes the browser holds, messages PeerJS holds. */
function dcState(conn: { dataChannel?: RTCDataChannel; _buffer?: unknown[]; _buffering?: boolean }): string {
  const dc = conn.dataChannel;
  return dc ? `[dc ${dc.readyState} ${dc.bufferedAmount}B held${conn._buffer?.length ?? '?'}${conn._buffering ? ' buffering' : ''}]` : '[no dc]';
}

/** Times the page's main thread ran no timer for over a second: `length ms@start ms`. */
const mainThreadGaps: string[] = [];
let lastTick = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - lastTick > 1_250) mainThreadGaps.push(`${Math.round(now - lastTick - 250)}@${Math.round(lastTick - t0)}`);
  lastTick = now;
}, 250);

/**
 * Synchronous WebRTC calls that held the main thread for over 200 ms: `name ms@ms`. In Chromium
 * several of these wait for the browser's WebRTC threads, so a backlog there stalls the page.
 */
const slowCalls: string[] = [];
function timeSync(proto: object, names: string[]): void {
  for (const name of names) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (!descriptor || typeof descriptor.value !== 'function') continue;
    const original = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(proto, name, {
      ...descriptor,
      value(this: unknown, ...args: unknown[]) {
        const started = performance.now();
        try {
          return original.apply(this, args);
        } finally {
          const took = performance.now() - started;
          if (took > 200) slowCalls.push(`${name} ${Math.round(took)}@${Math.round(started - t0)}`);
        }
      },
    });
  }
}
timeSync(RTCPeerConnection.prototype, ['close', 'addTransceiver', 'createDataChannel', 'getTransceivers', 'getSenders', 'getReceivers', 'addTrack', 'removeTrack', 'setConfiguration', 'getConfiguration', 'restartIce', 'addIceCandidate', 'setLocalDescription', 'setRemoteDescription', 'createOffer', 'createAnswer', 'getStats']);
timeSync(RTCRtpSender.prototype, ['getParameters', 'setParameters', 'replaceTrack', 'setStreams', 'getStats']);
timeSync(RTCRtpReceiver.prototype, ['getParameters', 'getStats', 'getSynchronizationSources', 'getContributingSources']);
timeSync(RTCRtpTransceiver.prototype, ['stop', 'setCodecPreferences']);
timeSync(RTCDataChannel.prototype, ['send', 'close']);
timeSync(MediaStreamTrack.prototype, ['stop', 'clone', 'getSettings', 'applyConstraints']);

/**
 * Whether the page's WebRTC still answers: how long a fresh connection takes to make an offer
 * (a wedged or backed-up signalling thread never settles it).
 */
async function webrtcProbe(): Promise<string> {
  const pc = new RTCPeerConnection();
  pc.createDataChannel('probe');
  const started = performance.now();
  const made = await Promise.race([pc.createOffer().then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 5_000))]);
  pc.close();
  return made ? `a fresh connection made its offer in ${Math.round(performance.now() - started)} ms` : 'a fresh connection made no offer within 5 s';
}

/** Per mesh, the links that closed before their hello: to whom, which way, how far they got, when, why. */
const failedLinks = new WeakMap<object, string[]>();
const add = Mesh.prototype.add;
Mesh.prototype.add = function (this: Mesh<MeshLink>, link: MeshLink) {
  add.call(this, link);
  const opened = performance.now();
  link.on('close', (detail) => {
    if (link.remoteId) return;
    const why = Object.entries(detail).filter(([, v]) => v).map(([k]) => k).join(',');
    const list = failedLinks.get(this) ?? [];
    list.push(`${short(link.conn.peer)}${link.outgoing ? '>' : '<'}p${link.progress}@${Math.round(opened - t0)}+${Math.round(performance.now() - opened)}${why ? `:${why}` : ''}`);
    failedLinks.set(this, list);
  });
};

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
          const pending = [...mesh.pending].map((l) => `${short(l.conn.peer)}${l.outgoing ? '>' : '<'}${l.open ? 'open' : ''}p${l.progress}${pcState(l.pc)}${dcState(l.conn)}`);
          const peer = room.session.peer;
          const broker = peer ? `${room.session.onBroker ? 'on' : 'off'}${peer.open ? '' : ',unopened'}${peer.disconnected ? ',disconnected' : ''}${peer.destroyed ? ',destroyed' : ''}` : 'none';
          const backoff = [...mesh.dialBackoff].map(([id, b]) => `${short(id)}x${b.failures}`);
          return `#${i} ${short(room.id)}${room.isRendezvous ? '*' : ''} broker ${broker}: links [${links}] pending [${pending}] dialing [${[...mesh.dialing].map(short)}] backoff [${backoff}] departed [${[...mesh.departed].map(short)}] left [${departures[i]}] failed [${failedLinks.get(mesh) ?? []}]`;
        })
        .join('\n')
        .concat(`\nbroker sockets (+open, :close code, ms): ${brokerSockets.join(' ')}`)
        .concat(`\nmain thread without a timer for over 1 s (ms@ms): ${mainThreadGaps.join(' ')}`)
        .concat(`\nsynchronous WebRTC calls over 200 ms: ${slowCalls.join(' ')}`);
    },
  };
}

/** What the browser counted on one connection: its channel's messages and bytes, and the DTLS transport's bytes, both ways. */
async function counted(pc: RTCPeerConnection | null | undefined): Promise<string> {
  if (!pc) return '(no pc)';
  const stats = await statsWithin(pc, 3_000);
  if (!stats) return '(stats did not settle)';
  const parts: string[] = [];
  stats.forEach((r: Record<string, unknown>) => {
    if (r['type'] === 'data-channel') parts.push(`dc sent ${r['messagesSent']}m/${r['bytesSent']}B got ${r['messagesReceived']}m/${r['bytesReceived']}B`);
    if (r['type'] === 'transport') parts.push(`dtls sent ${r['bytesSent']}B got ${r['bytesReceived']}B`);
  });
  return parts.join(', ');
}

/**
 * For every link still under way, what each end's browser counted on it (see counted): whether a
 * stopped channel's messages leave one end and never reach the other, or never leave.
 */
export async function channelCounts(elements: VideoRoomElement[]): Promise<string> {
  const rooms = elements.map((el) => (el as unknown as { roomCtl: { room: RoomInternals | null } }).roomCtl.room);
  const lines: string[] = [];
  for (const room of rooms) {
    if (!room) continue;
    for (const link of room.mesh.pending) {
      const there = rooms.find((r) => r?.id === link.conn.peer)?.mesh;
      const far = there?.links.get(room.id) ?? [...(there?.pending ?? [])].find((l) => l.conn.peer === room.id);
      lines.push(`${short(room.id)}${link.outgoing ? '>' : '<'}${short(link.conn.peer)}: here ${await counted(link.pc)}; there ${far ? await counted(far.pc) : '(no link there)'}`);
    }
  }
  return lines.join('\n');
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
  try {
    const started = performance.now();
    const since = () => `${Math.round(performance.now() - started)} ms`;
    await Promise.all(elements.map((el) => el.join()));
    await say(`${label}: all joined after ${since()}`);
    // A join that converges but slowly is reported too: how the mesh looked 20 s in.
    let slow: string | null = null;
    const ids = await waitFor(
      () => {
        const sets = elements.map((el) => el.participants.map((p) => p.id));
        if (sets.every((s) => s.length === count - 1)) return sets;
        if (slow === null && performance.now() - started > 20_000) slow = mesh.report();
        return null;
      },
      () => `${count} full rosters; have ${elements.map((el) => el.participants.length)}\n${mesh.report()}`,
      60_000,
    );
    await say(`${label}: full mesh after ${since()}${slow === null ? '' : `; 20 s in:\n${slow}`}`);
    expect(new Set(ids.flat()).size).to.equal(count);
    const rooms = elements.map((el) => (el as unknown as { roomCtl: { room: RoomInternals } }).roomCtl.room);
    for (const [i, room] of rooms.entries()) expect(ids[i]).not.to.include(room.id);
    const holders = () => rooms.filter((room) => room.isRendezvous).length;
    await waitFor(() => holders() === 1, () => `one rendezvous holder; have ${holders()}`);
    await say(`${label}: one rendezvous holder after ${since()}`);
    await waitForFullMeshMedia(elements, 1, 90_000);
    await say(`${label}: media on every link after ${since()}`);
    return elements;
  } catch (error) {
    await say(`${label}: ${String(error)}\n${await webrtcProbe()}\n${await channelCounts(elements)}`);
    // A failed run leaves nothing behind: its rooms would otherwise take part in the next runs.
    for (const el of elements) el.leave();
    throw error;
  }
}

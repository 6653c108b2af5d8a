/**
 * Shared setup of the man-in-the-middle tests: plain PeerJS peers on the hostile broker, and a
 * video-room call whose first handshake goes through an attacker (see mitm-attacker.ts).
 */
import { expect, fixture, html } from '@open-wc/testing';
import { Peer } from 'peerjs';
import '../../src/video-room.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { EVENTS } from '../../src/constants.js';
import { loadRoom, type RoomController } from '../../src/element/controllers/room-controller.js';
import { rendezvousIds } from '../../src/room/room-id.js';
import { forgetPageSecret } from '../../src/e2ee/secret.js';
import { participant, uniqueRoom, waitFor } from './helpers.js';
import { startAttacker, type Attacker, type FingerprintShape, type InterceptStats } from './mitm-attacker.js';

/** Whether this page (and so the remote participant) is Firefox. */
export const isFirefox = navigator.userAgent.includes('Firefox');
/** The hostile broker's PeerServer URL. */
export const MITM = (window as unknown as { __VR_TEST__: { mitmServer: string } }).__VR_TEST__.mitmServer;
/** Frames that must decode, beyond those already decoded when media first showed up. */
export const FRAMES = 20;

/**
 * Waits until `read` gives a positive count, then until it has grown by `by` more.
 * Resolves with the last value.
 */
export async function growsBy(read: () => Promise<number>, by: number, what: string): Promise<number> {
  let last = 0;
  const base = await waitFor(async () => ((last = await read()) > 0 ? last : 0), () => `${what}: any frames (last ${last})`);
  return waitFor(async () => ((last = await read()) >= base + by ? last : 0), () => `${what}: ${by} more frames than ${base} (last ${last})`);
}

/** A plain PeerJS Peer on `server`, open. */
export async function openPeer(server: string): Promise<Peer> {
  const url = new URL(server);
  const peer = new Peer(`vr-${crypto.randomUUID().replaceAll('-', '')}`, {
    host: url.hostname,
    port: Number(url.port),
    path: `${url.pathname}/`,
    key: 'peerjs',
    config: { iceServers: [] },
    debug: 0,
  });
  await new Promise((resolve, reject) => {
    peer.once('open', resolve);
    peer.once('error', reject);
  });
  return peer;
}

/** A fresh fake camera and microphone. */
export function camera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: true, audio: true });
}

/** What a video-room call through the attacker looks like once set up. */
export interface RoomMitm {
  room: string;
  rendezvous: string;
  attacker: Attacker;
  /** The <video-room> in this page: the victim who dials the rendezvous id. */
  element: VideoRoomElement;
  /** Its participant id. */
  elementId: string;
  /** The participants-plugin handle of the remote page that holds the room. */
  remote: string;
  close(): Promise<void>;
}

/**
 * The shared setup of the video-room MITM tests: a remote participant (another browser
 * process, same engine as this page) takes `room` on the hostile broker, an attacker has its
 * rendezvous id diverted to itself, and a `<video-room>` in this page joins through it.
 * `secret` (optional) goes into both pages' URL fragment as `#vr-secret=…` (the broker-blind
 * rendezvous id derived from it is the one diverted). Without a secret, resolves once the element
 * has joined; with one, once it has started joining (it is not expected to get in).
 * `fingerprints` (optional): the broker also lists the real fingerprints next to the attacker's,
 * in that shape. `awaitJoin` (default: without a secret) says whether to wait for the join.
 */
export async function roomThroughAttacker(options: { secret?: string; fingerprints?: FingerprintShape; awaitJoin?: boolean } = {}): Promise<RoomMitm> {
  const room = uniqueRoom('mitm');
  const rendezvous = (await rendezvousIds(room, options.secret))[0];
  const hash = options.secret ? `vr-secret=${encodeURIComponent(options.secret)}` : undefined;
  // The room refuses the attacker's offer and never answers it: the element gets a made-up "real"
  // fingerprint beside the attacker's rather than none at all.
  const attacker = await startAttacker({ server: MITM, target: rendezvous, fingerprints: options.fingerprints, standIn: true });
  let remote: string | undefined;
  let element: VideoRoomElement | undefined;
  const previousUrl = location.href;
  const close = async () => {
    element?.leave();
    if (hash) {
      // The page remembers a secret it read (for a rejoin or a reload): the next test must not get it.
      forgetPageSecret();
      history.replaceState(null, '', previousUrl);
    }
    if (remote) await participant('close', { handle: remote });
    await attacker.stop();
  };
  try {
    const browser = isFirefox ? 'firefox' : 'chromium';
    // Launching can outlast one command's 20 s on a busy machine; the launch goes on meanwhile.
    await waitFor(() => participant('launch', { browser }).then(() => true, () => false), `the remote ${browser} started`, 90_000);
    remote = await participant<string>('join', {
      browser,
      room,
      name: 'Remote',
      server: MITM,
      hash,
    });
    // It holds the rendezvous id once it has joined an empty room.
    await waitFor(async () => (await participant<{ state: string }>('state', { handle: remote })).state === 'joined', 'the remote page joined');
    if (hash) history.replaceState(null, '', `#${hash}`);
    element = await fixture<VideoRoomElement>(html`<video-room room=${room} server=${MITM} name="Local"></video-room>`);
    const joined = new Promise<{ id: string }>((resolve) => element!.addEventListener(EVENTS.joined, (e) => resolve((e as CustomEvent<{ id: string }>).detail), { once: true }));
    // The call's code loaded first: join() then creates the room at once, and its id can be read.
    await loadRoom();
    const joining = element.join();
    const elementId = (element as unknown as { roomCtl: RoomController }).roomCtl.room!.id;
    if (options.awaitJoin ?? !options.secret) {
      await joining;
      expect((await joined).id).to.equal(elementId);
    }
    return { room, rendezvous, attacker, element, elementId, remote, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The one intercepted connection the attacker should hold. */
export async function onlyIntercept(attacker: Attacker): Promise<InterceptStats> {
  const { intercepts } = await attacker.stats();
  expect(intercepts, 'connections the attacker intercepted').to.have.length(1);
  return intercepts[0];
}

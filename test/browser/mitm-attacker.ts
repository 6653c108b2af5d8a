/**
 * A real man in the middle, for tests. It holds its own PeerJS Peer (and its own DTLS
 * certificate) on the hostile broker of test/plugins/mitm-broker.mjs, which hands it every
 * connection addressed to `target`. For each one it opens a second leg to the real target and
 * relays everything between the two, terminating DTLS on both legs:
 *
 * - plain PeerJS media calls: it answers the victim's call, calls the target with the victim's
 *   incoming stream, and puts the target's stream on the first leg (replaceTrack);
 * - video-room's data-connection protocol: it accepts the victim's DataConnection, dials the
 *   target with the same options, terminates `sdp`/`ice` on each leg with its own
 *   RTCPeerConnection behaviour, relays every other message verbatim both ways, and sends the
 *   camera and microphone tracks received on each leg on the other.
 *
 * It runs in the test page next to its victim; where it runs does not matter, since the broker
 * does the diverting.
 */
import { Peer, type CallOption, type DataConnection, type MediaConnection, type PeerConnectOption } from 'peerjs';
import { executeServerCommand } from '@web/test-runner-commands';
import { fingerprints, type FingerprintShape } from './mitm-sdp.js';
import { prepareFirstOffers } from '../../src/signalling/broker.js';
import { acceptCamera, count, KINDS, Leg, messageType, relayTracks } from './mitm-leg.js';

export { fingerprints, fingerprintShape, sdpFingerprint, sdpFingerprints, FINGERPRINT_SHAPES, type FingerprintLine, type FingerprintShape } from './mitm-sdp.js';

/** One PeerJS message the hostile broker diverted (see test/plugins/mitm-broker.mjs). */
export interface DivertedMessage {
  type: string;
  connectionId?: string;
  /** The real sender. */
  from: string;
  /** Whom the sender addressed. */
  to: string;
  /** Who got it. */
  deliveredTo: string;
  /** Whom it seemed to come from. */
  shownAs: string;
  /** On an SDP the broker rewrote: the shape, the fingerprints it used and those it listed, in order. */
  fingerprints?: { shape: FingerprintShape; real: string; attacker: string; listed: string[] };
}

/**
 * Tells the hostile broker to give `attacker` every message addressed to `target` (and, with
 * `shape`, to list both the real party's fingerprint and the attacker's in what it sends on).
 */
export async function divert(target: string, attacker: string, shape?: FingerprintShape, standIn = false): Promise<void> {
  await executeServerCommand('vr-mitm', { action: 'divert', target, attacker, fingerprints: shape, standIn });
}

/** Drops every diversion rule of the hostile broker, and its log. */
export async function clearDiversions(): Promise<void> {
  await executeServerCommand('vr-mitm', { action: 'clear' });
}

/** The messages the hostile broker diverted (to, from or shown as `target`, if given). */
export async function diversionLog(target?: string): Promise<DivertedMessage[]> {
  return (await executeServerCommand<DivertedMessage[], object>('vr-mitm', { action: 'log', target })) ?? [];
}

/** What the attacker saw of one leg. */
export interface LegStats {
  /** The PeerJS id at the far end: the victim on the first leg, the target on the second. */
  peer: string;
  /** The SHA-256 DTLS fingerprint of the attacker's side of this leg (upper-case hex). */
  localFingerprint: string | null;
  /** The SHA-256 DTLS fingerprint the far end presented in its SDP. */
  remoteFingerprint: string | null;
  /** getStats inbound-rtp video `framesDecoded`: the far end's video reached the attacker. */
  framesDecoded: number;
  /** getStats outbound-rtp video `framesEncoded`: the attacker sent video on this leg. */
  framesEncoded: number;
  /** Kinds of the other leg's received tracks that this leg's senders carry. */
  relaying: string[];
  /** RTCPeerConnection connectionState, or 'closed' once gone. */
  connectionState: string;
}

/** One connection the attacker sits in the middle of. */
export interface InterceptStats {
  kind: 'media' | 'data';
  /** The PeerJS connection id, the same on both legs. */
  connectionId: string;
  victim: string;
  target: string;
  /** Victim ↔ attacker. */
  victimLeg: LegStats;
  /** Attacker ↔ target. */
  targetLeg: LegStats;
  /** Protocol messages relayed verbatim, by type (`t`, or `?` when not JSON), each way. */
  relayed: { toTarget: Record<string, number>; toVictim: Record<string, number> };
  /** Signalling messages (`sdp`, `ice`) the attacker terminated, by the leg they came in on. */
  terminated: { fromVictim: Record<string, number>; fromTarget: Record<string, number> };
}

/** Everything the attacker saw. */
export interface AttackerStats {
  id: string;
  /** The SHA-256 fingerprint of the attacker's certificate, used on every leg. */
  fingerprint: string;
  intercepts: InterceptStats[];
}

/** A running attacker. */
export interface Attacker {
  /** Its PeerJS id on the hostile broker. */
  readonly id: string;
  /** The SHA-256 fingerprint of its DTLS certificate (upper-case hex with colons). */
  readonly fingerprint: string;
  /** What it has seen and relayed so far. */
  stats(): Promise<AttackerStats>;
  /** Closes every leg and its Peer, and lifts its diversion. */
  stop(): Promise<void>;
}

/** Options of startAttacker. */
export interface AttackerOptions {
  /** The hostile broker's PeerServer URL (window.__VR_TEST__.mitmServer). */
  server: string;
  /** The id whose connections it intercepts (e.g. a room's rendezvous id, or a peer's id). */
  target: string;
  /** Whether to ask the broker to divert `target` to it (default true). */
  divert?: boolean;
  /** With a diversion: how the broker lists the real fingerprints next to the attacker's (default: it does not). */
  fingerprints?: FingerprintShape;
  /** With `fingerprints`: a real fingerprint the broker has not learnt is replaced by a made-up one, rather than waited for. */
  standIn?: boolean;
}


/** Sums getStats `counter` over the `type` video reports of `pc`. */
export async function videoCounter(
  pc: RTCPeerConnection | null | undefined,
  type: 'inbound-rtp' | 'outbound-rtp',
  counter: 'framesDecoded' | 'framesEncoded',
): Promise<number> {
  if (!pc || pc.signalingState === 'closed') return 0;
  let total = 0;
  // Firefox's getStats() never settles on a connection closed while it runs (the victim closing
  // its end): a read that takes that long counts nothing, rather than hang the test.
  const none = new Map<string, unknown>();
  const stats = await Promise.race([pc.getStats().catch(() => none), new Promise<Map<string, unknown>>((resolve) => setTimeout(() => resolve(none), 3_000))]);
  stats.forEach((report: { type: string; kind?: string } & Partial<Record<typeof counter, number>>) => {
    if (report.type === type && report.kind === 'video') total += report[counter] ?? 0;
  });
  return total;
}

/** Parses a PeerServer URL (http(s)/ws(s)://host:port/path) into PeerJS options. */
function brokerOptions(server: string) {
  const url = new URL(server);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 443 : 80,
    path: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`,
    secure,
    key: 'peerjs',
  };
}


/** Builds a LegStats from a leg's peer connection and what was recorded of it. */
async function legStats(
  peer: string,
  pc: RTCPeerConnection | null | undefined,
  seen: { local: string | null; remote: string | null },
  relaying: Set<string>,
): Promise<LegStats> {
  const now = fingerprints(pc);
  return {
    peer,
    localFingerprint: now.local ?? seen.local,
    remoteFingerprint: now.remote ?? seen.remote,
    framesDecoded: await videoCounter(pc, 'inbound-rtp', 'framesDecoded'),
    framesEncoded: await videoCounter(pc, 'outbound-rtp', 'framesEncoded'),
    relaying: [...relaying].sort(),
    connectionState: pc?.connectionState ?? 'closed',
  };
}

/** An intercepted connection: two legs and their bookkeeping. */
interface Intercept {
  stats(): Promise<InterceptStats>;
  close(): void;
}

/**
 * A stream to answer the victim's call with before the target's stream exists: a video track
 * from a canvas that is never painted (it sends no frames) and a silent audio track. They are
 * replaced by the target's tracks as soon as those arrive.
 */
function placeholderStream(): { stream: MediaStream; stop: () => void } {
  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const video = canvas.captureStream(0).getVideoTracks()[0];
  const audioContext = new AudioContext();
  const audio = audioContext.createMediaStreamDestination().stream.getAudioTracks()[0];
  const stream = new MediaStream([video, audio].filter((t): t is MediaStreamTrack => !!t));
  return {
    stream,
    stop: () => {
      for (const track of stream.getTracks()) track.stop();
      void audioContext.close().catch(() => undefined);
    },
  };
}

/** Resolves once `call` has delivered a stream holding every kind it will (or after `ms`). */
function remoteStream(call: MediaConnection, ms = 3000): Promise<MediaStream> {
  return new Promise((resolve, reject) => {
    let latest: MediaStream | null = null;
    const done = () => {
      clearTimeout(timer);
      if (latest) resolve(latest);
      else reject(new Error(`no stream from ${call.peer}`));
    };
    const timer = setTimeout(done, ms);
    // PeerJS emits 'stream' once per track, with the same growing stream.
    call.on('stream', (stream) => {
      latest = stream;
      if (KINDS.every((kind) => stream.getTracks().some((t) => t.kind === kind))) done();
    });
  });
}

/** Sits in the middle of a plain PeerJS media call from a victim to the target. */
function interceptCall(peer: Peer, target: string, call1: MediaConnection): Intercept {
  const placeholder = placeholderStream();
  const seen1 = { local: null as string | null, remote: null as string | null };
  const seen2 = { local: null as string | null, remote: null as string | null };
  const toVictim = new Set<string>();
  const toTarget = new Set<string>();
  let call2: MediaConnection | undefined;
  let closed = false;
  const note = () => {
    const f1 = fingerprints(call1.peerConnection);
    const f2 = fingerprints(call2?.peerConnection);
    seen1.local = f1.local ?? seen1.local;
    seen1.remote = f1.remote ?? seen1.remote;
    seen2.local = f2.local ?? seen2.local;
    seen2.remote = f2.remote ?? seen2.remote;
  };
  const close = () => {
    if (closed) return;
    closed = true;
    note();
    call1.close();
    call2?.close();
    placeholder.stop();
  };

  call1.answer(placeholder.stream);
  call1.on('close', close);
  void remoteStream(call1).then(
    (victimStream) => {
      if (closed) return;
      note();
      // Same connection id as the victim's, so the target sees exactly what the victim sent.
      const options: CallOption & { connectionId: string } = { connectionId: call1.connectionId, metadata: call1.metadata };
      const leg2 = peer.call(target, victimStream, options);
      call2 = leg2;
      void relayTracks(call1.peerConnection, leg2.peerConnection, toTarget);
      leg2.on('stream', () => {
        note();
        void relayTracks(leg2.peerConnection, call1.peerConnection, toVictim);
      });
      leg2.on('close', close);
    },
    () => close(),
  );

  return {
    close,
    async stats() {
      note();
      return {
        kind: 'media',
        connectionId: call1.connectionId,
        victim: call1.peer,
        target,
        victimLeg: await legStats(call1.peer, call1.peerConnection, seen1, toVictim),
        targetLeg: await legStats(target, call2?.peerConnection, seen2, toTarget),
        relayed: { toTarget: {}, toVictim: {} },
        terminated: { fromVictim: {}, fromTarget: {} },
      };
    },
  };
}


/** Sits in the middle of a video-room DataConnection from a victim to the target. */
function interceptLink(peer: Peer, target: string, conn1: DataConnection): Intercept {
  const relayed = { toTarget: {} as Record<string, number>, toVictim: {} as Record<string, number> };
  let closed = false;
  const media = () => {
    void relayTracks(victimLeg.pc, targetLeg.pc, targetLeg.relaying);
    void relayTracks(targetLeg.pc, victimLeg.pc, victimLeg.relaying);
  };
  // Same connection id, serialization and reliability as the victim's dial.
  const options: PeerConnectOption & { connectionId: string } = {
    connectionId: conn1.connectionId,
    serialization: conn1.serialization,
    reliable: conn1.reliable,
    metadata: conn1.metadata,
  };
  const conn2 = peer.connect(target, options);
  // The victim's first offer carries its camera and microphone: answered sendrecv, as video-room does.
  const pc1 = conn1.peerConnection as RTCPeerConnection | null;
  pc1?.addEventListener('signalingstatechange', () => pc1.signalingState === 'have-remote-offer' && acceptCamera(pc1));
  // The victim's offers are answered only once the target has said something (its hello): a
  // real answerer introduces itself before it answers, and the victim counts on that order
  // (tracks that arrive before the hello have no participant to go to).
  let targetSpoke: () => void = () => undefined;
  const spoke = new Promise<void>((resolve) => (targetSpoke = resolve));
  const victimLeg: Leg = new Leg(
    conn1,
    false,
    (raw) => {
      count(relayed.toTarget, messageType(raw));
      targetLeg.send(raw);
    },
    media,
    spoke,
  );
  const targetLeg: Leg = new Leg(
    conn2,
    true,
    (raw) => {
      count(relayed.toVictim, messageType(raw));
      victimLeg.send(raw);
      targetSpoke();
    },
    media,
  );
  const close = () => {
    if (closed) return;
    closed = true;
    victimLeg.note();
    targetLeg.note();
    // Let a relayed goodbye get through before the other leg goes.
    setTimeout(() => {
      conn1.close();
      conn2.close();
    }, 500);
  };
  for (const conn of [conn1, conn2]) {
    conn.on('close', close);
    conn.on('error', close);
  }

  return {
    close,
    async stats() {
      return {
        kind: 'data',
        connectionId: conn1.connectionId,
        victim: conn1.peer,
        target,
        victimLeg: await legStats(conn1.peer, victimLeg.pc, victimLeg.seen, victimLeg.relaying),
        targetLeg: await legStats(target, targetLeg.pc, targetLeg.seen, targetLeg.relaying),
        relayed,
        terminated: { fromVictim: { ...victimLeg.terminated }, fromTarget: { ...targetLeg.terminated } },
      };
    },
  };
}

/**
 * Starts an attacker on the hostile broker that intercepts every connection to `target`
 * (by default it also asks the broker to divert them to it).
 */
export async function startAttacker({ server, target, divert: shouldDivert = true, fingerprints: shape, standIn }: AttackerOptions): Promise<Attacker> {
  // Its own certificate, the same on every leg, so its fingerprint is easy to recognise.
  const certificate = await RTCPeerConnection.generateCertificate({ name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams);
  const fingerprint = certificate
    .getFingerprints()
    .find((f) => f.algorithm?.toLowerCase() === 'sha-256')
    ?.value?.toUpperCase();
  if (!fingerprint) throw new Error('the attacker certificate has no SHA-256 fingerprint');
  const id = `vr-mitm-${crypto.randomUUID().replaceAll('-', '')}`;
  const peer = new Peer(id, { ...brokerOptions(server), config: { iceServers: [], certificates: [certificate] }, debug: 0 });
  await new Promise<void>((resolve, reject) => {
    peer.once('open', () => resolve());
    peer.once('error', (error) => reject(new Error(`attacker peer: ${error.type}`)));
  });
  // Later errors (a leg that fails) are per connection; nothing to do about them here.
  peer.on('error', () => undefined);
  // Its dials offer the camera and microphone in their first offer, as video-room's do.
  prepareFirstOffers(peer, (pc) => KINDS.forEach((kind) => pc.addTransceiver(kind, { direction: 'sendrecv' })));
  const intercepts: Intercept[] = [];
  peer.on('call', (call) => intercepts.push(interceptCall(peer, target, call)));
  peer.on('connection', (conn) => intercepts.push(interceptLink(peer, target, conn)));
  if (shouldDivert) await divert(target, id, shape, standIn);

  return {
    id,
    fingerprint,
    async stats() {
      return { id, fingerprint, intercepts: await Promise.all(intercepts.map((i) => i.stats())) };
    },
    async stop() {
      if (shouldDivert) await clearDiversions();
      for (const intercept of intercepts) intercept.close();
      peer.destroy();
    },
  };
}

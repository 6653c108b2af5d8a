import { expect } from '@open-wc/testing';
import { parseFacingMode, parseVideoQuality, videoConstraints, VIDEO_QUALITIES } from '../../src/media/quality.js';
import { allocateUpstream, parseMaxUpstreamKbps, DEFAULT_MAX_UPSTREAM_KBPS, MIN_VIDEO_KBPS } from '../../src/link/bandwidth.js';
import { SpeakerDetector } from '../../src/media/active-speaker.js';
import { DevicePreferences } from '../../src/media/devices.js';
import { cameraMids } from '../../src/link/sdp.js';

describe('video quality', () => {
  it('parses video-quality and facing-mode', () => {
    expect(parseVideoQuality(null)).to.equal('medium');
    expect(parseVideoQuality(' HIGH ')).to.equal('high');
    for (const bad of ['ultra', 'toString', '1080p']) expect(parseVideoQuality(bad), bad).to.equal(null);
    expect(parseFacingMode('')).to.equal(undefined);
    expect(parseFacingMode('environment')).to.equal('environment');
    expect(parseFacingMode('back')).to.equal(null);
  });

  it('asks for ideal values, so a camera that cannot meet them still starts', () => {
    expect(videoConstraints({ quality: 'low', facingMode: 'environment' })).to.deep.equal({
      width: { ideal: 320 },
      height: { ideal: 180 },
      frameRate: { ideal: 15 },
      facingMode: { ideal: 'environment' },
    });
    // A chosen camera wins over the facing mode.
    const chosen = videoConstraints({ quality: 'high', facingMode: 'user', deviceId: { exact: 'cam' } });
    expect(chosen.deviceId).to.deep.equal({ exact: 'cam' });
    expect(chosen.facingMode).to.equal(undefined);
  });
});

describe('mesh-aware upstream budget', () => {
  it('parses max-upstream-kbps', () => {
    expect(parseMaxUpstreamKbps(null)).to.equal(DEFAULT_MAX_UPSTREAM_KBPS);
    expect(parseMaxUpstreamKbps('800')).to.equal(800);
    for (const bad of ['x', 10, 199, 1.5, 100_001, -1]) expect(parseMaxUpstreamKbps(bad), String(bad)).to.equal(null);
  });

  it('gives each copy less as the room grows, and the full quality back as it shrinks', () => {
    const caps = [1, 2, 3, 5, 8].map((peers) => allocateUpstream({ maxUpstreamKbps: 1200, peers, quality: 'medium', sharingScreen: false }).camera);
    expect(caps[0]).to.deep.equal({ maxBitrate: VIDEO_QUALITIES.medium.maxKbps * 1000, scaleResolutionDownBy: 1, maxFramerate: 24 });
    for (let i = 1; i < caps.length; i++) {
      expect(caps[i]!.maxBitrate).to.be.below(caps[i - 1]!.maxBitrate);
      expect(caps[i]!.scaleResolutionDownBy).to.be.at.least(caps[i - 1]!.scaleResolutionDownBy);
    }
    // Within budget: copies × (video + audio) ≤ max while above the floor.
    expect(3 * (caps[2]!.maxBitrate / 1000 + 40)).to.be.at.most(1200);
    expect(caps[4]!.scaleResolutionDownBy).to.be.above(1);
  });

  it('splits the encoding work too: past two copies each gets fewer pixels, down to 180 lines, then fewer frames', () => {
    // A budget so large that only the encoding work decides.
    const camera = (peers: number, quality: 'low' | 'medium' | 'high' = 'medium') =>
      allocateUpstream({ maxUpstreamKbps: 100_000, peers, quality, sharingScreen: false }).camera;
    const pixelRate = (c: { scaleResolutionDownBy: number; maxFramerate: number }, q: { width: number; height: number }) =>
      ((q.width * q.height) / c.scaleResolutionDownBy ** 2) * c.maxFramerate;
    const medium = VIDEO_QUALITIES.medium;
    expect([1, 2, 3, 4, 5, 7, 9].map((p) => [camera(p).scaleResolutionDownBy, camera(p).maxFramerate])).to.deep.equal([
      [1, 24],
      [1, 24],
      [1.5, 24],
      [1.5, 24],
      [2, 24],
      [2, 24],
      [2, 21],
    ]);
    // In all, never more than two full-quality copies' worth, while above the floors.
    for (const peers of [3, 4, 5, 7, 9]) expect(peers * pixelRate(camera(peers), medium)).to.be.at.most(2 * medium.width * medium.height * medium.frameRate);
    // Never below 180 lines or 12 frames a second for the encoding's sake: low quality keeps its size and slows down.
    expect(camera(5, 'low')).to.include({ scaleResolutionDownBy: 1, maxFramerate: 12 });
    expect(camera(60, 'low').maxFramerate).to.equal(12);
    expect(camera(5, 'high').scaleResolutionDownBy).to.equal(2);
  });

  it('never goes below the floor, and gives the screen most of the budget while sharing', () => {
    const tiny = allocateUpstream({ maxUpstreamKbps: 200, peers: 60, quality: 'high', sharingScreen: false });
    expect(tiny.camera.maxBitrate).to.equal(MIN_VIDEO_KBPS * 1000);
    const sharing = allocateUpstream({ maxUpstreamKbps: 2000, peers: 2, quality: 'high', sharingScreen: true });
    expect(sharing.screen!.scaleResolutionDownBy).to.equal(1);
    expect(sharing.screen!.maxBitrate).to.be.above(sharing.camera.maxBitrate);
    expect(2 * ((sharing.screen!.maxBitrate + sharing.camera.maxBitrate) / 1000 + 40)).to.be.at.most(2000);
  });
});

describe('active speaker', () => {
  const opts = { threshold: 0.02, holdMs: 1000, decayPerSecond: 0.3 };
  const at = (entries: [string, number][]) => new Map(entries);

  it('takes the first speaker at once and switches only after the hold time', () => {
    const d = new SpeakerDetector(opts);
    expect(d.update(at([['a', 0], ['b', 0]]), 0)).to.equal(undefined);
    expect(d.update(at([['a', 0.3], ['b', 0]]), 100)).to.equal('a');
    // b gets louder: a's held peak decays, b must stay loudest for a second.
    let changed: string | null | undefined;
    let t = 200;
    for (; t <= 3000 && changed === undefined; t += 100) changed = d.update(at([['a', 0], ['b', 0.5]]), t);
    expect(changed).to.equal('b');
    expect(t - 100 - 200).to.be.at.least(1000);
  });

  it('lets a newcomer take over across pauses, but not while the speaker answers back', () => {
    const d = new SpeakerDetector(opts);
    d.update(at([['a', 0.3], ['b', 0]]), 0);
    // b speaks in beeps with long silences; a has gone quiet. b is loudest for a second in all.
    let changed: string | null | undefined;
    let t = 100;
    for (; t < 10_000 && changed === undefined; t += 100) changed = d.update(at([['a', 0], ['b', t % 1000 === 0 ? 0.4 : 0]]), t);
    expect(changed).to.equal('b');
    // a answers back now and then: each time a is loudest, b's time starts again.
    const e = new SpeakerDetector(opts);
    e.update(at([['a', 0.3], ['b', 0]]), 0);
    for (let t2 = 100; t2 < 10_000; t2 += 100) {
      const a = t2 % 800 === 0 ? 0.9 : 0;
      expect(e.update(at([['a', a], ['b', 0.2]]), t2), `at ${t2}`).to.equal(undefined);
    }
  });

  it('does not flap on short bursts or pauses between words', () => {
    const d = new SpeakerDetector(opts);
    d.update(at([['a', 0.3], ['b', 0]]), 0);
    const changes: (string | null | undefined)[] = [];
    for (let t = 100; t < 5000; t += 100) {
      // a talks with pauses (every third sample silent); b coughs for 300 ms every 2 s.
      const a = t % 300 === 0 ? 0 : 0.3;
      const b = t % 2000 < 300 ? 0.6 : 0;
      const change = d.update(at([['a', a], ['b', b]]), t);
      if (change !== undefined) changes.push(change);
    }
    expect(changes).to.deep.equal([]);
    expect(d.current).to.equal('a');
  });

  it('forgets a speaker who left', () => {
    const d = new SpeakerDetector(opts);
    d.update(at([['a', 0.3]]), 0);
    expect(d.update(at([['b', 0]]), 100)).to.equal(null);
  });
});

describe('device preferences', () => {
  it('remembers choices and survives garbage or a refusing storage', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const prefs = new DevicePreferences(storage);
    prefs.set('videoinput', 'cam-2');
    prefs.set('audiooutput', 'spk');
    expect(new DevicePreferences(storage).all()).to.deep.equal({ videoinput: 'cam-2', audiooutput: 'spk' });
    store.set('video-room:devices', '{"videoinput":5,"audioinput":"<b>x</b>"');
    expect(prefs.all()).to.deep.equal({});
    const refusing = new DevicePreferences({
      getItem: () => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    });
    expect(() => refusing.set('audioinput', 'x')).not.to.throw();
  });
});

describe('camera m-lines in SDP', () => {
  it('finds the first audio and video m-line mids and ignores later ones', () => {
    const sdp = ['v=0', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:1',
      'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:2', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:3', ''].join('\r\n');
    expect(cameraMids(sdp)).to.deep.equal({ audio: '1', video: '2' });
    expect(cameraMids(undefined)).to.deep.equal({});
  });
});

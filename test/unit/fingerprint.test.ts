/**
 * The strict fingerprint reader, on real session descriptions made by the browser running the
 * test (Chromium or Firefox ESR), and on every shape a lying broker can give them.
 */
import { expect } from '@open-wc/testing';
import { checkRemoteCertificates, fingerprintText, parseFingerprint, type FingerprintResult } from '../../src/e2ee/fingerprint.js';

const ATTACKER = Array.from({ length: 32 }, (_, i) => (0xa0 + i).toString(16).toUpperCase()).join(':');

/** A real offer and answer (data channel, audio, video) between two new connections, not connected. */
async function realPair(): Promise<{ offer: string; answer: string; offerer: RTCPeerConnection; answerer: RTCPeerConnection }> {
  const offerer = new RTCPeerConnection();
  const answerer = new RTCPeerConnection();
  offerer.createDataChannel('vr');
  offerer.addTransceiver('audio');
  offerer.addTransceiver('video');
  await offerer.setLocalDescription();
  await answerer.setRemoteDescription(offerer.localDescription!);
  await answerer.setLocalDescription();
  return { offer: offerer.localDescription!.sdp, answer: answerer.localDescription!.sdp, offerer, answerer };
}

function value(result: FingerprintResult): string {
  if (!result.ok) throw new Error(`${result.problem}: ${result.detail}`);
  return fingerprintText(result.fingerprint);
}

function problem(result: FingerprintResult): string | null {
  return result.ok ? null : result.problem;
}

/** Every fingerprint line of `sdp`, as written. */
function lines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=fingerprint:'));
}

/** The real line, with the attacker's in the order given, wherever the real one stands. */
function besideEachLine(sdp: string, order: 'real-first' | 'attacker-first'): string {
  return sdp.replace(/^(a=fingerprint:sha-256 \S+)\r$/gm, (real) => {
    const attacker = `a=fingerprint:sha-256 ${ATTACKER}\r`;
    return order === 'real-first' ? `${real}\na=fingerprint:sha-256 ${ATTACKER}\r` : `${attacker}\n${real}`;
  });
}

/** The real fingerprint moved to session level and the attacker's at media level, or the reverse. */
function splitLevels(sdp: string, real: string, atSession: 'real' | 'attacker'): string {
  const [session, attacker] = atSession === 'real' ? [real, ATTACKER] : [ATTACKER, real];
  const withoutLines = sdp.replace(/^a=fingerprint:.*\r\n/gm, '');
  const firstMedia = withoutLines.indexOf('\r\nm=');
  const head = `${withoutLines.slice(0, firstMedia)}\r\na=fingerprint:sha-256 ${session}`;
  const body = withoutLines.slice(firstMedia).replace(/\r\nm=[^\r]*/g, (m) => `${m}\r\na=fingerprint:sha-256 ${attacker}`);
  return head + body;
}

describe('the strict fingerprint reader', () => {
  let pair: Awaited<ReturnType<typeof realPair>>;
  before(async () => {
    pair = await realPair();
  });
  after(() => {
    pair.offerer.close();
    pair.answerer.close();
  });

  it('reads the one fingerprint of a real offer and answer of this browser', async () => {
    const offer = value(parseFingerprint(pair.offer));
    const answer = value(parseFingerprint(pair.answer));
    expect(offer).to.match(/^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(answer).to.not.equal(offer);
    // What the certificate itself says.
    const certificate = pair.offerer.getConfiguration().certificates?.[0];
    const own = certificate?.getFingerprints().find((f) => f.algorithm === 'sha-256')?.value?.toUpperCase();
    if (own) expect(offer).to.equal(`sha-256 ${own}`);
    // Chromium repeats the line in every media section, Firefox writes it once at session level:
    // either is one fingerprint.
    expect(lines(pair.offer).length).to.be.at.least(1);
  });

  it('refuses two fingerprints in one media section, in either order', () => {
    for (const order of ['real-first', 'attacker-first'] as const) {
      const sdp = besideEachLine(pair.offer, order);
      expect(lines(sdp).length, order).to.be.greaterThan(lines(pair.offer).length);
      expect(problem(parseFingerprint(sdp)), order).to.equal('fingerprint-duplicate');
    }
  });

  it('refuses one fingerprint at session level and another at media level, either way round', () => {
    const real = value(parseFingerprint(pair.offer)).slice('sha-256 '.length);
    for (const atSession of ['real', 'attacker'] as const) {
      const sdp = splitLevels(pair.offer, real, atSession);
      expect(problem(parseFingerprint(sdp)), atSession).to.equal('fingerprint-duplicate');
    }
  });

  it('refuses a second fingerprint under another hash name, and a lone weak one', () => {
    const sha1 = Array.from({ length: 20 }, () => '5A').join(':');
    const withSha1 = pair.answer.replace(/\r\nm=/, `\r\na=fingerprint:sha-1 ${sha1}\r\nm=`);
    expect(problem(parseFingerprint(withSha1))).to.equal('fingerprint-duplicate');
    const onlySha1 = pair.answer.replace(/^a=fingerprint:.*$/gm, `a=fingerprint:sha-1 ${sha1}`);
    expect(problem(parseFingerprint(onlySha1))).to.equal('fingerprint-weak');
  });

  it('takes the same fingerprint written twice, in any case, as one', () => {
    const real = lines(pair.offer)[0]!;
    const lower = `a=fingerprint:SHA-256 ${real.slice('a=fingerprint:sha-256 '.length).toLowerCase()}`;
    const sdp = pair.offer.replace(/\r\nm=/, `\r\n${lower}\r\nm=`);
    expect(value(parseFingerprint(sdp))).to.equal(value(parseFingerprint(pair.offer)));
  });

  it('refuses every malformed shape rather than guess what the browser reads', () => {
    const real = lines(pair.offer)[0]!;
    const hex = real.slice('a=fingerprint:sha-256 '.length);
    const shapes: Record<string, string> = {
      'too short': `a=fingerprint:sha-256 ${hex.slice(0, 20)}`,
      'two spaces': `a=fingerprint:sha-256  ${hex}`,
      'trailing text': `a=fingerprint:sha-256 ${hex} x`,
      'not hex': `a=fingerprint:sha-256 ${hex.replace(/^../, 'ZZ')}`,
      'unknown hash': `a=fingerprint:sha-3 ${hex}`,
      'leading space': ` a=fingerprint:sha-256 ${ATTACKER}`,
      'no colon': `a=fingerprint sha-256 ${ATTACKER}`,
    };
    for (const [name, line] of Object.entries(shapes)) {
      const sdp = pair.offer.replace(/\r\nm=/, `\r\n${line}\r\nm=`);
      expect(problem(parseFingerprint(sdp)), name).to.equal('fingerprint-malformed');
    }
    // A lone carriage return: a reader splitting on line feeds would see one line where a browser may see two.
    const hidden = pair.offer.replace(`${real}\r\n`, `${real}\ra=fingerprint:sha-256 ${ATTACKER}\r\n`);
    expect(problem(parseFingerprint(hidden))).to.equal('fingerprint-malformed');
    expect(problem(parseFingerprint(pair.offer.replace('\r\n', '\r\n\u0000')))).to.equal('fingerprint-malformed');
  });

  it('refuses a description without a fingerprint, and no description at all', () => {
    expect(problem(parseFingerprint(pair.offer.replace(/^a=fingerprint:.*\r\n/gm, '')))).to.equal('fingerprint-missing');
    expect(problem(parseFingerprint(''))).to.equal('fingerprint-missing');
    expect(problem(parseFingerprint(undefined))).to.equal('fingerprint-missing');
  });
});

describe('the certificate DTLS accepted', () => {
  it('matches the remote fingerprint where the browser shows it, and fails closed on another', async () => {
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    try {
      for (const [from, to] of [[a, b], [b, a]] as const)
        from.addEventListener('icecandidate', ({ candidate }) => void (candidate && to.addIceCandidate(candidate).catch(() => undefined)));
      const channel = a.createDataChannel('vr');
      const opened = new Promise((resolve) => channel.addEventListener('open', resolve, { once: true }));
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      await opened;
      const remote = parseFingerprint(a.remoteDescription!.sdp);
      if (!remote.ok) throw new Error(remote.detail);
      expect(await checkRemoteCertificates(a, remote.fingerprint)).to.equal(null);
      const transport = a.sctp!.transport as RTCDtlsTransport & { getRemoteCertificates?: () => ArrayBuffer[] };
      const wrong = { algorithm: 'sha-256', value: ATTACKER };
      // Chromium shows the certificate; Firefox has no getRemoteCertificates, and relies on the description alone.
      if (typeof transport.getRemoteCertificates === 'function') expect(await checkRemoteCertificates(a, wrong)).to.be.a('string');
      else expect(await checkRemoteCertificates(a, wrong)).to.equal(null);
    } finally {
      a.close();
      b.close();
    }
  });
});

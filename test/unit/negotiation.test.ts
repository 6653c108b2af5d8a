/**
 * Perfect negotiation between two fake peer connections (fakes/fake-pc.ts), with the signalling
 * between them delivered by hand, so each test picks the order in which messages cross.
 */
import { expect } from '@open-wc/testing';
import { Negotiation, type Signal } from '../../src/link/negotiation.js';
import { FakePc } from './fakes/fake-pc.js';

/** One end: a fake connection, its negotiation, and the messages it sent that are not delivered yet. */
class Side {
  readonly pc: FakePc;
  readonly negotiation: Negotiation<FakePc>;
  readonly outbox: Signal[] = [];
  /** Descriptions the guard was asked to check, and whether it passes them. */
  readonly checked: string[] = [];
  trusted = true;
  closed = 0;
  /** What the transceivers were readied for, in order. */
  readonly readied: string[] = [];
  /** Offers under way (started by negotiationneeded). */
  #busy: Promise<void>[] = [];

  /** `auto`: offers as soon as negotiationneeded fires (else only when the test says). */
  constructor(name: string, polite: boolean, auto = true) {
    this.pc = new FakePc(name);
    const link = { pc: () => this.pc, signal: (message: Signal) => this.outbox.push(message), close: () => this.closed++ };
    const guard = {
      checkRemote: (sdp: string) => {
        this.checked.push(sdp);
        return this.trusted;
      },
    };
    const media = { protect: () => this.readied.push('protect'), acceptOffer: () => this.readied.push('accept') };
    this.negotiation = new Negotiation(link, guard, media, polite);
    if (auto) this.pc.addEventListener('negotiationneeded', () => this.#busy.push(this.negotiation.negotiate()));
  }

  /** Runs the connection's queued tasks (negotiationneeded) and waits for the offers they start. */
  async idle(): Promise<void> {
    do await Promise.all(this.#busy.splice(0));
    while (this.pc.runTasks());
  }

  /** Delivers what `from` sent, in order (the first `count` messages only, if given). */
  async receiveFrom(from: Side, count = from.outbox.length): Promise<void> {
    for (const message of from.outbox.splice(0, count)) {
      if (message.t === 'sdp') await this.negotiation.receive(message.description);
      else await this.negotiation.candidate(message.candidate);
    }
    await this.idle();
  }

  /** The description sent last, of `type`. */
  sent(type: 'offer' | 'answer'): string | undefined {
    const sent = this.outbox.filter((m): m is Extract<Signal, { t: 'sdp' }> => m.t === 'sdp' && m.description.type === type);
    return sent.at(-1)?.description.sdp;
  }
}

/** The dialer (impolite) and the answerer (polite), done with a first negotiation. */
async function connected(): Promise<{ dialer: Side; answerer: Side }> {
  const dialer = new Side('dialer', false);
  const answerer = new Side('answerer', true);
  dialer.pc.change();
  await dialer.idle();
  await answerer.receiveFrom(dialer);
  await dialer.receiveFrom(answerer);
  expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['stable', 'stable']);
  return { dialer, answerer };
}

describe('perfect negotiation', () => {
  it('makes an offer, answers it, and both ends agree on the descriptions', async () => {
    const { dialer, answerer } = await connected();
    expect(dialer.pc.currentLocalDescription?.sdp).to.equal('offer #1 from dialer, changes 1');
    expect(answerer.pc.currentRemoteDescription?.sdp).to.equal(dialer.pc.currentLocalDescription?.sdp);
    expect(dialer.pc.currentRemoteDescription?.sdp).to.equal(answerer.pc.currentLocalDescription?.sdp);
    // Transceivers readied before each description is made: protected for the offer, accepted for the answer.
    expect(dialer.readied).to.deep.equal(['protect']);
    expect(answerer.readied).to.deep.equal(['accept']);
  });

  it('glare: both offer at once; the polite side rolls back and answers, the impolite side ignores the offer, and both end stable', async () => {
    const { dialer, answerer } = await connected();
    dialer.pc.change();
    answerer.pc.change();
    await Promise.all([dialer.idle(), answerer.idle()]);
    expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['have-local-offer', 'have-local-offer']);
    const dialerOffer = dialer.sent('offer');
    const answererOffer = answerer.sent('offer');
    // The offers cross.
    await Promise.all([dialer.receiveFrom(answerer), answerer.receiveFrom(dialer)]);

    // The impolite dialer ignored the answerer's offer: not even checked, still waiting for its answer.
    expect(dialer.checked).not.to.include(answererOffer);
    expect(dialer.pc.signalingState).to.equal('have-local-offer');
    // The polite answerer took its own offer back and answered the dialer's; then, stable, it
    // offers its own change again.
    expect(answerer.pc.log.slice(2)).to.deep.equal(['offer', 'rollback', 'remote offer', 'answer', 'offer']);
    expect(answerer.pc.currentRemoteDescription?.sdp).to.equal(dialerOffer);

    // The answer reaches the dialer: both hold the dialer's offer and the answerer's answer.
    await dialer.receiveFrom(answerer, 1);
    expect(dialer.pc.signalingState).to.equal('stable');
    expect(dialer.pc.currentLocalDescription?.sdp).to.equal(dialerOffer);
    expect(dialer.pc.currentRemoteDescription?.sdp).to.equal(answerer.pc.currentLocalDescription?.sdp);
    // The answerer's change was not lost: its second offer goes through too.
    await dialer.receiveFrom(answerer);
    await answerer.receiveFrom(dialer);
    expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['stable', 'stable']);
    expect(dialer.pc.currentRemoteDescription?.sdp).to.equal('offer #2 from answerer, changes 1');
    expect(answerer.pc.currentRemoteDescription?.sdp).to.equal(dialer.pc.currentLocalDescription?.sdp);
  });

  it('an answer that arrives twice at once (through the broker and the channel, after a lost path) is applied once, and the link stays', async () => {
    const { dialer, answerer } = await connected();
    dialer.pc.change();
    await dialer.idle();
    await answerer.receiveFrom(dialer);
    const answer = answerer.outbox.find((m): m is Extract<Signal, { t: 'sdp' }> => m.t === 'sdp' && m.description.type === 'answer')!;
    // Both pass the state check before either is applied: the second fails in the connection.
    await Promise.all([dialer.negotiation.receive(answer.description), dialer.negotiation.receive(answer.description)]);
    expect(dialer.pc.signalingState).to.equal('stable');
    expect(dialer.closed).to.equal(0);
  });

  it('rollback: an answer to an offer taken back answers nothing, and is ignored', async () => {
    const dialer = new Side('dialer', false, false);
    const answerer = new Side('answerer', true);
    dialer.pc.change();
    await dialer.negotiation.negotiate();
    await answerer.receiveFrom(dialer);
    // The dialer takes its offer back (as an ICE restart does with one left unanswered).
    await dialer.pc.setLocalDescription({ type: 'rollback' });
    await dialer.receiveFrom(answerer);
    expect(dialer.pc.signalingState).to.equal('stable');
    expect(dialer.pc.log).to.deep.equal(['offer', 'rollback']);
    expect(dialer.closed).to.equal(0);
  });

  it('holds candidates that come before any remote description, and adds them once there is one', async () => {
    const dialer = new Side('dialer', false);
    const answerer = new Side('answerer', true);
    const early = [{ candidate: 'candidate:1 1 udp 1 192.0.2.1 5000 typ host', sdpMid: '0' }, null];
    for (const candidate of early) await answerer.negotiation.candidate(candidate);
    expect(answerer.pc.candidates).to.deep.equal([]);
    dialer.pc.change();
    await dialer.idle();
    await answerer.receiveFrom(dialer);
    expect(answerer.pc.candidates).to.deep.equal(early);
    // Once there is a remote description, a candidate is added at once.
    const late = { candidate: 'candidate:2 1 udp 1 192.0.2.2 5000 typ host', sdpMid: '0' };
    await answerer.negotiation.candidate(late);
    expect(answerer.pc.candidates).to.deep.equal([...early, late]);
    expect(answerer.closed).to.equal(0);
  });

  it('an ICE restart request on the dialer takes back an offer never answered and offers a restart', async () => {
    const { dialer, answerer } = await connected();
    dialer.pc.change();
    await dialer.idle();
    // That offer is lost on the way (the path went down with it).
    dialer.outbox.length = 0;
    await dialer.negotiation.restartIce();
    await dialer.idle();
    expect(dialer.pc.log.slice(-3)).to.deep.equal(['rollback', 'restartIce', 'offer']);
    expect(dialer.sent('offer')).to.match(/ice-restart$/);
    await answerer.receiveFrom(dialer);
    await dialer.receiveFrom(answerer);
    expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['stable', 'stable']);
    expect(answerer.pc.currentRemoteDescription?.sdp).to.match(/ice-restart$/);
  });

  it('the polite side never offers an ICE restart (the dialer does)', async () => {
    const { answerer } = await connected();
    await answerer.negotiation.restartIce();
    await answerer.idle();
    expect(answerer.pc.log).not.to.include('restartIce');
    expect(answerer.outbox).to.deep.equal([]);
  });

  it('applies no description the guard refuses', async () => {
    const dialer = new Side('dialer', false);
    const answerer = new Side('answerer', true);
    answerer.trusted = false;
    dialer.pc.change();
    await dialer.idle();
    await answerer.receiveFrom(dialer);
    expect(answerer.checked).to.have.length(1);
    expect(answerer.pc.remoteDescription?.sdp).to.equal(undefined);
    expect(answerer.outbox).to.deep.equal([]);
  });

  it('closes the link when a description cannot be applied', async () => {
    const answerer = new Side('answerer', true);
    await answerer.negotiation.receive({ type: 'offer', sdp: 'garbage' });
    expect(answerer.closed).to.equal(1);
    expect(answerer.pc.signalingState).to.equal('stable');
  });
});

/** One end on a real RTCPeerConnection (no ICE servers: host candidates on this machine). */
class RealSide {
  readonly pc = new RTCPeerConnection();
  readonly negotiation: Negotiation<RTCPeerConnection>;
  readonly outbox: Signal[] = [];
  closed = 0;
  #waiting: (() => void)[] = [];

  constructor(polite: boolean) {
    const link = {
      pc: () => this.pc,
      signal: (message: Signal) => {
        this.outbox.push(message);
        for (const wake of this.#waiting.splice(0)) wake();
      },
      close: () => this.closed++,
    };
    this.negotiation = new Negotiation(link, { checkRemote: () => true }, { protect: () => undefined, acceptOffer: () => undefined }, polite);
    this.pc.addEventListener('negotiationneeded', () => void this.negotiation.negotiate());
  }

  /** The next description of `type` this side sends (taken out of its outbox, with what came before it). */
  async take(type: 'offer' | 'answer'): Promise<{ type: 'offer' | 'answer'; sdp: string }> {
    for (;;) {
      const index = this.outbox.findIndex((m) => m.t === 'sdp' && m.description.type === type);
      if (index >= 0) return (this.outbox.splice(0, index + 1).at(-1) as Extract<Signal, { t: 'sdp' }>).description;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

}

const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];

describe('perfect negotiation between real connections', () => {
  /** Dialer and answerer, negotiated once (a data channel), stable. */
  async function realPair(): Promise<{ dialer: RealSide; answerer: RealSide }> {
    const dialer = new RealSide(false);
    const answerer = new RealSide(true);
    dialer.pc.createDataChannel('test');
    await answerer.negotiation.receive(await dialer.take('offer'));
    await dialer.negotiation.receive(await answerer.take('answer'));
    expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['stable', 'stable']);
    return { dialer, answerer };
  }

  /** Two ICE-restart offers from the dialer, the first taken back unanswered (its path was down). */
  async function twoRestarts(dialer: RealSide): Promise<[{ type: 'offer' | 'answer'; sdp: string }, { type: 'offer' | 'answer'; sdp: string }]> {
    await dialer.negotiation.restartIce();
    const first = await dialer.take('offer');
    await dialer.negotiation.restartIce();
    const second = await dialer.take('offer');
    expect(ufrag(second.sdp)).not.to.equal(ufrag(first.sdp));
    return [first, second];
  }

  const open: RTCPeerConnection[] = [];
  afterEach(() => {
    for (const pc of open.splice(0)) pc.close();
  });

  it('two renewed restart offers that arrive together are answered in turn, with answers, and the link stays', async () => {
    const { dialer, answerer } = await realPair();
    open.push(dialer.pc, answerer.pc);
    const [first, second] = await twoRestarts(dialer);
    // Both arrive at once (one through the broker, one over the channel now that it is back).
    await Promise.all([answerer.negotiation.receive(first), answerer.negotiation.receive(second)]);
    const answers = answerer.outbox.filter((m): m is Extract<Signal, { t: 'sdp' }> => m.t === 'sdp');
    expect(answers.map((m) => m.description.type)).to.deep.equal(['answer', 'answer']);
    // Each is an answer in fact, not an offer labelled one (an answer's DTLS role is settled).
    for (const { description } of answers) expect(description.sdp).not.to.match(/a=setup:actpass/);
    for (const { description } of answers) await dialer.negotiation.receive(description);
    expect([dialer.closed, answerer.closed]).to.deep.equal([0, 0]);
    expect([dialer.pc.signalingState, answerer.pc.signalingState]).to.deep.equal(['stable', 'stable']);
    expect(ufrag(answerer.pc.remoteDescription?.sdp)).to.equal(ufrag(dialer.pc.localDescription?.sdp));
  });

  it('a restart offer taken back and delivered after its successor is ignored: both ends keep the newer credentials', async () => {
    const { dialer, answerer } = await realPair();
    open.push(dialer.pc, answerer.pc);
    const [first, second] = await twoRestarts(dialer);
    await answerer.negotiation.receive(second);
    await dialer.negotiation.receive(await answerer.take('answer'));
    // The first comes late, through the broker.
    await answerer.negotiation.receive(first);
    expect(answerer.outbox.filter((m) => m.t === 'sdp')).to.deep.equal([]);
    expect(ufrag(answerer.pc.remoteDescription?.sdp)).to.equal(ufrag(dialer.pc.localDescription?.sdp));
    expect([dialer.closed, answerer.closed]).to.deep.equal([0, 0]);
  });
});

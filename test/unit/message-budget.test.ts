import { expect } from '@open-wc/testing';
import { MESSAGE_BUDGETS, MessageBudget, TOTAL_BUDGET } from '../../src/link/message-budget.js';

/** A budget on a clock the test moves by hand. */
function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** Sends `count` messages of `type`, `chars` long, `everyMs` apart; returns how many were admitted. */
function send(budget: MessageBudget, clock: ReturnType<typeof fakeClock>, type: string | undefined, count: number, everyMs: number, chars = 100): number {
  let admitted = 0;
  for (let i = 0; i < count; i++) {
    if (budget.admit(type, chars)) admitted++;
    clock.advance(everyMs);
  }
  return admitted;
}

describe('message budget', () => {
  it('drops a peer that sends 500 state messages at once, and stays closed to it', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    expect(send(budget, clock, 'state', 500, 0)).to.equal(MESSAGE_BUDGETS.state!.burst);
    expect(budget.exceeded).to.equal('state: rate');
    clock.advance(60_000);
    expect(budget.admit('hb', 20)).to.equal(false);
  });

  it('never trips on an hour of honest traffic', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    // One second at a time: a heartbeat; every 3 s an ICE restart (an offer or answer and 30
    // candidates at once); every 5 s a roster of 63; a state change and a 2000-character chat
    // every 2 s; a key and its acknowledgement every 10 s.
    for (let second = 0; second < 3600; second++) {
      const ok = [budget.admit('hb', 10)];
      if (second % 3 === 0) {
        ok.push(budget.admit('sdp', 8_000));
        for (let i = 0; i < 30; i++) ok.push(budget.admit('ice', 300));
      }
      if (second % 5 === 0) ok.push(budget.admit('roster', 63 * 120));
      if (second % 2 === 0) ok.push(budget.admit('state', 150), budget.admit('chat', 2_100), budget.admit('sealed', 3_000));
      if (second % 10 === 0) ok.push(budget.admit('key', 60), budget.admit('key-ack', 30));
      expect(ok.every(Boolean), `second ${second}: ${budget.exceeded}`).to.equal(true);
      clock.advance(1000);
    }
    expect(budget.exceeded).to.equal(null);
  });

  it('takes the burst queued while this page was stalled for a minute', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    expect(send(budget, clock, 'hb', 10, 1000)).to.equal(10);
    // A minute with the main thread blocked: 60 heartbeats, 20 restarts' candidates, 12 rosters
    // and 30 state changes arrive together.
    clock.advance(60_000);
    expect(send(budget, clock, 'hb', 60, 0)).to.equal(60);
    expect(send(budget, clock, 'ice', 400, 0)).to.equal(400);
    expect(send(budget, clock, 'roster', 12, 0)).to.equal(12);
    expect(send(budget, clock, 'state', 30, 0)).to.equal(30);
    expect(budget.exceeded).to.equal(null);
  });

  it('refills by the clock: a sustained rate above the allowance trips, one below it does not', () => {
    const below = fakeClock();
    const calm = new MessageBudget(below.now);
    // 4 state messages a second for ten minutes: under 5/s.
    expect(send(calm, below, 'state', 2400, 250)).to.equal(2400);
    const above = fakeClock();
    const flood = new MessageBudget(above.now);
    // 10 a second: the burst of 50 lasts 10 s.
    const admitted = send(flood, above, 'state', 2400, 100);
    expect(admitted).to.be.within(95, 105);
    expect(flood.exceeded).to.equal('state: rate');
  });

  it('drops a message over its type size, whatever the rate', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    expect(budget.admit('hb', MESSAGE_BUDGETS.hb!.maxChars)).to.equal(true);
    expect(budget.admit('hb', MESSAGE_BUDGETS.hb!.maxChars + 1)).to.equal(false);
    expect(budget.exceeded).to.equal('hb: size');
  });

  it('caps the characters per second of all types together', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    // sdp messages of 60 000 characters, 5 a second: each within its type, 300 000/s in total.
    let admitted = 0;
    for (let i = 0; i < 1000 && budget.admit('sdp', 60_000); i++) {
      admitted++;
      clock.advance(200);
    }
    expect(budget.exceeded).to.equal('total: rate');
    const seconds = (admitted * 200) / 1000;
    expect(admitted * 60_000).to.be.at.most(TOTAL_BUDGET.burst + seconds * TOTAL_BUDGET.perSecond + 60_000);
  });

  it('counts unparsed messages toward the total only', () => {
    const clock = fakeClock();
    const budget = new MessageBudget(clock.now);
    expect(send(budget, clock, undefined, 1000, 0, 1000)).to.equal(1000);
    expect(budget.admit(undefined, TOTAL_BUDGET.burst)).to.equal(false);
    expect(budget.exceeded).to.equal('total: rate');
  });
});

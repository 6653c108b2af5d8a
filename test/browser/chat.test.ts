/**
 * Chat over the data channels: to everyone in the call, shown as text (a message from a sender
 * not verified yet marked so), with an unread badge, and off when the page says so.
 */
import { expect } from '@open-wc/testing';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { Room } from '../../src/room/room.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { mountRooms, nextEvent, uniqueRoom, waitFor } from './helpers.js';

type Message = { local: boolean; id: string; name: string; text: string; time: number; verified: boolean; recipients?: number };

function part(el: VideoRoomElement, name: string): HTMLElement | null {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
}

function coreRoom(el: VideoRoomElement): Room {
  return (el as unknown as { roomCtl: { room: Room } }).roomCtl.room;
}

function collect(el: VideoRoomElement, type: string): Message[] {
  const seen: Message[] = [];
  el.addEventListener(type, (event) => seen.push((event as CustomEvent<Message>).detail));
  return seen;
}

async function joinedPair(prefix: string, secret: string | null): Promise<[VideoRoomElement, VideoRoomElement]> {
  const [a, b] = await mountRooms(2, uniqueRoom(prefix));
  if (secret) a!.secret = b!.secret = secret;
  await Promise.all([a!.join(), b!.join()]);
  await waitFor(() => a!.participants.length === 1 && b!.participants.length === 1, 'a and b in one call');
  return [a!, b!];
}

describe('chat', function () {
  this.timeout(90_000);

  it('with a secret: a message reaches the other side as text, with an unread badge until the panel opens; the panel sends too', async () => {
    const [a, b] = await joinedPair('chat', 'chat secret');
    await waitFor(() => a.participants[0]?.verified && b.participants[0]?.verified, 'both verified');
    const atA = collect(a, EVENTS.message);
    const received = nextEvent<Message>(b, EVENTS.message);
    const hostile = '<img src=x onerror="window.__pwned=1"> hi\nthere';
    expect(a.sendMessage(hostile)).to.equal(true);
    expect(atA).to.have.length(1);
    expect(atA[0]).to.include({ local: true, text: hostile, recipients: 1, name: 'P0', verified: true });
    const message = await received;
    expect(message).to.include({ local: false, id: b.participants[0]!.id, name: 'P0', text: hostile, verified: true });
    expect(Math.abs(message.time - Date.now())).to.be.lessThan(10_000);

    await b.updateComplete;
    expect(part(b, 'unread-badge')!.textContent!.trim()).to.equal('1');
    // The badge is for the eye; the button's name says it in words.
    expect(part(b, 'unread-badge')!.getAttribute('aria-hidden')).to.equal('true');
    expect(part(b, 'chat-button')!.querySelector('.visually-hidden:not(.tip)')!.textContent).to.equal('1 unread');
    expect(part(b, 'chat-button')!.textContent!.replace(/\s+/g, ' ').trim()).to.equal('Chat 1 1 unread'); // the name reads "Chat 1 unread" (the digit is aria-hidden)
    expect(part(b, 'chat')).to.equal(null);
    part(b, 'chat-button')!.click();
    await b.updateComplete;
    expect(part(b, 'unread-badge')).to.equal(null);
    expect(part(b, 'chat-button')!.getAttribute('aria-expanded')).to.equal('true');
    const log = part(b, 'chat-log')!;
    expect(log.textContent).to.contain('<img src=x onerror="window.__pwned=1"> hi\nthere');
    expect(b.shadowRoot!.querySelector('img')).to.equal(null);
    expect((window as unknown as { __pwned?: number }).__pwned).to.equal(undefined);

    // From the panel: a message that cannot be sent stays in the field; a good one goes and clears it.
    const input = part(b, 'chat-input') as HTMLInputElement;
    input.value = '   ';
    const refused = nextEvent<{ code: string }>(b, EVENTS.error);
    part(b, 'send-button')!.click();
    expect((await refused).code).to.equal(ERROR_CODES.invalidMessage);
    await b.updateComplete;
    expect(input.value).to.equal('   ');
    const reply = nextEvent<Message>(a, EVENTS.message);
    input.value = 'reply from b';
    part(b, 'send-button')!.click();
    expect(await reply).to.include({ local: false, text: 'reply from b', name: 'P1', verified: true });
    await b.updateComplete;
    expect(input.value).to.equal('');
    expect([...log.querySelectorAll('.chat-message')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim())).to.deep.equal([
      'P0 <img src=x onerror="window.__pwned=1"> hi there',
      'You reply from b',
    ]);
    // Everyone proved the secret: no message is marked, and no note.
    expect(log.querySelector('[part~="chat-unverified"]')).to.equal(null);
    expect(b.shadowRoot!.querySelector('.chat-note')).to.equal(null);
    // a never opened its panel: one unread message.
    await a.updateComplete;
    expect(part(a, 'unread-badge')!.textContent!.trim()).to.equal('1');
  });

  it('with short codes: a message arrives before any code is compared, both ways, marked unverified; after confirming, unmarked; "they don\'t match" stops it', async () => {
    const [a, b] = await joinedPair('chat-sas', null);
    const atA = collect(a, EVENTS.message);
    const atB = collect(b, EVENTS.message);
    const aId = b.participants[0]!.id;
    const bId = a.participants[0]!.id;
    expect([a.participants[0]!.verified, b.participants[0]!.verified]).to.deep.equal([false, false]);

    // Nobody compared a code. The old rule sent to nobody (recipients 0) and held what came in
    // until a confirmation this test never makes, so every wait below would time out.
    expect(a.sendMessage('early from a')).to.equal(true);
    expect(atA.at(-1)).to.include({ local: true, verified: true, recipients: 1 });
    const fromAatB = await waitFor(() => atB.find((m) => !m.local), 'a’s message at b before any code is compared');
    expect(fromAatB).to.include({ id: aId, name: 'P0', text: 'early from a', verified: false });
    expect(b.sendMessage('early from b')).to.equal(true);
    expect(atB.at(-1)).to.include({ local: true, verified: true, recipients: 1 });
    const fromBatA = await waitFor(() => atA.find((m) => !m.local), 'b’s message at a before any code is compared');
    expect(fromBatA).to.include({ id: bId, name: 'P1', text: 'early from b', verified: false });

    // In b's panel: the message is marked, in words, inside the message, and visible; our own is not.
    part(b, 'chat-button')!.click();
    await b.updateComplete;
    const messages = () => [...part(b, 'chat-log')!.querySelectorAll<HTMLElement>('.chat-message')];
    const [fromA, mine] = messages();
    const mark = fromA!.querySelector<HTMLElement>('[part~="chat-unverified"]')!;
    expect(mark.textContent!.trim()).to.equal('Unverified');
    expect(mark.checkVisibility({ visibilityProperty: true, opacityProperty: true })).to.equal(true);
    const box = mark.getBoundingClientRect();
    expect(box.width > 0 && box.height > 0).to.equal(true);
    expect(fromA!.textContent!.replace(/\s+/g, ' ').trim()).to.equal('P0 Unverified early from a');
    expect(mine!.querySelector('[part~="chat-unverified"]')).to.equal(null);
    expect(b.shadowRoot!.querySelector('.chat-note')!.textContent).to.contain('including people you have not verified');
    for (const theme of ['dark', 'light']) {
      b.theme = theme;
      await b.updateComplete;
      await expect(b).to.be.accessible();
    }

    // b confirms a's code: a's next message is verified at b and unmarked; the early one keeps its mark.
    await waitFor(() => b.participants[0]?.verificationCode, 'b has a’s code');
    expect(b.verifyParticipant(aId)).to.equal(true);
    const later = nextEvent<Message>(b, EVENTS.message);
    expect(a.sendMessage('after b confirmed')).to.equal(true);
    expect(await later).to.include({ local: false, text: 'after b confirmed', verified: true });
    await b.updateComplete;
    const [early, , confirmed] = messages();
    expect(confirmed!.textContent).to.contain('after b confirmed');
    expect(confirmed!.querySelector('[part~="chat-unverified"]')).to.equal(null);
    expect(early!.querySelector('[part~="chat-unverified"]')).to.not.equal(null);
    // a has not confirmed b: b's messages still arrive at a, still marked.
    const stillUnverified = nextEvent<Message>(a, EVENTS.message);
    expect(b.sendMessage('a has not confirmed me')).to.equal(true);
    expect(await stillUnverified).to.include({ text: 'a has not confirmed me', verified: false });

    // a finds b's code does not match: the connection closes, and chat goes to nobody.
    await waitFor(() => a.participants[0]?.verificationCode, 'a has b’s code');
    const failed = nextEvent<{ code: string; reason: string }>(a, EVENTS.peerVerificationFailed);
    expect(a.verifyParticipant(bId, false)).to.equal(true);
    expect(await failed).to.include({ code: ERROR_CODES.e2eeMitmSuspected, reason: 'rejected' });
    await waitFor(() => a.participants.length === 0 && b.participants.length === 0, 'the rejected connection is gone');
    expect(a.sendMessage('to nobody')).to.equal(true);
    expect(atA.at(-1)).to.include({ local: true, text: 'to nobody', recipients: 0 });
    expect(b.sendMessage('to nobody either')).to.equal(true);
    expect(atB.at(-1)).to.include({ local: true, text: 'to nobody either', recipients: 0 });
  });

  it('chat="off": no chat button, sendMessage refuses, and messages that come in are not shown; outside a call it refuses too', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('chat-off'));
    a!.setAttribute('chat', 'off');
    const before = nextEvent<{ code: string }>(b!, EVENTS.error);
    expect(b!.sendMessage('hello?')).to.equal(false);
    expect((await before).code).to.equal(ERROR_CODES.chatUnavailable);
    a!.secret = b!.secret = 'quiet room';
    await Promise.all([a!.join(), b!.join()]);
    await waitFor(() => a!.participants[0]?.verified && b!.participants[0]?.verified, 'both verified');
    await a!.updateComplete;
    expect(part(a!, 'chat-button')).to.equal(null);
    expect(part(b!, 'chat-button')).to.not.equal(null);
    const refused = nextEvent<{ code: string }>(a!, EVENTS.error);
    expect(a!.sendMessage('hi')).to.equal(false);
    expect((await refused).code).to.equal(ERROR_CODES.chatUnavailable);
    const shown = collect(a!, EVENTS.message);
    const arrived = new Promise<string>((resolve) => coreRoom(a!).on('chat', ({ text }) => resolve(text)));
    expect(b!.sendMessage('anyone?')).to.equal(true);
    // The room got it (the element's own handler ran first, in the same dispatch), and showed nothing.
    expect(await arrived).to.equal('anyone?');
    expect(shown).to.deep.equal([]);
    const bad = nextEvent<{ code: string }>(a!, EVENTS.error);
    a!.setAttribute('chat', 'of');
    expect((await bad).code).to.equal(ERROR_CODES.invalidChat);
  });
});

/**
 * Chat over the data channels: to verified participants only, shown as text, with an unread
 * badge, and off when the page says so.
 */
import { expect } from '@open-wc/testing';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { Room } from '../../src/core/room.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { mountRooms, nextEvent, uniqueRoom, waitFor } from './helpers.js';

type Message = { local: boolean; id: string; name: string; text: string; time: number; recipients?: number };

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
    expect(atA[0]).to.include({ local: true, text: hostile, recipients: 1, name: 'P0' });
    const message = await received;
    expect(message).to.include({ local: false, id: b.participants[0]!.id, name: 'P0', text: hostile });
    expect(Math.abs(message.time - Date.now())).to.be.lessThan(10_000);

    await b.updateComplete;
    expect(part(b, 'unread-badge')!.textContent!.trim()).to.equal('1');
    // The badge is for the eye; the button's name says it in words.
    expect(part(b, 'unread-badge')!.getAttribute('aria-hidden')).to.equal('true');
    expect(part(b, 'chat-button')!.querySelector('.visually-hidden')!.textContent).to.equal('1 unread');
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
    expect(await reply).to.include({ local: false, text: 'reply from b', name: 'P1' });
    await b.updateComplete;
    expect(input.value).to.equal('');
    expect([...log.querySelectorAll('.chat-message')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim())).to.deep.equal([
      'P0 <img src=x onerror="window.__pwned=1"> hi there',
      'You reply from b',
    ]);
    // a never opened its panel: one unread message.
    await a.updateComplete;
    expect(part(a, 'unread-badge')!.textContent!.trim()).to.equal('1');
  });

  it('with short codes: messages go only to those whose code this person confirmed; one from someone not yet confirmed waits for it', async () => {
    const [a, b] = await joinedPair('chat-sas', null);
    await waitFor(() => a.participants[0]?.verificationCode && b.participants[0]?.verificationCode, 'both codes');
    const atA = collect(a, EVENTS.message);
    const atB = collect(b, EVENTS.message);
    // Only a confirms: b has not, so b sends to nobody.
    expect(a.verifyParticipant(a.participants[0]!.id)).to.equal(true);
    expect(b.sendMessage('early from b')).to.equal(true);
    expect(atB.at(-1)).to.include({ local: true, recipients: 0 });
    // a sends to b, who has not confirmed a: held, not shown.
    expect(a.sendMessage('from a')).to.equal(true);
    const held = (coreRoom(b) as unknown as { heldChat: Map<string, string[]> }).heldChat;
    await waitFor(() => held.get(b.participants[0]!.id)?.length === 1, 'b holding a’s message');
    expect(atB.filter((m) => !m.local)).to.deep.equal([]);
    b.shadowRoot!.querySelector<HTMLButtonElement>('[part~="chat-button"]')!.click();
    await b.updateComplete;
    expect(b.shadowRoot!.querySelector('.chat-note')!.textContent).to.contain('only to participants you have verified');
    // b confirms: a's message shows now, and b's messages go to a.
    expect(b.verifyParticipant(b.participants[0]!.id)).to.equal(true);
    expect(atB.filter((m) => !m.local).map((m) => m.text)).to.deep.equal(['from a']);
    const now = nextEvent<Message>(a, EVENTS.message);
    expect(b.sendMessage('now from b')).to.equal(true);
    expect((await now).text).to.equal('now from b');
    // The channel is ordered: had the early message gone, it would have come first.
    expect(atA.filter((m) => !m.local).map((m) => m.text)).to.deep.equal(['now from b']);
    await b.updateComplete;
    expect(b.shadowRoot!.querySelector('.chat-note')).to.equal(null);
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

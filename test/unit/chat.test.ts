import { expect } from '@open-wc/testing';
import { CHAT_LOG_SIZE, ChatLog, MAX_CHAT_LENGTH, cleanChatText } from '../../src/chat/chat.js';
import { parseMessage, encodeMessage } from '../../src/signalling/protocol.js';

describe('chat text and log', () => {
  it('keeps line breaks and tabs, drops other control and direction-override characters, trims', () => {
    expect(cleanChatText('  hello\nworld\tok  ')).to.equal('hello\nworld\tok');
    expect(cleanChatText('a\u0000b\u001bc\u202ed\u2066e\u007f')).to.equal('abcde');
    expect(cleanChatText('<img src=x onerror=alert(1)>')).to.equal('<img src=x onerror=alert(1)>');
  });

  it('refuses empty, blank, non-text and overlong messages', () => {
    for (const bad of ['', '   \n ', '\u0000', 42, null, undefined, {}, ['x'], 'x'.repeat(MAX_CHAT_LENGTH + 1)]) expect(cleanChatText(bad)).to.equal(null);
    expect(cleanChatText('x'.repeat(MAX_CHAT_LENGTH))).to.have.length(MAX_CHAT_LENGTH);
  });

  it('parses a chat message only with valid text', () => {
    expect(parseMessage(encodeMessage({ t: 'chat', text: 'hi there' }))).to.deep.equal({ t: 'chat', text: 'hi there' });
    expect(parseMessage('{"t":"chat","text":" \\u0000hi "}')).to.deep.equal({ t: 'chat', text: 'hi' });
    for (const raw of ['{"t":"chat"}', '{"t":"chat","text":""}', '{"t":"chat","text":7}', `{"t":"chat","text":"${'x'.repeat(MAX_CHAT_LENGTH + 1)}"}`])
      expect(parseMessage(raw), raw.slice(0, 40)).to.equal(null);
  });

  it('counts unread messages from others only, clears them when read, and keeps the newest', () => {
    const log = new ChatLog();
    log.add({ local: false, id: 'a', name: 'A', text: '1', time: 1, verified: false }, false);
    log.add({ local: true, id: 'me', name: 'Me', text: '2', time: 2, verified: true }, false);
    log.add({ local: false, id: 'a', name: 'A', text: '3', time: 3, verified: true }, true);
    expect(log.unread).to.equal(1);
    // Each message keeps the mark it arrived with.
    expect(log.messages.map((m) => m.verified)).to.deep.equal([false, true, true]);
    log.markRead();
    expect(log.unread).to.equal(0);
    for (let i = 0; i < CHAT_LOG_SIZE + 5; i++) log.add({ local: false, id: 'a', name: 'A', text: `m${i}`, time: i, verified: true }, false);
    expect(log.messages).to.have.length(CHAT_LOG_SIZE);
    expect(log.messages.at(-1)!.text).to.equal(`m${CHAT_LOG_SIZE + 4}`);
    expect(log.unread).to.equal(CHAT_LOG_SIZE);
    log.clear();
    expect([log.messages.length, log.unread]).to.deep.equal([0, 0]);
  });
});

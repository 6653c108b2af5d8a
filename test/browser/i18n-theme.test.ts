/**
 * Languages and themes: the element speaks its page's language (or its own `lang`), takes a
 * page's own texts, and is light or dark as the system says unless the page chooses.
 */
import { expect, fixture, html } from '@open-wc/testing';
import { emulateMedia } from '@web/test-runner-commands';
import { ERROR_CODES, EVENTS } from '../../src/constants.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { SERVER, nextEvent, uniqueRoom, waitFor } from './helpers.js';

function part(el: VideoRoomElement, name: string): HTMLElement {
  return el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`)!;
}

function text(el: VideoRoomElement, name: string): string {
  return part(el, name).textContent!.replace(/\s+/g, ' ').trim();
}

async function mount(markup: ReturnType<typeof html>): Promise<VideoRoomElement> {
  const container = await fixture<HTMLElement>(markup);
  const el = container.localName === 'video-room' ? (container as VideoRoomElement) : container.querySelector('video-room')!;
  await el.updateComplete;
  return el;
}

describe('languages and themes', function () {
  this.timeout(60_000);

  it('lang="de": the first render is already German (the translation loads before it)', async () => {
    const container = await fixture<HTMLElement>(html`<div></div>`);
    const el = document.createElement('video-room');
    el.setAttribute('lang', 'de');
    el.room = uniqueRoom('de');
    el.server = SERVER;
    const rendered: string[] = [];
    // Every render, as it happens: English must never be drawn first.
    const observer = new MutationObserver(() => {
      const join = el.shadowRoot?.querySelector('[part~="join-button"]');
      if (join) rendered.push(join.textContent!.trim());
    });
    container.append(el);
    observer.observe(el.shadowRoot ?? el, { subtree: true, childList: true, characterData: true });
    await el.updateComplete;
    observer.disconnect();
    expect(text(el, 'join-button')).to.equal('Beitreten');
    expect(text(el, 'status')).to.equal('Bereit zum Beitreten');
    expect(el.shadowRoot!.querySelector('input[name="name"]')!.closest('label')!.textContent!.trim()).to.equal('Dein Name');
    expect(rendered.filter((t) => t !== 'Beitreten')).to.deep.equal([]);
  });

  it('without its own lang it takes the nearest lang of the page (pt-BR → Portuguese); an unknown one shows English; a change applies at once', async () => {
    const fr = await mount(html`<section lang="fr"><div><video-room room=${uniqueRoom('fr')} server=${SERVER}></video-room></div></section>`);
    await waitFor(() => text(fr, 'join-button') === 'Rejoindre', 'French');
    const pt = await mount(html`<div lang="pt-BR"><video-room room=${uniqueRoom('pt')} server=${SERVER}></video-room></div>`);
    await waitFor(() => text(pt, 'join-button') === 'Entrar', 'Portuguese');
    const ja = await mount(html`<div lang="ja"><video-room room=${uniqueRoom('ja')} server=${SERVER}></video-room></div>`);
    expect(text(ja, 'join-button')).to.equal('Join');
    ja.setAttribute('lang', 'es');
    await waitFor(() => text(ja, 'join-button') === 'Entrar' && text(ja, 'status') === 'Listo para entrar', 'Spanish');
    ja.removeAttribute('lang');
    await waitFor(() => text(ja, 'join-button') === 'Join', 'back to English');
  });

  it('shows errors in its language (vr-error keeps the English message for logs)', async () => {
    const el = await mount(html`<video-room lang="fr" room="" server=${SERVER}></video-room>`);
    const error = nextEvent<{ code: string; message: string }>(el, EVENTS.error);
    await el.join();
    expect(await error).to.deep.equal({ code: ERROR_CODES.invalidRoom, message: 'No room name was given.' });
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.message')!.textContent).to.equal('Aucun nom de salon n’a été donné.');
  });

  it('strings overrides any text and any error message; bad entries fire invalid-strings and change nothing', async () => {
    const el = await mount(html`<video-room room="" server=${SERVER}></video-room>`);
    el.strings = { join: 'Enter the room', errors: { 'invalid-room': 'Pick a room first.' } };
    await el.updateComplete;
    expect(text(el, 'join-button')).to.equal('Enter the room');
    await el.join();
    await el.updateComplete;
    expect(el.shadowRoot!.querySelector('.message')!.textContent).to.equal('Pick a room first.');
    const bad = nextEvent<{ code: string; message: string }>(el, EVENTS.error);
    el.strings = { join: 7, leeve: 'Bye' } as unknown as VideoRoomElement['strings'];
    const detail = await bad;
    expect(detail.code).to.equal(ERROR_CODES.invalidStrings);
    expect(detail.message).to.contain('join').and.contain('leeve');
    await el.updateComplete;
    expect(text(el, 'join-button')).to.equal('Join');
    // Overrides sit on the language's own texts.
    el.strings = { mute: 'Stummschalten' };
    el.setAttribute('lang', 'de');
    await waitFor(() => text(el, 'join-button') === 'Beitreten', 'German');
    expect(text(el, 'mute-button')).to.equal('Stummschalten');
  });

  it('is dark or light as the system prefers (switched in Chromium), unless theme says; --vr-* properties still win; a bad theme fires invalid-theme', async () => {
    const el = await mount(html`<video-room room=${uniqueRoom('theme')} server=${SERVER}></video-room>`);
    const background = () => getComputedStyle(el).backgroundColor;
    const DARK = 'rgb(24, 24, 27)';
    const LIGHT = 'rgb(250, 250, 250)';
    const system = () => (matchMedia('(prefers-color-scheme: dark)').matches ? DARK : LIGHT);
    // Firefox through WebDriver BiDi cannot emulate the preference: there, the element must match the one it has.
    const emulate = navigator.userAgent.includes('Firefox') ? null : emulateMedia;
    try {
      expect(background()).to.equal(system());
      if (emulate) {
        await emulate({ colorScheme: 'dark' });
        await waitFor(() => background() === DARK, 'dark, as the system prefers');
        await emulate({ colorScheme: 'light' });
        await waitFor(() => background() === LIGHT, 'light, as the system prefers');
      }
      el.theme = 'dark';
      await el.updateComplete;
      expect(el.getAttribute('theme')).to.equal('dark');
      expect(background()).to.equal(DARK);
      // Names over video stay light on their veil in either theme.
      el.theme = 'light';
      await el.updateComplete;
      expect(background()).to.equal(LIGHT);
      expect(getComputedStyle(part(el, 'name')).color).to.equal('rgb(255, 255, 255)');
      expect(getComputedStyle(el).color).to.equal('rgb(24, 24, 27)');
      el.style.setProperty('--vr-background', 'rgb(1, 2, 3)');
      expect(background()).to.equal('rgb(1, 2, 3)');
      el.style.removeProperty('--vr-background');
      const bad = nextEvent<{ code: string }>(el, EVENTS.error);
      el.theme = 'sepia';
      expect((await bad).code).to.equal(ERROR_CODES.invalidTheme);
      await el.updateComplete;
      expect(background()).to.equal(system());
      if (emulate) {
        await emulate({ colorScheme: 'dark' });
        await waitFor(() => background() === DARK, 'a bad theme follows the system');
      }
    } finally {
      await emulate?.({ colorScheme: 'light' });
    }
  });
});

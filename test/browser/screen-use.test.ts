/**
 * The call screen in use: the "more" menu and the tooltips from the keyboard, the "+N" tile that
 * turns the page (25 people), the short-code panel without an emoji font, axe in both themes, and
 * hosts that give the element no height, three rooms on one page, or a 300-px sidebar. The calls
 * are the seam of screen-fixture.ts (a FakeRoom, canvas videos); screenshots go to screenshots/.
 */
import { expect, fixture, fixtureCleanup, html } from '@open-wc/testing';
import { sendKeys, setViewport } from '@web/test-runner-commands';
import { drawsColourEmoji } from '../../src/element/views/emoji.js';
import type { VideoRoomElement } from '../../src/video-room.component.js';
import { waitFor } from './helpers.js';
import { CODE, callScreen, inCall, inside, problems, screenshot, settled } from './screen-fixture.js';

const part = (el: VideoRoomElement, name: string) => el.shadowRoot!.querySelector<HTMLElement>(`[part~="${name}"]`);
const focused = (el: VideoRoomElement) => el.shadowRoot!.activeElement as HTMLElement | null;
const menuItems = (el: VideoRoomElement) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('[role=menu] [role^=menuitem]')];
const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
/** The ids of the people the grid shows now. */
const shownIds = (el: VideoRoomElement) => [...el.shadowRoot!.querySelectorAll<HTMLElement>('.grid > .tile')].map((t) => t.dataset.id!);

/** Whether `el` shows it has keyboard focus: an outline (or a ring) a person can see. */
function focusVisible(el: HTMLElement): boolean {
  const style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
}

describe('the call screen in use', function () {
  this.timeout(120_000);
  afterEach(() => fixtureCleanup());

  it('the "more" menu follows the ARIA menu-button pattern from the keyboard, and each button shows its name on keyboard focus', async () => {
    // At 320 px every optional button is in the menu, whichever the browser offers.
    const { el, store } = await callScreen({ width: 320, height: 640, people: 4 });
    const more = part(el, 'more-button')!;
    const menu = part(el, 'more-menu')!;
    expect(more.getAttribute('aria-haspopup')).to.equal('menu');
    expect(more.getAttribute('aria-controls')).to.equal(menu.id);
    expect(menu.getAttribute('role')).to.equal('menu');
    expect(menu.hidden).to.equal(true);

    // The tooltip: hidden until the button has keyboard focus, then the button's name, in view,
    // in English and in French (longer names; the first and last buttons' reach past the bar's ends).
    const mic = part(el, 'mute-button')!;
    expect(mic.querySelector<HTMLElement>('.tip')!.getBoundingClientRect().width).to.be.at.most(1);
    for (const lang of ['en', 'fr']) {
      el.lang = lang;
      await waitFor(async () => (await el.updateComplete) && mic.querySelector('.tip')!.textContent!.trim() === (lang === 'en' ? 'Mute' : 'Couper le micro'), `the texts in ${lang}`);
      const buttons = [...el.shadowRoot!.querySelectorAll<HTMLElement>('.controls > .icon-button, .controls .more-menu > .icon-button')];
      for (const button of buttons) {
        const name = `${lang}: ${button.getAttribute('part')}`;
        button.focus();
        await sendKeys({ press: 'Shift' }); // a key press: the focus is now the keyboard's
        const tip = button.querySelector<HTMLElement>('.tip')!;
        const r = tip.getBoundingClientRect();
        expect(tip.textContent!.trim(), name).to.not.equal('');
        expect(r.width, `${name}'s tooltip`).to.be.greaterThan(20);
        expect(inside(r, el.getBoundingClientRect()), `${name}'s tooltip inside the element`).to.equal(true);
        expect(tip.scrollWidth, `${name}'s tooltip not clipped`).to.be.at.most(tip.clientWidth + 1);
        expect(focusVisible(button), `${name} shows focus`).to.equal(true);
      }
    }
    mic.focus();
    await sendKeys({ press: 'Shift' });
    await screenshot('use-320x640-tooltip');

    // ArrowDown opens the menu on its first item; arrows wrap; Home and End; Escape returns to the button.
    more.focus();
    await sendKeys({ press: 'ArrowDown' });
    await el.updateComplete;
    const items = menuItems(el);
    expect(items.length).to.be.greaterThan(1);
    expect(menu.hidden).to.equal(false);
    expect(more.getAttribute('aria-expanded')).to.equal('true');
    expect(focused(el)).to.equal(items[0]);
    expect(focusVisible(items[0]!)).to.equal(true);
    await sendKeys({ press: 'ArrowDown' });
    expect(focused(el)).to.equal(items[1]);
    await sendKeys({ press: 'ArrowUp' });
    await sendKeys({ press: 'ArrowUp' });
    expect(focused(el)).to.equal(items.at(-1));
    await sendKeys({ press: 'Home' });
    expect(focused(el)).to.equal(items[0]);
    await sendKeys({ press: 'End' });
    expect(focused(el)).to.equal(items.at(-1));
    await screenshot('use-320x640-menu');
    expect(problems(el)).to.deep.equal([]);
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(menu.hidden).to.equal(true);
    expect(more.getAttribute('aria-expanded')).to.equal('false');
    expect(focused(el)).to.equal(more);

    // ArrowUp opens it on the last item; Tab leaves it closed.
    await sendKeys({ press: 'ArrowUp' });
    await el.updateComplete;
    expect(focused(el)).to.equal(menuItems(el).at(-1));
    await sendKeys({ press: 'Tab' });
    await el.updateComplete;
    expect(menu.hidden).to.equal(true);

    // Enter on the button opens it; Enter on an item does what it says, closes the menu and gives the focus back.
    more.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    const settings = menuItems(el).find((item) => item.getAttribute('part') === 'settings-button')!;
    settings.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(store.getState().settingsOpen).to.equal(true);
    expect(part(el, 'more-menu')!.hidden).to.equal(true);
    expect(focused(el)).to.equal(part(el, 'more-button'));
  });

  it('the "+N" tile turns the page: 25 people at a laptop and at a phone size, you on every page, everyone on one of them', async () => {
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ] as const) {
      const { el } = await callScreen({ width, height, people: 25 });
      const everyone = new Set<string>();
      const pages: string[][] = [];
      for (;;) {
        const ids = shownIds(el);
        if (pages.length && ids.join() === pages[0]!.join()) break; // back at the first page
        expect(pages.length, 'pages').to.be.below(25);
        pages.push(ids);
        ids.forEach((id) => everyone.add(id));
        expect(ids[0], 'you, first on every page').to.equal('me');
        const tile = part(el, 'more-tile')!;
        expect(tile.textContent!.trim()).to.match(/^\+\d+$/);
        expect(Number(tile.textContent!.trim().slice(1))).to.equal(25 - ids.length);
        expect(tile.getAttribute('aria-label')).to.match(/more people: show page \d+ of \d+$/);
        expect(problems(el), `${width}x${height}, page ${pages.length}`).to.deep.equal([]);
        if (pages.length === 1) await screenshot(`use-${width}x${height}-25`);
        tile.click();
        await settled(el);
      }
      expect(pages.length).to.be.greaterThan(1);
      expect(everyone.size, 'everyone on some page').to.equal(25);
      expect(Math.max(...pages.map((p) => p.length + 1)), 'tiles on a page').to.be.at.most(width < 600 ? 9 : 16);
      fixtureCleanup();
    }
  });

  it('the short code is readable without an emoji font: each symbol named in large type, numbered, inside the panel', async () => {
    for (const [width, height] of [
      [390, 844],
      [1280, 800],
    ] as const) {
      const { el } = await callScreen({ width, height, people: 2 });
      part(el, 'verify-button')!.click();
      await el.updateComplete;
      const panel = part(el, 'verification')!;
      const code = part(el, 'short-code')!;
      const items = [...code.querySelectorAll('li')];
      expect(items.map((li) => li.querySelector('.code-name')!.textContent!.trim())).to.deep.equal(CODE.map(([, name]) => name));
      // The names are the code: large, unclipped, inside the panel; the numbers give their order.
      for (const [i, li] of items.entries()) {
        const name = li.querySelector<HTMLElement>('.code-name')!;
        expect(parseFloat(getComputedStyle(name).fontSize)).to.be.at.least(18);
        expect(name.scrollWidth).to.be.at.most(name.clientWidth + 1);
        expect(inside(li.getBoundingClientRect(), panel.getBoundingClientRect())).to.equal(true);
        expect(getComputedStyle(li, '::before').content).to.match(new RegExp(`^"?${i + 1}"?$|counter`));
      }
      // A symbol is drawn only where the machine draws it in colour: no empty boxes.
      expect(code.querySelectorAll('.emoji').length).to.equal(drawsColourEmoji() ? items.length : 0);
      // The panel does not cover the control bar.
      const bar = part(el, 'controls')!.getBoundingClientRect();
      expect(overlap(panel.getBoundingClientRect(), bar)).to.equal(false);
      await screenshot(`use-${width}x${height}-short-code`);
      fixtureCleanup();
    }
  });

  it('has no axe violations with a full grid, the chat and the "more" menu open, in both themes', async () => {
    const { el, store } = await callScreen({ width: 390, height: 844, people: 12, chat: true });
    for (const theme of ['light', 'dark']) {
      el.theme = theme;
      await el.updateComplete;
      await expect(el).to.be.accessible();
    }
    store.set({ chatOpen: false, moreOpen: true });
    await el.updateComplete;
    for (const theme of ['light', 'dark']) {
      el.theme = theme;
      await el.updateComplete;
      await expect(el).to.be.accessible();
    }
  });

  describe('any host', () => {
    beforeEach(() => setViewport({ width: 1280, height: 800 }));

    it('a host that gives no height: the element takes a 16:10 box (3:4 when narrow) and the call fits in it', async () => {
      for (const width of [800, 360]) {
        const host = await fixture<HTMLDivElement>(html`<div style="width: ${width}px"><video-room room="screen" name="Ada"></video-room></div>`);
        const el = host.querySelector('video-room')!;
        await inCall(el, { people: 4 });
        const box = el.getBoundingClientRect();
        expect(box.width).to.equal(width);
        expect(Math.round(box.height)).to.be.closeTo(width < 600 ? (width * 4) / 3 : (width * 10) / 16, 2);
        expect(problems(el)).to.deep.equal([]);
        await screenshot(`host-no-height-${width}`);
        fixtureCleanup();
      }
    });

    it('a CMS page with three rooms in its article column: each room in its own box, none over another or the text', async () => {
      const page = await fixture<HTMLElement>(html`<article style="width: 720px; margin: 0 auto; font: 16px/1.5 serif">
        <h1>Office hours</h1>
        <p>Pick a room.</p>
        <video-room room="a" name="Ada"></video-room>
        <p>Between the rooms, the page's own text.</p>
        <video-room room="b" name="Ada" style="height: 360px"></video-room>
        <video-room room="c" name="Ada" style="width: 50%"></video-room>
        <p>The end.</p>
      </article>`);
      const rooms = [...page.querySelectorAll('video-room')];
      for (const [i, el] of rooms.entries()) await inCall(el, { people: 2 + i, chat: i === 1 });
      for (const [i, el] of rooms.entries()) {
        el.scrollIntoView(); // hit-testing needs the room in view
        const texts = [...page.querySelectorAll('h1, p')].map((p) => p.getBoundingClientRect());
        const boxes = rooms.map((room) => room.getBoundingClientRect());
        expect(problems(el), `room ${i}`).to.deep.equal([]);
        expect(inside(boxes[i]!, page.getBoundingClientRect()), `room ${i} inside the column`).to.equal(true);
        for (const text of texts) expect(overlap(boxes[i]!, text), `room ${i} over the text`).to.equal(false);
        for (const [j, other] of boxes.entries()) if (j !== i) expect(overlap(boxes[i]!, other), `rooms ${i} and ${j}`).to.equal(false);
        if (i === 1) expect(Math.round(boxes[1]!.height)).to.equal(360);
      }
      page.querySelector('h1')!.scrollIntoView();
      await screenshot('host-cms-three-rooms');
    });

    it('a 300-px sidebar: four people, the chat open as a sheet, the controls in one row with a "more" menu', async () => {
      const page = await fixture<HTMLElement>(html`<div style="display: flex; height: 800px">
        <main style="flex: 1">The page.</main>
        <aside style="width: 300px; display: flex; flex-direction: column"><video-room room="s" name="Ada" style="flex: 1"></video-room></aside>
      </div>`);
      const el = page.querySelector('video-room')!;
      await inCall(el, { people: 4, chat: true });
      expect(el.getBoundingClientRect().width).to.equal(300);
      expect(problems(el)).to.deep.equal([]);
      const bar = part(el, 'controls')!;
      const buttons = [...bar.querySelectorAll<HTMLElement>(':scope > button, :scope > .more-menu > button')];
      expect(new Set(buttons.map((b) => Math.round(b.getBoundingClientRect().top))).size, `one row: ${buttons.map((b) => `${b.getAttribute('part')}@${Math.round(b.getBoundingClientRect().top)}`)}`).to.equal(1);
      expect(part(el, 'more-button')).to.not.equal(null);
      const chat = part(el, 'chat')!.getBoundingClientRect();
      expect(overlap(chat, bar.getBoundingClientRect())).to.equal(false);
      for (const tile of el.shadowRoot!.querySelectorAll('.grid > .tile')) expect(overlap(tile.getBoundingClientRect(), chat)).to.equal(false);
      await screenshot('host-sidebar-300');
    });
  });
});

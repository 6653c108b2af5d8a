/**
 * Accessibility: axe (chai-a11y-axe) finds no violation on the pre-join panel, the in-call
 * view, the settings, the verification panel and the chat, in the light and the dark theme.
 */
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { mountRooms, uniqueRoom, waitFor, waitForFullMeshMedia } from './helpers.js';

describe('accessibility (axe)', function () {
  this.timeout(120_000);

  it('the pre-join panel has no axe violations (and axe sees inside the shadow root)', async () => {
    const [el] = await mountRooms(1, uniqueRoom('a11y'));
    await expect(el).to.be.accessible();
    for (const theme of ['light', 'dark']) {
      el!.theme = theme;
      await el!.updateComplete;
      await expect(el).to.be.accessible();
    }
    // The audit can fail: a button without a name, inside the shadow root, is caught.
    const nameless = document.createElement('button');
    el!.shadowRoot!.append(nameless);
    await expect(el).not.to.be.accessible();
    nameless.remove();
  });

  it('the in-call view, the settings and the verification panel have no axe violations', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('a11y-call'));
    await a!.join();
    await b!.join();
    await waitForFullMeshMedia([a!, b!], 3);
    await expect(a).to.be.accessible();
    a!.shadowRoot!.querySelector<HTMLButtonElement>('[part="settings-button"]')!.click();
    await a!.updateComplete;
    await expect(a).to.be.accessible();
    a!.shadowRoot!.querySelector<HTMLButtonElement>('[part="verify-button"]')?.click();
    await a!.updateComplete;
    expect(a!.shadowRoot!.querySelector('[part="verification"]')).not.to.equal(null);
    await expect(a).to.be.accessible();
    // The chat panel with a message, in both themes (axe checks the colour contrast too).
    a!.shadowRoot!.querySelector<HTMLButtonElement>('[part~="chat-button"]')!.click();
    expect(a!.sendMessage('hello')).to.equal(true);
    for (const theme of ['dark', 'light']) {
      a!.theme = theme;
      await a!.updateComplete;
      expect(a!.shadowRoot!.querySelector('[part="chat"]')).not.to.equal(null);
      await expect(a).to.be.accessible();
    }
    for (const el of [a!, b!]) el.leave();
  });

  it('announces joins and leaves in a live region, and the keyboard shortcuts mute, stop the camera and leave', async () => {
    const [a, b] = await mountRooms(2, uniqueRoom('a11y-keys'));
    await a!.join();
    await b!.join();
    const announcer = a!.shadowRoot!.querySelector('[part="announcer"]')!;
    expect(announcer.getAttribute('aria-live')).to.equal('polite');
    await waitFor(() => announcer.textContent?.includes('P1 joined the call.'), 'the join announced');
    a!.shadowRoot!.querySelector<HTMLButtonElement>('[part="mute-button"]')!.focus();
    const mod = navigator.platform.startsWith('Mac') ? 'Meta' : 'Control';
    const chord = async (...keys: string[]) => {
      for (const key of keys.slice(0, -1)) await sendKeys({ down: key });
      await sendKeys({ press: keys.at(-1)! });
      for (const key of keys.slice(0, -1).reverse()) await sendKeys({ up: key });
    };
    await chord(mod, 'd');
    expect(a!.audioMuted).to.equal(true);
    await chord(mod, 'e');
    expect(a!.videoMuted).to.equal(true);
    await chord(mod, 'd');
    expect(a!.audioMuted).to.equal(false);
    // Outside the element, the keys are the page's.
    const outside = document.createElement('button');
    outside.textContent = 'Outside';
    document.body.append(outside);
    outside.focus();
    await chord(mod, 'e');
    expect(a!.videoMuted).to.equal(true);
    outside.remove();
    a!.shadowRoot!.querySelector<HTMLButtonElement>('[part="mute-button"]')!.focus();
    await chord(mod, 'Shift', 'L');
    expect(a!.state).to.equal('left');
    const announcerB = b!.shadowRoot!.querySelector('[part="announcer"]')!;
    await waitFor(() => announcerB.textContent?.includes('P0 left the call.'), 'the leave announced');
    b!.leave();
  });
});

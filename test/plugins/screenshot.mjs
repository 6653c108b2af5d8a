// `vr-screenshot`: the test page's viewport as a PNG in screenshots/ (ignored by git), for a
// person to look at: the call-screen tests write one per case. Both launchers give a Puppeteer
// page. `name` is a file name the test chooses; anything else in it is replaced.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const SCREENSHOT_DIR = new URL('../../screenshots/', import.meta.url).pathname;

export function screenshotPlugin() {
  return {
    name: 'vr-screenshot',
    async executeCommand({ command, payload, session }) {
      if (command !== 'vr-screenshot') return undefined;
      const page = session.browser.getPage(session.id);
      const name = String(payload?.name ?? 'screen').replace(/[^\w.-]+/g, '_');
      const browser = session.browser.name.toLowerCase().includes('firefox') ? 'firefox' : 'chromium';
      mkdirSync(join(SCREENSHOT_DIR, browser), { recursive: true });
      const path = join(SCREENSHOT_DIR, browser, `${name}.png`);
      await page.screenshot({ path, clip: payload?.clip });
      return path;
    },
  };
}

// Headless Chromium for the browser tests: Debian's `chromium` (CACHEKIT_CHROMIUM overrides
// the path) driven by playwright-core, which downloads no browser of its own. Each launch gets
// a fresh profile directory (removed on close) and no network chatter of its own.
//
//   const browser = await launchChromium();
//   const page = await browser.open(`${server.url}/bindings/wasm/test/browser/`);
//   …
//   await browser.close();

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CACHEKIT_CHROMIUM || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium; `open(url)` gives a page with console errors and page errors collected. */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (bindings/wasm/test.sh does) or set CACHEKIT_CHROMIUM`);
  }
  const profile = mkdtempSync(join(tmpdir(), 'ck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
  return {
    context,
    /** Opens `url` and waits until `document.body.dataset.state` leaves `loading`. */
    async open(url) {
      const page = await context.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.errors = errors;
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.state && document.body.dataset.state !== 'loading', null, {
        timeout: 30_000,
      });
      const state = await page.evaluate(() => document.body.dataset.state);
      if (state !== 'ready') throw new Error(`${url}: state ${state}; ${errors.join('; ')}`);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

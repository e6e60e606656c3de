import { Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`npx playwright install` cannot download browsers here). */
export const CHROMIUM = '/usr/bin/chromium';

/** Headless, and without the background connections a closed network refuses. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

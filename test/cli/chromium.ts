/**
 * Debian's headless Chromium for the browser tests, driven by playwright-core. `.ci/run` installs
 * it; outside CI a browser test is skipped (with a message) only when the binary is absent, and in
 * CI its absence is a failure.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
const available = existsSync(CHROMIUM);

/** Whether a browser suite runs here; warns once per suite when it is skipped. */
export function browserTestsRun(suite: string): boolean {
  if (!available && !process.env.CI) console.warn(`skipping ${suite}: ${CHROMIUM} is absent (apt-get install -y chromium)`);
  return available || Boolean(process.env.CI);
}

/** A browser launched before the suite's tests and closed after them (no background networking). */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing: .ci/run must install chromium`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(() => browser?.close());
  return () => browser!;
}

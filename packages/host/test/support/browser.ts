// Finding and launching the headless Chromium the workbench's browser tests drive with playwright-core.
// No browser is downloaded: Debian's `chromium` (installed by .ci/run) or one named by CHROMIUM_PATH.
// When none is found the browser tests say so in one line; CI sets TONGKIT_BROWSER_TESTS=required,
// which turns that line into a failure.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable to use, or undefined. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((path): path is string => path !== undefined && path !== '' && existsSync(path));
}

/** Whether CI asked for the browser tests to run (a missing Chromium is then a failure). */
export const BROWSER_TESTS_REQUIRED = process.env['TONGKIT_BROWSER_TESTS'] === 'required';

export const NO_CHROMIUM_MESSAGE =
  'workbench browser tests: no Chromium found (looked for CHROMIUM_PATH, /usr/bin/chromium) — install it with `apt-get install -y chromium` or set CHROMIUM_PATH';

/** Launches headless Chromium with nothing reaching out to the network by itself (a fresh profile each time). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

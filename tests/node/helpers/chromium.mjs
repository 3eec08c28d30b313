// Debian's Chromium driven by playwright-core (which cannot download browsers here), with the
// flags this machine needs: no sandbox as root, and no background calls to a closed network.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export function launchChromium() {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "improfiles-chromium-")), {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
}

/** Opens `url` and waits for the page (or its worker) to set `window.outcome`. */
export async function outcomeOf(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.outcome !== undefined, null, { timeout: 20_000 });
    return { ...(await page.evaluate(() => window.outcome)), pageErrors: errors };
  } finally {
    await page.close();
  }
}

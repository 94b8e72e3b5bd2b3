import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Debian's Chromium; POSTBOX_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.POSTBOX_CHROMIUM ?? "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a screenshot of the page when POSTBOX_SCREENSHOTS names a folder (docs/dashboard.md's pictures). */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A headless Chromium with an empty profile of its own, talking to nothing but the test server. */
export async function openBrowser(): Promise<Browser> {
  const profile = await mkdtemp(path.join(os.tmpdir(), "postbox-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 860 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const shots = process.env.POSTBOX_SCREENSHOTS;
  return {
    context,
    page,
    async shot(name) {
      if (!shots) return;
      await mkdir(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false });
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Debian Chromium driven by playwright-core (no browser download), the console's UI built
 * into a temporary folder, and page screenshots for the README.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const chromiumMissing = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install chromium) to run the console's browser tests`;

const ROOT = resolve(import.meta.dirname, "../..");

/** Runs scripts/build-console.mjs into a fresh temporary folder and returns it. */
export async function buildUi(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "brook-console-ui-"));
  await promisify(execFile)(process.execPath, [join(ROOT, "scripts/build-console.mjs"), "--out", dir], {
    cwd: ROOT,
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile, flags that keep it off the network (this machine's closed network
 * refuses Chromium's background connections), a 1280x800 viewport and light colour scheme.
 */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "brook-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
    colorScheme: "light",
    acceptDownloads: true,
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const OUTPUT = join(ROOT, "test-output/console");

/**
 * Saves the viewport as test-output/console/<name>.png (gitignored); the README's pictures also as
 * $BROOK_SCREENSHOTS/console-<name>.png when that is set (BROOK_SCREENSHOTS=docs/images refreshes them).
 */
export async function screenshot(page: Page, name: string, opts: { readme?: boolean } = {}): Promise<void> {
  mkdirSync(OUTPUT, { recursive: true });
  // The caret and animations would make each run's picture differ.
  const options = { animations: "disabled", caret: "hide", scale: "css" } as const;
  const png = await page.screenshot({ ...options, path: join(OUTPUT, `${name}.png`) });
  const docs = process.env.BROOK_SCREENSHOTS;
  if (docs && opts.readme) {
    const dir = resolve(ROOT, docs);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `console-${name}.png`), png);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; fails naming `what` and the last value after `ms`. */
export async function until<T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  const end = performance.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms (last: ${String(last)})`);
    await sleep(100);
  }
}

/** The locator's text once `accept` takes it (polled, bounded). */
export async function textWhen(
  locator: Locator,
  accept: (text: string) => boolean,
  ms: number,
  what: string,
) {
  return until(
    async () => {
      const t = (await locator.textContent({ timeout: 1000 }))?.trim() ?? "";
      return accept(t) ? t || " " : "";
    },
    ms,
    what,
  );
}

import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where Debian's `chromium` package puts its binary. */
export const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/**
 * Launches headless Chromium for the explorer's end-to-end tests: Debian's binary (or
 * `CHROMIUM_PATH`) driven by playwright-core, since Playwright's own browser download cannot
 * run on these machines.
 *
 * @throws Error saying how to install chromium when there is none.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? DEBIAN_CHROMIUM;
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: install Debian's (\`apt-get install -y chromium\`) or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath,
    headless: true,
    // Running as root in a container: Chromium's sandbox needs user namespaces it may not have.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

export type { Browser, Locator, Page } from "playwright-core";

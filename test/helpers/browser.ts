/**
 * @module The Chromium the browser tests drive: a system one when the machine
 * has it (it starts without unpacking anything), else the one that
 * `@sparticuz/chromium` ships inside its npm package, so that `npm ci &&
 * npm test` needs nothing installed by hand. `HOOKRELAY_CHROMIUM` chooses:
 * a path to an executable, or `packaged` to skip the system lookup (how the
 * packaged path is tested on a machine that has a system Chromium).
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { type Browser, chromium } from "playwright-core";

const SYSTEM_NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first system Chromium on PATH, or undefined. */
function systemChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    for (const name of SYSTEM_NAMES) {
      const file = join(dir, name);
      if (isExecutable(file)) return file;
    }
  }
  return undefined;
}

export type BrowserSource = { executablePath: string; source: "env" | "system" | "packaged" };

/** Where the browser comes from, per the rules in this module's header. */
export async function findChromium(): Promise<BrowserSource> {
  const chosen = process.env.HOOKRELAY_CHROMIUM;
  if (chosen && chosen !== "packaged") {
    if (!isExecutable(chosen)) throw new Error(`HOOKRELAY_CHROMIUM=${chosen} is not executable`);
    return { executablePath: chosen, source: "env" };
  }
  const system = chosen === "packaged" ? undefined : systemChromium();
  if (system) return { executablePath: system, source: "system" };
  // Imported only here: it unpacks its brotli-compressed binary to the temp
  // folder on first use (about two seconds), which a system browser avoids.
  const { default: packaged } = await import("@sparticuz/chromium");
  return { executablePath: await packaged.executablePath(), source: "packaged" };
}

/**
 * Headless Chromium with the flags this sandboxed, offline machine needs: no
 * sandbox (tests may run as root), no GPU, and none of the background
 * connections to Google's hosts, which the closed network refuses. The
 * packaged build's own Lambda flags (`--disable-web-security` and the like)
 * are left out on purpose: the dashboard test checks the page's CSP.
 */
export async function launchChromium(): Promise<{ browser: Browser; source: BrowserSource }> {
  const source = await findChromium();
  const browser = await chromium.launch({
    executablePath: source.executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return { browser, source };
}

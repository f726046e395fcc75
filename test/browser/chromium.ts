/**
 * Launching Chromium with playwright-core: a persistent profile (an incognito context
 * keeps IndexedDB in memory), headless, no sandbox (CI containers run as root).
 *
 * Which Chromium, in order: `CHROMIUM_PATH`; Debian's `/usr/bin/chromium` when it is an
 * executable file; else the build inside the npm package `@sparticuz/chromium`, unpacked
 * once under `node_modules/.cache/sparticuz` (that build has Background Sync disabled).
 */
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const UNPACKED = fileURLToPath(new URL('../../node_modules/.cache/sparticuz', import.meta.url));

/** Which Chromium {@link launch} runs, and where it came from. */
export interface ChromiumChoice {
  executablePath: string;
  source: 'CHROMIUM_PATH' | 'system' | '@sparticuz/chromium';
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Unpacks the package's Chromium (about 200 MB) into this project, once. */
async function unpackedSparticuz(): Promise<string> {
  const { default: Sparticuz } = await import('@sparticuz/chromium');
  mkdirSync(UNPACKED, { recursive: true });
  // The package unpacks into os.tmpdir(), which reads TMPDIR on every call: pointing it
  // here keeps the unpacked build per project instead of a shared /tmp/chromium. The
  // paths are all computed before its first await, so TMPDIR is restored at once.
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = UNPACKED;
  let pending: Promise<string>;
  try {
    pending = Sparticuz.executablePath();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  return pending;
}

let choice: Promise<ChromiumChoice> | undefined;

/** The Chromium to run (decided once per process). */
export function chooseChromium(): Promise<ChromiumChoice> {
  choice ??= (async (): Promise<ChromiumChoice> => {
    const fromEnv = process.env.CHROMIUM_PATH;
    if (fromEnv !== undefined && fromEnv !== '') {
      return { executablePath: fromEnv, source: 'CHROMIUM_PATH' };
    }
    if (isExecutableFile(SYSTEM_CHROMIUM)) {
      return { executablePath: SYSTEM_CHROMIUM, source: 'system' };
    }
    return { executablePath: await unpackedSparticuz(), source: '@sparticuz/chromium' };
  })();
  return choice;
}

/** `extraArgs`: more Chromium flags (the benchmarks expose `gc()` to the page). */
export async function launch(
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; chromium: ChromiumChoice; close(): Promise<void> }> {
  const chosen = await chooseChromium();
  const profile = mkdtempSync(join(tmpdir(), 'protocol-offline-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chosen.executablePath,
    headless: true,
    viewport: { width: 900, height: 640 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
  return {
    context,
    chromium: chosen,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

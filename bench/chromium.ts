/**
 * Runs bench/browser in headless Chromium (real IndexedDB, a persistent profile) against
 * the reference server over HTTP on the same origin, and returns the page's results.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serveWithApi } from '../examples/pwa/serve.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';
import { launch } from '../test/browser/chromium.js';
import type { Result } from './measure.js';

export async function runChromium(only: string[] = []): Promise<Result[]> {
  const root = fileURLToPath(new URL('./browser/', import.meta.url));
  const dist = fileURLToPath(new URL('./browser/dist/', import.meta.url));
  await build({
    root,
    logLevel: 'warn',
    // A profile names functions only when the bundle keeps them.
    build: { outDir: dist, emptyOutDir: true, minify: process.env.BENCH_PROFILE === undefined },
  });
  const api = createReferenceServer({
    token: 'bench-token',
    seed: generateConversations(10_000, { seed: 11 }),
  });
  const served = await serveWithApi(dist, api);
  const browser = await launch(['--js-flags=--expose-gc']);
  try {
    const page = await browser.context.newPage();
    await page.goto(served.url);
    await page.waitForFunction(() => document.querySelector('#state')?.textContent === 'ready');
    // BENCH_PROFILE=<file> records a CPU profile of the page's run (Chrome DevTools format).
    const profile = process.env.BENCH_PROFILE;
    const cdp = profile === undefined ? null : await browser.context.newCDPSession(page);
    await cdp?.send('Profiler.enable');
    await cdp?.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp?.send('Profiler.start');
    const results = (await page.evaluate(
      (names) =>
        (globalThis as unknown as { runBenchmarks(o: string[]): Promise<Result[]> }).runBenchmarks(
          names,
        ),
      only,
    )) as Result[];
    if (cdp !== null && profile !== undefined) {
      const { profile: recorded } = await cdp.send('Profiler.stop');
      writeFileSync(profile, JSON.stringify(recorded));
    }
    return results;
  } finally {
    await browser.close();
    await served.close();
  }
}

/**
 * Runs bench/browser in headless Chromium (real IndexedDB, a persistent profile) against
 * the reference server over HTTP on the same origin, and returns the page's results.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { serveWithApi } from '../examples/pwa/serve.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';
import { launch } from '../test/browser/chromium.js';
import type { Result } from './measure.js';

export async function runChromium(only: string[] = []): Promise<Result[]> {
  const root = fileURLToPath(new URL('./browser/', import.meta.url));
  const dist = fileURLToPath(new URL('./browser/dist/', import.meta.url));
  await build({ root, logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
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
    return (await page.evaluate(
      (names) =>
        (globalThis as unknown as { runBenchmarks(o: string[]): Promise<Result[]> }).runBenchmarks(
          names,
        ),
      only,
    )) as Result[];
  } finally {
    await browser.close();
    await served.close();
  }
}

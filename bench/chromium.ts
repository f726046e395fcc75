/**
 * Runs bench/browser in headless Chromium (real IndexedDB, a persistent profile) against
 * the reference server over HTTP on the same origin, and returns the page's results.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CDPSession, Page } from 'playwright-core';
import { build } from 'vite';
import { serveWithApi } from '../examples/pwa/serve.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';
import { launch } from '../test/browser/chromium.js';
import { deepRows, FIRST_PAINT } from './first-paint.js';
import type { Result } from './measure.js';

/**
 * `benchHeap(op)` for the page: the JS heap as DevTools reads it, sampled from here every
 * few ms while the page works. `'used'` collects garbage and answers the heap in use;
 * `'reset'` starts a new peak from now; `'peak'` answers the largest heap seen since.
 */
async function exposeHeap(page: Page, cdp: CDPSession): Promise<void> {
  const used = async () =>
    ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  let peak = 0;
  let sampling = false;
  const timer = setInterval(() => {
    if (sampling) return;
    sampling = true;
    used()
      .then((size) => {
        peak = Math.max(peak, size);
      })
      .catch(() => {})
      .finally(() => {
        sampling = false;
      });
  }, 5);
  page.on('close', () => clearInterval(timer));
  await page.exposeFunction('benchHeap', async (op: 'used' | 'reset' | 'peak') => {
    if (op === 'peak') return Math.max(peak, await used());
    if (op === 'reset') {
      peak = await used();
      return peak;
    }
    await cdp.send('HeapProfiler.collectGarbage');
    return used();
  });
}

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
  // The heap row's account (100,000 conversations) answers to its own token, only when asked.
  const wantsHeap = only.length === 0 || only.some((name) => 'pull-100k-heap'.startsWith(name));
  const heapApi = wantsHeap
    ? createReferenceServer({
        token: 'heap-token',
        seed: generateConversations(100_000, { seed: 1 }),
      })
    : null;
  // The first-paint row's account: 50,000 conversations and a deep group, 20 ms a request.
  const wantsPaint = only.length === 0 || only.some((name) => 'first-paint'.startsWith(name));
  const paintApi = wantsPaint
    ? createReferenceServer({
        token: 'paint-token',
        seed: [...generateConversations(FIRST_PAINT.rows, { seed: 21 }), ...deepRows()],
      })
    : null;
  if (paintApi !== null) paintApi.faults.latencyMs = FIRST_PAINT.latencyMs;
  const accounts = new Map([
    ['Bearer heap-token', heapApi],
    ['Bearer paint-token', paintApi],
  ]);
  const frontDoor = {
    ...api,
    fetch: (input: RequestInfo | URL, init?: RequestInit) =>
      (accounts.get(new Request(input, init).headers.get('authorization') ?? '') ?? api).fetch(
        input,
        init,
      ),
  } as typeof api;
  const served = await serveWithApi(dist, frontDoor);
  const browser = await launch(['--js-flags=--expose-gc']);
  try {
    const page = await browser.context.newPage();
    if (wantsHeap) await exposeHeap(page, await browser.context.newCDPSession(page));
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

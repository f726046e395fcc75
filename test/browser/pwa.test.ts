/**
 * The PWA example in real Chromium, real IndexedDB, the reference server over real HTTP:
 * offline edits survive a reload and sync when the network returns; one tab leads and
 * hands over when it closes; an edit made in a closed tab still reaches the server.
 */
import { mkdirSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../../examples/pwa/serve.js';
import { SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { launch } from './chromium.js';

let example: RunningExample;
let browser: Awaited<ReturnType<typeof launch>>;
let context: BrowserContext;

beforeAll(async () => {
  example = await startExample({ quiet: true });
});
afterAll(async () => {
  await example?.close();
});

async function freshBrowser() {
  example.api.reset(SEED_CONVERSATIONS);
  example.api.clearRequests();
  browser = await launch();
  context = browser.context;
}
afterEach(async () => {
  await browser?.close();
});

/** Opens the app and waits for its first sync and for the service worker. */
async function openApp(): Promise<Page> {
  const page = await context.newPage();
  await page.goto(example.url);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await expectStatus(page, /idle · 0 pending · last synced \d/);
  return page;
}

async function expectStatus(page: Page, pattern: RegExp) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('#status')?.textContent ?? ''),
    pattern.source,
    { timeout: 15_000 },
  );
}

const firstRowId = (page: Page) =>
  page.locator('[data-testid=row]').first().getAttribute('data-id');
const puts = () =>
  example.api.requests.filter((r) => r.method === 'PUT' && r.status === 200 && !r.replayed);

interface BackgroundSyncProbe {
  backgroundSync: { last: string | null };
}

/**
 * Who sent each applied PUT: a worker's requests carry its script as the Referer, a
 * page's the page.
 */
const deliveryPaths = () =>
  puts().map((r) =>
    new URL(r.headers.referer ?? 'about:blank').pathname === '/sw.js' ? 'service worker' : 'page',
  );

describe('the PWA example in Chromium', () => {
  it('keeps offline edits across a reload and syncs them when the network returns', async () => {
    await freshBrowser();
    const page = await openApp();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const id = (await firstRowId(page)) as string;
    await context.setOffline(true);
    await page.locator(`[data-id="${id}"] [data-testid=mute]`).click();
    await page.locator(`[data-id="${id}"] [data-testid=pending]`).waitFor();
    await page.reload(); // offline: the service worker serves the shell, IndexedDB the data
    await page.locator(`[data-id="${id}"] [data-testid=pending]`).waitFor();
    await expect(page.locator(`[data-id="${id}"] .flags`).textContent()).resolves.toContain(
      'muted',
    );
    expect(example.api.get(id)?.is_muted).toBe(false);
    await context.setOffline(false);
    await page
      .locator(`[data-id="${id}"] [data-testid=pending]`)
      .waitFor({ state: 'detached', timeout: 15_000 });
    expect(example.api.get(id)?.is_muted).toBe(true);
    expect(puts()).toHaveLength(1);
  });

  it('lets one tab lead: a follower’s write is synced once, and closing the leader hands over', async () => {
    await freshBrowser();
    const leader = await openApp();
    const follower = await openApp();
    const id = (await firstRowId(follower)) as string;
    await follower.locator(`[data-id="${id}"] [data-testid=pin]`).click();
    await expect.poll(() => example.api.get(id)?.is_pinned, { timeout: 15_000 }).toBe(true);
    // The leader's list is live too.
    await leader.locator(`[data-id="${id}"] .flags`).filter({ hasText: 'pinned' }).waitFor();
    await leader.close();
    await follower.locator(`[data-id="${id}"] [data-testid=mute]`).click();
    await expect.poll(() => example.api.get(id)?.is_muted, { timeout: 15_000 }).toBe(true);
    const keys = puts().map((r) => r.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
  });

  it('delivers an edit made offline in a closed tab: by Background Sync wherever it registers, else on the next load', async () => {
    await freshBrowser();
    const page = await openApp();
    const id = (await firstRowId(page)) as string;
    await context.setOffline(true);
    await page.locator(`[data-id="${id}"] [data-testid=archive]`).click();
    await page.locator(`[data-id="${id}"] [data-testid=pending]`).waitFor();
    const registration = await page
      .waitForFunction(
        () => (globalThis as unknown as BackgroundSyncProbe).backgroundSync.last,
        undefined,
        { timeout: 5_000 },
      )
      .then((handle) => handle.jsonValue());
    await page.close();
    await context.setOffline(false);
    if (registration === 'registered') {
      // No fallback here: a browser that took the registration must fire the sync event.
      await expect.poll(() => example.api.get(id)?.archived_at, { timeout: 15_000 }).not.toBeNull();
      expect(deliveryPaths()).toEqual(['service worker']);
    } else {
      console.log(
        `Background Sync did not register in ${browser.chromium.source} Chromium (${registration}): ` +
          'the closed tab’s edit goes out on the next page load instead',
      );
      await openApp();
      await expect.poll(() => example.api.get(id)?.archived_at, { timeout: 15_000 }).not.toBeNull();
      expect(deliveryPaths()).toEqual(['page']);
    }
    console.log(`offline edit of a closed tab delivered by the ${deliveryPaths()[0]}`);
  });

  it('saves a screenshot of the example after sync', async () => {
    await freshBrowser();
    const page = await openApp();
    const id = (await firstRowId(page)) as string;
    await page.locator(`[data-id="${id}"] [data-testid=pin]`).click();
    await page.locator('[data-testid=contact]').fill('WAz8eIbvDR60rouK');
    await page.locator('[data-testid=create]').click();
    await expectStatus(page, /idle · 0 pending/);
    mkdirSync('test-results', { recursive: true });
    const path = 'test-results/pwa-example.png';
    await page.screenshot({ path, fullPage: true });
    if (process.env.UPDATE_SCREENSHOT)
      await page.screenshot({ path: 'docs/pwa-example.png', fullPage: true });
    expect(example.api.all().length).toBe(SEED_CONVERSATIONS.length + 1);
  });
});

/**
 * Storage in real Chromium, through the PWA example: persist() answers a boolean; after
 * a sign-out neither a stale page load nor the service worker recreates the database.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../../examples/pwa/serve.js';
import { SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { launch } from './chromium.js';

const DATABASE = 'protocol-offline:example';

let example: RunningExample;
let browser: Awaited<ReturnType<typeof launch>> | undefined;
let context: BrowserContext;

beforeAll(async () => {
  example = await startExample({ quiet: true });
});
afterAll(async () => {
  await example?.close();
});
afterEach(async () => {
  await browser?.close();
  browser = undefined;
});

async function openApp(rows = SEED_CONVERSATIONS): Promise<Page> {
  example.api.reset(rows);
  example.api.clearRequests();
  browser = await launch();
  context = browser.context;
  const page = await context.newPage();
  await page.goto(example.url);
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page
    .locator('[data-testid=status]')
    .filter({ hasText: /^Synced$/ })
    .waitFor({ timeout: 15_000 });
  return page;
}

interface Probe {
  store: import('../../src/index.js').ConversationStore;
  signOut(): Promise<void>;
}

const databaseNames = (page: Page) =>
  page.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));

/** The files of the origin private file system (where the store keeps its reserve). */
const fileNames = (page: Page) =>
  page.evaluate(async () => {
    const names: string[] = [];
    const root = (await navigator.storage.getDirectory()) as unknown as {
      keys(): AsyncIterable<string>;
    };
    for await (const name of root.keys()) names.push(name);
    return names;
  });

describe('storage in Chromium', () => {
  it('persist() resolves with a boolean and status$ shows it', async () => {
    const page = await openApp();
    const result = await page.evaluate(async () => {
      const { store } = globalThis as unknown as Probe;
      const granted = await store.storage.persist();
      const status = await new Promise<{ persisted: boolean }>((resolve) => {
        const subscription = store.sync.status$.subscribe((value) => {
          if (value.persisted === granted) {
            resolve(value);
            queueMicrotask(() => subscription.unsubscribe());
          }
        });
      });
      return { granted, persisted: status.persisted };
    });
    expect(typeof result.granted).toBe('boolean');
    expect(result.persisted).toBe(result.granted);
  });

  it('after sign-out neither a stale page load nor the service worker recreates the database', async () => {
    const page = await openApp();
    expect(await databaseNames(page)).toContain(DATABASE);
    const reserve = `protocol-offline-reserve-${encodeURIComponent(DATABASE)}`;
    expect(await fileNames(page)).toContain(reserve);
    await page.evaluate(() => (globalThis as unknown as Probe).signOut());
    expect(await databaseNames(page)).not.toContain(DATABASE);
    expect(await fileNames(page)).not.toContain(reserve);
    // A stale load: the app creates its store as usual (without afterSignIn) and records
    // the database for the worker again.
    await page.reload();
    const refused = await page.evaluate(() =>
      (globalThis as unknown as Probe).store.conversations.list().then(
        () => null,
        (error: Error) => `${error.name}: ${error.message}`,
      ),
    );
    expect(refused).toMatch(/StorageError: .*deleted by a sign-out/);
    const [worker] = context.serviceWorkers();
    expect(worker).toBeDefined();
    const flushed = await worker?.evaluate(() =>
      (globalThis as unknown as { flushOutbox(): Promise<unknown> }).flushOutbox(),
    );
    expect(flushed).toBeNull();
    expect(await databaseNames(page)).not.toContain(DATABASE);
    expect(await fileNames(page)).not.toContain(reserve); // Taken by the stale load, then given up.
    expect(example.api.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});

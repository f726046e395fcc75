/**
 * A real quota in Chromium: a fresh origin gets a small quota through the DevTools
 * protocol (`Storage.overrideQuotaForOrigin`, set before the origin's first page so that
 * IndexedDB opens under it), other data of the app fills it, and a local write that
 * IndexedDB refuses still lands: the store gives up its reserve file, evicts synced rows,
 * and keeps every pending write, which then reaches the server (over real HTTP).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type * as Protocol from '../../src/index.js';
import {
  createReferenceServer,
  generateConversations,
  type ReferenceServer,
} from '../../src/testing/index.js';
import { type ListeningServer, listen } from '../../src/testing/node.js';
import { bundleTestingEntry } from '../testing/bundle.js';
import { launch } from './chromium.js';

const QUOTA = 2 * 1024 * 1024;
/** The default `storage.reserveBytes`. */
const RESERVE = 512 * 1024;
const TOKEN = 'quota-token';
/** Synced rows: none pinned, muted or archived, so each write below changes something. */
const ROWS = generateConversations(300, { seed: 7 }).map((row) => ({
  ...row,
  is_pinned: false,
  is_muted: false,
  archived_at: null,
}));

let bundle: string;
beforeAll(async () => {
  bundle = (await bundleTestingEntry({ format: 'iife', globalName: 'ProtocolOffline' }, 'store'))
    .code;
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A blank page on a fresh origin (a new port), opened under `quota` bytes of quota. */
async function pageUnderQuota(
  quota: number,
): Promise<{ page: Page; usage: () => Promise<number> }> {
  const pages: Server = createServer((_, response) => {
    response.setHeader('content-type', 'text/html');
    response.end('<!doctype html><title>quota</title>');
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => pages.close(resolve)));
  const origin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  const browser = await launch();
  closers.push(() => browser.close());
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: quota });
  await page.goto(`${origin}/`);
  await page.addScriptTag({ content: bundle });
  const usage = async () =>
    ((await cdp.send('Storage.getUsageAndQuota', { origin })) as { usage: number }).usage;
  return { page, usage };
}

async function startApi(): Promise<{ api: ReferenceServer; served: ListeningServer }> {
  const api = createReferenceServer({ token: TOKEN, seed: ROWS });
  const served = await listen(api, { cors: true });
  closers.push(() => served.close());
  return { api, served };
}

interface PageGlobals {
  ProtocolOffline: typeof Protocol;
  store: Protocol.ConversationStore;
  events: Protocol.SyncEvent[];
}

const [first, second, third, fourth] = ROWS.map((row) => row.id) as [
  string,
  string,
  string,
  string,
];

/**
 * A store on a fresh origin under QUOTA, with synced rows and four writes queued while
 * the API is unreachable, then the app's other data filling the origin until IndexedDB
 * refuses every size of block. `reserveBytes` undefined: the default.
 */
async function fullOrigin(reserveBytes?: number) {
  const { api, served } = await startApi();
  const { page, usage } = await pageUnderQuota(QUOTA);

  // Synced rows, the reserve held, then pending writes while the API is unreachable.
  const reserveSize = await page.evaluate(
    async ({ baseUrl, token, reserveBytes }) => {
      const globals = globalThis as unknown as PageGlobals;
      globals.events = [];
      globals.store = globals.ProtocolOffline.createConversationStore({
        baseUrl,
        getToken: () => token,
        databaseName: 'quota',
        sync: { auto: false },
        ...(reserveBytes === undefined ? {} : { storage: { reserveBytes } }),
      });
      globals.store.sync.events$.subscribe((event) => globals.events.push(event));
      await globals.store.sync.now();
      if (reserveBytes === 0) return 0;
      const directory = await navigator.storage.getDirectory();
      for (;;) {
        try {
          const handle = await directory.getFileHandle('protocol-offline-reserve-quota');
          const size = (await handle.getFile()).size;
          if (size === reserveBytes) return size;
        } catch {}
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    { baseUrl: served.url, token: TOKEN, reserveBytes: reserveBytes ?? RESERVE },
  );
  expect(reserveSize).toBe(reserveBytes ?? RESERVE);
  api.faults.offline = true;
  const created = await page.evaluate(
    async ({ ids }) => {
      const { store } = globalThis as unknown as PageGlobals;
      await store.conversations.update(ids[0] as string, { is_muted: true });
      await store.conversations.update(ids[1] as string, { archived_at: 1_700_000_000 });
      await store.conversations.update(ids[2] as string, { is_pinned: true });
      return store.conversations.create({ group_id: 'made-offline' });
    },
    { ids: [first, second, third] },
  );

  // The app's other data fills the origin: 64 KiB, then 4 KiB, then 256 B blocks of
  // random bytes (LevelDB cannot compress them) until IndexedDB refuses each size.
  const filled = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('ballast', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('blocks');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const put = (key: number, size: number) =>
      new Promise<string>((resolve) => {
        const bytes = new Uint8Array(size);
        for (let at = 0; at < size; at += 65_536) {
          crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65_536)));
        }
        const transaction = db.transaction('blocks', 'readwrite');
        transaction.objectStore('blocks').put(bytes, key);
        transaction.oncomplete = () => resolve('stored');
        transaction.onabort = () => resolve(transaction.error?.name ?? 'aborted');
      });
    let key = 0;
    const refusals: string[] = [];
    for (const size of [65_536, 4096, 256]) {
      for (;;) {
        const outcome = await put(key++, size);
        if (outcome !== 'stored') {
          refusals.push(outcome);
          break;
        }
      }
    }
    return { blocks: key, refusals };
  });
  expect(filled.refusals).toEqual([
    'QuotaExceededError',
    'QuotaExceededError',
    'QuotaExceededError',
  ]);
  const usageWhenFull = await usage();
  expect(usageWhenFull).toBeGreaterThan(QUOTA * 0.9);
  return { api, page, created };
}

describe('a real quota in Chromium', () => {
  it('a write refused for want of room lands, synced rows are evicted, nothing pending is lost', async () => {
    const { api, page, created } = await fullOrigin();
    // The write IndexedDB refuses at first.
    const after = await page.evaluate(
      async ({ id }) => {
        const { store, events } = globalThis as unknown as PageGlobals;
        events.length = 0;
        await store.conversations.update(id, { is_pinned: true });
        const directory = await navigator.storage.getDirectory();
        const reserveLeft = await directory.getFileHandle('protocol-offline-reserve-quota').then(
          () => true,
          () => false,
        );
        let stored = 0;
        let cursor: string | undefined;
        for (;;) {
          const page = await store.conversations.list({ limit: 100, starting_after: cursor });
          stored += page.data.length;
          if (!page.has_more) break;
          cursor = page.data.at(-1)?.id;
        }
        return {
          record: await store.conversations.retrieve(id),
          outbox: (await store.sync.listOutbox()).map((item) => [item.op, item.recordId]),
          events: events.filter((event) => event.type === 'reserve' || event.type === 'evicted'),
          reserveLeft,
          stored,
        };
      },
      { id: fourth },
    );
    expect(after.events[0]).toEqual({ type: 'reserve', held: false }); // It was refused first.
    expect(after.events.filter((event) => event.type === 'evicted').length).toBeGreaterThan(0);
    expect(after.reserveLeft).toBe(false);
    expect(after.record).toMatchObject({ id: fourth, is_pinned: true });
    expect(after.stored).toBeLessThan(ROWS.length + 1); // Synced rows were evicted...
    expect(after.outbox).toEqual([
      ['update', first],
      ['update', second],
      ['update', third],
      ['create', created.id],
      ['update', fourth],
    ]); // ...and nothing pending was.

    // Back online: every write reaches the server once.
    api.faults.offline = false;
    api.clearRequests();
    const summary = await page.evaluate(() =>
      (globalThis as unknown as PageGlobals).store.sync.now({ pull: 'none' }),
    );
    expect(summary).toMatchObject({ pushed: 5, error: null });
    expect(api.get(first)?.is_muted).toBe(true);
    expect(api.get(second)?.archived_at).toBe(1_700_000_000);
    expect(api.get(third)?.is_pinned).toBe(true);
    expect(api.get(fourth)?.is_pinned).toBe(true);
    expect(api.all().filter((row) => row.group_id === 'made-offline')).toHaveLength(1);
    expect(api.requests.map((request) => request.method).sort()).toEqual([
      'POST',
      'PUT',
      'PUT',
      'PUT',
      'PUT',
    ]);
  });

  it('without the reserve the same write is refused whole, and what was queued stays', async () => {
    const { page, created } = await fullOrigin(0);
    const after = await page.evaluate(
      async ({ id }) => {
        const { store } = globalThis as unknown as PageGlobals;
        const error = await store.conversations.update(id, { is_pinned: true }).then(
          () => null,
          (reason: { name: string; quota: boolean }) => ({
            name: reason.name,
            quota: reason.quota,
          }),
        );
        return {
          error,
          record: await store.conversations.retrieve(id),
          outbox: (await store.sync.listOutbox()).map((item) => [item.op, item.recordId]),
        };
      },
      { id: fourth },
    );
    expect(after.error).toEqual({ name: 'StorageError', quota: true });
    expect(after.record?.is_pinned).not.toBe(true);
    expect(after.outbox).toEqual([
      ['update', first],
      ['update', second],
      ['update', third],
      ['create', created.id],
    ]);
  });
});

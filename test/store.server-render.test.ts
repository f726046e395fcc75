/**
 * A store created where there is no IndexedDB (a server render, Node without a shim): it
 * can read and sync nothing, so it must start no timer and hold nothing that keeps Node
 * running, whatever its sync options say.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConversationStore, createConversationStore } from '../src/index.js';
import { FAKE_TIMERS, tickUntil, until } from './fixtures.js';

let store: ConversationStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
  vi.useRealTimers();
});

const serverStore = () =>
  createConversationStore({
    baseUrl: 'https://api.test',
    getToken: () => 'token',
    databaseName: `server-render-${Math.random()}`,
    fetch: () => Promise.reject(new Error('no request is expected')),
  });

/** Lets every pending promise and setImmediate callback run, moving no timer. */
const settle = () => tickUntil(() => false, 50);

/** Node's active handles and requests by kind, without the test runner's own. */
const activeResources = () =>
  (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();

describe('a store without IndexedDB', () => {
  it('starts no timer, even with automatic sync on and after start()', async () => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    vi.useFakeTimers(FAKE_TIMERS);
    store = serverStore();
    const status = await until(store.sync.status$, (value) => value.state === 'error');
    expect(status.lastError?.name).toBe('StorageError');
    await settle();
    expect(vi.getTimerCount()).toBe(0);
    store.sync.start();
    await settle();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps no handle that would keep Node running', async () => {
    const before = activeResources().sort();
    store = serverStore();
    await settle();
    expect(activeResources().sort()).toEqual(before);
  });
});

/**
 * protocol-offline/sw: Background Sync. A write made offline is flushed by the service
 * worker when connectivity returns, even after the tab was closed (where the browser has
 * the Background Sync API; elsewhere the store's normal triggers do it on the next load).
 *
 * In the page: call `requestBackgroundSync()` after a write made offline.
 * In the service worker: call `handleBackgroundSync({ baseUrl, getToken, databaseName })`.
 */

import type { SyncSummary } from './model/sync.js';
import type { ConversationStoreOptions } from './options.js';
import { isSignedOut } from './storage/signout.js';
import { createConversationStore } from './store.js';

/** The Background Sync tag the store registers. */
export const BACKGROUND_SYNC_TAG = 'protocol-offline';

interface SyncManagerLike {
  register(tag: string): Promise<void>;
}

/**
 * Page side: asks the browser to wake the service worker once the network is back.
 * Resolves false where Background Sync (or a service worker) is not available.
 */
export async function requestBackgroundSync(tag = BACKGROUND_SYNC_TAG): Promise<boolean> {
  // Missing and null (happy-dom and some embedded browsers stub APIs with null) are absent.
  const container = (
    globalThis as { navigator?: { serviceWorker?: ServiceWorkerContainer | null } | null }
  ).navigator?.serviceWorker;
  if (container === undefined || container === null) return false;
  const registration = (await container.ready) as ServiceWorkerRegistration & {
    sync?: SyncManagerLike | null;
  };
  if (typeof registration.sync?.register !== 'function') return false;
  await registration.sync.register(tag);
  return true;
}

interface SyncEventLike extends Event {
  tag: string;
  waitUntil(promise: Promise<unknown>): void;
}

/** The options of {@link handleBackgroundSync} and {@link flushOnce}. */
export type BackgroundSyncOptions = Omit<ConversationStoreOptions, 'sync' | 'databaseName'> & {
  /**
   * The signed-in user's database, or a function that reads it when the event comes (a
   * worker outlives sign-ins: read what the page last recorded, for example from a Cache
   * entry). `null` (nobody signed in) resolves without syncing.
   */
  databaseName?: string | (() => string | null | Promise<string | null>);
};

/**
 * Service-worker side: on a Background Sync event, opens the store on the same database
 * (without automatic sync), runs one round, and closes it. A database deleted by a
 * sign-out is left alone. Returns an unsubscribe function.
 */
export function handleBackgroundSync(
  options: BackgroundSyncOptions & { tag?: string },
): () => void {
  const tag = options.tag ?? BACKGROUND_SYNC_TAG;
  const listener = (event: Event) => {
    const sync = event as SyncEventLike;
    if (sync.tag !== tag) return;
    sync.waitUntil(flushOnce(options));
  };
  globalThis.addEventListener('sync', listener);
  return () => globalThis.removeEventListener('sync', listener);
}

/**
 * One sync round from a context without a page (a service worker). Resolves with null,
 * without opening anything, when no database is named or it was deleted by a sign-out
 * (the store never recreates it).
 */
export async function flushOnce(options: BackgroundSyncOptions): Promise<SyncSummary | null> {
  const { databaseName: named, ...rest } = options;
  const databaseName = typeof named === 'function' ? await named() : (named ?? 'protocol-offline');
  if (databaseName === null || (await isSignedOut(rest, databaseName))) return null;
  const store = createConversationStore({ ...rest, databaseName, sync: { auto: false } });
  try {
    const summary = await store.sync.now();
    // Background Sync retries a rejected promise later: ask for that while offline.
    if (summary.state === 'offline') throw summary.error ?? new Error('offline');
    return summary;
  } finally {
    await store.close();
  }
}

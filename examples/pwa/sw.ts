/// <reference lib="webworker" />
/**
 * The example's service worker: keeps the app shell available offline (network first,
 * cache as the fallback) and flushes the outbox on Background Sync, through the same
 * network switch as the pages: while the example's "offline" switch is on, it sends nothing.
 */
import { flushOnce, handleBackgroundSync } from 'protocol-offline/sw';
import { currentDatabase, TOKEN } from './config.js';
import { switchedFetch } from './network.js';

const worker = globalThis as unknown as ServiceWorkerGlobalScope;
const CACHE = 'example-shell-v1';

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // The server lists the built files, so the whole shell loads offline after one visit.
      const files = (await (await fetch('/precache.json')).json()) as string[];
      await (await caches.open(CACHE)).addAll(['/', ...files]);
      await worker.skipWaiting();
    })(),
  );
});
worker.addEventListener('activate', (event) => event.waitUntil(worker.clients.claim()));
worker.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (
    event.request.method !== 'GET' ||
    url.origin !== location.origin ||
    url.pathname.startsWith('/v1/')
  )
    return;
  event.respondWith(
    fetch(event.request)
      .then(async (response) => {
        const cache = await caches.open(CACHE);
        await cache.put(event.request, response.clone());
        return response;
      })
      .catch(
        async () =>
          (await caches.match(event.request, { ignoreSearch: true })) ??
          (await caches.match('/')) ??
          Response.error(),
      ),
  );
});

// The database of whoever the page last recorded as signed in; none after a sign-out.
const options = {
  baseUrl: location.origin,
  getToken: () => TOKEN,
  databaseName: currentDatabase,
  fetch: switchedFetch,
};
handleBackgroundSync(options);
// What a sync event runs, callable by the browser tests wherever Background Sync is missing.
Object.assign(worker, { flushOutbox: () => flushOnce(options) });

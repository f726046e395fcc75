/** The example's fixed token: the reference server behind it accepts this one. */
export const TOKEN = 'example-token';

/**
 * Which user's database the service worker syncs: the page records it in a Cache entry
 * at start-up (and removes it on sign-out), the worker reads it when a sync event comes.
 * A worker outlives sign-ins, so it never hard-codes one user's database.
 */
const SESSION_CACHE = 'example-session';
const SESSION_URL = '/__session';

export async function recordDatabase(databaseName: string | null): Promise<void> {
  const cache = await caches.open(SESSION_CACHE);
  if (databaseName === null) await cache.delete(SESSION_URL);
  else await cache.put(SESSION_URL, Response.json({ databaseName }));
}

export async function currentDatabase(): Promise<string | null> {
  const recorded = await (await caches.open(SESSION_CACHE)).match(SESSION_URL);
  if (recorded === undefined) return null;
  const { databaseName } = (await recorded.json()) as { databaseName?: unknown };
  return typeof databaseName === 'string' ? databaseName : null;
}

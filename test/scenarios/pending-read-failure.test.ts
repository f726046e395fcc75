/**
 * A live read behind the store's status outlives a failed read: one failed read of the
 * outbox must not end pending$'s live read for good, or pending$ would stop following what
 * other tabs queue.
 */
import type { Dexie } from 'dexie';
import { afterEach, expect, it } from 'vitest';
import { eventually, type LocalStore, localStore, wrapTables } from '../fixtures.js';

let failNextOutboxRead = false;
let first: Dexie | undefined;
let stop: () => void;
let local: LocalStore;
afterEach(async () => {
  stop();
  await local.store.close();
});

it('pending$ keeps following what another tab queues after one failed read of the outbox', async () => {
  // The first store opened (this tab) fails its next read-only query of the outbox.
  stop = wrapTables(
    (db) => {
      first ??= db;
      return first === db;
    },
    (name, table) => {
      if (name !== 'outbox') return table;
      return {
        ...table,
        query: (request) => {
          const readOnly = (request.trans as unknown as IDBTransaction).mode === 'readonly';
          if (!failNextOutboxRead || !readOnly) return table.query(request);
          failNextOutboxRead = false;
          return Promise.reject(new Error('transient read failure'));
        },
      };
    },
  );
  local = await localStore();
  const seen: ReadonlySet<string>[] = [];
  const subscription = local.store.sync.pending$.subscribe((ids) => seen.push(ids));
  const other = local.openTab();
  const x = await other.conversations.create({ contact_id: 'x' });
  await eventually(() => expect(seen.at(-1)).toEqual(new Set([x.id])));
  failNextOutboxRead = true;
  const y = await other.conversations.create({ contact_id: 'y' }); // This tab's read of it fails.
  await eventually(() => expect(failNextOutboxRead).toBe(false));
  const z = await other.conversations.create({ contact_id: 'z' });
  await eventually(() => expect(seen.at(-1)).toEqual(new Set([x.id, y.id, z.id])));
  subscription.unsubscribe();
  await other.close();
});

/**
 * A live read behind the store's status outlives a failed read (found by the mutation run
 * of src/live.ts): one failed read of the outbox used to end pending$'s live read for good,
 * so pending$ no longer followed what other tabs queue.
 */
import { Dexie } from 'dexie';
import { afterEach, expect, it } from 'vitest';
import { eventually, type LocalStore, localStore } from './fixtures.js';

let failNextOutboxRead = false;
let first: Dexie | undefined;
const addon = (db: Dexie) => {
  if (first !== undefined) return; // Only the first store opened: this tab.
  first = db;
  db.use({
    stack: 'dbcore',
    name: 'fail-one-outbox-read',
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        if (name !== 'outbox') return table;
        return {
          ...table,
          query: (request) => {
            if (
              failNextOutboxRead &&
              (request.trans as unknown as IDBTransaction).mode === 'readonly'
            ) {
              failNextOutboxRead = false;
              return Promise.reject(new Error('transient read failure'));
            }
            return table.query(request);
          },
        };
      },
    }),
  });
};

let local: LocalStore;
afterEach(async () => {
  Dexie.addons.splice(Dexie.addons.indexOf(addon), 1);
  await local.store.close();
});

it('pending$ keeps following what another tab queues after one failed read of the outbox', async () => {
  Dexie.addons.push(addon);
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

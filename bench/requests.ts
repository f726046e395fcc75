/**
 * The IndexedDB requests of one store `update`, hand-written in raw Dexie: the floor of
 * a write that keeps an outbox entry and a base in the same transaction. The store's own
 * cost over raw IndexedDB is its `update` next to this, not next to a lone `put`.
 */
import { type StoreDatabase, toStored } from '../src/db.js';
import type { Conversation } from '../src/index.js';
import { pickConversation } from '../src/model.js';
import { newEntry } from '../src/outbox.js';

export function sameRequestsAsUpdate(db: StoreDatabase, row: Conversation, muted: boolean) {
  return db.transaction('rw', [db.conversations, db.outbox, db.bases], async () => {
    const [stored] = await Promise.all([
      db.conversations.get(row.id),
      db.outbox.where('recordId').equals(row.id).toArray(),
      db.bases.get(row.id),
    ]);
    if (stored === undefined) throw new Error(`missing ${row.id}`);
    const current = pickConversation(stored);
    await Promise.all([
      db.conversations.put(toStored({ ...current, is_muted: muted })),
      db.bases.put({ id: row.id, row: current }),
      db.outbox.add(newEntry(row.id, { op: 'update', patch: { is_muted: muted } }, Date.now())),
    ]);
  });
}

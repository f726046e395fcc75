/**
 * No answer outlives its database: after close(), or destroy() in this or another store on
 * the database, or the database deleted by another connection, every read fails with a
 * StorageError at once (no cached result answers) and status$ ends in 'closed'.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type ConversationStore, StorageError } from '../../src/index.js';
import { A, syncedSuite, until } from '../fixtures.js';

/** The harness (`t.h`) and every store opened on it; closed after each test. */
const { t, synced, open } = syncedSuite();

/** A store that synced and holds a live list and record: its cache answers reads. */
async function warmStore() {
  const store = await synced();
  const list$ = store.conversations.list$({ muted: false });
  const page = await until(list$, (value) => value.data.length === 3);
  const errors: unknown[] = [];
  list$.subscribe({ error: (error) => errors.push(error) });
  store.conversations.retrieve$(A.id).subscribe({ error: (error) => errors.push(error) });
  await until(store.conversations.retrieve$(A.id), (row) => row !== undefined);
  return { store, page, errors };
}

/** Every kind of read fails with a StorageError. */
async function expectEveryReadRefused(store: ConversationStore) {
  await expect(store.conversations.list({ muted: false })).rejects.toBeInstanceOf(StorageError);
  await expect(store.conversations.retrieve(A.id)).rejects.toBeInstanceOf(StorageError);
  await expect(firstValueFrom(store.conversations.list$({ muted: false }))).rejects.toBeInstanceOf(
    StorageError,
  );
  await expect(firstValueFrom(store.conversations.retrieve$(A.id))).rejects.toBeInstanceOf(
    StorageError,
  );
  await expect(
    firstValueFrom(store.conversations.listState$({ muted: false })),
  ).rejects.toBeInstanceOf(StorageError);
}

describe('a closed or destroyed database answers nothing', () => {
  it('refuses every read after close(), cached ones included, and status$ ends closed', async () => {
    const { store, errors } = await warmStore();
    const states = lastValueFrom(store.sync.status$.pipe(toArray()));
    await store.close();
    expect((await states).at(-1)?.state).toBe('closed');
    expect(errors).toHaveLength(2);
    for (const error of errors) expect(error).toBeInstanceOf(StorageError);
    await expectEveryReadRefused(store);
  });

  it('refuses the reads of another open store on the database once one store destroyed it', async () => {
    const { store: other, page, errors } = await warmStore();
    expect(page.data).toHaveLength(3);
    const signingOut = open();
    const states = lastValueFrom(other.sync.status$.pipe(toArray()));
    await signingOut.destroy();
    // The signed-out user's conversations are not readable from the other store's cache.
    await expectEveryReadRefused(other);
    expect(errors).toHaveLength(2);
    expect((await states).at(-1)?.state).toBe('closed');
  });

  it('refuses reads once another connection deleted the database', async () => {
    const { store, errors } = await warmStore();
    await new Promise<void>((resolve, reject) => {
      const request = t.h.indexedDB.deleteDatabase(t.h.databaseName);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    await expectEveryReadRefused(store);
    expect(errors).toHaveLength(2);
    const last = await lastValueFrom(store.sync.status$);
    expect(last.state).toBe('closed');
  });
});

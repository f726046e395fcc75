/** Stored rejections: which errors their calls give when the id or the database is missing. */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { StorageError, ValidationError } from '../../src/model/errors.js';
import { discardRejection, listRejections } from '../../src/storage/rejections.js';
import { openDatabase } from '../../src/storage/schema.js';
import { localStore } from '../fixtures.js';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (caught: unknown) => caught as Error,
  );

describe('rejections', () => {
  it('retry() of an unknown rejection names the field and the id', async () => {
    const { store } = await localStore();
    const error = await failure(store.sync.retry(999));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('rejectionId');
    expect(error?.message).toBe('rejectionId: no rejection 999');
    await store.close();
  });

  it('says which call failed when the database is gone', async () => {
    const db = openDatabase('rejections-closed', { indexedDB: new IDBFactory(), IDBKeyRange });
    await db.open();
    db.close();
    const listed = await failure(listRejections(db));
    expect(listed).toBeInstanceOf(StorageError);
    expect(listed?.message).toMatch(/^listRejections failed: /);
    const discarded = await failure(discardRejection(db, 1));
    expect(discarded).toBeInstanceOf(StorageError);
    expect(discarded?.message).toMatch(/^discard failed: /);
  });
});

/**
 * The store's lifecycle at its edges: the messages of failed calls, another tab's sign-out
 * or upgrade, and a newer database (its exact refusal, and one deleted while it is read).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ConversationStore, StorageError } from '../src/index.js';
import { A, type LocalStore, localStore } from './fixtures.js';

let local: LocalStore;
const opened: ConversationStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => {});
});

/** Opens `name` at `version` directly, then closes the connection. */
function openRaw(indexedDB: IDBFactory, name: string, version: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
}

const completed = (store: ConversationStore) =>
  new Promise<'completed'>((resolve) =>
    store.sync.status$.subscribe({ complete: () => resolve('completed') }),
  );
const soon = () => new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 100));

describe('failed calls name what failed', () => {
  it('listOutbox() and retry() on a closed store reject with a StorageError naming them', async () => {
    local = await localStore([A]);
    await local.store.close();
    const outbox = await local.store.sync.listOutbox().catch((caught: unknown) => caught);
    expect(outbox).toBeInstanceOf(StorageError);
    expect((outbox as Error).message).toMatch(/^listOutbox failed: /);
    const retry = await local.store.sync.retry(1).catch((caught: unknown) => caught);
    expect(retry).toBeInstanceOf(StorageError);
    expect((retry as Error).message).toMatch(/^retry failed: /);
  });
});

describe('another tab', () => {
  it('deleting the database closes this store for good', async () => {
    local = await localStore([A]);
    const other = local.openTab();
    opened.push(other);
    expect((await other.conversations.list()).data).toHaveLength(1);
    const done = completed(other);
    await local.store.destroy();
    expect(await Promise.race([done, soon()])).toBe('completed');
  });

  it('upgrading the database does not close this store; its reads then refuse the newer database', async () => {
    local = await localStore([A]);
    expect((await local.store.conversations.list()).data).toHaveLength(1);
    const done = completed(local.store);
    await openRaw(local.indexedDB, local.databaseName, 50);
    expect(await Promise.race([done, soon()])).toBe('open');
    await expect(local.store.conversations.list()).rejects.toThrow(
      /schema version 5, newer than version 4/,
    );
  });
});

describe('a newer database', () => {
  it('is refused with the exact message naming both versions', async () => {
    local = await localStore([]);
    await local.store.close();
    await openRaw(local.indexedDB, local.databaseName, 50);
    const store = local.openTab();
    opened.push(store);
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      `Database ${local.databaseName} has schema version 5, newer than version 4, the newest ` +
        'this code knows: it was written by a newer release of protocol-offline. Nothing was ' +
        'changed; load the newer app.',
    );
  });

  it('deleted while its version is read is reported as unknown, and not recreated', async () => {
    local = await localStore([]);
    await local.store.close();
    await openRaw(local.indexedDB, local.databaseName, 50);
    const real = local.indexedDB;
    // The probe (an open without a version) finds the database deleted meanwhile.
    const racing = {
      open: (name: string, version?: number) => {
        if (version !== undefined) return real.open(name, version);
        if (name === local.databaseName) real.deleteDatabase(name);
        return real.open(name);
      },
      deleteDatabase: (name: string) => real.deleteDatabase(name),
      cmp: (a: unknown, b: unknown) => real.cmp(a, b),
      databases: () => real.databases(),
    } as unknown as IDBFactory;
    const store = local.openTab({ indexedDB: racing as never });
    opened.push(store);
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Database ${local.databaseName} has schema version unknown, newer than version 4,`,
      ),
    );
    const names = (await real.databases()).map((database) => database.name);
    expect(names).not.toContain(local.databaseName);
  });
});

/**
 * Sign-out stays signed out: after destroy(), no store (another tab, a stale page load)
 * recreates the database until the app signs in again with afterSignIn: true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ConversationStore, StorageError } from '../../src/index.js';
import { isSignedOut, markSignedOut, SIGNED_OUT_DATABASE } from '../../src/storage/signout.js';
import { A, type LocalStore, localStore } from '../fixtures.js';

let local: LocalStore;
const opened: ConversationStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

const databaseNames = async () =>
  (await local.indexedDB.databases()).map((database) => database.name);

describe('sign-out', () => {
  it('a store created after destroy() refuses the database instead of recreating it', async () => {
    local = await localStore([A]);
    await local.store.destroy();
    const stale = local.openTab();
    opened.push(stale);
    const error = await stale.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(/deleted by a sign-out/);
    await expect(stale.conversations.create({ contact_id: 'k' })).rejects.toBeInstanceOf(
      StorageError,
    );
    expect(await databaseNames()).not.toContain(local.databaseName);
  });

  it('a store created after destroy() completes its status$ (it closed for good)', async () => {
    local = await localStore([A]);
    await local.store.destroy();
    const stale = local.openTab();
    opened.push(stale);
    await new Promise<void>((resolve) => stale.sync.status$.subscribe({ complete: resolve }));
    await stale.close(); // The close its refused open began.
    // Closed for good, its reads still say why (not merely "closed").
    await expect(stale.conversations.list()).rejects.toThrow(/deleted by a sign-out/);
  });

  it('another tab open during destroy() never recreates the database', async () => {
    local = await localStore([A]);
    const otherTab = local.openTab();
    opened.push(otherTab);
    expect((await otherTab.conversations.list()).data).toHaveLength(1);
    await local.store.destroy();
    await expect(otherTab.conversations.update(A.id, { is_muted: true })).rejects.toBeInstanceOf(
      StorageError,
    );
    await expect(otherTab.conversations.list()).rejects.toBeInstanceOf(StorageError);
    expect(await databaseNames()).not.toContain(local.databaseName);
  });

  it('afterSignIn: true opens the database again, and later stores open it normally', async () => {
    local = await localStore([A]);
    await local.store.destroy();
    const signedIn = local.openTab({ afterSignIn: true });
    const created = await signedIn.conversations.create({ contact_id: 'k' });
    await signedIn.close();
    expect(await isSignedOut(local, local.databaseName)).toBe(false);
    const nextLoad = local.openTab();
    opened.push(nextLoad);
    expect((await nextLoad.conversations.list()).data.map((row) => row.id)).toEqual([created.id]);
  });

  it('afterSignIn must be a boolean', async () => {
    local = await localStore();
    opened.push(local.store);
    expect(() => local.openTab({ afterSignIn: 'yes' as unknown as boolean })).toThrow(
      /afterSignIn/,
    );
  });
});

/** `factory` with `open` of the markers database replaced by `open`. */
function markersOpen(
  factory: IDBFactory,
  open: (name: string, version?: number) => IDBOpenDBRequest,
) {
  return new Proxy(factory, {
    get(target, property) {
      if (property === 'open') {
        return (name: string, version?: number) =>
          name === SIGNED_OUT_DATABASE ? open(name, version) : target.open(name, version);
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('sign-out markers', () => {
  it('the refusal tells the app how to open the database again', async () => {
    local = await localStore([A]);
    await local.store.destroy();
    const stale = local.openTab();
    opened.push(stale);
    await expect(stale.conversations.list()).rejects.toThrow(
      /deleted by a sign-out: it is not recreated until the app creates the store with afterSignIn: true/,
    );
  });

  it('a tab created with afterSignIn: true does not recreate the database after a later sign-out', async () => {
    local = await localStore([A]);
    const signedIn = local.openTab({ afterSignIn: true });
    opened.push(signedIn);
    expect((await signedIn.conversations.list()).data).toHaveLength(1);
    const other = local.openTab();
    opened.push(other);
    await other.destroy();
    await expect(signedIn.conversations.list()).rejects.toBeInstanceOf(StorageError);
    expect(await databaseNames()).not.toContain(local.databaseName);
    expect(await isSignedOut(local, local.databaseName)).toBe(true);
  });

  it('an unreadable marker database refuses the open with a StorageError that keeps the cause', async () => {
    local = await localStore([A]);
    const cause = new Error('markers unreadable');
    const indexedDB = markersOpen(local.indexedDB, () => {
      throw cause;
    });
    const store = local.openTab({ indexedDB });
    opened.push(store);
    const error = await store.conversations.list().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      `open ${local.databaseName} failed: the sign-out marker could not be read`,
    );
    const reason = (error as Error).cause as { inner?: unknown } | undefined;
    expect(reason).toBeInstanceOf(Error);
    expect(reason === cause || reason?.inner === cause).toBe(true);
  });

  it('leaves no connection to the marker database open', async () => {
    local = await localStore([A]);
    const connections: { closed: boolean }[] = [];
    const indexedDB = markersOpen(local.indexedDB, (name, version) => {
      const request = local.indexedDB.open(name, version);
      request.addEventListener('success', () => {
        const connection = { closed: false };
        connections.push(connection);
        const database = request.result;
        const close = database.close.bind(database);
        database.close = () => {
          connection.closed = true;
          close();
        };
      });
      return request;
    });
    const store = local.openTab({ indexedDB });
    opened.push(store);
    expect((await store.conversations.list()).data).toHaveLength(1); // Reads the marker.
    await store.destroy(); // Writes it.
    const stale = local.openTab({ indexedDB });
    opened.push(stale);
    await expect(stale.conversations.list()).rejects.toThrow(/deleted by a sign-out/);
    expect(connections.length).toBeGreaterThanOrEqual(3);
    expect(connections.filter((connection) => !connection.closed)).toEqual([]);
  });
});

describe('sign-out markers, later opens', () => {
  it('a store created with afterSignIn: true checks the marker again when it reopens', async () => {
    local = await localStore([A]);
    const signedIn = local.openTab({ afterSignIn: true });
    opened.push(signedIn);
    expect((await signedIn.conversations.list()).data).toHaveLength(1);
    // Another tab's destroy() has written the marker; a newer release upgrades meanwhile,
    // which makes Dexie close this connection and reopen it on the next read.
    await markSignedOut(local, local.databaseName, 1);
    await new Promise<void>((resolve, reject) => {
      const request = local.indexedDB.open(local.databaseName, 10_000);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error);
    });
    await expect(signedIn.conversations.list()).rejects.toThrow(/deleted by a sign-out/);
    expect(await isSignedOut(local, local.databaseName)).toBe(true);
  });
});

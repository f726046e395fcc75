/**
 * Sign-out stays signed out: after destroy(), no store (another tab, a stale page load)
 * recreates the database until the app signs in again with afterSignIn: true.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type ConversationStore, StorageError } from '../src/index.js';
import { isSignedOut } from '../src/signout.js';
import { A, type LocalStore, localStore } from './fixtures.js';

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

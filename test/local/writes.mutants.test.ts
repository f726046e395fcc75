/**
 * The messages of failed local writes: a create, update or delete whose IndexedDB
 * transaction fails with a raw error rejects with a StorageError naming the call.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/index.js';
import { A, type LocalStore, localStore, wrapTables } from '../fixtures.js';

let broken = false;
let stop: (() => void) | undefined;
let local: LocalStore | undefined;
afterEach(async () => {
  broken = false;
  stop?.();
  stop = undefined;
  await local?.store.close().catch(() => {});
  local = undefined;
});

describe('failed local writes name what failed', () => {
  it.each([
    ['create', (l: LocalStore) => l.store.conversations.create({ contact_id: 'k' })],
    ['update', (l: LocalStore) => l.store.conversations.update(A.id, { is_pinned: true })],
    ['delete', (l: LocalStore) => l.store.conversations.delete(A.id)],
  ] as const)('%s() rejects with a StorageError naming the call', async (name, call) => {
    stop = wrapTables(
      (db) => db.name.startsWith('local-'),
      (table, down) =>
        table !== 'conversations'
          ? down
          : {
              ...down,
              mutate: (request) =>
                broken
                  ? Promise.reject(new DOMException('boom', 'UnknownError'))
                  : down.mutate(request),
            },
    );
    local = await localStore([A]);
    expect((await local.store.conversations.list()).data).toHaveLength(1);
    broken = true;
    const error = await (call(local) as Promise<unknown>).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toMatch(new RegExp(`^${name} failed: `));
  });
});

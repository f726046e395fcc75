import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError, ValidationError } from '../../src/index.js';
import { createLocal, updateLocal } from '../../src/local/writes.js';
import { CONVERSATION_FIELDS } from '../../src/model/conversation.js';
import { openDatabase, toStored } from '../../src/storage/schema.js';
import { A, type LocalStore, localStore, NOW, wrapTables } from '../fixtures.js';

let local: LocalStore;
afterEach(() => local?.store.close());

const outbox = async () =>
  (await local.dump()).outbox as { op: string; recordId: string; patch?: unknown }[];

describe('local writes', () => {
  it('creates a conversation with a temporary id, created_at = now and the API’s fields only', async () => {
    local = await localStore();
    const created = await local.store.conversations.create({ group_id: 'g1' });
    expect(created).toEqual({
      id: expect.stringMatching(/^tmp_[A-Za-z0-9]{16}$/),
      contact_id: null,
      group_id: 'g1',
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: NOW,
      archived_at: null,
    });
    expect(Object.keys(created)).toEqual([...CONVERSATION_FIELDS]);
    expect(await local.store.conversations.retrieve(created.id)).toEqual(created);
    expect(await outbox()).toEqual([
      expect.objectContaining({ op: 'create', recordId: created.id, body: { group_id: 'g1' } }),
    ]);
  });

  it('updates the record and queues one merged update', async () => {
    local = await localStore([A]);
    const updated = await local.store.conversations.update(A.id, { is_muted: true });
    expect(updated).toEqual({ ...A, is_muted: true });
    await local.store.conversations.update(A.id, { archived_at: 99, pinned_message_id: 'm1' });
    expect(await local.store.conversations.retrieve(A.id)).toEqual({
      ...A,
      is_muted: true,
      archived_at: 99,
      pinned_message_id: 'm1',
    });
    expect(await outbox()).toEqual([
      expect.objectContaining({
        op: 'update',
        patch: { is_muted: true, archived_at: 99, pinned_message_id: 'm1' },
      }),
    ]);
  });

  it('queues a create followed by its updates as a create and one update', async () => {
    local = await localStore();
    const created = await local.store.conversations.create({ contact_id: 'k' });
    await local.store.conversations.update(created.id, { is_muted: true });
    await local.store.conversations.update(created.id, { is_pinned: true });
    expect((await outbox()).map((entry) => [entry.op, entry.patch])).toEqual([
      ['create', undefined],
      ['update', { is_muted: true, is_pinned: true }],
    ]);
  });

  it('leaves nothing at all for a create deleted before sync', async () => {
    local = await localStore();
    const created = await local.store.conversations.create({ contact_id: 'k' });
    await local.store.conversations.delete(created.id);
    const tables = await local.dump();
    expect([tables.conversations, tables.outbox, tables.bases]).toEqual([[], [], undefined]);
  });

  it('deletes a record and queues one delete in place of its updates', async () => {
    local = await localStore([A]);
    await local.store.conversations.update(A.id, { is_muted: true });
    await local.store.conversations.delete(A.id);
    expect(await local.store.conversations.retrieve(A.id)).toBeUndefined();
    expect((await outbox()).map((entry) => entry.op)).toEqual(['delete']);
  });
});

describe('validation: refused with a typed error, nothing written', () => {
  const polluting = JSON.parse('{"__proto__": {"polluted": true}}') as object;
  const withConstructor = JSON.parse(
    '{"constructor": {"prototype": {"polluted": true}}}',
  ) as object;

  it.each([
    ['both contact_id and group_id', { contact_id: 'a', group_id: 'b' }, 'contact_id'],
    ['neither', {}, 'contact_id'],
    ['a number', { contact_id: 5 }, 'contact_id'],
    ['an empty string', { group_id: '' }, 'group_id'],
    ['an unknown field', { contact_id: 'a', color: 'red' }, 'color'],
    ['a read-only id', { contact_id: 'a', id: 'x' }, 'id'],
    ['a read-only created_at', { contact_id: 'a', created_at: 1 }, 'created_at'],
    ['an own __proto__ key', polluting, '__proto__'],
    ['not an object', 'contact', 'input'],
    ['an array', ['contact_id'], 'input'],
  ])('create with %s', async (_name, input, field) => {
    local = await localStore([A]);
    const before = await local.dump();
    const error = await local.store.conversations.create(input as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(await local.dump()).toEqual(before);
  });

  it.each([
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['a read-only id', { id: 'x' }, 'id'],
    ['a read-only created_at', { created_at: 5 }, 'created_at'],
    ['a read-only last_active_at', { last_active_at: 5 }, 'last_active_at'],
    ['is_muted not a boolean', { is_muted: 'yes' }, 'is_muted'],
    ['is_pinned not a boolean', { is_pinned: 1 }, 'is_pinned'],
    ['archived_at not an integer', { archived_at: 1.5 }, 'archived_at'],
    ['archived_at negative', { archived_at: -1 }, 'archived_at'],
    ['archived_at a string', { archived_at: '2024-01-01' }, 'archived_at'],
    ['pinned_message_id a number', { pinned_message_id: 3 }, 'pinned_message_id'],
    ['an own __proto__ key', polluting, '__proto__'],
    ['an own constructor key', withConstructor, 'constructor'],
  ])('update with %s', async (_name, patch, field) => {
    local = await localStore([A]);
    const before = await local.dump();
    const error = await local.store.conversations
      .update(A.id, patch as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect(await local.dump()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses update and delete of an unknown id', async () => {
    local = await localStore([A]);
    const before = await local.dump();
    await expect(
      local.store.conversations.update('nope', { is_muted: true }),
    ).rejects.toMatchObject({
      name: 'ValidationError',
      field: 'id',
    });
    await expect(local.store.conversations.delete('nope')).rejects.toMatchObject({ field: 'id' });
    await expect(local.store.conversations.delete(42 as never)).rejects.toMatchObject({
      field: 'id',
    });
    expect(await local.dump()).toEqual(before);
  });

  it('names the unknown id in the error of update and delete', async () => {
    local = await localStore([A]);
    for (const write of [
      () => local.store.conversations.update('nope', { is_muted: true }),
      () => local.store.conversations.delete('nope'),
    ]) {
      await expect(write()).rejects.toMatchObject({
        name: 'ValidationError',
        field: 'id',
        message: 'id: no conversation nope',
      });
    }
  });

  it('answers retrieve of an unknown id with undefined', async () => {
    local = await localStore([A]);
    expect(await local.store.conversations.retrieve('nope')).toBeUndefined();
  });
});

describe('storage failures', () => {
  let broken = false;
  let stopWrapping: (() => void) | undefined;
  afterEach(() => {
    broken = false;
    stopWrapping?.();
    stopWrapping = undefined;
  });

  it.each([
    ['create', (l: LocalStore) => l.store.conversations.create({ contact_id: 'k' })],
    ['update', (l: LocalStore) => l.store.conversations.update(A.id, { is_pinned: true })],
    ['delete', (l: LocalStore) => l.store.conversations.delete(A.id)],
  ] as const)(
    '%s() whose transaction fails rejects with a StorageError naming the call',
    async (name, call) => {
      stopWrapping = wrapTables(
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
    },
  );

  it('rejects reads and writes after close() with StorageError', async () => {
    local = await localStore([A]);
    await local.store.close();
    await expect(local.store.conversations.list()).rejects.toBeInstanceOf(StorageError);
    await expect(local.store.conversations.create({ contact_id: 'k' })).rejects.toBeInstanceOf(
      StorageError,
    );
  });

  it('reports a quota error as StorageError and writes neither the record nor its outbox entry', async () => {
    const indexedDB = new IDBFactory();
    const db = openDatabase('quota', { indexedDB, IDBKeyRange });
    db.use({
      stack: 'dbcore',
      name: 'full-disk',
      create: (down) => ({
        ...down,
        table: (name) => {
          const table = down.table(name);
          if (name !== 'outbox') return table;
          return {
            ...table,
            mutate: async () => {
              throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
            },
          };
        },
      }),
    });
    await db.conversations.put(toStored(A));
    const context = { db, nowSeconds: () => NOW, written: () => {} };
    const created = await createLocal(context, { contact_id: 'k' }).catch((e: unknown) => e);
    expect(created).toBeInstanceOf(StorageError);
    expect((created as StorageError).quota).toBe(true);
    const updated = await updateLocal(context, A.id, { is_muted: true }).catch((e: unknown) => e);
    expect(updated).toMatchObject({ name: 'StorageError', quota: true });
    expect((await db.conversations.toArray()).map((row) => [row.id, row.is_muted])).toEqual([
      [A.id, false],
    ]);
    expect(await db.outbox.count()).toBe(0);
    db.close();
  });
});

describe('databases', () => {
  it('destroy() deletes everything local', async () => {
    local = await localStore([A]);
    await local.store.conversations.update(A.id, { is_muted: true });
    await local.store.destroy();
    const reopened = local.openTab({ afterSignIn: true });
    expect(await reopened.conversations.list()).toEqual({ has_more: false, data: [] });
    expect(await reopened.sync.listOutbox()).toEqual([]);
    await reopened.close();
  });

  it('destroy() closes the same database in every other tab', async () => {
    local = await localStore([A]);
    const otherTab = local.openTab();
    expect((await otherTab.conversations.list()).data).toHaveLength(1);
    await local.store.destroy();
    await expect(otherTab.conversations.list()).rejects.toBeInstanceOf(StorageError);
    await otherTab.close();
  });

  it('keeps stores with different databaseName apart', async () => {
    local = await localStore([A]);
    const other = await localStore();
    await other.store.conversations.create({ contact_id: 'k' });
    expect((await local.store.conversations.list()).data.map((r) => r.id)).toEqual([A.id]);
    expect((await other.store.conversations.list()).data).toHaveLength(1);
    await other.store.close();
  });
});

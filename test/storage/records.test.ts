/**
 * The records module: the only writer of the `conversations` table. Its removal rule (a
 * row leaves only with a proof) and its row rule (base + queued entries, `q` exactly when
 * queued), and the fingerprint that tells an evicted record's unchanged row from news.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/model/errors.js';
import {
  createRefused,
  deletedHere,
  evict,
  evictedUnchanged,
  fingerprint,
  notFound,
  remove,
  showQueued,
  storeServerRows,
  stubs,
} from '../../src/storage/records.js';
import {
  type OutboxEntry,
  openDatabase,
  SCOPES,
  type StoreDatabase,
  toStored,
} from '../../src/storage/schema.js';
import { A, B, conversation } from '../fixtures.js';

const request = (method: string, path: string) => ({
  method,
  url: `https://api.test/v1/conversations${path}`,
});
const notFoundFor = (path: string, method = 'GET') =>
  new ApiError(404, 'invalid_request', 'Not found', { request: request(method, path) });

let counter = 0;
async function database(): Promise<StoreDatabase> {
  const db = openDatabase(`records-${counter++}`, { indexedDB: new IDBFactory(), IDBKeyRange });
  await db.open();
  return db;
}

const entry = (fields: Partial<OutboxEntry> & Pick<OutboxEntry, 'op'>): OutboxEntry =>
  ({
    recordId: A.id,
    key: 'k',
    sentAt: null,
    attempts: 0,
    notBefore: 0,
    enqueuedAt: 0,
    lastError: null,
    ...fields,
  }) as OutboxEntry;

describe('the removal rule: a row leaves only with a proof', () => {
  it('takes a 404 for that very id as proof, from a GET or a PUT', () => {
    expect(notFound(A.id, notFoundFor(`/${A.id}`))).toMatchObject({
      id: A.id,
      reason: 'not-found',
    });
    expect(notFound(A.id, notFoundFor(`/${A.id}`, 'PUT')).reason).toBe('not-found');
  });

  it('refuses another record’s 404, a list’s 404, another status, or an error without its request', () => {
    expect(() => notFound(A.id, notFoundFor(`/${B.id}`))).toThrow(TypeError);
    expect(() => notFound(A.id, notFoundFor(''))).toThrow(TypeError);
    const refusedCursor = new ApiError(400, 'invalid_request', 'Bad cursor', {
      request: request('GET', `/${A.id}`),
    });
    expect(() => notFound(A.id, refusedCursor)).toThrow(TypeError);
    expect(() => notFound(A.id, new ApiError(404, 'invalid_request', 'Not found'))).toThrow(
      TypeError,
    );
  });

  it('takes only a refused POST (4xx) as proof that a create never existed on the server', () => {
    const refused = (status: number, method: string) =>
      new ApiError(status, 'invalid_request', 'No', { request: request(method, '') });
    expect(createRefused('tmp_1', refused(422, 'POST')).reason).toBe('create-refused');
    expect(() => createRefused('tmp_1', refused(503, 'POST'))).toThrow(TypeError);
    expect(() => createRefused('tmp_1', refused(422, 'PUT'))).toThrow(TypeError);
  });

  it('removes the row and, where the transaction covers them, the stub of an evicted record', async () => {
    const db = await database();
    await db.transaction('rw', SCOPES.pull, async () => {
      await storeServerRows(db, [A]);
      await evict(db, [toStored(A)]);
      expect(await remove(db, notFound(A.id, notFoundFor(`/${A.id}`)))).toBeNull();
    });
    expect(await db.evicted.count()).toBe(0);
    await db.transaction('rw', SCOPES.write, async () => {
      await storeServerRows(db, [B]);
      expect(await remove(db, deletedHere(B.id))).toEqual(B);
    });
    expect(await db.conversations.count()).toBe(0);
  });
});

describe('the row rule: the base with the queued entries on top', () => {
  it('shows the base with every queued update applied, marked queued while any remain', async () => {
    const db = await database();
    const queued = [
      entry({ op: 'update', patch: { is_muted: true } }),
      entry({ op: 'update', patch: { is_pinned: true } }),
    ];
    await db.transaction('rw', SCOPES.write, () => showQueued(db, A.id, A, queued));
    expect(await db.conversations.get(A.id)).toMatchObject({
      ...A,
      is_muted: true,
      is_pinned: true,
      q: 1,
    });
    await db.transaction('rw', SCOPES.write, async () =>
      showQueued(db, A.id, A, [], await db.conversations.get(A.id)),
    );
    const settled = await db.conversations.get(A.id);
    expect(settled).toMatchObject(A);
    expect(settled?.q).toBeUndefined();
  });

  it('leaves no row when the queue ends in a delete (the user’s own delete is the proof)', async () => {
    const db = await database();
    await db.transaction('rw', SCOPES.write, () => storeServerRows(db, [A]));
    const changed = await db.transaction('rw', SCOPES.write, () =>
      showQueued(db, A.id, A, [entry({ op: 'delete' })]),
    );
    expect(changed).toBe(true);
    expect(await db.conversations.get(A.id)).toBeUndefined();
  });

  it('says whether the row the app sees changed, and does not write an unchanged one', async () => {
    const db = await database();
    await db.transaction('rw', SCOPES.write, () => storeServerRows(db, [A]));
    const stored = await db.conversations.get(A.id);
    expect(
      await db.transaction('rw', SCOPES.write, () => showQueued(db, A.id, A, [], stored)),
    ).toBe(false);
  });
});

describe('stubs of evicted records', () => {
  it('remember a fingerprint that tells an unchanged server row from a changed one', async () => {
    const db = await database();
    await db.transaction('rw', SCOPES.evict, () => evict(db, [toStored(A)]));
    const [stub] = await db.transaction('r', ['evicted'], () => stubs(db, [A.id]));
    expect(evictedUnchanged(stub, A)).toBe(true);
    expect(evictedUnchanged(stub, { ...A, is_muted: !A.is_muted })).toBe(false);
    expect(evictedUnchanged(stub, { ...A, last_opened_at: 1 })).toBe(false);
    expect(evictedUnchanged(undefined, A)).toBe(false);
  });

  it('go when the server row is stored again', async () => {
    const db = await database();
    await db.transaction('rw', SCOPES.evict, () => evict(db, [toStored(A)]));
    await db.transaction('rw', SCOPES.pull, () => storeServerRows(db, [A]));
    expect(await db.evicted.count()).toBe(0);
    expect(await db.conversations.get(A.id)).toMatchObject(A);
  });

  it('fingerprints every field: rows differing in one field differ', () => {
    const base = conversation({ id: 'FFFFFFFFFFFFFFFF' });
    const variants = [
      { contact_id: 'other' },
      { group_id: 'g' },
      { pinned_message_id: 'm' },
      { is_pinned: true },
      { is_muted: true },
      { last_active_at: 7 },
      { last_opened_at: 7 },
      { created_at: 7 },
      { archived_at: 7 },
    ];
    const prints = new Set([
      fingerprint(base),
      ...variants.map((v) => fingerprint({ ...base, ...v })),
    ]);
    expect(prints.size).toBe(variants.length + 1);
  });
});

describe('who writes the conversations table', () => {
  /** Every TypeScript file under src/, as [path, text]. */
  function sources(dir = join(import.meta.dirname, '../../src')): [string, string][] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') ? [[path, readFileSync(path, 'utf8')] as [string, string]] : [];
    });
  }

  it('is only the records module (and the schema’s upgrade in schema.ts)', () => {
    const writes =
      /\b(conversations|evicted)\s*\.\s*(put|add|delete|bulkPut|bulkAdd|bulkDelete|clear|update|modify)\s*\(/;
    const writers = sources()
      .filter(([, text]) => writes.test(text))
      .map(([path]) => relative(join(import.meta.dirname, '../../src'), path))
      .filter((path) => !path.startsWith('testing/'));
    expect(writers.sort()).toEqual(['storage/records.ts', 'storage/schema.ts']);
  });
});

/**
 * Crash points: the store is killed (its storage starts failing) at each step that
 * matters, then reopened. Nothing may be skipped (a hole) or applied twice (a duplicate:
 * a resent write must be deduplicated by its Idempotency-Key).
 */
import { IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore, ConversationStoreOptions } from '../../src/index.js';
import { createConversationStore } from '../../src/index.js';
import {
  createManualPlatform,
  createReferenceServer,
  generateConversations,
  type ReferenceServer,
} from '../../src/testing/index.js';
import { conversation } from '../fixtures.js';
import { type CrashableIndexedDB, crashableIndexedDB } from './crash.js';

const TOKEN = 'crash-token';
const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });

let server: ReferenceServer;
let storage: CrashableIndexedDB;
let store: ConversationStore;
let beforeReply: ((request: Request) => void) | null = null;
let afterReply: ((request: Request) => void) | null = null;

function open(options: Partial<ConversationStoreOptions> = {}) {
  store = createConversationStore({
    baseUrl: 'https://api.test',
    getToken: () => TOKEN,
    databaseName: 'crash',
    indexedDB: storage.indexedDB,
    IDBKeyRange,
    platform: createManualPlatform(),
    sync: { auto: false, retry: { baseMs: 1, maxMs: 5 } },
    fetch: async (input, init) => {
      const request = new Request(input, init);
      beforeReply?.(request);
      const response = await server.fetch(request);
      afterReply?.(request);
      return response;
    },
    ...options,
  });
  return store;
}

/** Kills the store, then opens a new one on the same database: a restart. */
async function restart() {
  await store.close();
  storage.recover();
  beforeReply = null;
  afterReply = null;
  return open();
}

function setup(seed = [A]) {
  beforeReply = null;
  afterReply = null;
  server = createReferenceServer({ token: TOKEN, seed });
  storage = crashableIndexedDB();
  return open();
}

afterEach(async () => {
  await store?.close().catch(() => {});
});

describe('crash points', () => {
  it('after the local commit: the write is kept and sent once after the restart', async () => {
    setup();
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    const created = await store.conversations.create({ contact_id: 'k1' });
    storage.crash();
    await store.sync.now();
    expect(server.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    await restart();
    expect((await store.conversations.retrieve(created.id))?.contact_id).toBe('k1');
    await store.sync.now();
    expect(server.get(A.id)?.is_muted).toBe(true);
    expect(server.all().filter((row) => row.contact_id === 'k1')).toHaveLength(1);
    expect(await store.sync.listOutbox()).toEqual([]);
  });

  it('after sending, before the server applied it: the restart resends it with the same key', async () => {
    setup();
    await store.sync.now();
    await store.conversations.create({ contact_id: 'k2' });
    server.faults.failNext(503, 1, { methods: ['POST'] });
    beforeReply = (request) => {
      if (request.method === 'POST') storage.crash();
    };
    await store.sync.now();
    expect(server.all().filter((row) => row.contact_id === 'k2')).toHaveLength(0);
    await restart();
    await store.sync.now();
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(posts[1]?.idempotencyKey).toBe(posts[0]?.idempotencyKey);
    expect(server.all().filter((row) => row.contact_id === 'k2')).toHaveLength(1);
  });

  it('after the server applied it, before the reply was stored: the resend is replayed, not applied twice', async () => {
    setup();
    await store.sync.now();
    const created = await store.conversations.create({ contact_id: 'k3' });
    await store.conversations.update(A.id, { is_pinned: true });
    afterReply = (request) => {
      if (request.method === 'POST') storage.crash();
    };
    await store.sync.now();
    expect(server.all().filter((row) => row.contact_id === 'k3')).toHaveLength(1);
    await restart();
    await store.sync.now();
    expect(server.all().filter((row) => row.contact_id === 'k3')).toHaveLength(1);
    expect(server.requests.filter((r) => r.replayed).length).toBeGreaterThanOrEqual(1);
    expect(await store.conversations.list({ limit: 100 })).toEqual({
      has_more: false,
      data: server.all(),
    });
    expect((await store.conversations.retrieve(created.id))?.contact_id).toBe('k3');
    expect(server.get(A.id)?.is_pinned).toBe(true);
  });

  it('in the middle of a pull: nothing is removed, and the next pull completes', async () => {
    const rows = generateConversations(30, { seed: 6 });
    setup(rows);
    open({ sync: { auto: false, pageSize: 10 } });
    await store.sync.now();
    const gone = server.all()[2]?.id as string;
    server.remove(gone);
    server.update(server.all()[25]?.id as string, { is_muted: true });
    let lists = 0;
    afterReply = (request) => {
      if (request.method === 'GET' && ++lists === 2) storage.crash();
    };
    const crashed = await store.sync.now();
    expect(crashed.complete).toBe(false);
    expect(crashed.error?.name).toBe('StorageError');
    await store.close();
    storage.recover();
    afterReply = null;
    open({ sync: { auto: false, pageSize: 10 } });
    expect((await store.conversations.list({ limit: 100 })).data).toHaveLength(30);
    await store.sync.now();
    expect((await store.conversations.list({ limit: 100 })).data).toEqual(server.all());
  });

  it('in the middle of an id remap: the remap is all or nothing, and completes after the restart', async () => {
    setup();
    await store.sync.now();
    const created = await store.conversations.create({ group_id: 'g-remap' });
    await store.conversations.update(created.id, { is_muted: true });
    storage.crash('aliases'); // The remap transaction fails when it writes the alias.
    await store.sync.now();
    await restart();
    // Still the temporary record with its queued writes: no half-applied remap.
    expect((await store.conversations.retrieve(created.id))?.id).toBe(created.id);
    expect((await store.sync.listOutbox()).map((item) => [item.op, item.recordId])).toEqual([
      ['create', created.id],
      ['update', created.id],
    ]);
    await store.sync.now();
    const onServer = server.all().filter((row) => row.group_id === 'g-remap');
    expect(onServer).toHaveLength(1);
    expect(onServer[0]?.is_muted).toBe(true);
    expect(await store.conversations.retrieve(created.id)).toEqual(onServer[0]);
    expect(storage.crashes).toBeGreaterThan(0);
  });
});

/** sync.refresh(ids): records read by id, stored or removed, pending changes rebased. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  type Conflict,
  type ConversationStore,
  ValidationError,
} from '../../src/index.js';
import { A, B, C, type Harness, record, requests, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close().catch(() => {});
});

describe('sync.refresh', () => {
  it('reads each record by id and stores the server state, nothing else', async () => {
    ({ h, store } = await syncedHarness());
    h.server.update(A.id, { is_muted: true });
    h.server.update(B.id, { is_pinned: true });
    const result = await store.sync.refresh([A.id, B.id]);
    expect(result).toEqual({ refreshed: 2, removed: 0, skipped: 0 });
    expect(h.server.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', `/v1/conversations/${A.id}`],
      ['GET', `/v1/conversations/${B.id}`],
    ]);
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
    expect(await store.conversations.retrieve(B.id)).toEqual(h.server.get(B.id));
  });

  it('removes a record the server answers 404 for', async () => {
    ({ h, store } = await syncedHarness());
    h.server.remove(C.id);
    expect(await store.sync.refresh([C.id])).toMatchObject({ removed: 1 });
    expect(await store.conversations.retrieve(C.id)).toBeUndefined();
  });

  it('reports a 404 on a record with pending updates as a deleted conflict', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(C.id, { is_pinned: true });
    h.server.remove(C.id);
    const conflicts = record(store.sync.conflicts$);
    await store.sync.refresh([C.id]);
    expect(conflicts.values).toEqual([
      expect.objectContaining({ id: C.id, kind: 'deleted', fields: ['is_pinned'] }) as Conflict,
    ]);
    expect(await store.sync.listOutbox()).toEqual([]);
  });

  it('rebases pending changes onto what it reads', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    h.server.update(A.id, { is_muted: true });
    await store.sync.refresh([A.id]);
    expect(await store.conversations.retrieve(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
    });
    expect((await store.sync.listOutbox()).map((item) => item.op)).toEqual(['update']);
  });

  it('maps a temporary id to its server id and skips creates without an answer', async () => {
    ({ h, store } = await syncedHarness());
    const acknowledged = await store.conversations.create({ contact_id: 'k1' });
    await store.sync.now({ pull: 'none' });
    const serverId = h.server.all().find((row) => row.contact_id === 'k1')?.id as string;
    const unsent = await store.conversations.create({ contact_id: 'k2' });
    h.server.update(serverId, { is_muted: true });
    h.server.clearRequests();
    expect(await store.sync.refresh([acknowledged.id, unsent.id])).toEqual({
      refreshed: 1,
      removed: 0,
      skipped: 1,
    });
    expect(requests(h.server, 'GET').map((r) => r.path)).toEqual([`/v1/conversations/${serverId}`]);
    expect((await store.conversations.retrieve(acknowledged.id))?.is_muted).toBe(true);
  });

  it('reads at most `concurrency` records at once', async () => {
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        return await h.network.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    ({ h, store } = await syncedHarness([A, B, C], {
      fetch: counting,
      sync: { auto: false, concurrency: 2 },
    }));
    most = 0;
    await store.sync.refresh([A.id, B.id, C.id]);
    expect(most).toBe(2);
  });

  it('refuses what is not an array of ids', async () => {
    ({ h, store } = await syncedHarness());
    await expect(store.sync.refresh('abc' as unknown as string[])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(store.sync.refresh([''])).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('sync.refresh when the server answers badly', () => {
  it('stores and removes nothing when the answer is another record', async () => {
    const swapped: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      if (request.method !== 'GET' || !request.url.endsWith(`/conversations/${A.id}`)) {
        return h.network.fetch(request);
      }
      return h.network.fetch(new Request(request.url.replace(A.id, B.id), request));
    };
    ({ h, store } = await syncedHarness([A, B, C], { fetch: swapped }));
    const before = await store.conversations.retrieve(A.id);
    h.server.update(B.id, { is_muted: true });
    expect(await store.sync.refresh([A.id])).toEqual({ refreshed: 0, removed: 0, skipped: 0 });
    expect(await store.conversations.retrieve(A.id)).toEqual(before);
  });

  it('rejects with the first failure and reads no further record', async () => {
    ({ h, store } = await syncedHarness([A, B, C], { sync: { auto: false, concurrency: 1 } }));
    h.server.update(B.id, { is_muted: true });
    h.server.faults.failNext(500, 1, { methods: ['GET'] });
    const error = await store.sync.refresh([A.id, B.id, C.id]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500 });
    expect(requests(h.server, 'GET').map((r) => r.path)).toEqual([`/v1/conversations/${A.id}`]);
    expect((await store.conversations.retrieve(B.id))?.is_muted).toBe(false);
  });
});

describe('sync.refresh of an id this store never held', () => {
  it('counts nothing removed when the server answers 404, and announces no removal', async () => {
    ({ h, store } = await syncedHarness([A, B]));
    const events = record(store.sync.events$);
    expect(await store.sync.refresh([C.id])).toEqual({ refreshed: 0, removed: 0, skipped: 0 });
    expect(events.values.filter((event) => event.type === 'removed')).toEqual([]);
    expect(await store.conversations.list()).toEqual({ has_more: false, data: [A, B] });
  });
});

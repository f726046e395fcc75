/** sync.refresh(ids): records read by id, stored or removed, pending changes rebased. */
import { describe, expect, it } from 'vitest';
import { ApiError, type Conflict, ValidationError } from '../../src/index.js';
import { A, B, C, record, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

describe('sync.refresh', () => {
  it('reads each record by id and stores the server state, nothing else', async () => {
    await synced();
    t.h.server.update(A.id, { is_muted: true });
    t.h.server.update(B.id, { is_pinned: true });
    const result = await t.store.sync.refresh([A.id, B.id]);
    expect(result).toEqual({ refreshed: 2, removed: 0, skipped: 0 });
    expect(t.h.server.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', `/v1/conversations/${A.id}`],
      ['GET', `/v1/conversations/${B.id}`],
    ]);
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
    expect(await t.store.conversations.retrieve(B.id)).toEqual(t.h.server.get(B.id));
  });

  it('removes a record the server answers 404 for', async () => {
    await synced();
    t.h.server.remove(C.id);
    expect(await t.store.sync.refresh([C.id])).toMatchObject({ removed: 1 });
    expect(await t.store.conversations.retrieve(C.id)).toBeUndefined();
  });

  it('reports a 404 on a record with pending updates as a deleted conflict', async () => {
    await synced();
    await t.store.conversations.update(C.id, { is_pinned: true });
    t.h.server.remove(C.id);
    const conflicts = record(t.store.sync.conflicts$);
    await t.store.sync.refresh([C.id]);
    expect(conflicts.values).toEqual([
      expect.objectContaining({ id: C.id, kind: 'deleted', fields: ['is_pinned'] }) as Conflict,
    ]);
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });

  it('rebases pending changes onto what it reads', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.update(A.id, { is_muted: true });
    await t.store.sync.refresh([A.id]);
    expect(await t.store.conversations.retrieve(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
    });
    expect((await t.store.sync.listOutbox()).map((item) => item.op)).toEqual(['update']);
  });

  it('maps a temporary id to its server id and skips creates without an answer', async () => {
    await synced();
    const acknowledged = await t.store.conversations.create({ contact_id: 'k1' });
    await t.store.sync.now({ pull: 'none' });
    const serverId = t.h.server.all().find((row) => row.contact_id === 'k1')?.id as string;
    const unsent = await t.store.conversations.create({ contact_id: 'k2' });
    t.h.server.update(serverId, { is_muted: true });
    t.h.server.clearRequests();
    expect(await t.store.sync.refresh([acknowledged.id, unsent.id])).toEqual({
      refreshed: 1,
      removed: 0,
      skipped: 1,
    });
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toEqual([
      `/v1/conversations/${serverId}`,
    ]);
    expect((await t.store.conversations.retrieve(acknowledged.id))?.is_muted).toBe(true);
  });

  it('reads at most `concurrency` records at once', async () => {
    let inFlight = 0;
    let most = 0;
    const counting: typeof fetch = async (input, init) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      try {
        return await t.h.network.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    await synced([A, B, C], {
      fetch: counting,
      sync: { auto: false, concurrency: 2 },
    });
    most = 0;
    await t.store.sync.refresh([A.id, B.id, C.id]);
    expect(most).toBe(2);
  });

  it('refuses what is not an array of ids', async () => {
    await synced();
    await expect(t.store.sync.refresh('abc' as unknown as string[])).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(t.store.sync.refresh([''])).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('sync.refresh when the server answers badly', () => {
  it('stores and removes nothing when the answer is another record', async () => {
    const swapped: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      if (request.method !== 'GET' || !request.url.endsWith(`/conversations/${A.id}`)) {
        return t.h.network.fetch(request);
      }
      return t.h.network.fetch(new Request(request.url.replace(A.id, B.id), request));
    };
    await synced([A, B, C], { fetch: swapped });
    const before = await t.store.conversations.retrieve(A.id);
    t.h.server.update(B.id, { is_muted: true });
    expect(await t.store.sync.refresh([A.id])).toEqual({ refreshed: 0, removed: 0, skipped: 0 });
    expect(await t.store.conversations.retrieve(A.id)).toEqual(before);
  });

  it('rejects with the first failure and reads no further record', async () => {
    await synced([A, B, C], { sync: { auto: false, concurrency: 1 } });
    t.h.server.update(B.id, { is_muted: true });
    t.h.server.faults.failNext(500, 1, { methods: ['GET'] });
    const error = await t.store.sync.refresh([A.id, B.id, C.id]).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 500 });
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toEqual([`/v1/conversations/${A.id}`]);
    expect((await t.store.conversations.retrieve(B.id))?.is_muted).toBe(false);
  });
});

describe('sync.refresh of an id this store never held', () => {
  it('counts nothing removed when the server answers 404, and announces no removal', async () => {
    await synced([A, B]);
    const events = record(t.store.sync.events$);
    expect(await t.store.sync.refresh([C.id])).toEqual({ refreshed: 0, removed: 0, skipped: 0 });
    expect(events.values.filter((event) => event.type === 'removed')).toEqual([]);
    expect(await t.store.conversations.list()).toEqual({ has_more: false, data: [A, B] });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore, Rejection } from '../../src/index.js';
import { type Harness, record, requests, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close();
});

describe('a refused create', () => {
  it('reports the updates it undid with it, and retry() restores them all', async () => {
    ({ h, store } = await syncedHarness());
    const rejections: Rejection[] = [];
    store.sync.rejections$.subscribe((rejection) => rejections.push(rejection));
    const created = await store.conversations.create({ contact_id: 'k1' });
    await store.conversations.update(created.id, { is_muted: true });
    await store.conversations.update(created.id, { is_pinned: true });
    h.server.faults.failNext(400, 1, { methods: ['POST'] });
    await store.sync.now();
    expect(await store.conversations.retrieve(created.id)).toBeUndefined();
    expect(rejections).toEqual([
      expect.objectContaining({
        op: 'create',
        recordId: created.id,
        body: { contact_id: 'k1' },
        patch: { is_muted: true, is_pinned: true },
      }),
    ]);
    const [stored] = await store.sync.listRejections();
    expect(stored).toMatchObject({ op: 'create', patch: { is_muted: true, is_pinned: true } });

    await store.sync.retry(stored?.id as number);
    const [restored] = (await store.conversations.list()).data.filter(
      (row) => row.contact_id === 'k1',
    );
    expect(restored).toMatchObject({ is_muted: true, is_pinned: true });
    await store.sync.now();
    const server = h.server.all().find((row) => row.contact_id === 'k1');
    expect(server).toMatchObject({ is_muted: true, is_pinned: true });
    expect(requests(h.server, 'POST')).toHaveLength(2);
    expect(await store.sync.listRejections()).toEqual([]);
  });

  it('reports a refused create without updates as before: no patch', async () => {
    ({ h, store } = await syncedHarness());
    const created = await store.conversations.create({ contact_id: 'k2' });
    h.server.faults.failNext(400, 1, { methods: ['POST'] });
    await store.sync.now();
    const [stored] = await store.sync.listRejections();
    expect(stored).toMatchObject({ op: 'create', recordId: created.id });
    expect(stored).not.toHaveProperty('patch');
  });
});

describe('a refused create, in a round that pulls nothing', () => {
  it('removes the record and the updates queued behind it at once, without a conflict', async () => {
    ({ h, store } = await syncedHarness());
    const conflicts = record(store.sync.conflicts$);
    const created = await store.conversations.create({ contact_id: 'k3' });
    await store.conversations.update(created.id, { is_muted: true });
    h.server.faults.failNext(400, 1, { methods: ['POST'] });
    expect(await store.sync.now({ pull: 'none' })).toMatchObject({
      pushed: 0,
      rejected: 1,
      removed: 0,
      conflicts: 0,
      state: 'idle',
    });
    expect(await store.conversations.retrieve(created.id)).toBeUndefined();
    expect(await store.sync.listOutbox()).toEqual([]);
    expect(await store.sync.now()).toMatchObject({ pushed: 0, removed: 0, conflicts: 0 });
    expect(conflicts.values).toEqual([]);
    expect(requests(h.server, 'PUT')).toEqual([]);
  });
});

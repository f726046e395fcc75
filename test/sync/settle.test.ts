import { describe, expect, it } from 'vitest';
import type { Rejection } from '../../src/index.js';
import { record, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

describe('a refused create', () => {
  it('reports the updates it undid with it, and retry() restores them all', async () => {
    await synced();
    const rejections: Rejection[] = [];
    t.store.sync.rejections$.subscribe((rejection) => rejections.push(rejection));
    const created = await t.store.conversations.create({ contact_id: 'k1' });
    await t.store.conversations.update(created.id, { is_muted: true });
    await t.store.conversations.update(created.id, { is_pinned: true });
    t.h.server.faults.failNext(400, 1, { methods: ['POST'] });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(created.id)).toBeUndefined();
    expect(rejections).toEqual([
      expect.objectContaining({
        op: 'create',
        recordId: created.id,
        body: { contact_id: 'k1' },
        patch: { is_muted: true, is_pinned: true },
      }),
    ]);
    const [stored] = await t.store.sync.listRejections();
    expect(stored).toMatchObject({ op: 'create', patch: { is_muted: true, is_pinned: true } });

    await t.store.sync.retry(stored?.id as number);
    const [restored] = (await t.store.conversations.list()).data.filter(
      (row) => row.contact_id === 'k1',
    );
    expect(restored).toMatchObject({ is_muted: true, is_pinned: true });
    await t.store.sync.now();
    const server = t.h.server.all().find((row) => row.contact_id === 'k1');
    expect(server).toMatchObject({ is_muted: true, is_pinned: true });
    expect(requests(t.h.server, 'POST')).toHaveLength(2);
    expect(await t.store.sync.listRejections()).toEqual([]);
  });

  it('reports a refused create without updates as before: no patch', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'k2' });
    t.h.server.faults.failNext(400, 1, { methods: ['POST'] });
    await t.store.sync.now();
    const [stored] = await t.store.sync.listRejections();
    expect(stored).toMatchObject({ op: 'create', recordId: created.id });
    expect(stored).not.toHaveProperty('patch');
  });
});

describe('a refused create, in a round that pulls nothing', () => {
  it('removes the record and the updates queued behind it at once, without a conflict', async () => {
    await synced();
    const conflicts = record(t.store.sync.conflicts$);
    const created = await t.store.conversations.create({ contact_id: 'k3' });
    await t.store.conversations.update(created.id, { is_muted: true });
    t.h.server.faults.failNext(400, 1, { methods: ['POST'] });
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({
      pushed: 0,
      rejected: 1,
      removed: 0,
      conflicts: 0,
      state: 'idle',
    });
    expect(await t.store.conversations.retrieve(created.id)).toBeUndefined();
    expect(await t.store.sync.listOutbox()).toEqual([]);
    expect(await t.store.sync.now()).toMatchObject({ pushed: 0, removed: 0, conflicts: 0 });
    expect(conflicts.values).toEqual([]);
    expect(requests(t.h.server, 'PUT')).toEqual([]);
  });
});

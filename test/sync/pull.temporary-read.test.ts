/**
 * The complete walk never reads a record by a temporary id: a local create whose POST is
 * unanswered has a `tmp_` id the server never gave out, with or without an update queued
 * behind it; the walk leaves it as it is.
 */
import { describe, expect, it } from 'vitest';
import { requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

describe('the complete walk and temporary ids', () => {
  it('reads no pending create by its temporary id', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'k-pending' });
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] });
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, removed: 0 });
    // The walk's page and the head read; nothing by id.
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toEqual([
      '/v1/conversations',
      '/v1/conversations',
    ]);
    expect(await t.store.conversations.retrieve(created.id)).toBeDefined();
  });

  it('sends no GET by temporary id for a create whose POST is unanswered and that has a queued update', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'k-pending' });
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] }); // Sent and refused for now: frozen.
    await t.store.sync.now({ pull: 'none' });
    await t.store.conversations.update(created.id, { is_pinned: true }); // Queued behind the POST.
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] });
    t.h.server.clearRequests();
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, removed: 0 });
    expect((await t.h.dump()).outbox).toEqual([
      expect.objectContaining({ recordId: created.id, op: 'create' }),
      expect.objectContaining({ recordId: created.id, op: 'update' }),
    ]);
    // The walk's page and the head read; nothing by id.
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toEqual([
      '/v1/conversations',
      '/v1/conversations',
    ]);
    expect(await t.store.conversations.retrieve(created.id)).toMatchObject({ is_pinned: true });
  });
});

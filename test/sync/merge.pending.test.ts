/**
 * What a pull or sync.refresh tells about records with queued writes (pending$, sync.events$,
 * conflicts$, the outbox), and rows removed because another device deleted them.
 */
import { describe, expect, it } from 'vitest';
import type { SyncEvent } from '../../src/index.js';
import { A, B, C, record, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

const ofType = (events: SyncEvent[], type: SyncEvent['type']) =>
  events.filter((event) => event.type === type);

describe('rebased events', () => {
  it('reports no record rebased by a pull that changes nothing queued', async () => {
    await synced();
    t.h.server.update(B.id, { is_muted: true });
    const events = record(t.store.sync.events$);
    await t.store.sync.now();
    expect(ofType(events.values, 'rebased')).toEqual([]);
    expect(await t.store.conversations.retrieve(B.id)).toEqual(t.h.server.get(B.id));
  });

  it('reports no rebase when the server still holds the state the queued update was made on', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    const events = record(t.store.sync.events$);
    await t.store.sync.refresh([A.id]);
    expect(ofType(events.values, 'rebased')).toEqual([]);
    expect(await t.store.conversations.retrieve(A.id)).toEqual({ ...A, is_pinned: true });
  });
});

describe('records another device deleted', () => {
  it('removes a record without local changes silently: no conflict', async () => {
    await synced();
    t.h.server.remove(C.id);
    const conflicts = record(t.store.sync.conflicts$);
    expect(await t.store.sync.now()).toMatchObject({ removed: 1, conflicts: 0 });
    expect(conflicts.values).toEqual([]);
    expect(await t.store.conversations.retrieve(C.id)).toBeUndefined();
  });

  it('takes a record with a queued update out of pending$ when a refresh finds it deleted', async () => {
    await synced();
    const pending = record(t.store.sync.pending$);
    await t.store.conversations.update(C.id, { is_pinned: true });
    await t.store.sync.refresh([]);
    expect(pending.values.at(-1)).toEqual(new Set([C.id]));
    t.h.server.remove(C.id);
    await t.store.sync.refresh([C.id]);
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });
});

describe('queued updates a refresh rebases', () => {
  it('leaves pending$ and the outbox when the conflict resolver keeps the server’s value', async () => {
    await synced([A, B, C], { resolveConflict: () => ({}) });
    const pending = record(t.store.sync.pending$);
    await t.store.conversations.update(A.id, { pinned_message_id: 'msg_local' });
    await t.store.sync.refresh([]);
    expect(pending.values.at(-1)).toEqual(new Set([A.id]));
    t.h.server.update(A.id, { pinned_message_id: 'msg_server' });
    await t.store.sync.refresh([A.id]);
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await t.store.sync.listOutbox()).toEqual([]);
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
  });

  it('keeps a record in pending$ when the conflict resolver keeps the local value', async () => {
    await synced([A, B, C], {
      resolveConflict: ({ pending }) => pending,
    });
    const pending = record(t.store.sync.pending$);
    await t.store.conversations.update(A.id, { pinned_message_id: 'msg_local' });
    await t.store.sync.refresh([]);
    t.h.server.update(A.id, { pinned_message_id: 'msg_server' });
    await t.store.sync.refresh([A.id]);
    expect(pending.values.at(-1)).toEqual(new Set([A.id]));
    expect(await t.store.sync.listOutbox()).toEqual([
      expect.objectContaining({
        op: 'update',
        recordId: A.id,
        patch: { pinned_message_id: 'msg_local' },
      }),
    ]);
    expect(await t.store.conversations.retrieve(A.id)).toEqual({
      ...A,
      pinned_message_id: 'msg_local',
    });
  });

  it('keeps a rebased update in its place in the outbox, in the order the writes were made', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    await t.store.conversations.update(B.id, { is_muted: true });
    t.h.server.update(A.id, { is_muted: true });
    await t.store.sync.refresh([A.id]);
    expect(await t.store.sync.listOutbox()).toEqual([
      { op: 'update', recordId: A.id, patch: { is_pinned: true }, attempts: 0, lastError: null },
      { op: 'update', recordId: B.id, patch: { is_muted: true }, attempts: 0, lastError: null },
    ]);
  });

  it('coalesces a later update with one a refresh rebased', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.update(A.id, { last_opened_at: 500 });
    await t.store.sync.refresh([A.id]);
    await t.store.conversations.update(A.id, { is_muted: true });
    expect(await t.store.sync.listOutbox()).toEqual([
      expect.objectContaining({
        op: 'update',
        recordId: A.id,
        patch: { is_pinned: true, is_muted: true },
      }),
    ]);
    await t.store.sync.now();
    expect(t.h.server.get(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
      last_opened_at: 500,
    });
  });
});

describe('the round summary of a pull over queued records', () => {
  it('counts a rebased record the server changed as pulled, and one it did not change not at all', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    await t.store.conversations.update(B.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 20, { methods: ['PUT'] }); // Both stay queued.
    const muted = t.h.server.update(A.id, { is_muted: true });
    expect(await t.store.sync.now()).toMatchObject({ pushed: 0, pulled: 1, conflicts: 0 });
    expect(await t.store.conversations.retrieve(A.id)).toEqual({ ...muted, is_pinned: true });
    expect(await t.store.conversations.retrieve(B.id)).toEqual({ ...B, is_pinned: true });
    expect((await t.store.sync.listOutbox()).map((item) => item.recordId)).toEqual([A.id, B.id]);
  });
});

/**
 * What a pull or sync.refresh tells about records with queued writes (pending$, sync.events$,
 * conflicts$, the outbox), and rows removed because another device deleted them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore, SyncEvent } from '../../src/index.js';
import { A, B, C, type Harness, record, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close().catch(() => {});
});

const ofType = (events: SyncEvent[], type: SyncEvent['type']) =>
  events.filter((event) => event.type === type);

describe('rebased events', () => {
  it('reports no record rebased by a pull that changes nothing queued', async () => {
    ({ h, store } = await syncedHarness());
    h.server.update(B.id, { is_muted: true });
    const events = record(store.sync.events$);
    await store.sync.now();
    expect(ofType(events.values, 'rebased')).toEqual([]);
    expect(await store.conversations.retrieve(B.id)).toEqual(h.server.get(B.id));
  });

  it('reports no rebase when the server still holds the state the queued update was made on', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    const events = record(store.sync.events$);
    await store.sync.refresh([A.id]);
    expect(ofType(events.values, 'rebased')).toEqual([]);
    expect(await store.conversations.retrieve(A.id)).toEqual({ ...A, is_pinned: true });
  });
});

describe('records another device deleted', () => {
  it('removes a record without local changes silently: no conflict', async () => {
    ({ h, store } = await syncedHarness());
    h.server.remove(C.id);
    const conflicts = record(store.sync.conflicts$);
    expect(await store.sync.now()).toMatchObject({ removed: 1, conflicts: 0 });
    expect(conflicts.values).toEqual([]);
    expect(await store.conversations.retrieve(C.id)).toBeUndefined();
  });

  it('takes a record with a queued update out of pending$ when a refresh finds it deleted', async () => {
    ({ h, store } = await syncedHarness());
    const pending = record(store.sync.pending$);
    await store.conversations.update(C.id, { is_pinned: true });
    await store.sync.refresh([]);
    expect(pending.values.at(-1)).toEqual(new Set([C.id]));
    h.server.remove(C.id);
    await store.sync.refresh([C.id]);
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await store.sync.listOutbox()).toEqual([]);
  });
});

describe('queued updates a refresh rebases', () => {
  it('leaves pending$ and the outbox when the conflict resolver keeps the server’s value', async () => {
    ({ h, store } = await syncedHarness([A, B, C], { resolveConflict: () => ({}) }));
    const pending = record(store.sync.pending$);
    await store.conversations.update(A.id, { pinned_message_id: 'msg_local' });
    await store.sync.refresh([]);
    expect(pending.values.at(-1)).toEqual(new Set([A.id]));
    h.server.update(A.id, { pinned_message_id: 'msg_server' });
    await store.sync.refresh([A.id]);
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await store.sync.listOutbox()).toEqual([]);
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
  });

  it('keeps a record in pending$ when the conflict resolver keeps the local value', async () => {
    ({ h, store } = await syncedHarness([A, B, C], {
      resolveConflict: ({ pending }) => pending,
    }));
    const pending = record(store.sync.pending$);
    await store.conversations.update(A.id, { pinned_message_id: 'msg_local' });
    await store.sync.refresh([]);
    h.server.update(A.id, { pinned_message_id: 'msg_server' });
    await store.sync.refresh([A.id]);
    expect(pending.values.at(-1)).toEqual(new Set([A.id]));
    expect(await store.sync.listOutbox()).toEqual([
      expect.objectContaining({
        op: 'update',
        recordId: A.id,
        patch: { pinned_message_id: 'msg_local' },
      }),
    ]);
    expect(await store.conversations.retrieve(A.id)).toEqual({
      ...A,
      pinned_message_id: 'msg_local',
    });
  });

  it('keeps a rebased update in its place in the outbox, in the order the writes were made', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    await store.conversations.update(B.id, { is_muted: true });
    h.server.update(A.id, { is_muted: true });
    await store.sync.refresh([A.id]);
    expect(await store.sync.listOutbox()).toEqual([
      { op: 'update', recordId: A.id, patch: { is_pinned: true }, attempts: 0, lastError: null },
      { op: 'update', recordId: B.id, patch: { is_muted: true }, attempts: 0, lastError: null },
    ]);
  });

  it('coalesces a later update with one a refresh rebased', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    h.server.update(A.id, { last_opened_at: 500 });
    await store.sync.refresh([A.id]);
    await store.conversations.update(A.id, { is_muted: true });
    expect(await store.sync.listOutbox()).toEqual([
      expect.objectContaining({
        op: 'update',
        recordId: A.id,
        patch: { is_pinned: true, is_muted: true },
      }),
    ]);
    await store.sync.now();
    expect(h.server.get(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
      last_opened_at: 500,
    });
  });
});

describe('the round summary of a pull over queued records', () => {
  it('counts a rebased record the server changed as pulled, and one it did not change not at all', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    await store.conversations.update(B.id, { is_pinned: true });
    h.server.faults.failNext(503, 20, { methods: ['PUT'] }); // Both stay queued.
    const muted = h.server.update(A.id, { is_muted: true });
    expect(await store.sync.now()).toMatchObject({ pushed: 0, pulled: 1, conflicts: 0 });
    expect(await store.conversations.retrieve(A.id)).toEqual({ ...muted, is_pinned: true });
    expect(await store.conversations.retrieve(B.id)).toEqual({ ...B, is_pinned: true });
    expect((await store.sync.listOutbox()).map((item) => item.recordId)).toEqual([A.id, B.id]);
  });
});

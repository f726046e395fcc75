import { afterEach, describe, expect, it } from 'vitest';
import type { Conflict, ConversationStore } from '../../src/index.js';
import { generateConversations } from '../../src/testing/index.js';
import { A, B, C, type Harness, harness, requests, syncedHarness, until } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

/** A store that already pulled A, B, C (or `seed`), then the request log cleared. */
async function synced(seed = [A, B, C], options: Parameters<Harness['open']>[0] = {}) {
  ({ h, store } = await syncedHarness(seed, options));
  return store;
}

afterEach(async () => {
  await store?.close().catch(() => {});
});

describe('pull', () => {
  it('walks every page with starting_after cursors', async () => {
    const rows = generateConversations(250, { seed: 2 });
    h = harness(rows);
    store = h.open();
    const summary = await store.sync.now();
    const lists = requests(h.server, 'GET');
    expect(lists.map((r) => r.query)).toEqual([
      { limit: '100' },
      { limit: '100', starting_after: rows.length > 0 ? h.server.all()[99]?.id : '' },
      { limit: '100', starting_after: h.server.all()[199]?.id },
    ]);
    expect(summary).toMatchObject({ pulled: 250, complete: true, state: 'idle' });
    expect((await store.conversations.list({ limit: 100 })).data).toEqual(
      h.server.all().slice(0, 100),
    );
  });

  it('uses the configured page size', async () => {
    h = harness(generateConversations(25, { seed: 3 }));
    store = h.open({ sync: { auto: false, pageSize: 10 } });
    await store.sync.now();
    expect(requests(h.server, 'GET')).toHaveLength(3);
  });

  it('gives records without local changes the server state', async () => {
    await synced();
    h.server.update(A.id, { is_muted: true, last_active_at: 999 });
    const summary = await store.sync.now();
    expect(summary.pulled).toBe(1);
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
  });

  it('rebases a pending local change so that both devices’ edits to different fields survive', async () => {
    await synced();
    await store.conversations.update(A.id, { is_muted: true });
    h.server.update(A.id, { is_pinned: true });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const conflicts: Conflict[] = [];
    store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    await store.sync.now(); // The PUT failed; the pull rebases the pending change.
    expect(await store.conversations.retrieve(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
    });
    expect(conflicts).toEqual([]);
    await store.sync.now();
    expect(h.server.get(A.id)).toMatchObject({ is_pinned: true, is_muted: true });
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
  });

  it('keeps the local change of a field both sides changed by default, and reports the conflict', async () => {
    await synced();
    await store.conversations.update(A.id, { archived_at: 111 });
    h.server.update(A.id, { archived_at: 222 });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const conflicts: Conflict[] = [];
    store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    await store.sync.now();
    expect((await store.conversations.retrieve(A.id))?.archived_at).toBe(111);
    expect(conflicts).toEqual([
      expect.objectContaining({ id: A.id, kind: 'field', fields: ['archived_at'] }),
    ]);
    expect(conflicts[0]?.server?.archived_at).toBe(222);
    await store.sync.now();
    expect(h.server.get(A.id)?.archived_at).toBe(111);
  });

  it('lets resolveConflict decide differently: here the server wins the field', async () => {
    await synced(undefined, {
      resolveConflict: ({ pending, fields }) => {
        const kept = { ...pending };
        for (const field of fields) delete kept[field];
        return kept;
      },
    });
    await store.conversations.update(A.id, { archived_at: 111, is_muted: true });
    h.server.update(A.id, { archived_at: 222 });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await store.sync.now();
    expect(await store.conversations.retrieve(A.id)).toMatchObject({
      archived_at: 222,
      is_muted: true,
    });
    await store.sync.now();
    // The failed PUT had already left, so it is resent as it was (same Idempotency-Key);
    // the resolution queues the server's value behind it.
    expect(h.server.get(A.id)).toMatchObject({ archived_at: 222, is_muted: true });
    expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
  });

  it('removes a record the server no longer lists, but only after a complete listing', async () => {
    const rows = generateConversations(30, { seed: 4 });
    h = harness(rows);
    let failSecondPage = false;
    let gets = 0;
    store = h.open({
      sync: { auto: false, pageSize: 10 },
      fetch: async (input, init) => {
        const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
        if (method.toUpperCase() === 'GET' && failSecondPage && ++gets === 2) {
          throw new TypeError('Failed to fetch');
        }
        return h.network.fetch(input, init);
      },
    });
    await store.sync.now();
    const gone = h.server.all()[25]?.id as string;
    h.server.remove(gone);
    failSecondPage = true;
    const incomplete = await store.sync.now();
    expect(incomplete).toMatchObject({ complete: false, removed: 0, state: 'offline' });
    expect(await store.conversations.retrieve(gone)).toBeDefined();
    const complete = await store.sync.now();
    expect(complete).toMatchObject({ complete: true, removed: 1 });
    expect(await store.conversations.retrieve(gone)).toBeUndefined();
    expect((await store.conversations.list({ limit: 100 })).data).toEqual(h.server.all());
  });

  it('keeps a pending delete deleted whatever the pull lists', async () => {
    await synced();
    await store.conversations.delete(A.id);
    h.server.faults.failNext(503, 1, { methods: ['DELETE'] });
    await store.sync.now();
    expect(await store.conversations.retrieve(A.id)).toBeUndefined();
    expect(h.server.get(A.id)).toBeDefined();
    await store.sync.now();
    expect(h.server.get(A.id)).toBeUndefined();
  });

  it('does not show a conversation twice when the reply to its create was lost', async () => {
    await synced();
    const created = await store.conversations.create({ contact_id: 'k-lost' });
    h.server.faults.loseNextReply(1, { methods: ['POST'] });
    await store.sync.now(); // The server has it; the round ended offline, without a pull.
    h.server.faults.failNext(503, 1, { methods: ['POST'] });
    await store.sync.now(); // The create is still unsettled; the pull lists the server's copy.
    expect(requests(h.server, 'GET').length).toBeGreaterThan(0);
    const copies = (await store.conversations.list({ limit: 100 })).data.filter(
      (row) => row.contact_id === 'k-lost',
    );
    expect(copies.map((row) => row.id)).toEqual([created.id]);
    await store.conversations.update(created.id, { is_pinned: true });
    await store.sync.now();
    const settled = (await store.conversations.list({ limit: 100 })).data.filter(
      (row) => row.contact_id === 'k-lost',
    );
    expect(settled).toHaveLength(1);
    expect(settled[0]).toEqual(h.server.all().find((row) => row.contact_id === 'k-lost'));
    expect(settled[0]?.is_pinned).toBe(true);
  });

  it('keeps a pending create that the server cannot list yet', async () => {
    await synced();
    const created = await store.conversations.create({ contact_id: 'k1' });
    h.server.faults.failNext(503, 1, { methods: ['POST'] });
    const summary = await store.sync.now();
    expect(summary.complete).toBe(true);
    expect(await store.conversations.retrieve(created.id)).toBeDefined();
  });

  it('drops the pending updates of a record deleted on the server and reports it', async () => {
    await synced();
    await store.conversations.update(A.id, { is_muted: true });
    h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    h.server.remove(A.id);
    const conflicts: Conflict[] = [];
    store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    const summary = await store.sync.now();
    expect(summary.removed).toBe(1);
    expect(await store.conversations.retrieve(A.id)).toBeUndefined();
    expect(conflicts).toEqual([
      expect.objectContaining({ id: A.id, kind: 'deleted', fields: ['is_muted'], server: null }),
    ]);
    expect((await h.dump()).outbox).toEqual([]);
  });

  it('skips malformed rows, reports them, and stores the others', async () => {
    h = harness([A, B, C]);
    store = h.open();
    h.server.faults.malformNextList(1, { row: 'wrong-type' });
    const summary = await store.sync.now();
    expect(summary.skipped).toBeGreaterThanOrEqual(1);
    expect(summary.error).toMatchObject({ name: 'ApiError', type: 'invalid_response' });
    const stored = (await h.dump()).conversations as { id: string; is_muted: unknown }[];
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.every((row) => typeof row.is_muted === 'boolean')).toBe(true);
    const status = await until(store.sync.status$, (s) => s.lastError !== null);
    expect(status.lastError?.name).toBe('ApiError');
  });

  it('keeps rows with prototype-polluting keys, dropping those keys, without polluting anything', async () => {
    h = harness([A, B, C]);
    store = h.open();
    h.server.faults.malformNextList(1, { row: 'proto' });
    const summary = await store.sync.now();
    expect(summary.skipped).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await store.conversations.retrieve('PollutingRow0000')).toEqual({
      ...A,
      id: 'PollutingRow0000',
    });
    const stored = JSON.stringify(await h.dump());
    expect(stored).not.toContain('__proto__');
    expect(stored).not.toContain('polluted');
  });

  it('treats a list page that is not JSON as an incomplete walk', async () => {
    await synced();
    h.server.remove(A.id);
    h.server.faults.malformNextList(1, { row: 'not-json' });
    const summary = await store.sync.now();
    expect(summary.complete).toBe(false);
    expect(summary.error).toMatchObject({ name: 'ApiError', type: 'invalid_response' });
    expect(await store.conversations.retrieve(A.id)).toBeDefined();
  });
});

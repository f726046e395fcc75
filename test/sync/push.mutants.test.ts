/**
 * The push (DESIGN 4), for the survivors of the mutation run of src/sync/push.ts: an
 * acknowledged create counts as confirmed, pending$ drops a record whose PUT found it
 * deleted at once, and the backoff event tells why a write waits.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, IdChange, SyncEvent } from '../../src/index.js';
import {
  A,
  B,
  C,
  FAKE_TIMERS,
  type Harness,
  harness,
  holdingFetch,
  record,
  syncedHarness,
  tickUntil,
} from '../fixtures.js';

let h: Harness;
let store: ConversationStore;
let gate: ReturnType<typeof holdingFetch> | null = null;

afterEach(async () => {
  gate?.open();
  gate = null;
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

const methods = () => h.server.requests.map((r) => `${r.method} ${r.path}`);
const backoffs = (events: SyncEvent[]) => events.filter((event) => event.type === 'backoff');

describe('a record created in an earlier round', () => {
  it('counts as confirmed by the reply to its POST: an update within freshMs is sent without a GET', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: 1_750_000_000_000 });
    ({ h, store } = await syncedHarness([A], { sync: { auto: false, freshMs: 1000 } }));
    const changes = record(store.idChanges$);
    await store.conversations.create({ contact_id: 'k1' });
    await store.sync.now({ pull: 'none' });
    const [change] = changes.values as IdChange[];
    const id = change?.to as string;
    expect(h.server.get(id)).toBeDefined();
    vi.setSystemTime(1_750_000_001_000); // freshMs after the POST's reply: still fresh.
    await store.conversations.update(id, { is_muted: true });
    h.server.clearRequests();
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`PUT /v1/conversations/${id}`]);
    expect(h.server.get(id)?.is_muted).toBe(true);
  });
});

describe('pending$ while the round goes on (DELETEs held open)', () => {
  it('drops a record whose PUT answers 404 at once', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: 1_750_000_000_000 });
    h = harness([A, B, C]);
    store = h.open({
      sync: { auto: false },
      fetch: (input, init) => (gate ?? h.network).fetch(new Request(input, init)),
    });
    await store.sync.now();
    h.server.clearRequests();
    gate = holdingFetch(h.network.fetch, ['DELETE']);
    await store.conversations.delete(B.id);
    await store.conversations.update(A.id, { is_pinned: true });
    h.server.remove(A.id); // Another device deleted it.
    const pending = record(store.sync.pending$);
    const conflicts = record(store.sync.conflicts$);
    const round = store.sync.now({ pull: 'none' });
    const last = () => pending.values.at(-1);
    await tickUntil(
      () => gate?.waiting === 1 && conflicts.values.length === 1 && last()?.size === 1,
    );
    expect(conflicts.values.map((conflict) => [conflict.id, conflict.kind])).toEqual([
      [A.id, 'deleted'],
    ]);
    expect(last()).toEqual(new Set([B.id])); // The DELETE of B is still on its way.
    gate.open();
    await round;
    expect(last()).toEqual(new Set());
  });
});

describe('why a write backs off, as its backoff event says it', () => {
  it("says 'network', with no status, for a request that got no answer", async () => {
    ({ h, store } = await syncedHarness());
    const events = record(store.sync.events$);
    await store.conversations.update(A.id, { is_muted: true });
    h.network.offline = true;
    await store.sync.now({ pull: 'none' });
    expect(backoffs(events.values)).toEqual([
      expect.objectContaining({ recordId: A.id, reason: 'network', status: null }),
    ]);
  });

  it("says 'invalid-response', with the reply's status, for a reply that is not a conversation", async () => {
    h = harness([A, B, C]);
    store = h.open({
      fetch: async (input, init) => {
        const request = new Request(input, init);
        const response = await h.network.fetch(request);
        if (request.method !== 'PUT') return response;
        return Response.json({ ok: true }, response); // A 200 whose body is not the conversation.
      },
    });
    await store.sync.now();
    const events = record(store.sync.events$);
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(backoffs(events.values)).toEqual([
      expect.objectContaining({ recordId: A.id, reason: 'invalid-response', status: 200 }),
    ]);
  });
});

describe('a DELETE the server answers 404 (already gone)', () => {
  it('counts as pushed in the round summary, as an acknowledged DELETE does', async () => {
    ({ h, store } = await syncedHarness([A, B], { sync: { auto: false } }));
    await store.conversations.delete(A.id);
    await store.conversations.delete(B.id);
    h.server.remove(A.id); // Another device deleted A first.
    const summary = await store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ pushed: 2, rejected: 0 });
    expect([...methods()].sort()).toEqual(
      [A.id, B.id].map((id) => `DELETE /v1/conversations/${id}`).sort(),
    );
  });
});

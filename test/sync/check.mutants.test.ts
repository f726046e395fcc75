/**
 * The check before the push (DESIGN 4), for the survivors of the mutation run of
 * src/sync/check.ts: the base `resolveConflict` is told when another device set a field
 * to the value of a never-sent update, and a record evicted while the check's GET was in
 * flight.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConflictContext, ConversationStore, SyncEvent } from '../../src/index.js';
import {
  A,
  afterConversationWrites,
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
const cleanups: (() => void)[] = [];
const T = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
});

afterEach(async () => {
  gate?.open();
  gate = null;
  await store?.close().catch(() => {});
  for (const cleanup of cleanups.splice(0)) cleanup();
  vi.useRealTimers();
});

const path = (id: string) => `/v1/conversations/${id}`;
const methods = () => h.server.requests.map((r) => `${r.method} ${r.path}`);

describe('the base resolveConflict is told by the check', () => {
  it('is the record the update was made on, though another device set one of its fields to the same value', async () => {
    const contexts: ConflictContext[] = [];
    ({ h, store } = await syncedHarness([A, B, C], {
      sync: { auto: false, freshMs: 1000 },
      resolveConflict: (context) => {
        contexts.push(context);
        return context.pending;
      },
    }));
    vi.setSystemTime(T + 1001); // A was confirmed longer ago than freshMs: its update is checked.
    await store.conversations.update(A.id, { is_muted: true, archived_at: 1_800_000_000 });
    // Another device mutes it too (no conflict) and archives it at another time (a conflict).
    h.server.update(A.id, { is_muted: true, archived_at: 1_700_000_500 });
    await store.sync.now({ pull: 'none' });
    expect(methods()).toEqual([`GET ${path(A.id)}`, `PUT ${path(A.id)}`]);
    expect(contexts).toEqual([
      expect.objectContaining({
        id: A.id,
        fields: ['archived_at'],
        base: A, // Not muted: the update was never sent, so the server's mute is not ours.
        pending: { is_muted: true, archived_at: 1_800_000_000 },
      }),
    ]);
  });
});

describe('a record evicted while the GET of its check is in flight', () => {
  it('stays evicted when its update was undone meanwhile: the check does not store it again', async () => {
    h = harness([A, B, C]);
    // A fake disk that holds three conversations (quota.test.ts): a write past it evicts.
    const limit = { rows: Number.POSITIVE_INFINITY };
    cleanups.push(
      afterConversationWrites(h.databaseName, (type, rows) => {
        if (type !== 'delete' && type !== 'deleteRange' && rows > limit.rows) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
      }),
    );
    store = h.open({
      sync: { auto: false, freshMs: 0 },
      fetch: (input, init) => (gate ?? h.network).fetch(new Request(input, init)),
    });
    await store.sync.now();
    h.server.clearRequests();
    limit.rows = 3;
    vi.setSystemTime(T + 1); // C was confirmed 1 ms ago: stale, so its update is checked.
    await store.conversations.update(C.id, { is_muted: true });
    gate = holdingFetch(h.network.fetch, ['GET']);
    const events = record(store.sync.events$);
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await store.conversations.update(C.id, { is_muted: false }); // Undone: nothing queued.
    const created = await store.conversations.create({ contact_id: 'new' }); // Evicts A, B, C.
    expect(events.values).toContainEqual({ type: 'evicted', count: 3, reason: 'quota' });
    gate.open();
    await round;
    expect(methods()).toEqual([`GET ${path(C.id)}`]);
    expect(events.values.filter((event: SyncEvent) => event.type === 'checked')).toEqual([
      { type: 'checked', recordId: C.id, outcome: 'current', sends: false },
    ]);
    expect(await store.conversations.retrieve(C.id)).toBeUndefined();
    const stored = (await h.dump()).conversations as { id: string }[];
    expect(stored.map((row) => row.id)).toEqual([created.id]);
  });
});

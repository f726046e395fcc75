/**
 * pending$ while a round is still running: each reply the round settles (an acknowledged
 * create, update or delete, a refused write) moves its record in or out of pending$ at
 * once, while another request is still held open (DESIGN 4).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { IdChange } from '../../src/index.js';
import { A, B, C, FAKE_TIMERS, holdingFetch, record, syncedSuite, tickUntil } from '../fixtures.js';

const { t, synced } = syncedSuite();
let gate: ReturnType<typeof holdingFetch> | null = null;
const T = 1_750_000_000_000;

beforeEach(() => {
  vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
});

afterEach(async () => {
  gate?.open();
  gate = null;
});

/** A store that pulled A, B, C; requests of `held` methods wait for the gate. */
async function open(held: string[], concurrency = 4) {
  await synced([A, B, C], (h) => ({
    sync: { auto: false, concurrency },
    fetch: (input, init) => (gate ?? h.network).fetch(new Request(input, init)),
  }));
  gate = holdingFetch(t.h.network.fetch, held);
}

/** Starts a round and ticks until pending$ shows `expected` (assert afterwards). */
async function roundUntilPending(expected: ReadonlySet<string>) {
  const pending = record(t.store.sync.pending$);
  const round = t.store.sync.now({ pull: 'none' });
  const last = () => pending.values.at(-1);
  await tickUntil(() => gate?.waiting === 1 && sameSet(last(), expected));
  return { pending, round, last };
}

const sameSet = (a: ReadonlySet<string> | undefined, b: ReadonlySet<string>) =>
  a !== undefined && a.size === b.size && [...a].every((id) => b.has(id));

describe('pending$ while the round goes on', () => {
  it('shows a new record under its server id while the update queued behind its create is on its way', async () => {
    await open(['PUT']);
    const created = await t.store.conversations.create({ contact_id: 'k1' });
    await t.store.conversations.update(created.id, { is_muted: true });
    const changes = record(t.store.idChanges$);
    const pending = record(t.store.sync.pending$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    const [change] = changes.values as IdChange[];
    expect(change).toEqual({ from: created.id, to: expect.any(String) });
    expect(pending.values.at(-1)).toEqual(new Set([change?.to]));
    gate?.open();
    await round;
    expect(pending.values.at(-1)).toEqual(new Set());
  });

  it('drops a new record from pending$ as soon as its create is acknowledged', async () => {
    await open(['DELETE']);
    await t.store.conversations.delete(B.id);
    const created = await t.store.conversations.create({ contact_id: 'k1' });
    const { pending, round, last } = await roundUntilPending(new Set([B.id]));
    expect(last()).toEqual(new Set([B.id]));
    expect(pending.values).toEqual([new Set([B.id, created.id]), new Set([B.id])]);
    gate?.open();
    await round;
    expect(last()).toEqual(new Set());
  });

  it('drops a deleted record from pending$ as soon as its DELETE is acknowledged', async () => {
    await open(['PUT']);
    await t.store.conversations.delete(A.id);
    await t.store.conversations.update(B.id, { is_pinned: true });
    const { round, last } = await roundUntilPending(new Set([B.id]));
    expect(last()).toEqual(new Set([B.id]));
    expect(t.h.server.requests.map((r) => r.method)).toEqual(['DELETE']); // The PUT is held.
    gate?.open();
    await round;
    expect(last()).toEqual(new Set());
  });

  it('drops a record whose create was refused from pending$ at once', async () => {
    await open(['DELETE']);
    await t.store.conversations.delete(B.id);
    const created = await t.store.conversations.create({ contact_id: 'k1' });
    t.h.server.faults.failNext(400, 1, { methods: ['POST'] });
    const { round, last } = await roundUntilPending(new Set([B.id]));
    expect(last()).toEqual(new Set([B.id]));
    expect(await t.store.sync.listRejections()).toEqual([
      expect.objectContaining({ op: 'create', recordId: created.id }),
    ]);
    gate?.open();
    await round;
    expect(last()).toEqual(new Set());
  });

  it('drops a record whose only update was refused from pending$ at once', async () => {
    await open(['DELETE']);
    await t.store.conversations.delete(B.id);
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.faults.failNext(400, 1, { methods: ['PUT'] });
    const { round, last } = await roundUntilPending(new Set([B.id]));
    expect(last()).toEqual(new Set([B.id]));
    expect(await t.store.conversations.retrieve(A.id)).toEqual(A);
    gate?.open();
    await round;
    expect(last()).toEqual(new Set());
  });

  it('drops a record whose PUT answers 404 (deleted elsewhere) from pending$ at once', async () => {
    await open(['DELETE']);
    await t.store.conversations.delete(B.id);
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.remove(A.id); // Another device deleted it.
    const pending = record(t.store.sync.pending$);
    const conflicts = record(t.store.sync.conflicts$);
    const round = t.store.sync.now({ pull: 'none' });
    const last = () => pending.values.at(-1);
    await tickUntil(
      () => gate?.waiting === 1 && conflicts.values.length === 1 && last()?.size === 1,
    );
    expect(conflicts.values.map((conflict) => [conflict.id, conflict.kind])).toEqual([
      [A.id, 'deleted'],
    ]);
    expect(last()).toEqual(new Set([B.id])); // The DELETE of B is still on its way.
    gate?.open();
    await round;
    expect(last()).toEqual(new Set());
  });

  it('keeps a record pending while the update made after its refused update is on its way', async () => {
    await open(['PUT']);
    await t.store.conversations.update(A.id, { is_pinned: true });
    const pending = record(t.store.sync.pending$);
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(400, 1, { methods: ['PUT'] });
    gate?.release();
    await tickUntil(() => gate?.started === 2 && gate.waiting === 1);
    expect(await t.store.sync.listRejections()).toEqual([
      expect.objectContaining({ op: 'update', recordId: A.id, patch: { is_pinned: true } }),
    ]);
    expect(pending.values.at(-1)).toEqual(new Set([A.id]));
    gate?.open();
    await round;
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await t.store.conversations.retrieve(A.id)).toEqual(
      expect.objectContaining({ is_pinned: false, is_muted: true }),
    );
  });
});

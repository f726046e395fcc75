/** status$ and pending$, and sync.now() sharing rounds. */

import { firstValueFrom } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { type ConversationStore, StorageError } from '../../src/index.js';
import {
  A,
  B,
  C,
  FAKE_TIMERS,
  harness,
  holdingFetch,
  localStore,
  record,
  requests,
  syncedSuite,
  tickUntil,
  until,
} from '../fixtures.js';

/** The store under test (`t.store`) and its harness (`t.h`); closed after each test. */
const { t, synced } = syncedSuite();

describe('status', () => {
  it('ends a round that ran while the browser went offline in offline, not idle', async () => {
    t.h = harness([A, B, C]);
    const gate = holdingFetch(t.h.network.fetch, ['GET']);
    t.store = t.h.open({ fetch: gate.fetch });
    const round = t.store.sync.now();
    await tickUntil(() => gate.waiting === 1); // The walk's first page is on its way.
    t.h.platform.goOffline(); // The round's requests still land: the reply was under way.
    gate.open();
    expect((await round).state).toBe('idle');
    const status = await until(t.store.sync.status$, (value) => value.state !== 'syncing');
    expect(status.state).toBe('offline');
  });

  it('lists the ids with unsent changes on pending$ and counts them in status$', async () => {
    await synced();
    t.h.network.offline = true;
    const created = await t.store.conversations.create({ contact_id: 'k6' });
    await t.store.conversations.update(A.id, { is_muted: true });
    const ids = await until(t.store.sync.pending$, (set) => set.size === 2);
    expect([...ids].sort()).toEqual([A.id, created.id].sort());
    await until(t.store.sync.status$, (s) => s.pending === 2);
    t.h.network.offline = false;
    await t.store.sync.now();
    await until(t.store.sync.pending$, (set) => set.size === 0);
    const status = await until(t.store.sync.status$, (s) => s.pending === 0);
    expect(status).toMatchObject({ state: 'idle', rejected: 0, lastError: null });
    expect(status.lastSyncedAt).toEqual(expect.any(Number));
  });

  it('shares one round between concurrent sync.now() calls', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    const [first, second] = await Promise.all([t.store.sync.now(), t.store.sync.now()]);
    expect(second).toBe(first);
    expect(requests(t.h.server, 'GET')).toHaveLength(2); // One walk: its page and the head.
    expect(requests(t.h.server, 'PUT')).toHaveLength(1);
  });

  it('sync.now() rejects with a StorageError after close()', async () => {
    await synced();
    await t.store.close();
    await expect(t.store.sync.now()).rejects.toBeInstanceOf(StorageError);
  });
});

describe('pending$ as the outbox drains (fake clock, PUTs held open)', () => {
  it('emits a smaller set after each acknowledgement: exactly {A,B,C}, {B,C}, {C}, {}', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    t.h = harness([A, B, C]);
    const gate = holdingFetch(t.h.network.fetch, ['PUT']);
    t.store = t.h.open({ fetch: gate.fetch, sync: { auto: false, concurrency: 1 } });
    await t.store.sync.now();
    for (const row of [A, B, C]) await t.store.conversations.update(row.id, { is_muted: true });
    const seen = record(t.store.sync.pending$);
    const sets = () => seen.values.map((set) => [...set].sort());
    expect(sets()).toEqual([[A.id, B.id, C.id]]);

    const round = t.store.sync.now();
    try {
      await tickUntil(() => gate.waiting === 1);
      expect(sets()).toEqual([[A.id, B.id, C.id]]); // Sent is not acknowledged.
      const expected = [[A.id, B.id, C.id]];
      for (const acknowledged of [A, B, C]) {
        await tickUntil(() => gate.waiting === 1);
        expect(gate.inFlight).toBe(1);
        gate.release();
        expected.push(expected.at(-1)?.filter((id) => id !== acknowledged.id) ?? []);
        await tickUntil(() => seen.values.length === expected.length);
        expect(sets(), `after the PUT of ${acknowledged.id} was answered`).toEqual(expected);
      }
    } finally {
      gate.open();
    }
    const summary = await round;
    expect(summary).toMatchObject({ pushed: 3, state: 'idle' });
    expect(sets()).toEqual([[A.id, B.id, C.id], [B.id, C.id], [C.id], []]);
    seen.stop();
  });
});

describe('this tab’s own writes show at once (no sleeps, 20 fresh stores each)', () => {
  const RUNS = 20;

  /** What a subscriber right after the awaited call sees first. */
  async function firstSeen(subject: ConversationStore) {
    const [ids, status] = await Promise.all([
      firstValueFrom(subject.sync.pending$),
      firstValueFrom(subject.sync.status$),
    ]);
    return { ids: [...ids].sort(), pending: status.pending };
  }

  it('create', async () => {
    for (let run = 0; run < RUNS; run++) {
      const local = await localStore();
      t.store = local.store;
      const created = await t.store.conversations.create({ contact_id: `k${run}` });
      expect(await firstSeen(t.store)).toEqual({ ids: [created.id], pending: 1 });
      await t.store.close();
    }
  });

  it('update', async () => {
    for (let run = 0; run < RUNS; run++) {
      t.store = (await localStore([A, B])).store;
      await t.store.conversations.update(B.id, { is_pinned: true });
      expect(await firstSeen(t.store)).toEqual({ ids: [B.id], pending: 1 });
      await t.store.close();
    }
  });

  it('delete', async () => {
    for (let run = 0; run < RUNS; run++) {
      t.store = (await localStore([A, B])).store;
      await t.store.conversations.delete(A.id);
      expect(await firstSeen(t.store)).toEqual({ ids: [A.id], pending: 1 });
      await t.store.close();
    }
  });

  it('create then delete of an unsent record leaves nothing pending', async () => {
    for (let run = 0; run < RUNS; run++) {
      t.store = (await localStore()).store;
      const created = await t.store.conversations.create({ group_id: `g${run}` });
      expect(await firstSeen(t.store)).toEqual({ ids: [created.id], pending: 1 });
      await t.store.conversations.delete(created.id);
      expect(await firstSeen(t.store)).toEqual({ ids: [], pending: 0 });
      await t.store.close();
    }
  });

  it('an acknowledged write leaves pending$ once its round resolves', async () => {
    for (let run = 0; run < RUNS; run++) {
      await synced();
      await t.store.conversations.update(A.id, { is_muted: true });
      expect(await firstSeen(t.store)).toEqual({ ids: [A.id], pending: 1 });
      await t.store.sync.now();
      expect(await firstSeen(t.store)).toEqual({ ids: [], pending: 0 });
      await t.store.close();
    }
  });
});

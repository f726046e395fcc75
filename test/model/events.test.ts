/**
 * The debug stream (events.ts): every kind of event, with its typed payload, on
 * `store.sync.events$` and the `logger` option; a failing logger breaks nothing.
 */
import { describe, expect, it } from 'vitest';
import type { SyncEvent } from '../../src/index.js';
import {
  A,
  B,
  C,
  conversation,
  harness,
  record,
  type StoreOptions,
  syncedSuite,
} from '../fixtures.js';

const { t, synced } = syncedSuite();

/** A synced store whose every event from now on is recorded. */
async function watched(seed = [A, B, C], options: StoreOptions = {}) {
  const store = await synced(seed, options);
  return record(store.sync.events$).values;
}

const ofType = <T extends SyncEvent['type']>(events: SyncEvent[], type: T) =>
  events.filter((event): event is Extract<SyncEvent, { type: T }> => event.type === type);

describe('events$', () => {
  it('tells the start and end of each round, with the summary counts and its duration', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'recent' });
    const [start, end] = [events[0], events.at(-1)];
    expect(start).toEqual({ type: 'round-start', kind: 'recent' });
    expect(end).toEqual({
      type: 'round-end',
      kind: 'recent',
      pushed: summary.pushed,
      pulled: summary.pulled,
      removed: 0,
      conflicts: 0,
      rejected: 0,
      skipped: 0,
      complete: false,
      state: 'idle',
      durationMs: expect.any(Number),
    });
    expect(summary.pushed).toBe(1);
    expect((end as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0);
  });

  it('tells each request: method, path with query, status, time, attempt', async () => {
    const events = await watched();
    await t.store.sync.now({ pull: 'full' });
    const listRead = {
      type: 'request',
      method: 'GET',
      path: '/v1/conversations?limit=100',
      status: 200,
      failure: null,
      durationMs: expect.any(Number),
      attempt: 1,
    };
    expect(ofType(events, 'request')).toEqual([listRead, listRead]); // The walk's page, the head.
  });

  it('tells a request that got no answer by its failure class', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.network.offline = true;
    await t.store.sync.now({ pull: 'none' });
    expect(ofType(events, 'request')).toEqual([
      expect.objectContaining({ method: 'PUT', status: null, failure: 'network', attempt: 1 }),
    ]);
  });

  it('counts the attempts of a write', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await t.store.sync.now({ pull: 'none' });
    await t.store.sync.now({ pull: 'none' });
    const puts = ofType(events, 'request');
    expect(puts.map(({ method, status, attempt }) => ({ method, status, attempt }))).toEqual([
      { method: 'PUT', status: 503, attempt: 1 },
      { method: 'PUT', status: 200, attempt: 2 },
    ]);
  });

  it('tells a write merged into an unsent entry, and one dropped', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.conversations.update(A.id, { is_pinned: true });
    await t.store.conversations.update(B.id, { is_muted: false }); // Already false: a no-op.
    const created = await t.store.conversations.create({ contact_id: 'c' });
    await t.store.conversations.delete(created.id);
    expect(ofType(events, 'coalesced')).toEqual([
      { type: 'coalesced', recordId: A.id, op: 'update', outcome: 'merged' },
      { type: 'coalesced', recordId: B.id, op: 'update', outcome: 'dropped' },
      { type: 'coalesced', recordId: created.id, op: 'delete', outcome: 'dropped' },
    ]);
  });

  it('tells a delete that replaced unsent updates as merged, and nothing for a delete sent as is', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.conversations.delete(A.id);
    await t.store.conversations.delete(B.id);
    expect(ofType(events, 'coalesced')).toEqual([
      { type: 'coalesced', recordId: A.id, op: 'delete', outcome: 'merged' },
    ]);
  });

  it('tells a pull that rebased pending changes on a new server state', async () => {
    const events = await watched();
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    t.h.network.offline = false;
    t.h.server.update(A.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 1, { methods: ['GET', 'PUT'] }); // The check fails: no push.
    await t.store.sync.now();
    expect(ofType(events, 'rebased')).toEqual([{ type: 'rebased', recordId: A.id }]);
  });

  it('tells a conflict and the check before the push that found it', async () => {
    const events = await watched();
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { archived_at: 1_800_000_000 });
    await t.store.sync.now({ pull: 'none' });
    t.h.server.update(A.id, { archived_at: 1_700_000_500 });
    t.h.network.offline = false;
    await t.store.sync.now({ pull: 'none' });
    expect(ofType(events, 'checked')).toEqual([
      { type: 'checked', recordId: A.id, outcome: 'conflict', sends: true },
    ]);
    expect(ofType(events, 'conflict')).toEqual([
      { type: 'conflict', recordId: A.id, kind: 'field', fields: ['archived_at'] },
    ]);
  });

  it('tells a write the server refused', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(422, 1, { methods: ['PUT'], type: 'invalid_request' });
    await t.store.sync.now({ pull: 'none' });
    expect(ofType(events, 'rejected')).toEqual([
      { type: 'rejected', recordId: A.id, op: 'update', status: 422, errorType: 'invalid_request' },
    ]);
  });

  it('tells records removed by a complete walk and by a 404', async () => {
    const events = await watched();
    t.h.server.remove(B.id);
    await t.store.sync.now({ pull: 'full' });
    t.h.server.remove(C.id);
    await t.store.sync.refresh([C.id]);
    expect(ofType(events, 'removed')).toEqual([
      { type: 'removed', recordId: B.id, reason: 'walk' },
      { type: 'removed', recordId: C.id, reason: 'not-found' },
    ]);
  });

  it('tells a temporary id replaced by the server’s', async () => {
    const events = await watched();
    const created = await t.store.conversations.create({ contact_id: 'c' });
    await t.store.sync.now({ pull: 'none' });
    const [remapped] = ofType(events, 'id-remapped');
    expect(remapped).toEqual({ type: 'id-remapped', from: created.id, to: expect.any(String) });
    expect(t.h.server.get(remapped?.to ?? '')).toBeDefined();
  });

  it('tells a backoff: until when and why', async () => {
    const events = await watched();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await t.store.sync.now({ pull: 'none' });
    const [backoff] = ofType(events, 'backoff');
    expect(backoff).toEqual({
      type: 'backoff',
      recordId: A.id,
      until: expect.any(Number),
      delayMs: expect.any(Number),
      reason: 'status',
      status: 503,
    });
    expect(backoff?.until).toBeGreaterThanOrEqual(Date.now() - 1000 + (backoff?.delayMs ?? 0));
    expect(backoff?.delayMs).toBeLessThanOrEqual(100); // sync.retry.maxMs of the harness.
  });

  it('tells records evicted to keep the storage limits', async () => {
    const rows = Array.from({ length: 12 }, (_, index) =>
      conversation({ id: `ROW${String(index).padStart(13, '0')}`, last_active_at: 100 - index }),
    );
    t.h = harness(rows);
    t.store = t.h.open({ storage: { maxRecords: 10 } });
    const events = record(t.store.sync.events$).values;
    await t.store.sync.now();
    expect(ofType(events, 'evicted')).toEqual([{ type: 'evicted', count: 2, reason: 'limits' }]);
  });

  it('completes on close()', async () => {
    await synced();
    let completed = false;
    t.store.sync.events$.subscribe({ complete: () => (completed = true) });
    await t.store.close();
    expect(completed).toBe(true);
  });
});

describe('the logger option', () => {
  it('receives the same events as events$, and one that throws breaks nothing', async () => {
    const logged: SyncEvent[] = [];
    const events = await watched([A, B, C], {
      logger: (event) => {
        logged.push(event);
        throw new Error('a broken logger');
      },
    });
    logged.length = 0;
    await t.store.conversations.update(A.id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ pushed: 1, state: 'idle' });
    expect(logged.map((event) => event.type)).toEqual(['round-start', 'request', 'round-end']);
    expect(logged).toEqual(events);
  });
});

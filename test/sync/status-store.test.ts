/**
 * What status$ and pending$ emit as the outbox reads and this tab's own queue changes
 * arrive, in the orders the engine can deliver them (the StatusStore behind both).
 */
import { describe, expect, it } from 'vitest';
import { type StatusAction, StatusStore } from '../../src/sync/status.js';
import { record } from '../fixtures.js';

/** The reads besides the outbox that status$ waits for. */
const COUNTS_READ: StatusAction[] = [
  { type: 'rejected', count: 0 },
  { type: 'synced', at: null },
  { type: 'walked', at: null },
];

function watched() {
  const store = new StatusStore();
  const status = record(store.status$);
  const pending = record(store.pending$);
  const sets = () => pending.values.map((set) => [...set].sort());
  return { store, status, sets };
}

describe('status$ and pending$ as reads and queue changes arrive', () => {
  it('status$ emits nothing until the outbox and every count were read, then once', () => {
    const { store, status } = watched();
    store.dispatch({ type: 'persisted', value: true }, ...COUNTS_READ);
    store.dispatch({ type: 'started' });
    expect(status.values).toEqual([]);
    store.readPending(new Set(['A']), store.version);
    expect(status.values).toEqual([
      expect.objectContaining({ state: 'syncing', pending: 1, persisted: true }),
    ]);
  });

  it('status$ does not repeat a status that did not change', () => {
    const { store, status } = watched();
    store.readPending(new Set(), store.version, ...COUNTS_READ);
    store.dispatch({ type: 'rejected', count: 0 });
    store.readPending(new Set(), store.version);
    expect(status.values).toHaveLength(1);
    store.dispatch({ type: 'started' });
    store.dispatch({ type: 'started' });
    expect(status.values.map((s) => s.state)).toEqual(['idle', 'syncing']);
  });

  it('pending$ emits when the pending ids change but their number does not', () => {
    const { store, sets } = watched();
    store.readPending(new Set(['A']), store.version);
    store.readPending(new Set(['B']), store.version);
    expect(sets()).toEqual([['A'], ['B']]);
  });

  it("a read that started before this tab's changes shows them (queued and dequeued)", () => {
    const { store, status, sets } = watched();
    store.readPending(new Set(['B']), store.version, ...COUNTS_READ);
    const started = store.version; // A read of the outbox starts here...
    store.queueChanged('A', true); // ...then this tab queues A and acknowledges B...
    store.queueChanged('B', false);
    store.readPending(new Set(['B']), started); // ...and the read resolves without them.
    expect(sets()).toEqual([['B'], ['A', 'B'], ['A']]);
    expect(status.values.at(-1)?.pending).toBe(1);
  });

  it('a read older than one already applied brings back no old ids, but its actions apply', () => {
    const { store, status, sets } = watched();
    store.readPending(new Set(), store.version, ...COUNTS_READ);
    const older = store.version;
    store.queueChanged('A', true);
    store.readPending(new Set(['A']), store.version);
    store.readPending(new Set(), older, { type: 'state', state: 'offline' });
    expect(sets()).toEqual([[], ['A']]);
    expect(status.values.at(-1)).toMatchObject({ state: 'offline', pending: 1 });
  });

  it('a queue change before the first read emits nothing; the first read includes it', () => {
    const { store, status, sets } = watched();
    store.dispatch(...COUNTS_READ);
    const started = store.version;
    store.queueChanged('A', true);
    expect(sets()).toEqual([]);
    expect(status.values).toEqual([]);
    store.readPending(new Set(), started);
    expect(sets()).toEqual([['A']]);
    expect(status.values).toEqual([expect.objectContaining({ pending: 1 })]);
  });
});

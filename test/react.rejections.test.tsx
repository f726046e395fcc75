// @vitest-environment happy-dom
/** useRejections and useConflicts: the refused writes and the recent conflicts, live. */
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { Component, type ReactNode } from 'react';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Conflict, ConversationStore, Rejection } from '../src/index.js';
import { RECENT_CONFLICTS, useConflicts, useRejections } from '../src/react.js';
import { A, B, harness, syncedSuite } from './fixtures.js';

const suite = syncedSuite();
const { t, open } = suite;

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

/** A store that pulled A and B. */
const synced = () => suite.synced([A, B]);

/** Wraps a store's listRejections so that the test sees how often the hook reads. */
function countReads(store: ConversationStore) {
  const counts = { reads: 0 };
  const listRejections = store.sync.listRejections;
  store.sync.listRejections = () => {
    counts.reads++;
    return listRejections();
  };
  return counts;
}

class Boundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: undefined as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    const { error } = this.state;
    if (error === undefined) return this.props.children;
    return <p>caught {error instanceof Error ? error.name : String(error)}</p>;
  }
}

function RefusedCount({ store }: { store: ConversationStore }) {
  const rejections = useRejections(store);
  return <p>{rejections === undefined ? 'loading' : `${rejections.length} refused`}</p>;
}

const recordIds = (rejections: readonly Rejection[] | undefined) =>
  rejections?.map((rejection) => rejection.recordId);

describe('useRejections', () => {
  it('is undefined on the first render, then the refused writes as listRejections() answers', async () => {
    const store = await synced();
    t.h.server.faults.failNext(422, 1, { methods: ['PUT'] });
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    const { result } = renderHook(() => useRejections(store));
    expect(result.current).toBeUndefined();
    await waitFor(() => expect(result.current).toEqual(expect.any(Array)));
    expect(result.current).toEqual(await store.sync.listRejections());
    expect(recordIds(result.current)).toEqual([A.id]);
  });

  it('follows a new refusal, a retry and a discard', async () => {
    const store = await synced();
    const { result } = renderHook(() => useRejections(store));
    await waitFor(() => expect(result.current).toEqual([]));

    t.h.server.faults.failNext(422, 2, { methods: ['PUT'] });
    await store.conversations.update(A.id, { is_muted: true });
    await act(() => store.sync.now({ pull: 'none' }));
    await waitFor(() => expect(recordIds(result.current)).toEqual([A.id]));

    await act(() => store.sync.retry(result.current?.[0]?.id as number));
    await waitFor(() => expect(result.current).toEqual([]));

    await act(() => store.sync.now({ pull: 'none' })); // Refused again.
    await waitFor(() => expect(recordIds(result.current)).toEqual([A.id]));

    await act(() => store.sync.discard(result.current?.[0]?.id as number));
    await waitFor(() => expect(result.current).toEqual([]));
  });

  it('follows a refusal and a discard made in another tab', async () => {
    t.h = harness([A, B], { tabs: true });
    const leader = open();
    const follower = open();
    await leader.sync.now();
    const { result } = renderHook(() => useRejections(follower));
    await waitFor(() => expect(result.current).toEqual([]));

    t.h.server.faults.failNext(422, 1, { methods: ['PUT'] });
    await follower.conversations.update(B.id, { is_pinned: true });
    await act(() => leader.sync.now({ pull: 'none' }));
    await waitFor(() => expect(recordIds(result.current)).toEqual([B.id]));

    await act(() => leader.sync.discard(result.current?.[0]?.id as number));
    await waitFor(() => expect(result.current).toEqual([]));
  });

  it('shares one read per store between components and reads nothing after the last unmounts', async () => {
    const store = await synced();
    const counts = countReads(store);
    const first = renderHook(() => useRejections(store));
    const second = renderHook(() => useRejections(store));
    await waitFor(() => expect(second.result.current).toEqual([]));
    expect(first.result.current).toBe(second.result.current);
    expect(counts.reads).toBe(1);
    first.unmount();
    second.unmount();
    t.h.server.faults.failNext(422, 1, { methods: ['PUT'] });
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' });
    expect(await store.sync.listRejections()).toHaveLength(1);
    expect(counts.reads).toBe(2); // Only the test's own read.
  });

  it('throws a StorageError during render once the store is closed, to the error boundary', async () => {
    const store = await synced();
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React reports caught errors.
    render(
      <Boundary>
        <RefusedCount store={store} />
      </Boundary>,
    );
    await screen.findByText('0 refused');
    await act(() => store.close());
    await screen.findByText('caught StorageError');
  });
});

describe('useConflicts', () => {
  it('starts empty once mounted and shows a conflict the sync reports', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConflicts(store));
    await waitFor(() => expect(result.current).toEqual([]));
    await store.conversations.update(A.id, { is_muted: true });
    t.h.server.remove(A.id); // Deleted on the server meanwhile: the PUT answers 404.
    await act(() => store.sync.now({ pull: 'none' }));
    await waitFor(() =>
      expect(result.current).toEqual([expect.objectContaining({ id: A.id, kind: 'deleted' })]),
    );
  });

  it(`keeps the last ${RECENT_CONFLICTS}, most recent first, shared between components`, async () => {
    const store = await synced();
    const conflicts$ = new Subject<Conflict>();
    store.sync.conflicts$ = conflicts$.asObservable();
    const first = renderHook(() => useConflicts(store));
    const second = renderHook(() => useConflicts(store));
    await waitFor(() => expect(first.result.current).toEqual([]));
    expect(conflicts$.observed).toBe(true);
    const conflict = (index: number): Conflict => ({
      id: `record-${index}`,
      kind: 'field',
      fields: ['is_muted'],
      server: null,
      local: null,
      resolved: null,
    });
    act(() => {
      for (let index = 0; index < RECENT_CONFLICTS + 5; index++) conflicts$.next(conflict(index));
    });
    const shown = first.result.current?.map((c) => c.id);
    expect(shown).toHaveLength(RECENT_CONFLICTS);
    expect(shown?.[0]).toBe(`record-${RECENT_CONFLICTS + 4}`);
    expect(shown?.at(-1)).toBe('record-5');
    expect(second.result.current).toBe(first.result.current);
    first.unmount();
    second.unmount();
    expect(conflicts$.observed).toBe(false);
  });
});

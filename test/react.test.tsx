// @vitest-environment happy-dom
import { act, cleanup, render, renderHook, screen, waitFor } from '@testing-library/react';
import { Component, type ReactNode, StrictMode } from 'react';
import { Observable, throwError } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ConversationStore,
  type ListParams,
  StorageError,
  ValidationError,
} from '../src/index.js';
import {
  useConversation,
  useConversations,
  useListState,
  usePendingIds,
  useSyncStatus,
} from '../src/react.js';
import { A, B, C, syncedSuite } from './fixtures.js';

/** The synced store of each test and its harness (`t.h`); closed after each test. */
const { t, synced } = syncedSuite();

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const ids = (page: { data: { id: string }[] } | undefined) => page?.data.map((row) => row.id);

/** Waits long enough for any late live-query re-run (and the render it causes) to happen. */
const quiet = () => act(() => new Promise((resolve) => setTimeout(resolve, 150)));

/** Wraps the store's list$ so that the test sees how many subscriptions it has open. */
function countListSubscriptions(target: ConversationStore) {
  const counts = { opened: 0, active: 0 };
  const list$ = target.conversations.list$;
  target.conversations.list$ = (params?: ListParams) => {
    const source = list$(params);
    return new Observable((subscriber) => {
      counts.opened++;
      counts.active++;
      const subscription = source.subscribe(subscriber);
      return () => {
        counts.active--;
        subscription.unsubscribe();
      };
    });
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

/** A list that reports each of its renders; its params are a new object on every render. */
function UnmutedCount({ store, onRender }: { store: ConversationStore; onRender: () => void }) {
  onRender();
  const page = useConversations(store, { muted: false, archived: false });
  return <p>{page === undefined ? 'loading' : `${page.data.length} rows`}</p>;
}

function RowsOrLoading({ store, params }: { store: ConversationStore; params?: ListParams }) {
  const page = useConversations(store, params);
  return <p>{page === undefined ? 'loading' : 'rows'}</p>;
}

describe('useConversations', () => {
  it('keeps the previous page while new parameters load, with keepPrevious', async () => {
    const store = await synced();
    const seen: (string[] | undefined)[] = [];
    const { result, rerender } = renderHook(
      ({ limit }: { limit: number }) => {
        const page = useConversations(store, { limit }, { keepPrevious: true });
        seen.push(ids(page));
        return page;
      },
      { initialProps: { limit: 1 } },
    );
    await waitFor(() => expect(ids(result.current)).toEqual([A.id]));
    seen.length = 0;
    rerender({ limit: 2 });
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, B.id]));
    expect(seen).not.toContain(undefined); // Never a render of nothing between the two pages.
  });

  it('goes back to undefined while new parameters load, without keepPrevious', async () => {
    const store = await synced();
    const seen: (string[] | undefined)[] = [];
    const { result, rerender } = renderHook(
      ({ limit }: { limit: number }) => {
        const page = useConversations(store, { limit });
        seen.push(ids(page));
        return page;
      },
      { initialProps: { limit: 1 } },
    );
    await waitFor(() => expect(ids(result.current)).toEqual([A.id]));
    seen.length = 0;
    rerender({ limit: 2 });
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, B.id]));
    expect(seen).toContain(undefined);
  });

  it('is undefined on the first render, then the page', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversations(store, { limit: 2 }));
    expect(result.current).toBeUndefined();
    await waitFor(() => expect(result.current).toEqual({ has_more: true, data: [A, B] }));
  });

  it('re-renders after a local create and update', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversations(store, { muted: false }));
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, B.id, C.id]));

    const created = await act(() => store.conversations.create({ contact_id: 'new' }));
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, B.id, C.id, created.id]));

    await act(() => store.conversations.update(B.id, { is_muted: true }));
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, C.id, created.id]));
  });

  it('re-renders after a change made on the server is synced', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversations(store, { muted: true }));
    await waitFor(() => expect(result.current).toEqual({ has_more: false, data: [] }));

    t.h.server.update(C.id, { is_muted: true });
    await act(() => store.sync.now());
    await waitFor(() => expect(ids(result.current)).toEqual([C.id]));
  });

  it('renders a bounded number of times with inline params, and none without writes', async () => {
    const store = await synced();
    const subscriptions = countListSubscriptions(store);
    let renders = 0;
    const { rerender } = render(<UnmutedCount store={store} onRender={() => renders++} />);
    await screen.findByText('3 rows');
    expect(renders).toBe(2);

    await quiet();
    expect(renders).toBe(2);

    for (const [index, id] of [A.id, B.id, C.id].entries()) {
      await act(() => store.conversations.update(id, { is_muted: true }));
      await screen.findByText(`${2 - index} rows`);
    }
    await quiet();
    const afterWrites = renders;
    expect(afterWrites).toBeLessThanOrEqual(2 + 3);

    // A parent re-rendering passes a new (equal) object each time: no new subscription.
    rerender(<UnmutedCount store={store} onRender={() => renders++} />);
    rerender(<UnmutedCount store={store} onRender={() => renders++} />);
    await quiet();
    expect(renders).toBe(afterWrites + 2);
    expect(subscriptions).toEqual({ opened: 1, active: 1 });
  });

  it('shares one subscription between components with equal params, whatever their key order', async () => {
    const store = await synced();
    const subscriptions = countListSubscriptions(store);
    const first = renderHook(() => useConversations(store, { muted: false, limit: 2 }));
    const second = renderHook(() => useConversations(store, { limit: 2, muted: false }));
    await waitFor(() => expect(ids(first.result.current)).toEqual([A.id, B.id]));
    await waitFor(() => expect(second.result.current).toBe(first.result.current));
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    first.unmount();
    expect(subscriptions.active).toBe(1);
    second.unmount();
    expect(subscriptions.active).toBe(0);
  });

  it('unsubscribes on unmount and when the params change', async () => {
    const store = await synced();
    const subscriptions = countListSubscriptions(store);
    const { result, rerender, unmount } = renderHook(
      ({ limit }: { limit: number }) => useConversations(store, { limit }),
      { initialProps: { limit: 1 } },
    );
    await waitFor(() => expect(ids(result.current)).toEqual([A.id]));
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    rerender({ limit: 2 });
    await waitFor(() => expect(ids(result.current)).toEqual([A.id, B.id]));
    expect(subscriptions).toEqual({ opened: 2, active: 1 });

    unmount();
    expect(subscriptions).toEqual({ opened: 2, active: 0 });
    // Nothing left listening: a write afterwards re-reads no list.
    await store.conversations.update(A.id, { is_muted: true });
    await quiet();
    expect(subscriptions).toEqual({ opened: 2, active: 0 });
  });

  it('keeps one subscription under StrictMode, whose double mount releases the first', async () => {
    const store = await synced();
    const subscriptions = countListSubscriptions(store);
    const { result, unmount } = renderHook(() => useConversations(store, { limit: 1 }), {
      wrapper: StrictMode,
    });
    await waitFor(() => expect(ids(result.current)).toEqual([A.id]));
    expect(subscriptions.active).toBe(1);

    unmount();
    expect(subscriptions.active).toBe(0);
  });

  it('throws a bad parameter during render, to the nearest error boundary', async () => {
    const store = await synced();
    vi.spyOn(console, 'error').mockImplementation(() => {}); // React reports caught errors.
    const subscriptions = countListSubscriptions(store);
    render(
      <Boundary>
        <RowsOrLoading store={store} params={{ limit: 0 }} />
      </Boundary>,
    );
    expect(screen.getByText('caught ValidationError')).toBeTruthy();
    expect(subscriptions.opened).toBe(0);
    expect(() => store.conversations.list$({ limit: 0 })).toThrow(ValidationError);
  });

  it('throws an error the store emits later during render, to the error boundary', async () => {
    const store = await synced();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    store.conversations.list$ = () =>
      throwError(() => new StorageError('the database was deleted'));
    render(
      <Boundary>
        <RowsOrLoading store={store} />
      </Boundary>,
    );
    await screen.findByText('caught StorageError');
  });
});

describe('useConversation', () => {
  it('is undefined on the first render, then the record', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversation(store, B.id));
    expect(result.current).toBeUndefined();
    await waitFor(() => expect(result.current).toEqual(B));
  });

  it('is null for an id that is not stored', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversation(store, 'ZZZZZZZZZZZZZZZZ'));
    await waitFor(() => expect(result.current).toBeNull());
  });

  it('follows a local update, then turns null after a local delete', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversation(store, A.id));
    await waitFor(() => expect(result.current).toEqual(A));

    await act(() => store.conversations.update(A.id, { is_pinned: true }));
    await waitFor(() => expect(result.current).toEqual({ ...A, is_pinned: true }));

    await act(() => store.conversations.delete(A.id));
    await waitFor(() => expect(result.current).toBeNull());
  });

  it('turns null once a deletion on the server is synced', async () => {
    const store = await synced();
    const { result } = renderHook(() => useConversation(store, C.id));
    await waitFor(() => expect(result.current).toEqual(C));

    t.h.server.remove(C.id);
    await act(() => store.sync.now());
    await waitFor(() => expect(result.current).toBeNull());
  });
});

describe('useSyncStatus and usePendingIds', () => {
  it('follow a local write, then the sync that sends it', async () => {
    const store = await synced();
    const { result } = renderHook(() => ({
      status: useSyncStatus(store),
      pending: usePendingIds(store),
    }));
    await waitFor(() => expect(result.current.status).toMatchObject({ state: 'idle', pending: 0 }));
    await waitFor(() => expect(result.current.pending).toEqual(new Set()));
    const syncedAt = result.current.status?.lastSyncedAt;
    expect(syncedAt).toEqual(expect.any(Number));

    await act(() => store.conversations.update(A.id, { is_muted: true }));
    await waitFor(() => expect(result.current.pending).toEqual(new Set([A.id])));
    await waitFor(() => expect(result.current.status?.pending).toBe(1));

    await act(() => store.sync.now());
    await waitFor(() => expect(result.current.pending).toEqual(new Set()));
    expect(result.current.status).toMatchObject({ state: 'idle', pending: 0 });
    expect(result.current.status?.lastSyncedAt).toBeGreaterThanOrEqual(syncedAt as number);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('show a record created offline as pending until it reaches the server', async () => {
    const store = await synced();
    const { result } = renderHook(() => ({
      status: useSyncStatus(store),
      pending: usePendingIds(store),
    }));
    t.h.network.offline = true;
    const created = await act(() => store.conversations.create({ contact_id: 'offline' }));
    await act(() => store.sync.now());
    await waitFor(() => expect(result.current.status?.state).toBe('offline'));
    expect(result.current.pending).toEqual(new Set([created.id]));

    t.h.network.offline = false;
    await act(() => store.sync.now());
    await waitFor(() => expect(result.current.status?.state).toBe('idle'));
    await waitFor(() => expect(result.current.pending).toEqual(new Set()));
  });
});

describe('useListState', () => {
  it('is undefined first, then the page with its freshness, and follows a recent pull', async () => {
    const store = await synced();
    const { result } = renderHook(() => useListState(store, { muted: false, limit: 2 }));
    expect(result.current).toBeUndefined();
    await waitFor(() =>
      expect(result.current).toEqual({
        page: { has_more: true, data: [A, B] },
        confirmedAt: null,
        complete: true,
      }),
    );
    await act(() => store.sync.now({ pull: 'recent' }));
    await waitFor(() => expect(result.current?.confirmedAt).toEqual(expect.any(Number)));
  });
});

describe('parameters that list$ refuses', () => {
  it('throws null params as a ValidationError to the error boundary', async () => {
    const store = await synced();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    render(
      <Boundary>
        <RowsOrLoading store={store} params={null as unknown as ListParams} />
      </Boundary>,
    );
    expect(screen.getByText('caught ValidationError')).toBeTruthy();
  });

  it.each([
    ['a parameter that was undefined becomes null', { limit: null }],
    ['an undefined parameter gives way to an unknown one, also undefined', { bogus: undefined }],
  ])('throws when %s', async (_case, next) => {
    const store = await synced();
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const view = (params: ListParams) => (
      <Boundary>
        <RowsOrLoading store={store} params={params} />
      </Boundary>
    );
    const { rerender } = render(view({ limit: undefined }));
    await screen.findByText('rows');
    rerender(view(next as unknown as ListParams));
    expect(screen.getByText('caught ValidationError')).toBeTruthy();
  });
});

describe('hooks with different arguments side by side', () => {
  it('useListState gives each list its own page', async () => {
    const store = await synced();
    const { result } = renderHook(() => ({
      one: useListState(store, { limit: 1 }),
      two: useListState(store, { limit: 2 }),
    }));
    await waitFor(() => expect(ids(result.current.one?.page)).toEqual([A.id]));
    await waitFor(() => expect(ids(result.current.two?.page)).toEqual([A.id, B.id]));
  });

  it('useConversation gives each id its own record', async () => {
    const store = await synced();
    const { result } = renderHook(() => ({
      a: useConversation(store, A.id),
      b: useConversation(store, B.id),
    }));
    await waitFor(() => expect(result.current.a).toEqual(A));
    await waitFor(() => expect(result.current.b).toEqual(B));
  });
});

/**
 * protocol-offline/react: React hooks over a store's live reads (React 18 or later).
 *
 * Each hook takes the store first and returns `undefined` until its first read has
 * answered, then re-renders on every change the store emits. Parameters are compared by
 * value, so an inline object (`useConversations(store, { muted: false })`) is fine. Hooks
 * with the same store and parameters share one subscription, made when the first of them
 * mounts and released when the last unmounts or moves to other parameters.
 *
 * On a server (`renderToString`, no IndexedDB) every hook returns `undefined` and
 * subscribes to nothing.
 *
 * @packageDocumentation
 */
import { useCallback, useMemo, useRef, useSyncExternalStore } from 'react';
import { paramsKey, type Read, recentConflicts, type Source } from './bindings.js';
import type {
  Conflict,
  Conversation,
  ConversationStore,
  ListPage,
  ListParams,
  ListState,
  Rejection,
  SyncStatus,
} from './index.js';

/** One shared subscription: the source, its latest answer and the components listening. */
interface Entry {
  read: Read<unknown> | undefined;
  listeners: Set<() => void>;
  subscription: { unsubscribe(): void } | undefined;
}

const entriesByStore = new WeakMap<ConversationStore, Map<string, Entry>>();

function entriesOf(store: ConversationStore): Map<string, Entry> {
  let entries = entriesByStore.get(store);
  if (entries === undefined) {
    entries = new Map();
    entriesByStore.set(store, entries);
  }
  return entries;
}

/** Adds a listener to the key's entry, subscribing to `source` when it is the first. */
function listen(
  store: ConversationStore,
  key: string,
  source: Source<unknown>,
  listener: () => void,
): () => void {
  const entries = entriesOf(store);
  let entry = entries.get(key);
  if (entry === undefined) {
    const created: Entry = { read: undefined, listeners: new Set(), subscription: undefined };
    entries.set(key, created);
    entry = created;
    const publish = (read: Read<unknown>) => {
      created.read = read;
      for (const notify of created.listeners) notify();
    };
    // The listener goes in first: status$ and pending$ answer during subscribe.
    created.listeners.add(listener);
    created.subscription = source.subscribe({
      next: (value) => publish({ value }),
      error: (error) => publish({ error }),
    });
  } else {
    entry.listeners.add(listener);
  }
  const current = entry;
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size > 0) return;
    current.subscription?.unsubscribe();
    if (entries.get(key) === current) entries.delete(key);
  };
}

const onServer = () => undefined;

/**
 * The latest answer of the source `open` returns, shared per (store, key). `open` runs
 * during render, once per key, so that a synchronous throw (bad parameters) reaches the
 * nearest error boundary; an error the source emits later is thrown during render too.
 */
function useLive<T>(
  store: ConversationStore,
  key: string,
  open: () => Source<T>,
): { value: T } | undefined {
  // The key stands for the parameters `open` closes over: a new key, a new source.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `open` is new on every render; `key` identifies it
  const source = useMemo(open, [store, key]);
  const subscribe = useCallback(
    (listener: () => void) => listen(store, key, source, listener),
    [store, key, source],
  );
  const getSnapshot = useCallback(() => entriesByStore.get(store)?.get(key)?.read, [store, key]);
  const read = useSyncExternalStore(subscribe, getSnapshot, onServer) as Read<T> | undefined;
  if (read !== undefined && 'error' in read) throw read.error;
  return read;
}

/** Options of {@link useConversations}. */
export interface UseConversationsOptions {
  /**
   * While the page of new parameters loads, keep showing the page of the previous ones
   * (a filter switch without a flash of nothing). Default false: `undefined` until the
   * new page.
   */
  keepPrevious?: boolean;
}

/**
 * One page of conversations, live: `store.conversations.list$(params)`. `undefined` until
 * the first read for these parameters (again after they change, until the new page,
 * unless `keepPrevious`). A list read a moment ago answers at once from the store's
 * memory (its `cacheMs`), without reading IndexedDB.
 *
 * @throws {@link index!ValidationError} during render for a bad parameter: wrap the component in
 * an error boundary if the parameters come from user input.
 */
export function useConversations(
  store: ConversationStore,
  params?: ListParams,
  options: UseConversationsOptions = {},
): ListPage | undefined {
  const page = useLive<ListPage>(store, `list:${paramsKey(params)}`, () =>
    store.conversations.list$(params),
  )?.value;
  const previous = useRef<{ store: ConversationStore; page: ListPage } | undefined>(undefined);
  if (page !== undefined) {
    previous.current = { store, page };
    return page;
  }
  const kept = previous.current;
  return options.keepPrevious === true && kept?.store === store ? kept.page : undefined;
}

/**
 * One list's page with how fresh it is, live: `store.conversations.listState$(params)`
 * (`{ page, confirmedAt, complete }`, for "updated 2 min ago"). `undefined` until the
 * first read for these parameters.
 *
 * @throws {@link index!ValidationError} during render for a bad parameter.
 */
export function useListState(store: ConversationStore, params?: ListParams): ListState | undefined {
  return useLive<ListState>(store, `list-state:${paramsKey(params)}`, () =>
    store.conversations.listState$(params),
  )?.value;
}

/**
 * One conversation, live: `store.conversations.retrieve$(id)`. `undefined` until the first
 * read, `null` once it is known to be missing (never created, deleted here or on the server).
 *
 * @throws {@link index!ValidationError} during render for an id that is not a non-empty string.
 */
export function useConversation(
  store: ConversationStore,
  id: string,
): Conversation | null | undefined {
  const read = useLive<Conversation | undefined>(store, `conversation:${JSON.stringify(id)}`, () =>
    store.conversations.retrieve$(id),
  );
  return read === undefined ? undefined : (read.value ?? null);
}

/** The sync status, live: `store.sync.status$`. `undefined` until the store has read it. */
export function useSyncStatus(store: ConversationStore): SyncStatus | undefined {
  return useLive<SyncStatus>(store, 'status', () => store.sync.status$)?.value;
}

/**
 * The ids of records with changes not yet on the server, live: `store.sync.pending$`.
 * `undefined` until the outbox has been read, never an empty set that is not true yet.
 */
export function usePendingIds(store: ConversationStore): ReadonlySet<string> | undefined {
  return useLive<ReadonlySet<string>>(store, 'pending', () => store.sync.pending$)?.value;
}

/**
 * The refused writes as `store.sync.listRejections()` answers them, read again whenever
 * they may have changed: a new refusal (`rejections$`, from any tab), a retry or discard
 * (the `rejected` count of `status$`, read from IndexedDB in every tab), the store's close.
 */
function refusedWrites(store: ConversationStore): Source<Rejection[]> {
  return {
    subscribe(observer) {
      let active = true;
      let reading = false;
      let again = false;
      const read = () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        again = false;
        store.sync.listRejections().then(
          (rejections) => {
            reading = false;
            if (active) observer.next(rejections);
            if (active && again) read();
          },
          (error: unknown) => {
            reading = false;
            if (active) observer.error(error);
          },
        );
      };
      let count: number | undefined;
      const status = store.sync.status$.subscribe({
        next: ({ rejected, state }) => {
          if (rejected === count && state !== 'closed') return;
          count = rejected;
          read();
        },
      });
      const refused = store.sync.rejections$.subscribe({ next: read });
      return {
        unsubscribe() {
          active = false;
          status.unsubscribe();
          refused.unsubscribe();
        },
      };
    },
  };
}

/**
 * The writes the server refused for good, live: what `store.sync.listRejections()` answers
 * (oldest first), read again after each refusal, retry or discard in any tab. `undefined`
 * until the first read. Act on one with `store.sync.retry(rejection.id)` or
 * `store.sync.discard(rejection.id)`: the list follows.
 *
 * @throws {@link index!StorageError} during render once the store is closed.
 */
export function useRejections(store: ConversationStore): readonly Rejection[] | undefined {
  return useLive<Rejection[]>(store, 'rejections', () => refusedWrites(store))?.value;
}

export { RECENT_CONFLICTS } from './bindings.js';

/**
 * The last {@link RECENT_CONFLICTS} conflicts (`store.sync.conflicts$`), most recent
 * first, for a "changed elsewhere" notice. `conflicts$` replays nothing: the list starts
 * empty when the first component using it mounts and is kept while any of them stays
 * mounted (one subscription per store, as for the other hooks). `undefined` on a server.
 */
export function useConflicts(store: ConversationStore): readonly Conflict[] | undefined {
  return useLive<readonly Conflict[]>(store, 'conflicts', () => recentConflicts(store))?.value;
}

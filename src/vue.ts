/**
 * protocol-offline/vue: Vue 3 composables over a store's live reads (Vue 3.4 or later).
 *
 * Each composable takes the store first and returns a readonly ref: `undefined` until its
 * first read has answered, then every change the store emits. Parameters may be a value,
 * a ref or a getter (`() => ({ archived: showArchived.value })`) and are compared by value,
 * so a getter that builds a new, equal object does not resubscribe. Composables with the
 * same store and parameters share one subscription, made after the first of them mounts
 * and released when the effect scope of the last one ends (its component unmounts, its
 * `effectScope()` stops) or it moves to other parameters.
 *
 * On a server (`renderToString`) every ref stays `undefined` and nothing subscribes: a
 * component's composables subscribe once it is mounted, which never happens there.
 *
 * @packageDocumentation
 */
import {
  type ComputedRef,
  computed,
  getCurrentInstance,
  type MaybeRefOrGetter,
  onMounted,
  type Ref,
  shallowRef,
  toValue,
  watch,
  watchEffect,
} from 'vue';
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

/** One shared subscription: its latest answer and the composables listening to it. */
interface Entry {
  read: Read<unknown> | undefined;
  listeners: Set<(read: Read<unknown>) => void>;
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

/**
 * Adds a listener to the key's entry, opening and subscribing to its source when it is the
 * first; a later listener is told the latest answer at once. Returns the release.
 */
function listen(
  store: ConversationStore,
  key: string,
  open: () => Source<unknown>,
  listener: (read: Read<unknown>) => void,
): () => void {
  const entries = entriesOf(store);
  let entry = entries.get(key);
  if (entry === undefined) {
    const source = open(); // May throw (bad parameters) before anything is registered.
    const created: Entry = {
      read: undefined,
      listeners: new Set([listener]),
      subscription: undefined,
    };
    entries.set(key, created);
    entry = created;
    const publish = (read: Read<unknown>) => {
      created.read = read;
      for (const notify of created.listeners) notify(read);
    };
    // The listener is in first: status$ and pending$ answer during subscribe.
    created.subscription = source.subscribe({
      next: (value) => publish({ value }),
      error: (error) => publish({ error }),
    });
  } else {
    entry.listeners.add(listener);
    if (entry.read !== undefined) listener(entry.read);
  }
  const current = entry;
  return () => {
    current.listeners.delete(listener);
    if (current.listeners.size > 0) return;
    current.subscription?.unsubscribe();
    if (entries.get(key) === current) entries.delete(key);
  };
}

/**
 * The latest value of the source `select` names, shared per (store, key), as a computed
 * ref of `project(read)`. `select` runs in a computed: the refs and getters it reads make
 * it run again, and only a new key opens a new source.
 */
function useLive<T, R>(
  store: ConversationStore,
  select: () => { key: string; open: () => Source<T> },
  project: (read: { value: T } | undefined) => R,
  keepPrevious = false,
): ComputedRef<R> {
  const selected = computed<{ key: string; open: () => Source<T> }>((previous) => {
    const next = select();
    return previous?.key === next.key ? previous : next;
  });
  const shown = shallowRef<{ key: string; read: { value: T } } | undefined>();
  const failure = shallowRef<{ error: unknown } | undefined>();
  // The effect's cleanup releases the subscription when the key changes and when the
  // effect scope ends (the component unmounts, effectScope().stop()).
  const follow = () =>
    watchEffect((onCleanup) => {
      const { key, open } = selected.value;
      onCleanup(
        listen(store, key, open as () => Source<unknown>, (read) => {
          if ('error' in read) failure.value = { error: read.error };
          else shown.value = { key, read: read as { value: T } };
        }),
      );
    });
  // A component subscribes once mounted, which never happens in a server render (an effect
  // made during setup may run there: Vue before 3.5.12 runs each once). Outside a
  // component (an effectScope) the subscription is made at once.
  if (getCurrentInstance() === null) follow();
  else onMounted(follow);
  // An error the source emits goes where Vue sends a watcher's errors: the component's
  // onErrorCaptured ancestors, then app.config.errorHandler. A bad parameter's throw in the
  // effect above goes the same way.
  watch(failure, (reported) => {
    if (reported !== undefined) throw reported.error;
  });
  return computed(() => {
    const { key } = selected.value;
    const current = shown.value;
    if (current?.key === key) return project(current.read);
    // Another composable may already hold this key's answer: show it without waiting.
    const cached = entriesByStore.get(store)?.get(key)?.read;
    if (cached !== undefined && 'value' in cached) return project(cached as { value: T });
    return project(keepPrevious ? current?.read : undefined);
  });
}

/** The parameters now, as a plain object (a reactive one is read, so it is tracked). */
function snapshot(params: ListParams | undefined): ListParams | undefined {
  return typeof params === 'object' && params !== null ? { ...params } : params;
}

const latest = <T>(read: { value: T } | undefined): T | undefined => read?.value;

/** Options of {@link useConversations}. */
export interface UseConversationsOptions {
  /**
   * Keep showing the previous parameters' page while the page of new parameters loads,
   * instead of `undefined` (a list that changes filter without flashing "Loading").
   */
  keepPrevious?: boolean;
}

/**
 * One page of conversations, live: `store.conversations.list$(params)`. `undefined` until
 * the first read for these parameters (again after they change, until the new page,
 * unless `keepPrevious`).
 *
 * A bad parameter's {@link index!ValidationError} goes to Vue's error handling
 * (`onErrorCaptured`, `app.config.errorHandler`), as does an error the store emits later.
 */
export function useConversations(
  store: ConversationStore,
  params?: MaybeRefOrGetter<ListParams | undefined>,
  options: UseConversationsOptions = {},
): Readonly<Ref<ListPage | undefined>> {
  return useLive<ListPage, ListPage | undefined>(
    store,
    () => {
      const current = snapshot(toValue(params));
      return {
        key: `list:${paramsKey(current)}`,
        open: () => store.conversations.list$(current),
      };
    },
    latest,
    options.keepPrevious,
  );
}

/**
 * One list's page with how fresh it is, live: `store.conversations.listState$(params)`
 * (`{ page, confirmedAt, complete }`, for "updated 2 min ago"). `undefined` until the
 * first read for these parameters.
 */
export function useListState(
  store: ConversationStore,
  params?: MaybeRefOrGetter<ListParams | undefined>,
): Readonly<Ref<ListState | undefined>> {
  return useLive<ListState, ListState | undefined>(
    store,
    () => {
      const current = snapshot(toValue(params));
      return {
        key: `list-state:${paramsKey(current)}`,
        open: () => store.conversations.listState$(current),
      };
    },
    latest,
  );
}

/**
 * One conversation, live: `store.conversations.retrieve$(id)`. `undefined` until the first
 * read, `null` once it is known to be missing (never created, deleted here or on the server).
 */
export function useConversation(
  store: ConversationStore,
  id: MaybeRefOrGetter<string>,
): Readonly<Ref<Conversation | null | undefined>> {
  return useLive<Conversation | undefined, Conversation | null | undefined>(
    store,
    () => {
      const current = toValue(id);
      return {
        key: `conversation:${JSON.stringify(current)}`,
        open: () => store.conversations.retrieve$(current),
      };
    },
    (read) => (read === undefined ? undefined : (read.value ?? null)),
  );
}

/** The sync status, live: `store.sync.status$`. `undefined` until the store has read it. */
export function useSyncStatus(store: ConversationStore): Readonly<Ref<SyncStatus | undefined>> {
  return useLive<SyncStatus, SyncStatus | undefined>(
    store,
    () => ({ key: 'status', open: () => store.sync.status$ }),
    latest,
  );
}

/**
 * The ids of records with changes not yet on the server, live: `store.sync.pending$`.
 * `undefined` until the outbox has been read, never an empty set that is not true yet.
 */
export function usePendingIds(
  store: ConversationStore,
): Readonly<Ref<ReadonlySet<string> | undefined>> {
  return useLive<ReadonlySet<string>, ReadonlySet<string> | undefined>(
    store,
    () => ({ key: 'pending', open: () => store.sync.pending$ }),
    latest,
  );
}

/**
 * The stored refusals, oldest first: `store.sync.listRejections()`, read again when
 * `rejections$` reports one, when `status.rejected` changes (a retry or a discard, in any
 * tab) and on close. Emits only when the set of rejections changed.
 */
function rejectionsOf(store: ConversationStore): Source<readonly Rejection[]> {
  return {
    subscribe(observer) {
      let closed = false;
      let reads = 0;
      let count: number | undefined;
      let shownIds: string | undefined;
      const reread = () => {
        const read = ++reads;
        store.sync.listRejections().then(
          (rejections) => {
            // Only the latest read answers: an earlier one may have missed a change.
            if (closed || read !== reads) return;
            const ids = rejections.map((rejection) => rejection.id).join();
            if (ids === shownIds) return;
            shownIds = ids;
            observer.next(rejections);
          },
          (error: unknown) => {
            if (!closed && read === reads) observer.error(error);
          },
        );
      };
      const status = store.sync.status$.subscribe({
        // Once closed, one more read: it fails, and the error says the store is gone.
        next: ({ rejected, state }) => {
          if (rejected === count && state !== 'closed') return;
          count = rejected;
          reread();
        },
        error: (error: unknown) => observer.error(error),
      });
      const refused = store.sync.rejections$.subscribe({
        next: reread,
        error: (error: unknown) => observer.error(error),
      });
      return {
        unsubscribe() {
          closed = true;
          status.unsubscribe();
          refused.unsubscribe();
        },
      };
    },
  };
}

/**
 * The writes the server refused for good that the app has not retried or discarded yet
 * (`store.sync.listRejections()`, oldest first), live: read again when `rejections$`
 * reports a refusal and after `sync.retry(id)` or `sync.discard(id)` (in any tab).
 * `undefined` until first read.
 */
export function useRejections(
  store: ConversationStore,
): Readonly<Ref<readonly Rejection[] | undefined>> {
  return useLive<readonly Rejection[], readonly Rejection[] | undefined>(
    store,
    () => ({ key: 'rejections', open: () => rejectionsOf(store) }),
    latest,
  );
}

export { RECENT_CONFLICTS } from './bindings.js';

/**
 * The last {@link RECENT_CONFLICTS} conflicts (`store.sync.conflicts$`), most recent first,
 * for a "changed elsewhere" notice. `conflicts$` replays nothing: the list starts empty
 * when the first component using it mounts and is kept while any of them stays mounted
 * (one subscription per store). `undefined` before it subscribed, and on a server.
 */
export function useConflicts(
  store: ConversationStore,
): Readonly<Ref<readonly Conflict[] | undefined>> {
  return useLive<readonly Conflict[], readonly Conflict[] | undefined>(
    store,
    () => ({ key: 'conflicts', open: () => recentConflicts(store) }),
    latest,
  );
}

// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { Subject, throwError } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Component,
  createSSRApp,
  defineComponent,
  effectScope,
  h,
  type MaybeRefOrGetter,
  nextTick,
  onErrorCaptured,
  reactive,
  ref,
  toValue,
} from 'vue';
import { renderToString } from 'vue/server-renderer';
import {
  type Conflict,
  type ConversationStore,
  type ListPage,
  type ListParams,
  type Rejection,
  StorageError,
  ValidationError,
} from '../src/index.js';
import {
  RECENT_CONFLICTS,
  useConflicts,
  useConversation,
  useConversations,
  useListState,
  usePendingIds,
  useRejections,
  useSyncStatus,
} from '../src/vue.js';
import { A, B, C, type Harness, syncedHarness } from './fixtures.js';
import { countListSubscriptions } from './frameworks/subscriptions.js';

let h_: Harness;
let store: ConversationStore;
const unmounts: (() => void)[] = [];

afterEach(async () => {
  for (const unmount of unmounts.splice(0)) unmount();
  vi.restoreAllMocks();
  await store?.close().catch(() => {});
});

const ids = (page: { data: { id: string }[] } | undefined) => page?.data.map((row) => row.id);

/** Waits long enough for any late live-query re-run (and the render it causes) to happen. */
const quiet = () => new Promise((resolve) => setTimeout(resolve, 150));

/** Runs `setup` in a mounted component; returns what it returned and the unmount. */
function inComponent<T>(setup: () => T) {
  let result: T | undefined;
  const wrapper = mount(
    defineComponent({
      setup() {
        result = setup();
        return () => h('div');
      },
    }),
  );
  unmounts.push(() => wrapper.unmount());
  return { result: result as T, unmount: () => wrapper.unmount() };
}

/** Mounts a component; unmounted after the test if it is still mounted. */
function mounted(component: Component, props: Record<string, unknown> = {}) {
  const wrapper = mount(component, { props });
  unmounts.push(() => {
    if (wrapper.vm.$.isMounted && !wrapper.vm.$.isUnmounted) wrapper.unmount();
  });
  return wrapper;
}

/** A list: "loading", then "N rows"; `params` may be a value, a ref or a getter. */
const Rows = defineComponent(
  function Rows(props: {
    store: ConversationStore;
    params?: MaybeRefOrGetter<ListParams | undefined>;
    keepPrevious?: boolean;
    onRender?: (page: ListPage | undefined) => void;
  }) {
    const page = useConversations(props.store, () => toValue(props.params), {
      keepPrevious: props.keepPrevious,
    });
    return () => {
      props.onRender?.(page.value);
      return h('p', page.value === undefined ? 'loading' : `${page.value.data.length} rows`);
    };
  },
  { props: ['store', 'params', 'keepPrevious', 'onRender'] },
);

/** Catches the errors of `child`, as an app's error boundary would, and shows their name. */
const Boundary = defineComponent(
  function Boundary(props: { child: Component; childProps: Record<string, unknown> }) {
    const caught = ref<unknown>();
    onErrorCaptured((error) => {
      caught.value = error;
      return false;
    });
    return () =>
      caught.value === undefined
        ? h(props.child, props.childProps)
        : h('p', `caught ${(caught.value as Error).name}`);
  },
  { props: ['child', 'childProps'] },
);

/** How many writes were refused. */
const Refused = defineComponent(
  function Refused(props: { store: ConversationStore }) {
    const rejections = useRejections(props.store);
    return () => h('p', `${rejections.value?.length} refused`);
  },
  { props: ['store'] },
);

describe('useConversations', () => {
  it('is undefined on the first render, then the page', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversations(store, { limit: 2 }));
    expect(result.value).toBeUndefined();
    await vi.waitFor(() => expect(result.value).toEqual({ has_more: true, data: [A, B] }));
  });

  it('renders again after a local create and update', async () => {
    ({ h: h_, store } = await syncedHarness());
    const wrapper = mounted(Rows, { store, params: { muted: false } });
    await vi.waitFor(() => expect(wrapper.text()).toBe('3 rows'));

    await store.conversations.create({ contact_id: 'new' });
    await vi.waitFor(() => expect(wrapper.text()).toBe('4 rows'));

    await store.conversations.update(B.id, { is_muted: true });
    await vi.waitFor(() => expect(wrapper.text()).toBe('3 rows'));
  });

  it('renders again after a change made on the server is synced', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversations(store, { muted: true }));
    await vi.waitFor(() => expect(result.value).toEqual({ has_more: false, data: [] }));

    h_.server.update(C.id, { is_muted: true });
    await store.sync.now();
    await vi.waitFor(() => expect(ids(result.value)).toEqual([C.id]));
  });

  it('follows params given as a ref, with one subscription at a time', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const params = ref<ListParams>({ limit: 1 });
    const { result, unmount } = inComponent(() => useConversations(store, params));
    await vi.waitFor(() => expect(ids(result.value)).toEqual([A.id]));
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    params.value = { limit: 2 };
    await nextTick();
    expect(result.value).toBeUndefined(); // New params: no page until theirs.
    await vi.waitFor(() => expect(ids(result.value)).toEqual([A.id, B.id]));
    expect(subscriptions).toEqual({ opened: 2, active: 1 });

    unmount();
    expect(subscriptions).toEqual({ opened: 2, active: 0 });
  });

  it('follows params given as a getter; a new, equal object neither resubscribes nor renders', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const muted = ref(false);
    const tick = ref(0);
    let renders = 0;
    const wrapper = mounted(Rows, {
      store,
      // Reads `tick` so that the getter runs again and builds a new, equal object.
      params: () => {
        void tick.value;
        return { muted: muted.value };
      },
      onRender: () => renders++,
    });
    await vi.waitFor(() => expect(wrapper.text()).toBe('3 rows'));
    await quiet();
    const settled = renders;

    tick.value = 2;
    tick.value = 3;
    await quiet();
    expect(renders).toBe(settled);
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    muted.value = true;
    await vi.waitFor(() => expect(wrapper.text()).toBe('0 rows'));
    expect(subscriptions).toEqual({ opened: 2, active: 1 });
  });

  it('follows a reactive() params object', async () => {
    ({ h: h_, store } = await syncedHarness());
    const params = reactive<ListParams>({ limit: 1 });
    const { result } = inComponent(() => useConversations(store, params));
    await vi.waitFor(() => expect(ids(result.value)).toEqual([A.id]));

    params.limit = 3;
    await vi.waitFor(() => expect(ids(result.value)).toEqual([A.id, B.id, C.id]));
  });

  it('with keepPrevious, shows the previous page until the page of the new params', async () => {
    ({ h: h_, store } = await syncedHarness());
    const limit = ref(1);
    const seen: (string[] | undefined)[] = [];
    const wrapper = mounted(Rows, {
      store,
      params: () => ({ limit: limit.value }),
      keepPrevious: true,
      onRender: (page: ListPage | undefined) => seen.push(ids(page)),
    });
    await vi.waitFor(() => expect(wrapper.text()).toBe('1 rows'));

    limit.value = 2;
    await vi.waitFor(() => expect(wrapper.text()).toBe('2 rows'));
    expect(seen).toEqual([undefined, [A.id], [A.id, B.id]]);
  });

  it('shares one subscription between components with equal params, whatever their key order', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const first = inComponent(() => useConversations(store, { muted: false, limit: 2 }));
    const second = inComponent(() => useConversations(store, { limit: 2, muted: false }));
    await vi.waitFor(() => expect(ids(first.result.value)).toEqual([A.id, B.id]));
    await vi.waitFor(() => expect(second.result.value).toBe(first.result.value));
    expect(subscriptions).toEqual({ opened: 1, active: 1 });

    // A third, mounted once the page is known, shows it on its first render.
    const third = inComponent(() => useConversations(store, { limit: 2, muted: false }));
    expect(third.result.value).toBe(first.result.value);

    first.unmount();
    second.unmount();
    expect(subscriptions.active).toBe(1);
    third.unmount();
    expect(subscriptions).toEqual({ opened: 1, active: 0 });
  });

  it('unsubscribes on unmount: a later write re-reads nothing', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const wrapper = mounted(Rows, { store, params: { limit: 2 } });
    await vi.waitFor(() => expect(wrapper.text()).toBe('2 rows'));
    expect(subscriptions.active).toBe(1);

    wrapper.unmount();
    expect(subscriptions).toEqual({ opened: 1, active: 0 });
    await store.conversations.update(A.id, { is_muted: true });
    await quiet();
    expect(subscriptions).toEqual({ opened: 1, active: 0 });
  });

  it('subscribes in an effectScope outside a component, and unsubscribes when it stops', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const scope = effectScope();
    const page = scope.run(() => useConversations(store, { limit: 1 }));
    await vi.waitFor(() => expect(ids(page?.value)).toEqual([A.id]));
    expect(subscriptions.active).toBe(1);

    scope.stop();
    expect(subscriptions).toEqual({ opened: 1, active: 0 });
  });

  it('sends a bad parameter’s ValidationError to onErrorCaptured, subscribing to nothing', async () => {
    ({ h: h_, store } = await syncedHarness());
    const subscriptions = countListSubscriptions(store);
    const wrapper = mounted(Boundary, { child: Rows, childProps: { store, params: { limit: 0 } } });
    await vi.waitFor(() => expect(wrapper.text()).toBe('caught ValidationError'));
    expect(subscriptions.opened).toBe(0);
    expect(() => store.conversations.list$({ limit: 0 })).toThrow(ValidationError);
  });

  it('sends an error the store emits later to onErrorCaptured', async () => {
    ({ h: h_, store } = await syncedHarness());
    store.conversations.list$ = () =>
      throwError(() => new StorageError('the database was deleted'));
    const wrapper = mounted(Boundary, { child: Rows, childProps: { store } });
    await vi.waitFor(() => expect(wrapper.text()).toBe('caught StorageError'));
  });
});

describe('useConversation', () => {
  it('is undefined on the first render, then the record', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversation(store, B.id));
    expect(result.value).toBeUndefined();
    await vi.waitFor(() => expect(result.value).toEqual(B));
  });

  it('is null for an id that is not stored', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversation(store, 'ZZZZZZZZZZZZZZZZ'));
    await vi.waitFor(() => expect(result.value).toBeNull());
  });

  it('follows a local update, then turns null after a local delete', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversation(store, A.id));
    await vi.waitFor(() => expect(result.value).toEqual(A));

    await store.conversations.update(A.id, { is_pinned: true });
    await vi.waitFor(() => expect(result.value).toEqual({ ...A, is_pinned: true }));

    await store.conversations.delete(A.id);
    await vi.waitFor(() => expect(result.value).toBeNull());
  });

  it('turns null once a deletion on the server is synced', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useConversation(store, C.id));
    await vi.waitFor(() => expect(result.value).toEqual(C));

    h_.server.remove(C.id);
    await store.sync.now();
    await vi.waitFor(() => expect(result.value).toBeNull());
  });

  it('follows an id given as a ref', async () => {
    ({ h: h_, store } = await syncedHarness());
    const id = ref(A.id);
    const { result } = inComponent(() => useConversation(store, id));
    await vi.waitFor(() => expect(result.value).toEqual(A));

    id.value = B.id;
    await vi.waitFor(() => expect(result.value).toEqual(B));
  });
});

describe('useSyncStatus and usePendingIds', () => {
  it('follow a local write, then the sync that sends it', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => ({
      status: useSyncStatus(store),
      pending: usePendingIds(store),
    }));
    await vi.waitFor(() =>
      expect(result.status.value).toMatchObject({ state: 'idle', pending: 0 }),
    );
    await vi.waitFor(() => expect(result.pending.value).toEqual(new Set()));

    await store.conversations.update(A.id, { is_muted: true });
    await vi.waitFor(() => expect(result.pending.value).toEqual(new Set([A.id])));
    await vi.waitFor(() => expect(result.status.value?.pending).toBe(1));

    await store.sync.now();
    await vi.waitFor(() => expect(result.pending.value).toEqual(new Set()));
    expect(result.status.value).toMatchObject({ state: 'idle', pending: 0 });
    expect(h_.server.get(A.id)?.is_muted).toBe(true);
  });
});

describe('useListState', () => {
  it('is undefined first, then the page with its freshness, and follows a recent pull', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useListState(store, { muted: false, limit: 2 }));
    expect(result.value).toBeUndefined();
    await vi.waitFor(() =>
      expect(result.value).toEqual({
        page: { has_more: true, data: [A, B] },
        confirmedAt: null,
        complete: true,
      }),
    );
    await store.sync.now({ pull: 'recent' });
    await vi.waitFor(() => expect(result.value?.confirmedAt).toEqual(expect.any(Number)));
  });
});

describe('useRejections', () => {
  /** Makes the server refuse the next update of A for good. */
  async function refuseAnUpdate() {
    await store.conversations.update(A.id, { is_muted: true });
    h_.server.faults.failNext(400, 1, { methods: ['PUT'], message: 'Nope' });
    await store.sync.now();
  }

  it('is an empty list first, then each refused write, gone after discard', async () => {
    ({ h: h_, store } = await syncedHarness());
    const { result } = inComponent(() => useRejections(store));
    await vi.waitFor(() => expect(result.value).toEqual([]));

    await refuseAnUpdate();
    await vi.waitFor(() => expect(result.value).toHaveLength(1));
    const [refused] = result.value as Rejection[];
    expect(refused).toMatchObject({ recordId: A.id, op: 'update', error: { status: 400 } });

    await store.sync.discard((refused as Rejection).id);
    await vi.waitFor(() => expect(result.value).toEqual([]));
  });

  it('drops a rejection the app retried', async () => {
    ({ h: h_, store } = await syncedHarness());
    await refuseAnUpdate();
    const { result } = inComponent(() => useRejections(store));
    await vi.waitFor(() => expect(result.value).toHaveLength(1));

    await store.sync.retry((result.value as Rejection[])[0]?.id as number);
    await vi.waitFor(() => expect(result.value).toEqual([]));
    expect(await store.conversations.retrieve(A.id)).toMatchObject({ is_muted: true });
  });
});

describe('useRejections once the store is closed', () => {
  it('sends the StorageError of its last read to onErrorCaptured', async () => {
    ({ h: h_, store } = await syncedHarness());
    const wrapper = mounted(Boundary, { child: Refused, childProps: { store } });
    await vi.waitFor(() => expect(wrapper.text()).toBe('0 refused'));

    await store.close();
    await vi.waitFor(() => expect(wrapper.text()).toBe('caught StorageError'));
  });
});

describe('useConflicts', () => {
  it('lists the conflicts reported since it mounted, the most recent first', async () => {
    ({ h: h_, store } = await syncedHarness());
    const reported: Conflict[] = [];
    store.sync.conflicts$.subscribe((conflict) => reported.push(conflict));
    const { result } = inComponent(() => useConflicts(store));
    await flushPromises();
    expect(result.value).toEqual([]);

    // Both sides change the same field of three records; the PUTs fail, the pull rebases.
    for (const [index, id] of [A.id, B.id, C.id].entries()) {
      await store.conversations.update(id, { archived_at: 100 + index });
      h_.server.update(id, { archived_at: 200 + index });
    }
    h_.server.faults.failNext(503, 3, { methods: ['PUT'] });
    await store.sync.now();
    expect(reported).toHaveLength(3);
    await vi.waitFor(() => expect(result.value).toEqual([...reported].reverse()));
    expect(result.value?.[0]).toMatchObject({ kind: 'field', fields: ['archived_at'] });
  });

  it(`keeps the last ${RECENT_CONFLICTS}`, async () => {
    ({ h: h_, store } = await syncedHarness());
    const conflicts = new Subject<Conflict>();
    store.sync.conflicts$ = conflicts;
    const { result } = inComponent(() => useConflicts(store));
    await flushPromises();
    const sent = Array.from({ length: RECENT_CONFLICTS + 5 }, (_, index) => ({
      ...({} as Conflict),
      id: `conflict-${index}`,
    }));
    for (const conflict of sent) conflicts.next(conflict);
    expect(result.value).toEqual(sent.slice(5).reverse());
  });
});

describe('hydration', () => {
  it('hydrates the server’s HTML without a mismatch, then fills in', async () => {
    ({ h: h_, store } = await syncedHarness());
    const props = { store, params: { limit: 2 } };
    const html = await renderToString(createSSRApp(Rows, props));
    expect(html).toBe('<p>loading</p>');
    const container = document.createElement('div');
    container.innerHTML = html;
    document.body.append(container);
    const warned = vi.spyOn(console, 'warn');
    const logged = vi.spyOn(console, 'error');

    const app = createSSRApp(Rows, props);
    app.mount(container);
    unmounts.push(() => app.unmount());
    await vi.waitFor(() => expect(container.textContent).toBe('2 rows'));
    expect(warned).not.toHaveBeenCalled();
    expect(logged).not.toHaveBeenCalled();
  });
});

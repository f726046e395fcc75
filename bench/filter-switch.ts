/**
 * `filter-switch`: a list screen whose filter the user switches back and forth, rendered
 * with React through `useConversations(store, params, { keepPrevious: true })` over 10,000
 * conversations. Each switch is a click on the screen's button; it is timed until the
 * committed render (a layout effect) that shows the other filter's page. The baseline is
 * the same screen with a minimal useState/useEffect hook that re-subscribes a raw Dexie
 * `liveQuery` of the same index ranges on each switch, keeping the previous page until the
 * new one arrives (as keepPrevious does), on the same rows. Renders in which a hook returned
 * `undefined` (a flash of nothing) are counted, and so are the IndexedDB reads of each side.
 * Shared by the Node (happy-dom, bench/filter-switch-node.ts) and the Chromium benchmarks.
 */
import { Dexie, liveQuery, type Table } from 'dexie';
import { createElement, type ReactElement, useEffect, useLayoutEffect, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import type { ConversationStore, ListPage, ListParams } from '../src/index.js';
import { useConversations } from '../src/react.js';
import { compareSortKeys, type StoredConversation, toStored } from '../src/storage/schema.js';
import { generateConversations } from '../src/testing/seed.js';
import { compare, type Result, round3 } from './measure.js';
import type { Platform } from './rxdb.js';

const LIMIT = 50;
/** The two filters switched between: the inbox and the archive. */
const FILTERS: readonly ListParams[] = [
  { muted: false, archived: false, limit: LIMIT },
  { archived: true, limit: LIMIT },
];
/** The same filters as key ranges of the `a` index (`[muted, archived, ...s]`), as the store reads them. */
const PREFIXES: readonly (readonly number[])[][] = [
  [[0, 0]],
  [
    [0, 1],
    [1, 1],
  ],
];
/** Switches per timed sample (Chromium's timer has a 0.1 ms grain); even: back where it began. */
const SWITCHES = 10;
const ROUNDS = 30;
const WARMUP = 2;
/** Switches of the screen without keepPrevious, counted, not timed. */
const PLAIN_SWITCHES = 10;
const TIMEOUT_MS = 10_000;

/** The raw baseline's page: the filter's key ranges, merged in the list order. */
async function rawPage(table: Table, filter: number): Promise<ListPage> {
  const ranges = await Promise.all(
    (PREFIXES[filter] ?? []).map(
      (prefix) =>
        table
          .where('a')
          .between([...prefix], [...prefix, []], true, false)
          .limit(LIMIT + 1)
          .toArray() as Promise<StoredConversation[]>,
    ),
  );
  const rows = ranges.flat();
  if (ranges.length > 1) rows.sort((a, b) => compareSortKeys(a.s, b.s));
  return { has_more: rows.length > LIMIT, data: rows.slice(0, LIMIT) };
}

const idsOf = (page: ListPage) => page.data.map((row) => row.id).join(',');

/** What a screen reports of its renders. */
interface Probe {
  rendered(page: ListPage | undefined): void;
  committed(filter: number, page: ListPage | undefined): void;
}

/** The baseline's hook: a raw liveQuery re-subscribed on each switch, the previous page kept meanwhile. */
function useRawList(table: Table, filter: number, failed: (error: unknown) => void) {
  const [page, setPage] = useState<ListPage | undefined>(undefined);
  useEffect(() => {
    const subscription = liveQuery(() => rawPage(table, filter)).subscribe({
      next: setPage,
      error: failed,
    });
    return () => subscription.unsubscribe();
  }, [table, filter, failed]);
  return page;
}

/** Reports the render and its commit; a button that switches to the other filter. */
function useScreen(
  filter: number,
  setFilter: (update: (shown: number) => number) => void,
  page: ListPage | undefined,
  probe: Probe,
) {
  probe.rendered(page);
  useLayoutEffect(() => probe.committed(filter, page));
  return createElement(
    'button',
    { type: 'button', onClick: () => setFilter((shown) => 1 - shown) },
    page === undefined ? 'loading' : `${page.data.length} rows from ${page.data[0]?.id}`,
  );
}

/** The store's screen; a new params object on every render, as an inline one would be. */
function StoreScreen(props: { store: ConversationStore; keepPrevious: boolean; probe: Probe }) {
  const [filter, setFilter] = useState(0);
  const page = useConversations(
    props.store,
    { ...FILTERS[filter] },
    { keepPrevious: props.keepPrevious },
  );
  return useScreen(filter, setFilter, page, props.probe);
}

function RawScreen(props: { table: Table; failed: (error: unknown) => void; probe: Probe }) {
  const [filter, setFilter] = useState(0);
  const page = useRawList(props.table, filter, props.failed);
  return useScreen(filter, setFilter, page, props.probe);
}

/** One mounted screen, switched by clicks, counting the renders in which its hook returned undefined. */
class Screen implements Probe {
  /** Committed renders of `undefined` once the first page was shown. */
  flashes = 0;
  /** Renders (committed or not) of `undefined` once the first page was shown. */
  undefinedRenders = 0;
  /** Committed renders of `undefined` still on screen when the next task ran (could be painted). */
  lastingFlashes = 0;
  switches = 0;
  #filter = 0;
  /** The last committed render was of `undefined`, since this (a counter, per flash). */
  #flash = 0;
  #shown = false;
  #waiting: { filter: number; resolve(): void; reject(error: unknown): void } | null = null;
  readonly #root: Root;
  readonly #container: HTMLElement;

  private constructor(
    readonly name: string,
    readonly expected: readonly string[],
  ) {
    this.#container = document.createElement('div');
    document.body.append(this.#container);
    this.#root = createRoot(this.#container);
  }

  /** Mounts a screen on the first filter and waits for its first page. */
  static async mount(
    name: string,
    expected: readonly string[],
    element: (probe: Probe) => ReactElement,
  ) {
    const screen = new Screen(name, expected);
    await screen.#until(0, () => screen.#root.render(element(screen)));
    screen.#shown = true;
    return screen;
  }

  /** Clicks to the other filter and waits for the committed render showing its page. */
  async switch(): Promise<void> {
    const next = 1 - this.#filter;
    const button = this.#container.querySelector('button') as HTMLButtonElement;
    await this.#until(next, () => button.click());
    this.#filter = next;
    this.switches += 1;
  }

  fail(error: unknown): void {
    this.#waiting?.reject(error);
  }

  rendered(page: ListPage | undefined): void {
    if (this.#shown && page === undefined) this.undefinedRenders += 1;
  }

  committed(filter: number, page: ListPage | undefined): void {
    if (this.#shown && page === undefined) {
      this.flashes += 1;
      const flash = ++this.#flash;
      setTimeout(() => {
        if (this.#flash === flash) this.lastingFlashes += 1;
      }, 0);
    } else this.#flash += 1;
    const waiting = this.#waiting;
    if (waiting === null || filter !== waiting.filter || page === undefined) return;
    if (idsOf(page) !== this.expected[filter]) return; // Still the other filter's page.
    this.#waiting = null;
    waiting.resolve();
  }

  unmount(): void {
    this.#root.unmount();
    this.#container.remove();
  }

  async #until(filter: number, act: () => void): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const shown = new Promise<void>((resolve, reject) => {
      this.#waiting = { filter, resolve, reject };
      timer = setTimeout(
        () => reject(new Error(`filter-switch: ${this.name} never showed filter ${filter}`)),
        TIMEOUT_MS,
      );
    });
    act();
    try {
      await shown;
    } finally {
      clearTimeout(timer);
      this.#waiting = null;
    }
  }
}

const READS = ['get', 'getAll', 'getAllKeys', 'getKey', 'openCursor', 'openKeyCursor', 'count'];

/**
 * Counts the read requests on the `conversations` object stores (and their indexes) of the
 * raw database and of any other (the store's), by wrapping the IndexedDB prototypes in use
 * (the browser's, or fake-indexeddb's in Node).
 */
function countReads(raw: Dexie) {
  const objectStore = raw
    .backendDB()
    .transaction('conversations', 'readonly')
    .objectStore('conversations');
  const index = objectStore.index('a');
  const counts = { store: 0, raw: 0 };
  const restore: (() => void)[] = [];
  for (const source of [objectStore, index]) {
    const prototype = Object.getPrototypeOf(source) as Record<string, unknown>;
    for (const method of READS) {
      const original = prototype[method];
      if (typeof original !== 'function') continue;
      prototype[method] = function (this: IDBObjectStore | IDBIndex, ...args: unknown[]) {
        const store = 'objectStore' in this ? this.objectStore : this;
        if (store.name === 'conversations') {
          if (store.transaction.db.name === raw.name) counts.raw += 1;
          else counts.store += 1;
        }
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      restore.push(() => {
        prototype[method] = original;
      });
    }
  }
  return {
    counts,
    reset: () => {
      counts.store = 0;
      counts.raw = 0;
    },
    stop: () => {
      for (const undo of restore) undo();
    },
  };
}

export async function filterSwitch(platform: Platform): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 17 });
  // The store's default cacheMs: a list read a moment ago answers from memory.
  const store = await platform.openStore(rows);
  const raw = new Dexie(`raw-filter-switch-${Date.now()}`, platform.deps);
  raw.version(1).stores({ conversations: 'id, s, f, g, a' });
  const table = raw.table('conversations');
  await table.bulkPut(rows.map(toStored));

  // What each filter's page is, and the baseline's query answering the same.
  const expected: string[] = [];
  for (const [filter, params] of FILTERS.entries()) {
    const page = await store.conversations.list(params);
    const rawIds = idsOf(await rawPage(table, filter));
    if (page.data.length !== LIMIT || idsOf(page) !== rawIds) {
      throw new Error(`filter-switch: the raw query of filter ${filter} differs from the store's`);
    }
    expected.push(rawIds);
  }

  const screens: Screen[] = [];
  const reads = countReads(raw);
  try {
    const kept = await Screen.mount('store', expected, (probe) =>
      createElement(StoreScreen, { store, keepPrevious: true, probe }),
    );
    screens.push(kept);
    const failed = (error: unknown) => {
      for (const screen of screens) screen.fail(error);
    };
    const baseline = await Screen.mount('raw liveQuery', expected, (probe) =>
      createElement(RawScreen, { table, failed, probe }),
    );
    screens.push(baseline);
    const mountReads = { ...reads.counts };
    const batch = (screen: Screen) => async () => {
      for (let i = 0; i < SWITCHES; i++) await screen.switch();
    };
    const result = await compare(
      'filter-switch',
      platform.env,
      async (round) => {
        if (round === 0) reads.reset(); // The timed rounds only.
        await batch(kept)();
      },
      batch(baseline),
      ROUNDS,
      WARMUP,
    );
    const timedReads = { ...reads.counts };
    const timed = ROUNDS * SWITCHES;

    // The screen: the same hook without keepPrevious, counted only. Alone: a screen
    // still showing a filter would share its subscription, answering at once.
    for (const screen of screens.splice(0)) screen.unmount();
    const plain = await Screen.mount('store without keepPrevious', expected, (probe) =>
      createElement(StoreScreen, { store, keepPrevious: false, probe }),
    );
    screens.push(plain);
    for (let i = 0; i < PLAIN_SWITCHES; i++) await plain.switch();

    const perSwitch = (ms: number | undefined) => round3((ms ?? 0) / SWITCHES);
    return [
      {
        ...result,
        value: perSwitch(result.value),
        baseline: perSwitch(result.baseline),
        p95: perSwitch(result.p95),
        baselineP95: perSwitch(result.baselineP95),
        note:
          `ms per switch, from the click to the committed render showing the other filter's page: ` +
          `useConversations(store, params, { keepPrevious: true }) (cacheMs default) over 10,000, ` +
          `{ muted: false, archived: false, limit: 50 } ⇄ { archived: true, limit: 50 }, ` +
          `${kept.switches} switches (${timed} timed, batches of ${SWITCHES}), vs a useState/useEffect hook ` +
          `re-subscribing a raw Dexie liveQuery of the same \`a\`-index ranges on each switch ` +
          `(previous page kept; Dexie's own liveQuery cache on); renders of undefined after the first page: ` +
          `store ${kept.flashes} committed (${kept.undefinedRenders} rendered), ` +
          `baseline ${baseline.flashes} (${baseline.undefinedRenders}), ` +
          `store without keepPrevious ${plain.flashes} committed (${plain.undefinedRenders} rendered, ` +
          `${plain.lastingFlashes} still shown when the next task ran) in ${plain.switches} switches; ` +
          `IndexedDB reads of conversations in the timed switches: store ${timedReads.store}, baseline ${timedReads.raw} ` +
          `(when mounting: ${mountReads.store}, ${mountReads.raw})`,
      },
    ];
  } finally {
    reads.stop();
    for (const screen of screens) screen.unmount();
    await store.destroy();
    await raw.delete();
  }
}

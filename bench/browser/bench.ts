/**
 * The Chromium benchmarks: real IndexedDB, each figure next to its raw Dexie or raw HTTP
 * baseline in the same page and run. `bench/chromium.ts` loads this page and calls
 * `runBenchmarks()`.
 */
import { Dexie, liveQuery } from 'dexie';
import { type Conversation, createConversationStore, type ListPage } from '../../src/index.js';
import { openDatabase, toStored } from '../../src/storage/schema.js';
import { generateConversations } from '../../src/testing/seed.js';
import { fullScanList, handWrittenList, outboxFloor, sameRequestsAsUpdate } from '../baselines.js';
import { listSubscribeChurn } from '../churn.js';
import { filterSwitch } from '../filter-switch.js';
import { FIRST_PAINT, measureFirstPaint } from '../first-paint.js';
import {
  compare,
  emissionTimes,
  fromSamples,
  LIST_LIVE_EMIT,
  type Result,
  round3,
} from '../measure.js';
import { pullParts } from '../pull-parts.js';
import { type Platform, VERSUS } from '../rxdb.js';

const TOKEN = 'bench-token';
const ROUNDS = 15;
/** Reads take milliseconds: more rounds steady their medians. */
const LIST_ROUNDS = ROUNDS * 4;
let counter = 0;

async function seed(name: string, rows: Conversation[]) {
  const db = openDatabase(name);
  await db.conversations.bulkPut(rows.map(toStored));
  db.close();
}

async function rawDatabase(rows: Conversation[]) {
  const db = new Dexie(`raw-${Date.now()}-${counter++}`);
  db.version(1).stores({ conversations: 'id, s, f, g, a' });
  await db.table('conversations').bulkPut(rows.map(toStored));
  return db;
}

function openStore(name: string, options: { cacheMs?: number } = {}) {
  return createConversationStore({
    baseUrl: location.origin,
    getToken: () => TOKEN,
    databaseName: name,
    sync: { auto: false },
    ...options,
  });
}

/** One page of the list of the account behind `token`, over HTTP as the API answers it. */
async function listPage(token: string, params: Record<string, string>): Promise<ListPage> {
  const response = await fetch(`/v1/conversations?${new URLSearchParams(params)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await response.json()) as ListPage;
}

/** A walk's page: 100 rows after `cursor`. */
const walkPage = (token: string, cursor: string | undefined) =>
  listPage(
    token,
    cursor === undefined ? { limit: '100' } : { limit: '100', starting_after: cursor },
  );

async function localWrite(): Promise<Result[]> {
  const rows = generateConversations(1000, { seed: 3 });
  const name = `bench-write-${Date.now()}`;
  await seed(name, rows);
  const store = openStore(name);
  const raw = await rawDatabase(rows);
  const table = raw.table('conversations');
  // The app shows what it updates: a 100-row list on screen, each of its rows toggled in turn.
  const params = { limit: 100 } as const;
  const screen = store.conversations.list$(params).subscribe();
  const shown = (await store.conversations.list(params)).data;
  const onScreen = (round: number) => shown[(round + 100) % shown.length] as Conversation;
  const result = await compare(
    'local-write',
    'chromium',
    (round) => store.conversations.update(onScreen(round).id, { is_muted: round % 2 === 0 }),
    (round) => table.put(toStored({ ...onScreen(round), is_muted: round % 2 === 0 })),
    200,
    20,
  );
  screen.unsubscribe();
  // Rows the store does not hold (never read here), each updated once: the write reads first.
  const cold = rows.filter((row) => !shown.some((held) => held.id === row.id));
  const pick = (round: number) => cold[(round + 1000) % cold.length] as Conversation;
  const vsCold = await compare(
    'local-write-cold',
    'chromium',
    (round) => store.conversations.update(pick(round).id, { is_muted: round % 2 === 0 }),
    (round) => table.put(toStored({ ...pick(round), is_muted: round % 2 === 0 })),
    200,
    20,
  );
  // The same requests hand-written, on a copy with the store's schema: what is left is the store's own cost.
  const floorName = `bench-write-floor-${Date.now()}`;
  await seed(floorName, rows);
  const floor = openDatabase(floorName);
  const vsSameRequests = await compare(
    'local-write-same-requests',
    'chromium',
    (round) => store.conversations.update(pick(round + 500).id, { is_muted: round % 2 === 0 }),
    (round) => sameRequestsAsUpdate(floor, pick(round + 500), round % 2 === 0),
    200,
    20,
  );
  const vsFloor = await compare(
    'local-write-floor',
    'chromium',
    (round) => outboxFloor(floor, onScreen(round), round % 2 === 0),
    (round) => table.put(toStored({ ...onScreen(round), is_muted: round % 2 === 0 })),
    200,
    20,
  );
  await store.destroy();
  await raw.delete();
  await floor.delete();
  return [
    {
      ...vsFloor,
      note: 'no store: the row and an outbox entry with its base in one transaction, nothing read (what any outbox must write), vs a raw Dexie put',
    },
    {
      ...result,
      note: 'update of a row on screen (a live 100-row list), toggled in turn: record + outbox in one transaction, vs a raw Dexie put of the row',
    },
    {
      ...vsCold,
      note: 'update of a row the store does not hold (read first), each once, vs a raw Dexie put',
    },
    {
      ...vsSameRequests,
      note: 'update of a row not held vs its own IndexedDB requests hand-written in raw Dexie (one read, two writes, one transaction)',
    },
  ];
}

async function listFiltered(): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 7 });
  const name = `bench-list-${Date.now()}`;
  await seed(name, rows);
  // Every list read from IndexedDB: the index query itself is measured.
  const store = openStore(name, { cacheMs: 0 });
  const raw = await rawDatabase(rows);
  const table = raw.table('conversations');
  const params = { muted: false, archived: false, limit: 50 } as const;
  const vsIndex = await compare(
    'list-filtered',
    'chromium',
    () => store.conversations.list(params),
    () => handWrittenList(table, 50),
    LIST_ROUNDS,
  );
  const vsScan = await compare(
    'list-filtered-vs-scan',
    'chromium',
    () => store.conversations.list(params),
    () => fullScanList(table, 50),
    LIST_ROUNDS,
    3,
    true,
  );
  await store.destroy();
  await raw.delete();
  return [
    { ...vsIndex, note: 'baseline: hand-written Dexie index query' },
    { ...vsScan, note: 'baseline: toArray() of 10k rows + JS filter/sort' },
  ];
}

async function listLiveEmit(): Promise<Result> {
  const rows = generateConversations(10_000, { seed: 9 });
  const name = `bench-live-${Date.now()}`;
  await seed(name, rows);
  // Every list read from IndexedDB: the index query itself is measured.
  const store = openStore(name, { cacheMs: 0 });
  const raw = await rawDatabase(rows);
  const table = raw.table('conversations');
  const params = { muted: false, archived: false, limit: 50 } as const;
  const page = (await store.conversations.list(params)).data;
  const target = page[10] as Conversation; // A row on the page: each write changes the page.
  const rounds = 40;
  const storeTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let batch = 0; batch < 4; batch++) {
    storeTimes.push(
      ...(await emissionTimes(
        (next) => store.conversations.list$(params).subscribe(next),
        (round) =>
          store.conversations.update(target.id, { is_pinned: (batch * rounds + round) % 2 === 0 }),
        rounds / 4,
      )),
    );
    rawTimes.push(
      ...(await emissionTimes(
        (next) => liveQuery(() => handWrittenList(table, 50)).subscribe(next),
        (round) =>
          table.put(toStored({ ...target, is_pinned: (batch * rounds + round) % 2 === 0 })),
        rounds / 4,
      )),
    );
  }
  await store.destroy();
  await raw.delete();
  return fromSamples('list-live-emit', 'chromium', storeTimes, rawTimes, LIST_LIVE_EMIT);
}

async function pull10k(): Promise<Result> {
  const rounds = 5;
  const result = await compare(
    'pull-10k',
    'chromium',
    async () => {
      const store = openStore(`bench-pull-${Date.now()}-${counter++}`);
      const summary = await store.sync.now();
      if (summary.pulled !== 10_000) throw new Error(`pulled ${summary.pulled}: ${summary.error}`);
      await store.destroy();
    },
    async () => {
      const db = new Dexie(`raw-pull-${Date.now()}-${counter++}`);
      db.version(1).stores({ conversations: 'id, s, f, g, a' });
      let cursor: string | undefined;
      for (;;) {
        const body = await walkPage(TOKEN, cursor);
        await db.table('conversations').bulkPut(body.data.map(toStored));
        if (!body.has_more) break;
        cursor = body.data.at(-1)?.id;
      }
      await db.delete();
    },
    rounds,
    1,
  );
  return {
    ...result,
    note: 'sync.now() into an empty store vs the same pages fetched + bulkPut (reference server over HTTP)',
  };
}

/**
 * The JS heap while pulling 100,000 conversations into real IndexedDB (which keeps the
 * rows out of the JS heap, unlike fake-indexeddb): the largest heap seen (garbage
 * included, sampled every 5 ms and at every request), against the heap size of the rows
 * themselves (one parsed copy of the listing, measured in the same page).
 */
async function pullHeap(): Promise<Result[]> {
  const benchHeap = (globalThis as { benchHeap?: (op: string) => Promise<number> }).benchHeap;
  if (benchHeap === undefined) throw new Error('the heap row needs bench/chromium.ts');
  const HEAP_TOKEN = 'heap-token';
  const page = (cursor: string | undefined) => walkPage(HEAP_TOKEN, cursor);
  // The rows' own size: every page parsed and held at once.
  const before = await benchHeap('used');
  const held: Conversation[][] = [];
  for (let cursor: string | undefined; ; ) {
    const next = await page(cursor);
    held.push(next.data);
    if (!next.has_more) break;
    cursor = next.data.at(-1)?.id;
  }
  const count = held.reduce((sum, rows) => sum + rows.length, 0);
  const rowsBytes = (await benchHeap('used')) - before;
  held.length = 0;

  const start = await benchHeap('used');
  await benchHeap('reset');
  let livePeak = start;
  let requests = 0;
  const store = createConversationStore({
    baseUrl: location.origin,
    getToken: () => HEAP_TOKEN,
    databaseName: `bench-heap-${Date.now()}`,
    sync: { auto: false },
    fetch: async (input, init) => {
      if (requests++ % 100 === 0) livePeak = Math.max(livePeak, await benchHeap('used'));
      return fetch(input, init);
    },
  });
  const began = performance.now();
  const summary = await store.sync.now();
  const seconds = (performance.now() - began) / 1000;
  const peak = await benchHeap('peak');
  if (summary.pulled !== count) throw new Error(`pulled ${summary.pulled} of ${count}`);
  await store.destroy();
  const mib = (bytes: number) => bytes / 2 ** 20;
  return [
    {
      name: 'pull-100k-heap',
      env: 'chromium',
      value: round3(mib(peak - start)),
      baseline: round3(mib(rowsBytes)),
      ratio: round3((peak - start) / rowsBytes),
      unit: 'MiB',
      note: `peak JS heap growth (garbage included, read by DevTools every 5 ms) pulling ${count} rows into IndexedDB in ${round3(seconds)} s vs the heap size of the rows; live peak after GC ${round3(mib(livePeak - start))} MiB`,
    },
  ];
}

/** `first-paint` in Chromium (bench/first-paint.ts): the account behind `paint-token`. */
async function firstPaint(): Promise<Result[]> {
  const token = 'paint-token';
  const expected = await listPage(token, {
    group_id: FIRST_PAINT.deep.group_id,
    limit: String(FIRST_PAINT.deep.limit),
  });
  const store = createConversationStore({
    baseUrl: location.origin,
    getToken: () => token,
    databaseName: `bench-first-paint-${Date.now()}`,
    sync: { auto: false },
  });
  return measureFirstPaint('chromium', store, expected);
}

const browser: Platform = {
  env: 'chromium',
  openStore: async (rows, options) => {
    const name = `bench-rx-${Date.now()}-${counter++}`;
    if (rows.length > 0) await seed(name, rows);
    return openStore(name, options);
  },
  fetchPage: (cursor) => walkPage(TOKEN, cursor),
};

async function runBenchmarks(only: string[] = []): Promise<Result[]> {
  const wanted = (name: string) => only.length === 0 || only.some((o) => name.startsWith(o));
  const results: Result[] = [];
  const state = document.querySelector('#state') as HTMLElement;
  for (const [name, run] of [
    ['local-write', localWrite],
    ['list-filtered', listFiltered],
    ['list-live-emit', async () => [await listLiveEmit()]],
    ['list-subscribe-churn', () => listSubscribeChurn(browser)],
    ['filter-switch', () => filterSwitch(browser)],
    ['pull-10k', async () => [await pull10k()]],
    ['pull-parts', () => pullParts(browser)],
    ['pull-100k-heap', pullHeap],
    ['first-paint', firstPaint],
    ...VERSUS.map(([name, run]): [string, () => Promise<Result[]>] => [name, () => run(browser)]),
  ] as [string, () => Promise<Result[]>][]) {
    if (!wanted(name)) continue;
    state.textContent = `running ${name}`;
    results.push(...(await run()));
  }
  state.textContent = 'done';
  return results;
}

Object.assign(globalThis, { runBenchmarks });
(document.querySelector('#state') as HTMLElement).textContent = 'ready';

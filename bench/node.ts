/**
 * The Node benchmarks (fake-indexeddb, the reference server in-process). Each figure is
 * measured next to its raw baseline in the same run. `npm run bench` runs this file.
 */
import { Dexie, liveQuery } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { type Conversation, createConversationStore, type ListPage } from '../src/index.js';
import { openDatabase, toStored } from '../src/storage/schema.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';
import { fullScanList, handWrittenList, outboxFloor, sameRequestsAsUpdate } from './baselines.js';
import { deepRows, FIRST_PAINT, measureFirstPaint } from './first-paint.js';
import {
  compare,
  emissionTimes,
  fromSamples,
  LIST_LIVE_EMIT,
  type Result,
  round3,
} from './measure.js';
import type { Platform } from './rxdb.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
/** Reads take milliseconds: more rounds steady their medians. */
const LIST_ROUNDS = ROUNDS * 4;
const TOKEN = 'bench-token';
let counter = 0;

function freshFactory() {
  return { indexedDB: new IDBFactory(), IDBKeyRange };
}

/** A store on `name` (a fresh database by default), syncing with `server` only when asked. */
function openStore(
  server: ReturnType<typeof createReferenceServer>,
  deps = freshFactory(),
  options: { name?: string; cacheMs?: number } = {},
) {
  const { name = `bench-${counter++}`, ...rest } = options;
  return createConversationStore({
    baseUrl: 'http://reference.test',
    getToken: () => TOKEN,
    fetch: server.fetch,
    databaseName: name,
    sync: { auto: false },
    ...rest,
    ...deps,
  });
}

/** A raw Dexie database with the same table and indexes as the store's conversations. */
async function rawDatabase(deps: ReturnType<typeof freshFactory>, rows: Conversation[]) {
  const db = new Dexie(`raw-${counter++}`, deps);
  db.version(1).stores({ conversations: 'id, s, f, g, a' });
  await db.table('conversations').bulkPut(rows.map(toStored));
  return db;
}

/** Fills a store's database with server-known rows, as a completed pull would. */
async function seedStore(
  deps: ReturnType<typeof freshFactory>,
  name: string,
  rows: Conversation[],
) {
  const db = openDatabase(name, deps);
  await db.conversations.bulkPut(rows.map(toStored));
  db.close();
}

export async function listFiltered(): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 7 });
  const deps = freshFactory();
  const server = createReferenceServer({ token: TOKEN });
  const name = `bench-list-${counter++}`;
  await seedStore(deps, name, rows);
  // Every list read from IndexedDB (cacheMs 0): the index query itself is measured.
  const store = openStore(server, deps, { name, cacheMs: 0 });
  const raw = await rawDatabase(deps, rows);
  const params = { muted: false, archived: false, limit: 50 } as const;
  const table = raw.table('conversations');
  const vsIndex = await compare(
    'list-filtered',
    'node',
    () => store.conversations.list(params),
    () => handWrittenList(table, 50),
    LIST_ROUNDS,
  );
  const vsScan = await compare(
    'list-filtered-vs-scan',
    'node',
    () => store.conversations.list(params),
    () => fullScanList(table, 50),
    LIST_ROUNDS,
    3,
    true,
  );
  vsScan.note = 'baseline: toArray() of 10k rows + JS filter/sort';
  vsIndex.note = 'baseline: hand-written Dexie index query';
  await store.close();
  raw.close();
  return [vsIndex, vsScan];
}

export async function localWrite(): Promise<Result[]> {
  const rows = generateConversations(1_000, { seed: 3 });
  const deps = freshFactory();
  const server = createReferenceServer({ token: TOKEN });
  const name = `bench-write-${counter++}`;
  await seedStore(deps, name, rows);
  const store = openStore(server, deps, { name });
  const raw = await rawDatabase(deps, rows);
  const table = raw.table('conversations');
  const rounds = Math.max(ROUNDS * 20, 200);
  // The app shows what it updates: a 100-row list on screen, each of its rows toggled in turn.
  const params = { limit: 100 } as const;
  const screen = store.conversations.list$(params).subscribe();
  const shown = (await store.conversations.list(params)).data;
  const onScreen = (round: number) => shown[(round + 100) % shown.length] as Conversation;
  const result = await compare(
    'local-write',
    'node',
    (round) => store.conversations.update(onScreen(round).id, { is_muted: round % 2 === 0 }),
    (round) => table.put(toStored({ ...onScreen(round), is_muted: round % 2 === 0 })),
    rounds,
    20,
  );
  result.note =
    'update of a row on screen (a live 100-row list), toggled in turn: record + outbox in one transaction, vs a raw Dexie put of the row';
  screen.unsubscribe();
  // Rows the store does not hold (never read here), each updated once: the write reads first.
  const cold = rows.filter((row) => !shown.some((held) => held.id === row.id));
  const pick = (round: number) => cold[(round + 1000) % cold.length] as Conversation;
  const vsCold = await compare(
    'local-write-cold',
    'node',
    (round) => store.conversations.update(pick(round).id, { is_muted: round % 2 === 0 }),
    (round) => table.put(toStored({ ...pick(round), is_muted: round % 2 === 0 })),
    rounds,
    20,
  );
  vsCold.note =
    'update of a row the store does not hold (read first), each once, vs a raw Dexie put';
  // The same requests hand-written, on a copy with the store's schema: what is left is the store's own cost.
  const floorName = `bench-write-floor-${counter++}`;
  await seedStore(deps, floorName, rows);
  const floor = openDatabase(floorName, deps);
  const vsSameRequests = await compare(
    'local-write-same-requests',
    'node',
    (round) => store.conversations.update(pick(round + 500).id, { is_muted: round % 2 === 0 }),
    (round) => sameRequestsAsUpdate(floor, pick(round + 500), round % 2 === 0),
    rounds,
    20,
  );
  vsSameRequests.note =
    'update of a row not held vs its own IndexedDB requests hand-written in raw Dexie (one read, two writes, one transaction)';
  const vsFloor = await compare(
    'local-write-floor',
    'node',
    (round) => outboxFloor(floor, onScreen(round), round % 2 === 0),
    (round) => table.put(toStored({ ...onScreen(round), is_muted: round % 2 === 0 })),
    rounds,
    20,
  );
  vsFloor.note =
    'no store: the row and an outbox entry with its base in one transaction, nothing read (what any outbox must write), vs a raw Dexie put';
  await store.close();
  raw.close();
  floor.close();
  return [result, vsCold, vsSameRequests, vsFloor];
}

export async function pull10k(): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 11 });
  const server = createReferenceServer({ token: TOKEN, seed: rows });
  const rounds = Math.max(3, Math.floor(ROUNDS / 3));
  const result = await compare(
    'pull-10k',
    'node',
    async () => {
      const store = openStore(server);
      const summary = await store.sync.now();
      if (summary.pulled !== rows.length) throw new Error(`pulled ${summary.pulled}`);
      await store.destroy();
    },
    async () => {
      const deps = freshFactory();
      const db = new Dexie(`raw-pull-${counter++}`, deps);
      db.version(1).stores({ conversations: 'id, s, f, g, a' });
      let cursor: string | undefined;
      for (;;) {
        const query = new URLSearchParams({ limit: '100' });
        if (cursor !== undefined) query.set('starting_after', cursor);
        const response = await server.fetch(`http://reference.test/v1/conversations?${query}`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const page = (await response.json()) as { has_more: boolean; data: Conversation[] };
        await db.table('conversations').bulkPut(page.data.map(toStored));
        if (!page.has_more) break;
        cursor = page.data.at(-1)?.id;
      }
      await db.delete();
    },
    rounds,
    1,
  );
  result.note = 'sync.now() into an empty store vs the same pages fetched + bulkPut';
  return [result];
}

export async function pushCoalesced(): Promise<Result[]> {
  const rows = generateConversations(100, { seed: 5 });
  const rounds = Math.max(3, Math.floor(ROUNDS / 3));
  let puts = 0;
  const storeRuns: number[] = [];
  const baselineRuns: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    const server = createReferenceServer({ token: TOKEN, seed: rows });
    const deps = freshFactory();
    const name = `bench-push-${counter++}`;
    await seedStore(deps, name, rows);
    const store = openStore(server, deps, { name });
    for (let i = 0; i < 1000; i++) {
      const row = rows[i % 100] as Conversation;
      await store.conversations.update(row.id, { is_muted: i % 3 === 0, is_pinned: i % 7 === 0 });
    }
    server.clearRequests();
    let start = performance.now();
    await store.sync.now();
    const storeMs = performance.now() - start;
    puts = server.requests.filter((request) => request.method === 'PUT').length;
    await store.destroy();
    start = performance.now();
    for (const row of rows) {
      const response = await server.fetch(`http://reference.test/v1/conversations/${row.id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ is_muted: !row.is_muted }),
      });
      await response.json();
    }
    const baselineMs = performance.now() - start;
    if (round > 0) {
      storeRuns.push(storeMs);
      baselineRuns.push(baselineMs);
    }
  }
  return [
    fromSamples(
      'push-coalesced',
      'node',
      storeRuns,
      baselineRuns,
      `1000 offline updates over 100 records → ${puts} PUTs (sync.now() includes the pull); baseline: 100 sequential raw PUTs`,
    ),
    {
      name: 'push-coalesced-requests',
      env: 'node',
      value: puts,
      baseline: 100,
      ratio: round3(puts / 100),
      unit: 'PUTs',
    },
  ];
}

/** Node's side of the store / raw Dexie / RxDB comparisons (bench/rxdb.ts). */
export function nodePlatform(): Platform {
  const deps = freshFactory();
  const server = createReferenceServer({
    token: TOKEN,
    seed: generateConversations(10_000, { seed: 11 }),
  });
  return {
    env: 'node',
    deps,
    openStore: async (rows, options = {}) => {
      const name = `bench-rx-${counter++}`;
      if (rows.length > 0) await seedStore(deps, name, rows);
      return openStore(server, deps, { ...options, name });
    },
    fetchPage: async (cursor) => {
      const query = new URLSearchParams({ limit: '100' });
      if (cursor !== undefined) query.set('starting_after', cursor);
      const response = await server.fetch(`http://reference.test/v1/conversations?${query}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      return (await response.json()) as { has_more: boolean; data: Conversation[] };
    },
  };
}

/** A local update → the re-emission of a 50-row `list$` it changes, vs a raw put → raw liveQuery. */
export async function listLiveEmit(): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 9 });
  const deps = freshFactory();
  const name = `bench-live-${counter++}`;
  await seedStore(deps, name, rows);
  const server = createReferenceServer({ token: TOKEN });
  const store = openStore(server, deps, { name });
  const raw = await rawDatabase(deps, rows);
  const table = raw.table('conversations');
  const params = { muted: false, archived: false, limit: 50 } as const;
  const target = (await store.conversations.list(params)).data[10] as Conversation;
  const rounds = 40;
  const storeTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let batch = 0; batch < 4; batch++) {
    const pinned = (round: number) => (batch * rounds + round) % 2 === 0;
    storeTimes.push(
      ...(await emissionTimes(
        (next) => store.conversations.list$(params).subscribe(next),
        (round) => store.conversations.update(target.id, { is_pinned: pinned(round) }),
        rounds / 4,
      )),
    );
    rawTimes.push(
      ...(await emissionTimes(
        (next) => liveQuery(() => handWrittenList(table, 50)).subscribe(next),
        (round) => table.put(toStored({ ...target, is_pinned: pinned(round) })),
        rounds / 4,
      )),
    );
  }
  await store.destroy();
  raw.close();
  return [fromSamples('list-live-emit', 'node', storeTimes, rawTimes, LIST_LIVE_EMIT)];
}

/** `first-paint` in Node: see bench/first-paint.ts. */
export async function firstPaint(): Promise<Result[]> {
  const server = createReferenceServer({
    token: TOKEN,
    seed: [...generateConversations(FIRST_PAINT.rows, { seed: 21 }), ...deepRows()],
  });
  const query = new URLSearchParams({
    group_id: FIRST_PAINT.deep.group_id,
    limit: String(FIRST_PAINT.deep.limit),
  });
  const expected = (await (
    await server.fetch(`http://reference.test/v1/conversations?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).json()) as ListPage;
  server.faults.latencyMs = FIRST_PAINT.latencyMs;
  return measureFirstPaint('node', openStore(server, freshFactory()), expected);
}

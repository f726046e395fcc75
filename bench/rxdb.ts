/**
 * The store next to raw Dexie and RxDB (`rxdb` with `getRxStorageDexie`, no dev-mode, its
 * best index and sort for each query) on the same data, in Node and in Chromium. Each
 * workload gives two results: `<name>` (vs raw Dexie) and `<name>-vs-rxdb`.
 */
import { Dexie, liveQuery, type Table } from 'dexie';
import {
  createRxDatabase,
  type MangoQuery,
  type RxCollection,
  type RxDocument,
  type RxJsonSchema,
} from 'rxdb';
import { getRxStorageDexie } from 'rxdb/plugins/storage-dexie';
import type { Conversation, ConversationStore } from '../src/index.js';
import { toStored } from '../src/storage/schema.js';
import { generateConversations } from '../src/testing/seed.js';
import { emissionTimes, fromSamples, type Result } from './measure.js';

export interface Platform {
  env: Result['env'];
  /** IndexedDB for Node (fake-indexeddb); the browser's own otherwise. */
  deps?: { indexedDB: IDBFactory; IDBKeyRange: typeof IDBKeyRange };
  /**
   * A store on a database seeded with `rows` as a complete pull would leave them;
   * `cacheMs` as the store's option (0: every read goes to IndexedDB).
   */
  openStore(rows: Conversation[], options?: { cacheMs?: number }): Promise<ConversationStore>;
  /** One page of the server's list, as the API answers it. */
  fetchPage(cursor: string | undefined): Promise<{ has_more: boolean; data: Conversation[] }>;
}

/** A conversation as RxDB stores it: the API's fields plus sortable numbers (no nulls in indexes). */
type RxRow = Conversation & { archived: boolean; na: number; ra: number; rc: number };
const MAX = 4_000_000_000;
const toRx = (row: Conversation): RxRow => ({
  ...row,
  archived: row.archived_at !== null,
  na: row.last_active_at === null ? 1 : 0,
  ra: row.last_active_at === null ? 0 : MAX - row.last_active_at,
  rc: MAX - row.created_at,
});
const number = { type: 'number', minimum: 0, maximum: MAX, multipleOf: 1 } as const;
const SCHEMA: RxJsonSchema<RxRow> = {
  version: 0,
  primaryKey: 'id',
  type: 'object',
  properties: {
    id: { type: 'string', maxLength: 40 },
    contact_id: { type: ['string', 'null'] },
    group_id: { type: ['string', 'null'] },
    pinned_message_id: { type: ['string', 'null'] },
    is_pinned: { type: 'boolean' },
    is_muted: { type: 'boolean' },
    archived: { type: 'boolean' },
    last_active_at: { type: ['number', 'null'] },
    last_opened_at: { type: ['number', 'null'] },
    created_at: { type: 'number' },
    archived_at: { type: ['number', 'null'] },
    na: { type: 'number', minimum: 0, maximum: 1, multipleOf: 1 },
    ra: number,
    rc: number,
  },
  required: ['id', 'is_pinned', 'is_muted', 'archived', 'created_at', 'na', 'ra', 'rc'],
  // The list order, and the same behind the two boolean filters of the benchmark's query.
  indexes: [
    ['na', 'ra', 'rc', 'id'],
    ['is_muted', 'archived', 'na', 'ra', 'rc', 'id'],
  ],
};
const QUERY: MangoQuery<RxRow> = {
  selector: { is_muted: false, archived: false },
  sort: [{ na: 'asc' }, { ra: 'asc' }, { rc: 'asc' }, { id: 'asc' }],
  limit: 50,
};
const PARAMS = { muted: false, archived: false, limit: 50 } as const;
let counter = 0;

async function rxCollection(platform: Platform, rows: Conversation[]) {
  const db = await createRxDatabase({
    name: `rx${Date.now()}x${counter++}`.toLowerCase(),
    storage: getRxStorageDexie(platform.deps ?? {}),
    multiInstance: false,
    eventReduce: true,
  });
  const { conversations } = await db.addCollections({ conversations: { schema: SCHEMA } });
  const collection = conversations as RxCollection<RxRow>;
  if (rows.length > 0) await collection.bulkInsert(rows.map(toRx));
  return { db, collection };
}

/** Raw Dexie with the store's indexes, plus a compound index made for the benchmark's query. */
async function rawDexie(platform: Platform, rows: Conversation[]) {
  const db = new Dexie(`raw-rx-${Date.now()}-${counter++}`, platform.deps);
  db.version(1).stores({ conversations: 'id, s, f, g, ma' });
  const withCompound = (row: Conversation) => {
    const stored = toStored(row);
    return { ...stored, ma: [stored.f[0], stored.f[1], ...stored.s] };
  };
  await db.table('conversations').bulkPut(rows.map(withCompound));
  return { db, table: db.table('conversations'), withCompound };
}

const compoundList = (table: Table) =>
  table.where('ma').between([0, 0], [0, 0, []], true, false).limit(50).toArray();

/** Clears RxDB's query cache, so that the next exec() reads the storage. */
function clearQueryCache(collection: RxCollection<RxRow>) {
  (
    collection as unknown as { _queryCache: { _map: Map<string, unknown> } }
  )._queryCache._map.clear();
}

function pair(
  name: string,
  platform: Platform,
  store: number[],
  dexie: number[],
  rx: number[],
  note: string,
): Result[] {
  const row = (suffix: string, baseline: number[], against: string): Result =>
    fromSamples(`${name}${suffix}`, platform.env, store, baseline, `${note} vs ${against}`);
  return [row('', dexie, 'raw Dexie'), row('-vs-rxdb', rx, 'RxDB')];
}

/** Alternates store, raw Dexie and RxDB runs; returns each one's samples. */
async function three(
  rounds: number,
  warmup: number,
  ...tasks: ((round: number) => Promise<unknown>)[]
): Promise<number[][]> {
  const samples = tasks.map(() => [] as number[]);
  for (let i = -warmup; i < rounds; i++) {
    for (const [index, task] of tasks.entries()) {
      const start = performance.now();
      await task(i);
      if (i >= 0) samples[index]?.push(performance.now() - start);
    }
  }
  return samples;
}

export async function versusEmit(platform: Platform): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 9 });
  const store = await platform.openStore(rows);
  const raw = await rawDexie(platform, rows);
  const rx = await rxCollection(platform, rows);
  const target = (await store.conversations.list(PARAMS)).data[10] as Conversation;
  const doc = (await rx.collection.findOne(target.id).exec()) as RxDocument<RxRow>;
  const rounds = 40;
  const times: number[][] = [[], [], []];
  let flip = false;
  const toggle = () => {
    flip = !flip;
    return flip;
  };
  for (let batch = 0; batch < 4; batch++) {
    times[0]?.push(
      ...(await emissionTimes(
        (next) => store.conversations.list$(PARAMS).subscribe(next),
        () => store.conversations.update(target.id, { is_pinned: toggle() }),
        rounds / 4,
      )),
    );
    times[1]?.push(
      ...(await emissionTimes(
        (next) => liveQuery(() => compoundList(raw.table)).subscribe(next),
        () => raw.table.put(raw.withCompound({ ...target, is_pinned: toggle() })),
        rounds / 4,
      )),
    );
    times[2]?.push(
      ...(await emissionTimes(
        (next) => rx.collection.find(QUERY).$.subscribe(next),
        () => doc.getLatest().incrementalPatch({ is_pinned: toggle() }),
        rounds / 4,
      )),
    );
  }
  await Promise.all([store.destroy(), raw.db.delete(), rx.db.remove()]);
  return pair(
    'rx-emit',
    platform,
    times[0] ?? [],
    times[1] ?? [],
    times[2] ?? [],
    'local update → re-emission of a 50-row filtered list over 10,000 rows',
  );
}

export async function versusUpdate(platform: Platform): Promise<Result[]> {
  const rows = generateConversations(1_000, { seed: 3 });
  const store = await platform.openStore(rows);
  const raw = await rawDexie(platform, rows);
  const rx = await rxCollection(platform, rows);
  // Each side holds the rows it updates, as an app showing them does: the store a live
  // 100-row list on screen, RxDB the documents of those rows (its document cache).
  const screen = store.conversations.list$({ limit: 100 }).subscribe();
  const shown = (await store.conversations.list({ limit: 100 })).data;
  const docs = await rx.collection.findByIds(shown.map((row) => row.id)).exec();
  const pick = (round: number) => shown[(round + 100) % shown.length] as Conversation;
  const [a, b, c] = await three(
    200,
    20,
    (round) => store.conversations.update(pick(round).id, { is_muted: round % 2 === 0 }),
    (round) => raw.table.put(raw.withCompound({ ...pick(round), is_muted: round % 2 === 0 })),
    (round) =>
      (docs.get(pick(round).id) as RxDocument<RxRow>)
        .getLatest()
        .incrementalPatch({ is_muted: round % 2 === 0 }),
  );
  screen.unsubscribe();
  await Promise.all([store.destroy(), raw.db.delete(), rx.db.remove()]);
  return pair(
    'rx-update',
    platform,
    a ?? [],
    b ?? [],
    c ?? [],
    'one single-field update of a row on screen (store: record + outbox entry, a live 100-row list; RxDB: incrementalPatch of a fetched document)',
  );
}

export async function versusList(platform: Platform): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 7 });
  // Nothing cached: no warm result (cacheMs 0), and RxDB's query cache cleared.
  const store = await platform.openStore(rows, { cacheMs: 0 });
  const raw = await rawDexie(platform, rows);
  const rx = await rxCollection(platform, rows);
  const [a, b, c] = await three(
    60,
    3,
    () => store.conversations.list(PARAMS),
    () => compoundList(raw.table),
    () => {
      clearQueryCache(rx.collection);
      return rx.collection.find(QUERY).exec();
    },
  );
  // A repeated list while a list$ of the same parameters is live: answered from memory.
  // Timed over batches of 50 calls (Chromium's timer has a 0.1 ms grain), per call.
  const live = store.conversations.list$(PARAMS).subscribe();
  const cached = rx.collection.find(QUERY).$.subscribe();
  await store.conversations.list(PARAMS);
  const batch = (call: () => Promise<unknown>) => async () => {
    for (let i = 0; i < 50; i++) await call();
  };
  const [d, e, f] = (
    await three(
      40,
      2,
      batch(() => store.conversations.list(PARAMS)),
      batch(() => compoundList(raw.table)),
      batch(() => rx.collection.find(QUERY).exec()),
    )
  ).map((samples) => samples.map((ms) => ms / 50));
  live.unsubscribe();
  cached.unsubscribe();
  // The same list again a moment later with no subscriber: the store's warm result (default
  // cacheMs) against RxDB's query cache (kept, not cleared).
  const warm = await platform.openStore(rows);
  await warm.conversations.list(PARAMS);
  await rx.collection.find(QUERY).exec();
  const [g, h, k] = (
    await three(
      40,
      2,
      batch(() => warm.conversations.list(PARAMS)),
      batch(() => compoundList(raw.table)),
      batch(() => rx.collection.find(QUERY).exec()),
    )
  ).map((samples) => samples.map((ms) => ms / 50));
  await warm.destroy();
  await Promise.all([store.destroy(), raw.db.delete(), rx.db.remove()]);
  return [
    ...pair(
      'rx-list',
      platform,
      a ?? [],
      b ?? [],
      c ?? [],
      'list({ muted: false, archived: false, limit: 50 }) over 10,000 (compound index for raw Dexie; RxDB query cache cleared)',
    ),
    ...pair(
      'rx-list-repeat',
      platform,
      d ?? [],
      e ?? [],
      f ?? [],
      'the same list again with a live subscription and nothing changed (RxDB: its query cache)',
    ),
    ...pair(
      'list-again',
      platform,
      g ?? [],
      h ?? [],
      k ?? [],
      'the same list again a moment later, no subscriber (store: its warm result, cacheMs default; RxDB: its query cache)',
    ),
  ];
}

export async function versusLoad(platform: Platform): Promise<Result[]> {
  const pages = async (put: (rows: Conversation[]) => Promise<unknown>) => {
    let cursor: string | undefined;
    for (;;) {
      const page = await platform.fetchPage(cursor);
      await put(page.data);
      if (!page.has_more) return;
      cursor = page.data.at(-1)?.id;
    }
  };
  const [a, b, c] = await three(
    platform.env === 'node' ? 3 : 5,
    1,
    async () => {
      const store = await platform.openStore([]);
      const summary = await store.sync.now();
      if (summary.pulled !== 10_000) throw new Error(`pulled ${summary.pulled}`);
      await store.destroy();
    },
    async () => {
      const raw = await rawDexie(platform, []);
      await pages((rows) => raw.table.bulkPut(rows.map(toStored)));
      await raw.db.delete();
    },
    async () => {
      const rx = await rxCollection(platform, []);
      await pages((rows) => rx.collection.bulkUpsert(rows.map(toRx)));
      await rx.db.remove();
    },
  );
  return pair(
    'rx-load-10k',
    platform,
    a ?? [],
    b ?? [],
    c ?? [],
    'load 10,000 over HTTP (store: sync.now() into an empty store; others: the same pages fetched and written)',
  );
}

export const VERSUS: [string, (platform: Platform) => Promise<Result[]>][] = [
  ['rx-emit', versusEmit],
  ['rx-update', versusUpdate],
  ['rx-list', versusList],
  ['rx-load-10k', versusLoad],
];

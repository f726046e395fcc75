/**
 * `pull-parts`: what stands between a first pull and a bare `bulkPut`, part by part. The
 * 10,000 rows are fetched once (the `fetch` part), then written again and again from
 * memory, adding one part of what the store's per-page merge does at a time; each figure
 * is a whole load's ms next to the bare `bulkPut` of the same pages measured in the same
 * run (alternating, medians). The last row is the store's own `sync.now()` into an empty
 * database, fetching included, against fetch + bare `bulkPut`.
 */
import { Dexie } from 'dexie';
import type { Conversation } from '../src/index.js';
import { openDatabase, type StoreDatabase, toStored } from '../src/storage/schema.js';
import { fromSamples, type Result } from './measure.js';
import type { Platform } from './rxdb.js';

let counter = 0;

/** One page's writes, as one variant of the merge does them. */
type PageWrite = (db: StoreDatabase, rows: Conversation[], page: number) => Promise<unknown>;

const inPullTransaction = (db: StoreDatabase, body: () => Promise<unknown>) =>
  db.transaction('rw', [db.conversations, db.outbox, db.meta, db.evicted], body);

/** Each part adds one thing to the one before it. */
const PARTS: [string, string, PageWrite][] = [
  [
    'transaction',
    'a bulkPut per page inside a transaction over the pull scope (records, outbox, meta, stubs)',
    (db, rows) => inPullTransaction(db, () => db.conversations.bulkPut(rows.map(toStored))),
  ],
  [
    'read',
    '+ the read of the page’s ids (what is stored of them)',
    (db, rows) =>
      inPullTransaction(db, async () => {
        await db.conversations.bulkGet(rows.map((row) => row.id));
        await db.conversations.bulkPut(rows.map(toStored));
      }),
  ],
  [
    'counts',
    '+ the counts of the outbox and the stubs',
    (db, rows) =>
      inPullTransaction(db, async () => {
        await Promise.all([
          db.conversations.bulkGet(rows.map((row) => row.id)),
          db.outbox.count(),
          db.evicted.count(),
        ]);
        await db.conversations.bulkPut(rows.map(toStored));
      }),
  ],
  [
    'progress',
    '+ the walk’s progress (the page’s ids and the cursor, in meta)',
    (db, rows, page) =>
      inPullTransaction(db, async () => {
        const ids = rows.map((row) => row.id);
        await Promise.all([
          db.conversations.bulkGet(ids),
          db.outbox.count(),
          db.evicted.count(),
          db.meta.put({ key: `seen:bench:${page}`, value: ids }),
          db.meta.put({ key: 'walk', value: { cursor: ids.at(-1), pages: page } }),
        ]);
        await db.conversations.bulkPut(rows.map(toStored));
      }),
  ],
];

async function fetchAll(platform: Platform): Promise<Conversation[][]> {
  const pages: Conversation[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await platform.fetchPage(cursor);
    pages.push(page.data);
    if (!page.has_more) return pages;
    cursor = page.data.at(-1)?.id;
  }
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

/** A bare Dexie database with the store's indexes: the baseline every part is set against. */
async function bareLoad(platform: Platform, pages: Conversation[][]): Promise<number> {
  const db = new Dexie(`bare-${Date.now()}-${counter++}`, platform.deps);
  db.version(1).stores({ conversations: 'id, s, f, g, a' });
  await db.open();
  const ms = await timed(async () => {
    for (const rows of pages) await db.table('conversations').bulkPut(rows.map(toStored));
  });
  await db.delete();
  return ms;
}

async function partLoad(platform: Platform, pages: Conversation[][], write: PageWrite) {
  const db = openDatabase(`part-${Date.now()}-${counter++}`, platform.deps);
  await db.open();
  const ms = await timed(async () => {
    for (const [page, rows] of pages.entries()) await write(db, rows, page);
  });
  await db.delete();
  return ms;
}

const result = (platform: Platform, name: string, note: string, a: number[], b: number[]) =>
  fromSamples(name, platform.env, a, b, note);

export async function pullParts(platform: Platform, rounds = 3): Promise<Result[]> {
  const fetchTimes: number[] = [];
  let pages: Conversation[][] = [];
  for (let i = 0; i < rounds; i++) {
    fetchTimes.push(
      await timed(async () => {
        pages = await fetchAll(platform);
      }),
    );
  }
  const rows = pages.reduce((sum, page) => sum + page.length, 0);
  const bare: number[] = [];
  const parts = PARTS.map(() => [] as number[]);
  const whole: number[] = [];
  const wholeBaseline: number[] = [];
  for (let round = -1; round < rounds; round++) {
    const b = await bareLoad(platform, pages);
    const p: number[] = [];
    for (const [, , write] of PARTS) p.push(await partLoad(platform, pages, write));
    const store = await platform.openStore([]);
    const w = await timed(() => store.sync.now());
    await store.destroy();
    const raw = new Dexie(`bare-whole-${Date.now()}-${counter++}`, platform.deps);
    raw.version(1).stores({ conversations: 'id, s, f, g, a' });
    await raw.open();
    const wb = await timed(async () => {
      let cursor: string | undefined;
      for (;;) {
        const page = await platform.fetchPage(cursor);
        await raw.table('conversations').bulkPut(page.data.map(toStored));
        if (!page.has_more) return;
        cursor = page.data.at(-1)?.id;
      }
    });
    await raw.delete();
    if (round < 0) continue; // Warm-up.
    bare.push(b);
    for (const [index, ms] of p.entries()) parts[index]?.push(ms);
    whole.push(w);
    wholeBaseline.push(wb);
  }
  return [
    result(
      platform,
      'pull-parts-fetch',
      `fetching and parsing the ${pages.length} pages (${rows} rows) alone, vs the bare bulkPut of them`,
      fetchTimes,
      bare,
    ),
    ...PARTS.map(([name, note], index) =>
      result(
        platform,
        `pull-parts-${name}`,
        `${note}, vs a bare bulkPut per page`,
        parts[index] ?? [],
        bare,
      ),
    ),
    result(
      platform,
      'pull-parts-store',
      'the store’s sync.now() into an empty database (fetching, validation, merge, walk, head read), vs fetch + bare bulkPut one page after the other',
      whole,
      wholeBaseline,
    ),
  ];
}

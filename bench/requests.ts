/**
 * Requests per round, counted at the reference server (not timed): what each kind of
 * round costs at 1,000 / 10,000 / 100,000 conversations, next to what the same round cost
 * in 0.1.0, where every round pushed and then walked every page (measured here in the same
 * run with `sync.now({ pull: 'full' })`).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { firstValueFrom } from 'rxjs';
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
  type ListParams,
} from '../src/index.js';
import { openDatabase, toStored } from '../src/storage/schema.js';
import {
  createReferenceServer,
  generateConversations,
  type ReferenceServer,
} from '../src/testing/index.js';
import type { Result } from './measure.js';

const TOKEN = 'bench-token';
const VISIBLE: ListParams = { muted: false, archived: false, limit: 50 };
let counter = 0;

interface Setup {
  server: ReferenceServer;
  store: ConversationStore;
  stop(): Promise<void>;
}

/** A store that already holds the server's rows (as after a walk) and watches VISIBLE. */
async function setUp(size: number): Promise<Setup> {
  const rows = generateConversations(size, { seed: 11 });
  const server = createReferenceServer({ token: TOKEN, seed: rows });
  const deps = { indexedDB: new IDBFactory(), IDBKeyRange };
  const databaseName = `bench-requests-${counter++}`;
  const db = openDatabase(databaseName, deps);
  for (let start = 0; start < rows.length; start += 5000) {
    await db.conversations.bulkPut(rows.slice(start, start + 5000).map(toStored));
  }
  db.close();
  const store = createConversationStore({
    baseUrl: 'http://reference.test',
    getToken: () => TOKEN,
    fetch: server.fetch,
    databaseName,
    sync: { auto: false },
    ...deps,
  });
  const watching = store.conversations.list$(VISIBLE).subscribe();
  await firstValueFrom(store.conversations.list$(VISIBLE));
  return {
    server,
    store,
    stop: async () => {
      watching.unsubscribe();
      await store.destroy();
    },
  };
}

/** Requests a round sends, by method. */
async function count(setup: Setup, round: () => Promise<unknown>) {
  setup.server.clearRequests();
  await round();
  const requests = setup.server.requests;
  return {
    total: requests.length,
    gets: requests.filter((r) => r.method === 'GET').length,
    writes: requests.filter((r) => r.method !== 'GET').length,
  };
}

/** The server's answer for VISIBLE, to check that the local page is exact. */
async function serverPage(server: ReferenceServer) {
  const query = new URLSearchParams(Object.entries(VISIBLE).map(([k, v]) => [k, String(v)]));
  const response = await server.fetch(`http://reference.test/v1/conversations?${query}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await response.json()) as { has_more: boolean; data: Conversation[] };
}

/** Changes 10 records as another device would: 3 in the visible page, 7 deeper. */
async function changeTen(setup: Setup, salt: number) {
  const visible = (await setup.store.conversations.list(VISIBLE)).data;
  const all = setup.server.all();
  const deep = all.slice(Math.floor(all.length / 2));
  const targets = [...visible.slice(10, 13), ...deep.slice(salt * 7, salt * 7 + 7)];
  for (const [index, row] of targets.entries()) {
    if (index === 0)
      setup.server.update(row.id, { is_muted: true }); // Leaves the page.
    else if (index === 1)
      setup.server.remove(row.id); // Deleted.
    else setup.server.update(row.id, { is_pinned: !row.is_pinned });
  }
}

const result = (name: string, size: number, value: number, baseline: number, note: string) =>
  ({
    name: `requests-per-round-${name}-${size / 1000}k`,
    env: 'node',
    value,
    baseline,
    ratio: Math.round((value / baseline) * 1000) / 1000,
    unit: 'requests',
    note,
  }) satisfies Result;

export async function requestsPerRound(sizes = [1_000, 10_000, 100_000]): Promise<Result[]> {
  const results: Result[] = [];
  for (const size of sizes) {
    const setup = await setUp(size);
    const { store } = setup;
    await store.sync.now({ pull: 'full' }); // Settles, and records the complete walk.
    const walk = await count(setup, () => store.sync.now({ pull: 'full' }));
    const first = (await store.conversations.list(VISIBLE)).data[0] as Conversation;

    await store.conversations.update(first.id, { is_pinned: !first.is_pinned });
    const write = await count(setup, () => store.sync.now({ pull: 'none' }));
    await store.conversations.update(first.id, { is_pinned: first.is_pinned });
    const writeBefore = await count(setup, () => store.sync.now({ pull: 'full' }));
    results.push(
      result(
        'write',
        size,
        write.total,
        writeBefore.total,
        `${write.writes} PUT, ${write.gets} GET`,
      ),
    );

    const idle = await count(setup, () => store.sync.now({ pull: 'recent' }));
    results.push(
      result(
        'idle-recent',
        size,
        idle.total,
        walk.total,
        'head, plus the visible list unless the head covers it; target ≤ 2',
      ),
    );

    await changeTen(setup, 0);
    const changed = await count(setup, () => store.sync.now({ pull: 'recent' }));
    const exact =
      JSON.stringify(await store.conversations.list(VISIBLE)) ===
      JSON.stringify(await serverPage(setup.server));
    await changeTen(setup, 1);
    const changedBefore = await count(setup, () => store.sync.now({ pull: 'full' }));
    results.push(
      result(
        'after-10-remote-changes',
        size,
        changed.total,
        changedBefore.total,
        `visible page exact after the round: ${exact}; target ≤ 12`,
      ),
    );
    results.push(
      result(
        'complete-walk',
        size,
        walk.total,
        size / 100 + 2,
        'GETs vs N/100 pages + the visible list read first + the head read that ends the walk (no record left unnamed: no read by id); target ≤ 1',
      ),
    );
    await setup.stop();
  }
  return results;
}

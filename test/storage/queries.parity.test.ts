import { IDBKeyRange } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationStore, type ListParams, ValidationError } from '../../src/index.js';
import { openDatabase, toStored } from '../../src/storage/schema.js';
import { generateConversations } from '../../src/testing/index.js';
import { conversation, type Harness, harness, TOKEN } from '../fixtures.js';

/** The parity table: every filter, combinations, limits. Cursors are added per row below. */
const TABLE: ListParams[] = [
  {},
  { limit: 1 },
  { limit: 100 },
  { muted: true },
  { muted: false },
  { pinned: true },
  { pinned: false },
  { archived: true },
  { archived: false },
  { muted: false, archived: false, limit: 50 },
  { muted: true, pinned: true },
  { pinned: false, archived: true, limit: 7 },
  { group_id: 'group-1' },
  { group_id: 'group-2', muted: false },
  { group_id: 'group-0', archived: false, pinned: false, limit: 3 },
  { group_id: 'no-such-group' },
];

async function serverList(h: Harness, params: ListParams) {
  const query = new URLSearchParams(
    Object.entries(params).map(([key, value]) => [key, String(value)]),
  );
  const response = await h.server.fetch(`https://api.test/v1/conversations?${query}`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Every page of a filtered list, forwards with starting_after, as the API gives them. */
async function walk(
  list: (params: ListParams) => Promise<{ has_more: boolean; data: { id: string }[] }>,
  params: ListParams,
) {
  const pages = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await list(cursor === undefined ? params : { ...params, starting_after: cursor });
    pages.push(page);
    if (!page.has_more || page.data.length === 0) return pages;
    cursor = page.data.at(-1)?.id;
  }
}

function checkParity(getHarness: () => Harness, getStore: () => ConversationStore) {
  it.each(TABLE.map((params) => [JSON.stringify(params), params] as const))(
    'list(%s) equals the server, page by page in both directions',
    async (_name, params) => {
      const h = getHarness();
      const store = getStore();
      const local = (p: ListParams) => store.conversations.list(p);
      const remote = async (p: ListParams) =>
        (await serverList(h, p)).body as Awaited<ReturnType<typeof local>>;
      expect(await local(params)).toEqual(await remote(params));
      const pages = await walk(local, { ...params, limit: params.limit ?? 4 });
      expect(pages).toEqual(await walk(remote, { ...params, limit: params.limit ?? 4 }));
      // Backwards from the last row of the filtered list.
      const last = pages.at(-1)?.data.at(-1)?.id;
      if (last !== undefined) {
        const before = { ...params, limit: params.limit ?? 4, ending_before: last };
        expect(await local(before)).toEqual(await remote(before));
        const middle = pages[Math.floor(pages.length / 2)]?.data[0]?.id as string;
        const around = { ...params, limit: params.limit ?? 4, ending_before: middle };
        expect(await local(around)).toEqual(await remote(around));
      }
    },
  );

  it('refuses a cursor outside the filtered list on both sides', async () => {
    const h = getHarness();
    const store = getStore();
    const muted = h.server.all().find((row) => row.is_muted)?.id as string;
    const params = { muted: false, starting_after: muted };
    await expect(store.conversations.list(params)).rejects.toBeInstanceOf(ValidationError);
    expect(await serverList(h, params)).toMatchObject({
      status: 400,
      body: { type: 'invalid_request' },
    });
  });
}

describe('parity with the same data stored directly', () => {
  let h: Harness;
  let store: ConversationStore;
  beforeAll(async () => {
    const rows = generateConversations(300, { seed: 42, groups: 3 });
    h = harness(rows);
    const db = openDatabase(h.databaseName, { indexedDB: h.indexedDB, IDBKeyRange });
    await db.conversations.bulkPut(rows.map(toStored));
    db.close();
    store = h.open();
  });
  afterAll(() => store.close());
  checkParity(
    () => h,
    () => store,
  );
});

describe('parity after offline writes and a sync', () => {
  let h: Harness;
  let store: ConversationStore;
  beforeAll(async () => {
    h = harness(generateConversations(300, { seed: 43, groups: 3 }));
    store = h.open();
    await store.sync.now();
    h.network.offline = true;
    const rows = h.server.all();
    for (const [index, row] of rows.slice(0, 40).entries()) {
      if (index % 4 === 0) await store.conversations.update(row.id, { is_muted: !row.is_muted });
      if (index % 4 === 1)
        await store.conversations.update(row.id, {
          archived_at: row.archived_at === null ? 1_700_000_000 : null,
        });
      if (index % 4 === 2) await store.conversations.update(row.id, { is_pinned: !row.is_pinned });
      if (index % 4 === 3) await store.conversations.delete(row.id);
    }
    for (let i = 0; i < 5; i++) await store.conversations.create({ group_id: `group-${i % 3}` });
    // Another device changes the server meanwhile.
    for (const row of rows.slice(100, 110)) h.server.update(row.id, { is_muted: !row.is_muted });
    h.server.insert({ contact_id: 'elsewhere', last_active_at: 2_000_000_000 });
    h.server.remove(rows[200]?.id as string);
    h.network.offline = false;
    await store.sync.now();
  });
  afterAll(() => store.close());
  checkParity(
    () => h,
    () => store,
  );
});

describe('a conversation active at time 0', () => {
  it('sorts with the active ones, before every never-active one, as on the server', async () => {
    const rows = [
      conversation({ id: 'ZERO000000000000', last_active_at: 0, created_at: 100 }),
      conversation({ id: 'NEVER00000000000', last_active_at: null, created_at: 200 }),
      conversation({ id: 'ACTIVE0000000000', last_active_at: 50, created_at: 10 }),
    ];
    const h = harness(rows);
    const store = h.open();
    await store.sync.now();
    const ids = (await store.conversations.list()).data.map((row) => row.id);
    expect(ids).toEqual(['ACTIVE0000000000', 'ZERO000000000000', 'NEVER00000000000']);
    expect((await serverList(h, {})).body).toMatchObject({ data: ids.map((id) => ({ id })) });
    await store.close();
  });
});

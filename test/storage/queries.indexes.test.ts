import type { DBCoreOpenCursorRequest, DBCoreQueryRequest } from 'dexie';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ListParams } from '../../src/model/conversation.js';
import { listConversations } from '../../src/storage/queries.js';
import { openDatabase, type StoreDatabase, toStored } from '../../src/storage/schema.js';
import { generateConversations } from '../../src/testing/index.js';

interface Read {
  kind: 'query' | 'openCursor';
  index: string | null;
  limit: number | undefined;
  rows: number;
}

/** A database whose reads of `conversations` are recorded by a DBCore middleware. */
async function spiedDatabase(count: number) {
  const reads: Read[] = [];
  const db: StoreDatabase = openDatabase(`indexes-${count}`, {
    indexedDB: new IDBFactory(),
    IDBKeyRange,
  });
  // Middlewares must be registered before the database opens.
  db.use({
    stack: 'dbcore',
    name: 'spy',
    create: (down) => ({
      ...down,
      table: (name) => {
        const table = down.table(name);
        if (name !== 'conversations') return table;
        return {
          ...table,
          query: async (request: DBCoreQueryRequest) => {
            const result = await table.query(request);
            reads.push({
              kind: 'query',
              index: request.query.index.name,
              limit: request.limit,
              rows: result.result.length,
            });
            return result;
          },
          openCursor: async (request: DBCoreOpenCursorRequest) => {
            reads.push({
              kind: 'openCursor',
              index: request.query.index.name,
              limit: undefined,
              rows: Number.NaN,
            });
            return table.openCursor(request);
          },
        };
      },
    }),
  });
  await db.conversations.bulkPut(generateConversations(count, { seed: 8 }).map(toStored));
  reads.length = 0;
  return { db, reads };
}

describe('filtered lists read indexes, not the whole table', () => {
  let spied: Awaited<ReturnType<typeof spiedDatabase>>;
  beforeAll(async () => {
    spied = await spiedDatabase(10_000);
  });

  it.each<[ListParams, string, number]>([
    [{ muted: false, archived: false, limit: 50 }, 'a', 1], // The app's default list: one range.
    [{ muted: false, archived: false, pinned: true, limit: 5 }, 'f', 1],
    [{ archived: false, limit: 20 }, 'a', 2],
    [{ pinned: true }, 'f', 4],
    [{ muted: true, archived: true, pinned: false, limit: 5 }, 'f', 1],
    [{ group_id: 'group-1', limit: 20 }, 'g', 8],
    [{ limit: 100 }, 's', 1],
  ])(
    '%j reads index %s in %i key ranges of at most limit + 1 rows',
    async (params, index, ranges) => {
      spied.reads.length = 0;
      const page = await listConversations(spied.db, params);
      expect(page.data.length).toBe(params.limit ?? 10);
      expect(spied.reads).toHaveLength(ranges);
      for (const read of spied.reads) {
        expect(read).toMatchObject({ kind: 'query', index, limit: (params.limit ?? 10) + 1 });
        expect(read.rows).toBeLessThanOrEqual((params.limit ?? 10) + 1);
      }
    },
  );

  it('starts a cursor page at the cursor instead of skipping rows', async () => {
    const first = await listConversations(spied.db, { muted: false, limit: 50 });
    spied.reads.length = 0;
    await listConversations(spied.db, {
      muted: false,
      limit: 50,
      starting_after: first.data.at(-1)?.id,
    });
    const rowsRead = spied.reads.reduce((sum, read) => sum + read.rows, 0);
    expect(spied.reads.length).toBeGreaterThan(0);
    expect(rowsRead).toBeLessThanOrEqual(51 * 4);
  });
});

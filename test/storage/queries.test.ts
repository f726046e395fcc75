import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Conversation,
  type ConversationStore,
  type ListParams,
  ValidationError,
} from '../../src/index.js';
import { generateConversations } from '../../src/testing/index.js';
import { type LocalStore, localStore } from '../fixtures.js';

/** A brute-force reading of DESIGN section 3, to compare the indexed answers with. */
function bruteForce(rows: Conversation[], params: ListParams) {
  const limit = params.limit ?? 10;
  const list = rows
    .filter(
      (row) =>
        (params.muted === undefined || row.is_muted === params.muted) &&
        (params.pinned === undefined || row.is_pinned === params.pinned) &&
        (params.archived === undefined || (row.archived_at !== null) === params.archived) &&
        (params.group_id === undefined || row.group_id === params.group_id),
    )
    .sort((a, b) => {
      if (a.last_active_at !== b.last_active_at) {
        if (a.last_active_at === null) return 1;
        if (b.last_active_at === null) return -1;
        return b.last_active_at - a.last_active_at;
      }
      if (a.created_at !== b.created_at) return b.created_at - a.created_at;
      return a.id < b.id ? -1 : 1;
    });
  if (params.starting_after !== undefined) {
    const at = list.findIndex((row) => row.id === params.starting_after);
    const rest = list.slice(at + 1);
    return { has_more: rest.length > limit, data: rest.slice(0, limit) };
  }
  if (params.ending_before !== undefined) {
    const at = list.findIndex((row) => row.id === params.ending_before);
    const before = list.slice(0, at);
    return {
      has_more: before.length > limit,
      data: before.slice(Math.max(0, before.length - limit)),
    };
  }
  return { has_more: list.length > limit, data: list.slice(0, limit) };
}

const TABLE: ListParams[] = [
  {},
  { limit: 1 },
  { limit: 100 },
  { muted: true },
  { muted: false, limit: 30 },
  { pinned: true, limit: 30 },
  { pinned: false },
  { archived: true, limit: 25 },
  { archived: false },
  { muted: false, archived: false, limit: 50 },
  { muted: true, pinned: false, archived: true },
  { group_id: 'group-1', limit: 40 },
  { group_id: 'group-2', pinned: false },
  { group_id: 'group-0', muted: true, archived: false, pinned: false },
  { group_id: 'missing' },
];

let local: LocalStore;
let store: ConversationStore;
let rows: Conversation[];

beforeAll(async () => {
  rows = generateConversations(400, { seed: 21, groups: 3 });
  local = await localStore(rows);
  store = local.store;
});
afterAll(() => store.close());

describe('list', () => {
  it.each(TABLE.map((p) => [JSON.stringify(p), p] as const))(
    'answers %s like the API',
    async (_name, params) => {
      expect(await store.conversations.list(params)).toEqual(bruteForce(rows, params));
    },
  );

  it('defaults to 10 rows in the documented order', async () => {
    const page = await store.conversations.list();
    expect(page.data).toHaveLength(10);
    expect(page).toEqual(bruteForce(rows, {}));
  });

  it.each(TABLE.map((p) => [JSON.stringify(p), p] as const))(
    'pages %s forwards with starting_after and backwards with ending_before',
    async (_name, params) => {
      const limit = Math.min(params.limit ?? 10, 9);
      let cursor: string | undefined;
      const forwards: Conversation[] = [];
      for (;;) {
        const query = {
          ...params,
          limit,
          ...(cursor === undefined ? {} : { starting_after: cursor }),
        };
        const page = await store.conversations.list(query);
        expect(page).toEqual(bruteForce(rows, query));
        forwards.push(...page.data);
        if (!page.has_more) break;
        cursor = page.data.at(-1)?.id;
      }
      expect(forwards).toEqual(bruteForce(rows, { ...params, limit: 1000 }).data);
      let before = forwards.at(-1)?.id;
      while (before !== undefined) {
        const query = { ...params, limit, ending_before: before };
        const page = await store.conversations.list(query);
        expect(page).toEqual(bruteForce(rows, query));
        if (!page.has_more) break;
        before = page.data[0]?.id;
      }
    },
  );

  it('keeps matching the rules after local updates and deletes', async () => {
    const own = await localStore(rows.slice(0, 150));
    const current = new Map(rows.slice(0, 150).map((row) => [row.id, row]));
    for (const [index, row] of rows.slice(0, 60).entries()) {
      if (index % 3 === 0)
        current.set(
          row.id,
          await own.store.conversations.update(row.id, { is_muted: !row.is_muted }),
        );
      if (index % 3 === 1)
        current.set(
          row.id,
          await own.store.conversations.update(row.id, {
            archived_at: row.archived_at === null ? 5 : null,
            is_pinned: !row.is_pinned,
          }),
        );
      if (index % 3 === 2) {
        await own.store.conversations.delete(row.id);
        current.delete(row.id);
      }
    }
    for (const params of TABLE) {
      expect(await own.store.conversations.list(params)).toEqual(
        bruteForce([...current.values()], params),
      );
    }
    await own.store.close();
  });
});

describe('bad list parameters', () => {
  it.each([
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 1.5 }, 'limit'],
    [{ limit: '10' }, 'limit'],
    [{ muted: 'true' }, 'muted'],
    [{ archived: 1 }, 'archived'],
    [{ pinned: null }, 'pinned'],
    [{ group_id: 7 }, 'group_id'],
    [{ order: 'asc' }, 'order'],
    [{ starting_after: 'a', ending_before: 'b' }, 'ending_before'],
  ])('refuses %j naming %s', async (params, field) => {
    const error = await store.conversations.list(params as ListParams).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('refuses a cursor that is not in the filtered list', async () => {
    const muted = rows.find((row) => row.is_muted)?.id as string;
    for (const cursor of ['starting_after', 'ending_before'] as const) {
      const error = await store.conversations
        .list({ muted: false, [cursor]: muted })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ValidationError', field: cursor });
      const unknown = await store.conversations.list({ [cursor]: 'nope' }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ name: 'ValidationError', field: cursor });
    }
  });

  it('names the cursor id that is not in the filtered list in the error message', async () => {
    const muted = rows.find((row) => row.is_muted)?.id as string;
    const error = await store.conversations
      .list({ muted: false, ending_before: muted })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ValidationError',
      field: 'ending_before',
      message: `ending_before: ${muted} is not in the filtered list`,
    });
  });
});

describe('storage failures', () => {
  it('rejects list and retrieve on a closed store with a StorageError naming the read', async () => {
    const closed = await localStore(rows.slice(0, 3));
    await closed.store.close();
    const reason = 'the store is closed (close() or destroy() here, or destroy() in another tab)';
    await expect(closed.store.conversations.list()).rejects.toMatchObject({
      name: 'StorageError',
      message: `list failed: ${reason}`,
    });
    await expect(
      closed.store.conversations.retrieve((rows[0] as Conversation).id),
    ).rejects.toMatchObject({
      name: 'StorageError',
      message: `retrieve failed: ${reason}`,
    });
  });
});

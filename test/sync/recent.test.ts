/** The recent pull: the head until a page tells nothing new, and every watched list made exact. */
import { firstValueFrom, filter as rxFilter } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListParams } from '../../src/index.js';
import { generateConversations } from '../../src/testing/index.js';
import { record, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();
const subscriptions: { stop(): void }[] = [];

afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.stop();
});

const ROWS = generateConversations(250, { seed: 7 });

/** A store that walked every page of 250 rows, with the request log cleared. */
const walked = () => synced(ROWS);

/** Keeps `params` watched (a `list$` subscriber) until the test ends. */
async function watch(params: ListParams) {
  const seen = record(t.store.conversations.list$(params));
  subscriptions.push(seen);
  await firstValueFrom(t.store.conversations.list$(params));
  return seen;
}

/** The server's own answer for `params`, through the same API. */
async function serverPage(params: ListParams) {
  const query = new URLSearchParams(
    Object.entries(params).map(([key, value]) => [key, String(value)]),
  );
  const response = await t.h.server.fetch(`https://api.test/v1/conversations?${query}`, {
    headers: { authorization: 'Bearer secret-token-0b7c1f' },
  });
  return response.json();
}

describe('the head', () => {
  it('stops after one page when nothing changed', async () => {
    await walked();
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary).toMatchObject({ pull: 'recent', complete: false, error: null });
    expect(t.h.server.requests.map((r) => [r.method, r.query.starting_after])).toEqual([
      ['GET', undefined],
    ]);
  });

  it('brings new and newly active conversations with one GET when little changed', async () => {
    await walked();
    const fresh = t.h.server.insert({ contact_id: 'new-contact', last_active_at: 2_000_000_000 });
    const top = t.h.server.all()[1] as (typeof ROWS)[number];
    t.h.server.update(top.id, { is_pinned: !top.is_pinned });
    await t.store.sync.now({ pull: 'recent' });
    // Page 1 told something new, page 2 did not.
    expect(requests(t.h.server, 'GET')).toHaveLength(2);
    expect(await t.store.conversations.retrieve(fresh.id)).toEqual(fresh);
    expect((await t.store.conversations.retrieve(top.id))?.is_pinned).toBe(!top.is_pinned);
  });

  it('removes nothing the server did not answer 404 for', async () => {
    await walked();
    const deep = t.h.server.all()[200] as (typeof ROWS)[number];
    t.h.server.remove(deep.id);
    await t.store.sync.now({ pull: 'recent' });
    expect(await t.store.conversations.retrieve(deep.id)).toBeDefined();
    const summary = await t.store.sync.now({ pull: 'full' });
    expect(summary.removed).toBe(1);
    expect(await t.store.conversations.retrieve(deep.id)).toBeUndefined();
  });
});

describe('visible lists', () => {
  const params: ListParams = { muted: false, archived: false, limit: 20 };

  /**
   * A row of `list`'s local page that sits below the head's first page in the default
   * order, so that only the visible-list read can notice its change.
   */
  async function deepRow(list: ListParams) {
    const order = t.h.server.all().map((row) => row.id);
    const page = await t.store.conversations.list(list);
    const row = page.data.find((candidate) => order.indexOf(candidate.id) >= 120);
    if (row === undefined) throw new Error('no deep row in this page');
    return row;
  }

  /** A group list deep enough for {@link deepRow}. */
  const groupList = (): ListParams => ({
    group_id: ROWS.find((row) => row.group_id !== null)?.group_id as string,
    limit: 30,
  });

  /** After one recent pull the local page equals the server's answer for the same params. */
  async function expectExact(list: ListParams) {
    await t.store.sync.now({ pull: 'recent' });
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
  }

  it('costs nothing more for lists the head covers, one GET for each other list', async () => {
    await walked();
    await watch(params); // Its 21 first rows lie within the head's 100.
    const deep = { ...groupList(), limit: 60 }; // Reaches below the head.
    await watch(deep);
    await t.store.sync.now({ pull: 'recent' });
    const gets = requests(t.h.server, 'GET').map((r) => r.query);
    // The list is read with one row more than its page: its has_more is then exact.
    expect(gets).toEqual([{ limit: '100' }, { group_id: deep.group_id, limit: '61' }]);
    expect(await t.store.conversations.list(params)).toEqual(await serverPage(params));
  });

  it('works out a covered list from the head, and still makes it exact', async () => {
    await walked();
    await watch(params);
    const page = await t.store.conversations.list(params);
    t.h.server.update(page.data[4]?.id as string, { is_muted: true }); // Leaves the list.
    t.h.server.remove(page.data[7]?.id as string);
    await t.store.sync.now({ pull: 'recent' });
    const asked = requests(t.h.server, 'GET');
    expect(await t.store.conversations.list(params)).toEqual(await serverPage(params));
    // The head's two pages and one GET of the deleted row (404); not the list itself.
    expect(asked.map((r) => r.path)).toEqual([
      '/v1/conversations',
      '/v1/conversations',
      `/v1/conversations/${page.data[7]?.id}`,
    ]);
  });

  it.each([
    [
      'muted elsewhere (leaves the list)',
      (id: string) => t.h.server.update(id, { is_muted: true }),
    ],
    ['archived elsewhere', (id: string) => t.h.server.update(id, { archived_at: 1_700_000_000 })],
    ['pinned elsewhere', (id: string) => t.h.server.update(id, { is_pinned: true })],
    ['deleted elsewhere', (id: string) => t.h.server.remove(id)],
    [
      'made older elsewhere (moves down and out)',
      (id: string) => t.h.server.update(id, { last_active_at: 1 }),
    ],
  ])('makes the page exact when a listed row is %s', async (_name, change) => {
    await walked();
    const list = groupList();
    await watch(list);
    change((await deepRow(list)).id);
    await expectExact(list);
  });

  it('makes the page exact when rows enter and leave it (pinned and unpinned elsewhere)', async () => {
    await walked();
    const pinnedList: ListParams = { pinned: true, limit: 100 };
    await watch(pinnedList);
    const deep = t.h.server.all().slice(120);
    const pinned = deep.find((row) => row.is_pinned) as (typeof ROWS)[number];
    const unpinned = deep.find((row) => !row.is_pinned) as (typeof ROWS)[number];
    t.h.server.update(pinned.id, { is_pinned: false });
    t.h.server.update(unpinned.id, { is_pinned: true });
    await expectExact(pinnedList);
  });

  it('reads a list with a server-id cursor with the same cursor', async () => {
    await walked();
    const list = groupList();
    const first = await t.store.conversations.list({ ...list, limit: 5 });
    const after = { ...list, starting_after: first.data.at(-1)?.id as string };
    await watch(after);
    t.h.server.update((await deepRow(after)).id, { is_muted: true });
    await expectExact(after);
    expect(
      requests(t.h.server, 'GET').some((r) => r.query.starting_after === after.starting_after),
    ).toBe(true);
  });

  it('counts lists watched by another tab on the same database', async () => {
    await walked();
    const other = t.h.open();
    const deep = { ...groupList(), limit: 60 };
    const seen = record(other.conversations.list$(deep));
    await firstValueFrom(other.conversations.list$(deep).pipe(rxFilter(() => true)));
    try {
      await t.store.sync.now({ pull: 'recent' });
      expect(requests(t.h.server, 'GET').map((r) => r.query)).toContainEqual({
        group_id: deep.group_id,
        limit: '61',
      });
    } finally {
      seen.stop();
      await other.close();
    }
    t.h.server.clearRequests();
    await t.store.sync.now({ pull: 'recent' });
    expect(requests(t.h.server, 'GET')).toHaveLength(1); // Closed: no longer watched.
  });

  it('keeps a local pending change that moved a row into a list', async () => {
    await walked();
    const mutedList: ListParams = { muted: true, limit: 10 };
    await watch(mutedList);
    const row = t.h.server.all().find((r) => !r.is_muted) as (typeof ROWS)[number];
    await t.store.conversations.update(row.id, { is_muted: true });
    await t.store.sync.stop();
    t.h.network.offline = true;
    await t.store.sync.now({ pull: 'none' }); // Nothing reaches the server.
    t.h.network.offline = false;
    // The update was queued before a round that ended offline: it is checked and sent
    // by the next round, and the list keeps the row throughout.
    await t.store.sync.now({ pull: 'recent' });
    expect((await t.store.conversations.list(mutedList)).data.map((r) => r.id)).toContain(row.id);
    expect(t.h.server.get(row.id)?.is_muted).toBe(true);
  });
});

describe('a delete still queued', () => {
  it('is no news: the head read stops after one page while the server lists the record unchanged', async () => {
    await walked();
    const top = t.h.server.all()[0] as (typeof ROWS)[number];
    await t.store.conversations.delete(top.id);
    t.h.server.faults.failNext(503, 1, { methods: ['DELETE'] });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary).toMatchObject({ pull: 'recent', error: { status: 503 } }); // The DELETE's.
    expect(requests(t.h.server, 'DELETE')).toHaveLength(1);
    expect(requests(t.h.server, 'GET')).toHaveLength(1);
    expect(await firstValueFrom(t.store.sync.pending$)).toEqual(new Set([top.id]));
    expect(await t.store.conversations.retrieve(top.id)).toBeUndefined();
  });
});

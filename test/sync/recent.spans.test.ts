/**
 * The recent pull, continued: what the head read and each watched list cost in requests,
 * which local rows a list's span reaches (cursors both ways, spans longer than one local
 * page), what the round's summary counts, and how a failure ends the pull.
 */
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type Conversation, type ListParams, StorageError } from '../../src/index.js';
import { generateConversations } from '../../src/testing/index.js';
import {
  A,
  afterConversationWrites,
  B,
  C,
  conversation,
  type Harness,
  harness,
  record,
  requests,
  syncedSuite,
} from '../fixtures.js';

const { t, synced } = syncedSuite();
const cleanup: (() => unknown)[] = [];

/**
 * Rewrites the JSON body of each successful GET reply the store receives (the server still
 * records the request); `null`: replies pass unchanged.
 */
let edit: ((url: URL, body: unknown) => unknown) | null = null;

afterEach(async () => {
  edit = null;
  for (const step of cleanup.splice(0).reverse()) await step();
});

const ROWS = generateConversations(250, { seed: 7 });

/** The store's fetch: the harness's network, then {@link edit}. */
const editingFetch =
  (h: Harness) =>
  async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
    const url = new URL(input instanceof Request ? input.url : String(input));
    const response = await h.network.fetch(input, init);
    if (edit === null || method.toUpperCase() !== 'GET' || !response.ok) return response;
    const body = edit(url, await response.json());
    return new Response(JSON.stringify(body), {
      status: response.status,
      headers: response.headers,
    });
  };

/** A store that walked every page of `seed` (250 rows by default), with the request log cleared. */
const walked = (seed: Conversation[] = ROWS) => synced(seed, (h) => ({ fetch: editingFetch(h) }));

/** Keeps `params` watched (a `list$` subscriber) until the test ends. */
async function watch(params: ListParams) {
  const seen = record(t.store.conversations.list$(params));
  cleanup.push(seen.stop);
  await firstValueFrom(t.store.conversations.list$(params));
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

/** The id of the row at `index` of the server's default list. */
const at = (index: number) => t.h.server.all()[index]?.id as string;

/** The GETs the server received: the path, and the query when there is one. */
const gets = () =>
  requests(t.h.server, 'GET').map((r) =>
    Object.keys(r.query).length === 0 ? r.path : { path: r.path, ...r.query },
  );

const HEAD = { path: '/v1/conversations', limit: '100' };
// A watched list is read with one row more than its page (its `has_more` is then exact).
const byId = (id: string) => `/v1/conversations/${id}`;

/**
 * group-1 of {@link ROWS}: 16 rows at positions 16, 20, 46, 81, 86 (inside the head's first
 * page of 100), then 107, 109, 116, 149, 193 and below.
 */
const GROUP = 'group-1';
const DEEP = 149;

describe('the head read', () => {
  it('reads on after a page with a malformed row, even when its valid rows are known', async () => {
    await walked();
    t.h.server.faults.malformNextList(1);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.skipped).toBe(1);
    expect(gets()).toEqual([HEAD, { ...HEAD, starting_after: at(99) }]);
  });

  it('asks the server for a list it covers when a head page had a malformed row', async () => {
    await walked();
    const list: ListParams = { muted: false, archived: false, limit: 20 };
    await watch(list);
    t.h.server.faults.malformNextList(1);
    await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([
      HEAD,
      { ...HEAD, starting_after: at(99) },
      { path: '/v1/conversations', muted: 'false', archived: 'false', limit: '21' },
    ]);
  });

  it('stops at the last page of the list, even when it told something new', async () => {
    await walked([A, B, C]);
    t.h.server.insert({ contact_id: 'new-contact', last_active_at: 400 });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.pulled).toBe(1);
    expect(gets()).toEqual([HEAD]);
  });

  it('counts the rows it changed in the summary', async () => {
    await walked();
    t.h.server.insert({ contact_id: 'new-contact', last_active_at: 2_000_000_000 });
    t.h.server.update(at(1), { is_pinned: !t.h.server.all()[1]?.is_pinned });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary).toMatchObject({ pull: 'recent', pulled: 2, removed: 0, conflicts: 0 });
  });

  it('counts the conflicts its pages revealed in the summary', async () => {
    await walked();
    const id = at(0);
    await t.store.conversations.update(id, { pinned_message_id: 'msg-mine' });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // The update stays queued.
    t.h.server.update(id, { pinned_message_id: 'msg-theirs' });
    const conflicts = record(t.store.sync.conflicts$);
    cleanup.push(conflicts.stop);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(conflicts.values.map((c) => [c.id, c.kind])).toEqual([[id, 'field']]);
    expect(summary.conflicts).toBe(1);
  });

  it('ends with an error naming the cause when a page that told something new has no cursor', async () => {
    await walked();
    t.h.server.insert({ contact_id: 'new-contact', last_active_at: 2_000_000_000 });
    // Each list page says more follows, and ends with a row without an id.
    edit = (_url, body) => ({
      ...(body as object),
      has_more: true,
      data: [...(body as { data: unknown[] }).data, {}],
    });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.error).toBeInstanceOf(ApiError);
    expect(summary.error?.message).toBe(
      'The list pages gave no usable cursor; the head read stopped',
    );
    expect(gets()).toEqual([HEAD]);
  });

  it('still reads every watched list when the head read failed, and reports the head’s error', async () => {
    await walked();
    await watch({ group_id: GROUP, limit: 30 });
    edit = (url, body) => (url.searchParams.has('group_id') ? body : { data: 'not a page' });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.error?.message).toMatch(/malformed list page/);
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', group_id: GROUP, limit: '31' }]);
  });
});

describe('lists worked out from the head', () => {
  it('reads a list with a starting_after cursor from the server, and makes it exact', async () => {
    await walked();
    const list: ListParams = { limit: 5, starting_after: at(2) };
    await watch(list);
    const deleted = at(5); // Inside the list's page.
    t.h.server.remove(deleted);
    await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([
      HEAD,
      { path: '/v1/conversations', limit: '6', starting_after: list.starting_after },
      byId(deleted),
    ]);
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
  });

  it('reads a list with an ending_before cursor from the server, and makes it exact', async () => {
    await walked();
    const list: ListParams = { limit: 5, ending_before: at(10) };
    await watch(list);
    const deleted = at(7); // Inside the list's page (rows 5 to 9).
    t.h.server.remove(deleted);
    await t.store.sync.now({ pull: 'recent' });
    // Only the row the server no longer lists inside the page's span is read by id.
    expect(gets()).toEqual([
      HEAD,
      { path: '/v1/conversations', limit: '6', ending_before: list.ending_before },
      byId(deleted),
    ]);
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
    expect(await t.store.conversations.retrieve(deleted)).toBeUndefined();
  });

  it('asks the server when the head holds exactly `limit` matching rows but not one more', async () => {
    await walked();
    const list: ListParams = { group_id: GROUP, limit: 5 }; // 5 in the head, 11 below.
    await watch(list);
    await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', group_id: GROUP, limit: '6' }]);
  });

  it('reads nothing by id below the page of a list the head covers', async () => {
    await walked();
    const list: ListParams = { muted: false, archived: false, limit: 5 };
    await watch(list);
    const matching = t.h.server.all().filter((row) => !row.is_muted && row.archived_at === null);
    t.h.server.remove(matching[9]?.id as string); // In the head's page, below the list's.
    await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD]);
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
  });

  it('makes a list exact to its end when the head read the whole list', async () => {
    const D = conversation({ id: 'DDDDDDDDDDDDDDDD', last_active_at: 50 });
    await walked([A, B, C, D]);
    const list: ListParams = { limit: 3 };
    await watch(list);
    t.h.server.remove(D.id); // The server's page is now all of its list: has_more false.
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(await t.store.conversations.list(list)).toEqual({ data: [A, B, C], has_more: false });
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
    expect(summary.removed).toBe(1);
  });
});

describe('spans longer than one local page', () => {
  it('reads by id each row the server dropped from a 100-row page, once', async () => {
    await walked();
    const list: ListParams = { limit: 100 };
    await watch(list);
    const [first, second] = [at(50), at(100)]; // The span runs to row 101: 102 local rows.
    t.h.server.remove(first);
    t.h.server.remove(second);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD, HEAD, byId(first), byId(second)]);
    expect(summary.removed).toBe(2);
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
  });

  it('walks up an ending_before span past one local page, reading each dropped row once', async () => {
    await walked();
    const list: ListParams = { limit: 100, ending_before: at(150) };
    await watch(list);
    // The server's page becomes rows 48 to 149 but these two: 102 local rows.
    const [first, second] = [at(80), at(49)];
    t.h.server.remove(first);
    t.h.server.remove(second);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([
      HEAD,
      { path: '/v1/conversations', limit: '100', ending_before: list.ending_before },
      byId(first),
      byId(second),
    ]);
    expect(summary.removed).toBe(2);
    expect(await t.store.conversations.list(list)).toEqual(await serverPage(list));
  });
});

describe('rows the server did not list', () => {
  /** A list only a GET of its own makes exact: group-1 rows that are not muted. */
  const unmuted: ListParams = { group_id: GROUP, muted: false, limit: 30 };
  const groupList: ListParams = { group_id: GROUP, limit: 30 };

  it('counts a row that left the list, read by id, as pulled', async () => {
    await walked();
    await watch(unmuted);
    const id = at(DEEP);
    t.h.server.update(id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'recent' });
    const read = { ...strings(unmuted), limit: String((unmuted.limit ?? 10) + 1) }; // One more.
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', ...read }, byId(id)]);
    expect(summary.pulled).toBe(1);
    expect((await t.store.conversations.retrieve(id))?.is_muted).toBe(true);
  });

  it('counts a conflict found by reading a row that left the list', async () => {
    await walked();
    await watch(unmuted);
    const id = at(DEEP);
    await t.store.conversations.update(id, { pinned_message_id: 'msg-mine' });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // The update stays queued.
    t.h.server.update(id, { is_muted: true, pinned_message_id: 'msg-theirs' });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toContain(byId(id));
    expect(summary.conflicts).toBe(1);
  });

  it('keeps a row whose read by id gave no valid conversation', async () => {
    await walked();
    await watch(unmuted);
    const id = at(DEEP);
    t.h.server.update(id, { is_muted: true });
    edit = (url, body) =>
      url.pathname === byId(id) ? { ...(body as object), is_muted: 'yes' } : body;
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toContain(byId(id));
    expect(await t.store.conversations.retrieve(id)).toBeDefined();
    expect(summary.removed).toBe(0);
  });

  it('counts a row removed after a 404 in the summary', async () => {
    await walked();
    await watch(groupList);
    const id = at(DEEP);
    t.h.server.remove(id);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary).toMatchObject({ removed: 1, conflicts: 0 });
    expect(await t.store.conversations.retrieve(id)).toBeUndefined();
  });

  it('counts the deleted conflict of a removed row with queued updates', async () => {
    await walked();
    await watch(groupList);
    const id = at(DEEP);
    await t.store.conversations.update(id, { is_pinned: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // The update stays queued.
    t.h.server.remove(id);
    const conflicts = record(t.store.sync.conflicts$);
    cleanup.push(conflicts.stop);
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(conflicts.values.map((c) => [c.id, c.kind])).toEqual([[id, 'deleted']]);
    expect(summary).toMatchObject({ removed: 1, conflicts: 1 });
  });

  it('counts the conflicts a list page revealed', async () => {
    await walked();
    await watch(groupList);
    const id = at(DEEP);
    await t.store.conversations.update(id, { pinned_message_id: 'msg-mine' });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // The update stays queued.
    t.h.server.update(id, { pinned_message_id: 'msg-theirs' });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', group_id: GROUP, limit: '31' }]);
    expect(summary.conflicts).toBe(1);
  });

  it('counts what a list page changed as pulled', async () => {
    await walked();
    await watch(groupList);
    const id = at(DEEP);
    t.h.server.update(id, { is_pinned: !t.h.server.all()[DEEP]?.is_pinned });
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', group_id: GROUP, limit: '31' }]);
    expect(summary.pulled).toBe(1);
  });

  it('does not read a local create that has no server id yet', async () => {
    await walked();
    await watch(groupList); // All 16 rows of the group: the span runs to the end.
    const created = await t.store.conversations.create({ group_id: GROUP });
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] }); // Stays a local create.
    await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD, { path: '/v1/conversations', group_id: GROUP, limit: '31' }]);
    expect((await t.store.conversations.list(groupList)).data.map((r) => r.id)).toContain(
      created.id,
    );
  });
});

describe('how the recent pull ends', () => {
  it('leaves a list whose cursor is a temporary id to the walks', async () => {
    await walked();
    const created = await t.store.conversations.create({ contact_id: 'new-contact' });
    await watch({ limit: 5, starting_after: created.id });
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] }); // Stays a local create.
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(gets()).toEqual([HEAD]);
    expect(summary.error).toBeInstanceOf(ApiError);
    expect((summary.error as ApiError).status).toBe(503); // The push's, not a pull's.
  });

  it('reads the next list after one answered with something that is not a page', async () => {
    await walked();
    const other = 'group-3';
    await watch({ group_id: GROUP, limit: 30 });
    await watch({ group_id: other, limit: 30 });
    edit = (url, body) =>
      url.searchParams.get('group_id') === GROUP ? { data: 'not a page' } : body;
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.error?.message).toMatch(/malformed list page/);
    expect(gets()).toEqual([
      HEAD,
      { path: '/v1/conversations', group_id: GROUP, limit: '31' },
      { path: '/v1/conversations', group_id: other, limit: '31' },
    ]);
  });

  it('reports a storage failure while merging as a StorageError of the pull', async () => {
    t.h = harness(ROWS);
    const disk = { full: false };
    cleanup.push(
      afterConversationWrites(t.h.databaseName, (type) => {
        if (disk.full && type === 'put') throw new Error('the disk is full');
      }),
    );
    t.store = t.h.open();
    await t.store.sync.now();
    t.h.server.insert({ contact_id: 'new-contact', last_active_at: 2_000_000_000 });
    disk.full = true;
    const summary = await t.store.sync.now({ pull: 'recent' });
    expect(summary.state).toBe('error');
    expect(summary.error).toBeInstanceOf(StorageError);
    expect(summary.error?.message).toMatch(/^pull failed: /);
  });
});

/** List parameters as the server records them in a query. */
function strings(params: ListParams): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([key, value]) => [key, String(value)]));
}

import { describe, expect, it, vi } from 'vitest';
import type { Conflict } from '../../src/index.js';
import { generateConversations } from '../../src/testing/index.js';
import {
  A,
  afterConversationWrites,
  B,
  C,
  FAKE_TIMERS,
  type Harness,
  harness,
  record,
  requests,
  syncedSuite,
  until,
} from '../fixtures.js';

/** The store under test (`t.store`) and its harness (`t.h`); closed after each test. */
const { t, synced } = syncedSuite();

describe('pull', () => {
  it('walks every page with starting_after cursors, then reads the head once', async () => {
    const rows = generateConversations(250, { seed: 2 });
    t.h = harness(rows);
    t.store = t.h.open();
    const summary = await t.store.sync.now();
    const lists = requests(t.h.server, 'GET');
    expect(lists.map((r) => r.query)).toEqual([
      { limit: '100' },
      { limit: '100', starting_after: rows.length > 0 ? t.h.server.all()[99]?.id : '' },
      { limit: '100', starting_after: t.h.server.all()[199]?.id },
      { limit: '100' }, // The head read: nothing moved up meanwhile.
    ]);
    expect(summary).toMatchObject({ pulled: 250, complete: true, state: 'idle' });
    expect((await t.store.conversations.list({ limit: 100 })).data).toEqual(
      t.h.server.all().slice(0, 100),
    );
  });

  it('uses the configured page size', async () => {
    t.h = harness(generateConversations(25, { seed: 3 }));
    t.store = t.h.open({ sync: { auto: false, pageSize: 10 } });
    await t.store.sync.now();
    expect(requests(t.h.server, 'GET')).toHaveLength(4); // 3 pages and the head.
  });

  it('gives records without local changes the server state', async () => {
    await synced();
    t.h.server.update(A.id, { is_muted: true, last_active_at: 999 });
    const summary = await t.store.sync.now();
    expect(summary.pulled).toBe(1);
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
  });

  it('rebases a pending local change so that both devices’ edits to different fields survive', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.update(A.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const conflicts: Conflict[] = [];
    t.store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    await t.store.sync.now(); // The PUT failed; the pull rebases the pending change.
    expect(await t.store.conversations.retrieve(A.id)).toMatchObject({
      is_pinned: true,
      is_muted: true,
    });
    expect(conflicts).toEqual([]);
    await t.store.sync.now();
    expect(t.h.server.get(A.id)).toMatchObject({ is_pinned: true, is_muted: true });
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
  });

  it('keeps the local change of a field both sides changed by default, and reports the conflict', async () => {
    await synced();
    await t.store.conversations.update(A.id, { archived_at: 111 });
    t.h.server.update(A.id, { archived_at: 222 });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const conflicts: Conflict[] = [];
    t.store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    await t.store.sync.now();
    expect((await t.store.conversations.retrieve(A.id))?.archived_at).toBe(111);
    expect(conflicts).toEqual([
      expect.objectContaining({ id: A.id, kind: 'field', fields: ['archived_at'] }),
    ]);
    expect(conflicts[0]?.server?.archived_at).toBe(222);
    await t.store.sync.now();
    expect(t.h.server.get(A.id)?.archived_at).toBe(111);
  });

  it('lets resolveConflict decide differently: here the server wins the field', async () => {
    await synced(undefined, {
      resolveConflict: ({ pending, fields }) => {
        const kept = { ...pending };
        for (const field of fields) delete kept[field];
        return kept;
      },
    });
    await t.store.conversations.update(A.id, { archived_at: 111, is_muted: true });
    t.h.server.update(A.id, { archived_at: 222 });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(A.id)).toMatchObject({
      archived_at: 222,
      is_muted: true,
    });
    await t.store.sync.now();
    // The failed PUT had already left, so it is resent as it was (same Idempotency-Key);
    // the resolution queues the server's value behind it.
    expect(t.h.server.get(A.id)).toMatchObject({ archived_at: 222, is_muted: true });
    expect(await t.store.conversations.retrieve(A.id)).toEqual(t.h.server.get(A.id));
  });

  it('removes a record the server no longer lists, but only after a complete listing', async () => {
    const rows = generateConversations(30, { seed: 4 });
    t.h = harness(rows);
    let failSecondPage = false;
    let gets = 0;
    t.store = t.h.open({
      sync: { auto: false, pageSize: 10 },
      fetch: async (input, init) => {
        const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
        if (method.toUpperCase() === 'GET' && failSecondPage && ++gets === 2) {
          throw new TypeError('Failed to fetch');
        }
        return t.h.network.fetch(input, init);
      },
    });
    await t.store.sync.now();
    const gone = t.h.server.all()[25]?.id as string;
    t.h.server.remove(gone);
    failSecondPage = true;
    const incomplete = await t.store.sync.now();
    expect(incomplete).toMatchObject({ complete: false, removed: 0, state: 'offline' });
    expect(await t.store.conversations.retrieve(gone)).toBeDefined();
    const complete = await t.store.sync.now();
    expect(complete).toMatchObject({ complete: true, removed: 1 });
    expect(await t.store.conversations.retrieve(gone)).toBeUndefined();
    expect((await t.store.conversations.list({ limit: 100 })).data).toEqual(t.h.server.all());
  });

  // A row that moves to an earlier page during the walk is not listed by it: the head read
  // that ends the walk names it, with its pending update rebased.
  it('keeps a record with a pending update that moved to an already-read page during the walk', async () => {
    t.h = harness([A, B, C]);
    const { server, network } = t.h;
    let listPages = 0;
    let moveC = false;
    t.store = t.h.open({
      sync: { auto: false, pageSize: 1 },
      fetch: async (input, init) => {
        const reply = await network.fetch(input, init);
        const url = new URL(input instanceof Request ? input.url : String(input));
        const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
        if (method === 'GET' && url.pathname === '/v1/conversations' && ++listPages === 1) {
          // Another device touches C once page 1 (A) was served: C jumps ahead of the cursor.
          if (moveC) server.update(C.id, { last_active_at: 400 });
        }
        return reply;
      },
    });
    await t.store.sync.now();
    await t.store.conversations.update(C.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // The update stays pending.
    t.h.server.clearRequests();
    listPages = 0;
    moveC = true;
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, removed: 0 });
    const lists = requests(t.h.server, 'GET').filter((r) => r.path === '/v1/conversations');
    // The walk never lists C; the head read finds it on top, then stops at a page of no news.
    expect(lists.map((r) => r.query.starting_after ?? null)).toEqual([null, A.id, null, C.id]);
    expect(requests(t.h.server, 'GET').map((r) => r.path)).not.toContain(
      `/v1/conversations/${C.id}`,
    );
    expect(await t.store.conversations.retrieve(C.id)).toEqual({
      ...C,
      last_active_at: 400,
      is_muted: true,
    });
    expect((await t.h.dump()).outbox).toEqual([
      expect.objectContaining({ recordId: C.id, op: 'update', patch: { is_muted: true } }),
    ]);
    await t.store.sync.now();
    expect(t.h.server.get(C.id)).toMatchObject({ is_muted: true, last_active_at: 400 });
  });

  it('keeps a pending delete deleted whatever the pull lists', async () => {
    await synced();
    await t.store.conversations.delete(A.id);
    t.h.server.faults.failNext(503, 1, { methods: ['DELETE'] });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    expect(t.h.server.get(A.id)).toBeDefined();
    await t.store.sync.now();
    expect(t.h.server.get(A.id)).toBeUndefined();
  });

  it('does not show a conversation twice when the reply to its create was lost', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'k-lost' });
    t.h.server.faults.loseNextReply(1, { methods: ['POST'] });
    await t.store.sync.now(); // The server has it; the round ended offline, without a pull.
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] });
    await t.store.sync.now(); // The create is still unsettled; the pull lists the server's copy.
    expect(requests(t.h.server, 'GET').length).toBeGreaterThan(0);
    const copies = (await t.store.conversations.list({ limit: 100 })).data.filter(
      (row) => row.contact_id === 'k-lost',
    );
    expect(copies.map((row) => row.id)).toEqual([created.id]);
    await t.store.conversations.update(created.id, { is_pinned: true });
    await t.store.sync.now();
    const settled = (await t.store.conversations.list({ limit: 100 })).data.filter(
      (row) => row.contact_id === 'k-lost',
    );
    expect(settled).toHaveLength(1);
    expect(settled[0]).toEqual(t.h.server.all().find((row) => row.contact_id === 'k-lost'));
    expect(settled[0]?.is_pinned).toBe(true);
  });

  it('keeps a pending create that the server cannot list yet', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'k1' });
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] });
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(true);
    expect(await t.store.conversations.retrieve(created.id)).toBeDefined();
  });

  it('drops the pending updates of a record deleted on the server and reports it', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    t.h.server.remove(A.id);
    const conflicts: Conflict[] = [];
    t.store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    const summary = await t.store.sync.now();
    expect(summary.removed).toBe(1);
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    expect(conflicts).toEqual([
      expect.objectContaining({ id: A.id, kind: 'deleted', fields: ['is_muted'], server: null }),
    ]);
    expect((await t.h.dump()).outbox).toEqual([]);
  });

  it('skips malformed rows, reports them, and stores the others', async () => {
    t.h = harness([A, B, C]);
    t.store = t.h.open();
    t.h.server.faults.malformNextList(1, { row: 'wrong-type' });
    const summary = await t.store.sync.now();
    expect(summary.skipped).toBeGreaterThanOrEqual(1);
    expect(summary.error).toMatchObject({ name: 'ApiError', type: 'invalid_response' });
    const stored = (await t.h.dump()).conversations as { id: string; is_muted: unknown }[];
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.every((row) => typeof row.is_muted === 'boolean')).toBe(true);
    const status = await until(t.store.sync.status$, (s) => s.lastError !== null);
    expect(status.lastError?.name).toBe('ApiError');
  });

  // Regression (issue 19d): a malformed row still names its id; a complete walk must
  // count it as listed, not as deleted on the server.
  it.each(['wrong-type', 'missing-field'] as const)(
    'keeps a stored record whose row comes back malformed (%s) in a complete walk',
    async (row) => {
      await synced();
      expect(await t.store.conversations.retrieve(A.id)).toEqual(A);
      t.h.server.faults.malformNextList(1, { row }); // The first row, A, is broken.
      const summary = await t.store.sync.now();
      expect(summary).toMatchObject({ complete: true, skipped: 1, removed: 0 });
      expect(summary.error).toMatchObject({ name: 'ApiError', type: 'invalid_response' });
      expect(await t.store.conversations.retrieve(A.id)).toEqual(A);
      expect((await t.store.conversations.list({ limit: 100 })).data).toEqual([A, B, C]);
    },
  );

  it('keeps rows with prototype-polluting keys, dropping those keys, without polluting anything', async () => {
    t.h = harness([A, B, C]);
    t.store = t.h.open();
    t.h.server.faults.malformNextList(1, { row: 'proto' });
    const summary = await t.store.sync.now();
    expect(summary.skipped).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await t.store.conversations.retrieve('PollutingRow0000')).toEqual({
      ...A,
      id: 'PollutingRow0000',
    });
    const stored = JSON.stringify(await t.h.dump());
    expect(stored).not.toContain('__proto__');
    expect(stored).not.toContain('polluted');
  });

  it('treats a list page that is not JSON as an incomplete walk', async () => {
    await synced();
    t.h.server.remove(A.id);
    t.h.server.faults.malformNextList(1, { row: 'not-json' });
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(false);
    expect(summary.error).toMatchObject({ name: 'ApiError', type: 'invalid_response' });
    expect(await t.store.conversations.retrieve(A.id)).toBeDefined();
  });
});

describe('the complete walk across interruptions', () => {
  function interruptible(rows = generateConversations(30, { seed: 4 })) {
    t.h = harness(rows);
    const control = { failAtGet: 0, gets: 0 };
    t.store = t.h.open({
      sync: { auto: false, pageSize: 10 },
      fetch: async (input, init) => {
        const method = input instanceof Request ? input.method : (init?.method ?? 'GET');
        if (method.toUpperCase() === 'GET' && ++control.gets === control.failAtGet) {
          throw new TypeError('Failed to fetch');
        }
        return t.h.network.fetch(input, init);
      },
    });
    return control;
  }

  it('resumes from its stored cursor after going offline, and still removes only what it proved gone', async () => {
    const control = interruptible();
    await t.store.sync.now();
    const gone = t.h.server.all()[25]?.id as string;
    t.h.server.remove(gone);
    t.h.server.clearRequests();
    control.gets = 0;
    control.failAtGet = 3; // Pages 1 and 2 arrive, page 3 fails.
    expect(await t.store.sync.now()).toMatchObject({ complete: false, removed: 0 });
    expect(await t.store.conversations.retrieve(gone)).toBeDefined();
    const lastOfPage2 = t.h.server.all()[19]?.id;
    t.h.server.clearRequests();
    const resumed = await t.store.sync.now();
    expect(resumed).toMatchObject({ complete: true, removed: 1 });
    // The walk went on from page 3 instead of starting over; the head followed; the record
    // it did not name was read by id, and only that 404 removed it.
    const gets = requests(t.h.server, 'GET');
    expect(gets.map((r) => [r.path, r.query.starting_after])).toEqual([
      ['/v1/conversations', lastOfPage2],
      ['/v1/conversations', undefined],
      [`/v1/conversations/${gone}`, undefined],
    ]);
    expect(await t.store.conversations.retrieve(gone)).toBeUndefined();
    expect((await t.store.conversations.list({ limit: 100 })).data).toEqual(t.h.server.all());
  });

  it('resumes after a reload (a new store on the same database)', async () => {
    const control = interruptible();
    control.failAtGet = 2;
    await t.store.sync.now();
    await t.store.close();
    t.store = t.h.open({ sync: { auto: false, pageSize: 10 } });
    t.h.server.clearRequests();
    expect(await t.store.sync.now()).toMatchObject({ complete: true });
    expect(requests(t.h.server, 'GET')[0]?.query.starting_after).toBe(t.h.server.all()[9]?.id);
    expect((await t.store.conversations.list({ limit: 100 })).data).toEqual(t.h.server.all());
  });

  it('starts over when the stored walk is older than fullSyncMs', async () => {
    const control = interruptible();
    control.failAtGet = 2;
    await t.store.sync.now();
    await t.store.close();
    t.store = t.h.open({ sync: { auto: false, pageSize: 10, fullSyncMs: 0 } });
    t.h.server.clearRequests();
    await t.store.sync.now();
    expect(requests(t.h.server, 'GET')[0]?.query.starting_after).toBeUndefined();
  });

  it('shows its progress in status$ while it runs, then hasSynced', async () => {
    interruptible();
    const statuses = record(t.store.sync.status$);
    await t.store.sync.now();
    const progress = statuses.values.map((s) => s.progress).filter((p) => p !== null);
    expect(progress).toEqual([
      { pages: 0, rows: 0 },
      { pages: 1, rows: 10 },
      { pages: 2, rows: 20 },
    ]);
    expect(statuses.values.at(-1)).toMatchObject({ progress: null, hasSynced: true });
    statuses.stop();
  });

  it('firstSync() resolves once a complete walk has finished, not before', async () => {
    const control = interruptible();
    control.failAtGet = 2;
    let done = false;
    const first = t.store.sync.firstSync().then(() => {
      done = true;
    });
    await t.store.sync.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    await t.store.sync.now();
    await first;
    expect(done).toBe(true);
  });

  it('stops on a cursor that loops back, incomplete, removing nothing', async () => {
    const rows = generateConversations(3, { seed: 5 });
    t.h = harness(rows);
    const [a, b] = rows;
    let gets = 0;
    t.store = t.h.open({
      sync: { auto: false, pageSize: 1 },
      fetch: async () => {
        gets += 1;
        // Page after A gives B, page after B gives A: forever.
        const row = gets % 2 === 1 ? a : b;
        return Response.json({ has_more: true, data: [row] });
      },
    });
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(false);
    expect(summary.error?.message).toMatch(/cursor/);
    expect(gets).toBeLessThan(5);
  });
});

describe('the complete walk: what it reports, what it reads, where it resumes', () => {
  const T = 1_750_000_000_000;
  const listPath = '/v1/conversations';
  const method = (input: RequestInfo | URL, init?: RequestInit) =>
    (input instanceof Request ? input.method : (init?.method ?? 'GET')).toUpperCase();
  const pathOf = (input: RequestInfo | URL) =>
    new URL(input instanceof Request ? input.url : String(input)).pathname;

  /**
   * 30 rows, pages of 10; `answer(n)` may replace the n-th list GET's reply (1-based),
   * or throw for it. Returns the counter of list GETs.
   */
  function walkStore(
    answer: (n: number) => Response | null,
    options: Parameters<Harness['open']>[0] = {},
  ) {
    t.h = harness(generateConversations(30, { seed: 6 }));
    const control = { lists: 0 };
    t.store = t.h.open({
      sync: { auto: false, pageSize: 10, ...options.sync },
      fetch: async (input, init) => {
        if (method(input, init) === 'GET' && pathOf(input) === listPath) {
          const replaced = answer(++control.lists);
          if (replaced !== null) return replaced;
        }
        return t.h.network.fetch(input, init);
      },
    });
    return control;
  }
  const offline = (): Response => {
    throw new TypeError('Failed to fetch');
  };
  const listCursors = () =>
    requests(t.h.server, 'GET')
      .filter((r) => r.path === listPath)
      .map((r) => r.query.starting_after ?? null);

  it('names what was wrong with a list reply that is not a page, and stops there', async () => {
    walkStore(() => Response.json({ data: [] })); // No has_more.
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: false, skipped: 1, state: 'error' });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      message: 'Skipped a malformed list page: expected { has_more, data }',
    });
  });

  it('counts the field conflicts of its pages in the summary', async () => {
    await synced();
    await t.store.conversations.update(A.id, { archived_at: 111 });
    t.h.server.update(A.id, { archived_at: 222 });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, conflicts: 1 });
  });

  it('counts the updates it dropped for a record deleted on the server as conflicts', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    t.h.server.remove(A.id);
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, removed: 1, conflicts: 1 });
  });

  it('keeps an unlisted record when reading it by id fails, and the walk is not complete', async () => {
    t.h = harness([A, B, C]);
    let failReads = false;
    t.store = t.h.open({
      fetch: async (input, init) => {
        if (failReads && method(input, init) === 'GET' && pathOf(input) === `${listPath}/${A.id}`) {
          throw new TypeError('Failed to fetch');
        }
        return t.h.network.fetch(input, init);
      },
    });
    await t.store.sync.now();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    t.h.server.remove(A.id);
    failReads = true;
    const conflicts: Conflict[] = [];
    t.store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: false, removed: 0, conflicts: 0, state: 'offline' });
    expect(await t.store.conversations.retrieve(A.id)).toEqual({ ...A, is_muted: true });
    expect((await t.h.dump()).outbox).toEqual([
      expect.objectContaining({ recordId: A.id, op: 'update', patch: { is_muted: true } }),
    ]);
    expect(conflicts).toEqual([]);
  });

  it('resumes a stored walk exactly fullSyncMs after it started', async () => {
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
    const control = walkStore((n) => (n === 2 ? offline() : null), {
      sync: { fullSyncMs: 60_000 },
    });
    expect(await t.store.sync.now()).toMatchObject({ complete: false, state: 'offline' });
    control.lists = 100; // No more failures.
    t.h.server.clearRequests();
    vi.setSystemTime(T + 60_000);
    expect(await t.store.sync.now()).toMatchObject({ complete: true });
    expect(listCursors()).toEqual([t.h.server.all()[9]?.id, t.h.server.all()[19]?.id, null]);
  });

  it('stops a resumed walk whose next page ends at its own cursor, with one GET', async () => {
    t.h = harness([A, B, C]);
    const cursors: (string | null)[] = [];
    let stuck = false;
    t.store = t.h.open({
      sync: { auto: false, pageSize: 1 },
      fetch: async (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (method(input, init) === 'GET' && url.pathname === listPath) {
          cursors.push(url.searchParams.get('starting_after'));
          if (stuck) return Response.json({ has_more: true, data: [A] }); // The page after A is A.
          if (cursors.length === 2) throw new TypeError('Failed to fetch');
        }
        return t.h.network.fetch(input, init);
      },
    });
    expect(await t.store.sync.now()).toMatchObject({ complete: false, state: 'offline' });
    expect(cursors).toEqual([null, A.id]);
    stuck = true;
    cursors.length = 0;
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(false);
    expect(summary.error?.message).toMatch(/cursor/);
    expect(cursors).toEqual([A.id]);
  });

  it('reads a resumed walk’s refused cursor (400) by id, removes it on its 404, and goes on from the top', async () => {
    walkStore((n) => (n === 2 ? offline() : null));
    expect(await t.store.sync.now()).toMatchObject({ complete: false, state: 'offline' });
    const cursor = t.h.server.all()[9]?.id as string;
    t.h.server.remove(cursor);
    t.h.server.clearRequests();
    const resumed = await t.store.sync.now();
    expect(resumed).toMatchObject({ complete: true, removed: 1, error: null, state: 'idle' });
    const all = t.h.server.all();
    expect(listCursors()).toEqual([cursor, null, all[9]?.id, all[19]?.id, null]);
    expect(requests(t.h.server, 'GET').map((r) => r.path)).toContain(`${listPath}/${cursor}`);
    expect(await t.store.conversations.retrieve(cursor)).toBeUndefined();
    expect((await t.store.conversations.list({ limit: 100 })).data).toEqual(all);
  });

  it('resumes where it stopped after a server error (503) on a page', async () => {
    walkStore((n) =>
      n === 2 ? Response.json({ type: 'api_error', message: 'Down' }, { status: 503 }) : null,
    );
    const failed = await t.store.sync.now();
    expect(failed).toMatchObject({ complete: false, state: 'error' });
    expect(failed.error).toMatchObject({ name: 'ApiError', status: 503 });
    t.h.server.clearRequests();
    expect(await t.store.sync.now()).toMatchObject({ complete: true });
    expect(listCursors()).toEqual([t.h.server.all()[9]?.id, t.h.server.all()[19]?.id, null]);
  });

  it('reports a failed IndexedDB write during the walk as a StorageError of the pull', async () => {
    t.h = harness([A, B, C]);
    const stop = afterConversationWrites(t.h.databaseName, () => {
      throw new Error('the disk is on fire');
    });
    try {
      t.store = t.h.open();
      const summary = await t.store.sync.now();
      expect(summary).toMatchObject({ complete: false, state: 'error' });
      expect(summary.error).toMatchObject({
        name: 'StorageError',
        message: 'pull failed: the disk is on fire',
      });
    } finally {
      stop();
    }
  });
});

describe('the ids a walk has seen', () => {
  it('are its own pages only: a later walk over several pages removes what the server deleted', async () => {
    const rows = generateConversations(250, { seed: 5 });
    t.h = harness(rows);
    t.store = t.h.open({ sync: { auto: false } });
    await t.store.sync.now(); // Leaves the store's bookkeeping (last sync times) behind.
    const gone = t.h.server.all()[150]?.id as string;
    t.h.server.remove(gone);
    const summary = await t.store.sync.now();
    expect(summary).toMatchObject({ complete: true, removed: 1, error: null });
    expect(await t.store.conversations.retrieve(gone)).toBeUndefined();
    expect((await t.h.dump()).conversations).toHaveLength(249);
  });
});

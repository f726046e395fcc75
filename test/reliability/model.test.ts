/**
 * Model-based reliability test: random sequences of local writes, another device's
 * writes, offline spells, injected 5xx/429, replies lost after the server applied the
 * write, restarts (close and reopen), sync rounds of every kind (full, recent, push only),
 * `sync.refresh` of random ids, and watched lists that recent pulls make exact. After the faults clear and sync
 * settles, the store must equal the server (less what the quota manager evicted), the
 * outbox must be empty, no create may be duplicated, and every local write on a record
 * nobody else touched must be on the server.
 *
 * The server also moves while the store reads (`faults.onList`): between or while it
 * answers the list pages of a round (a full walk, a recent pull, a walk resumed after an
 * offline spell or a restart) a row gets a message and jumps to the top (from the unread
 * part, or from the part already read), rows are deleted in the read and the unread part,
 * the row the request's cursor names is deleted (400 for that request), rows are created
 * with the cursor row's `last_active_at` on both sides of the page edge, or the network
 * goes away mid-walk. Some runs page by 2 or 3 rows, and some keep at most 10 records
 * (`storage.maxRecords`). Two invariants hold all along:
 * - no local record is removed (`removed` on `sync.events$`) unless the server answered
 *   404 for its id, or it is in fact deleted on the server, or the user deleted it here;
 * - after every complete foreground `sync.now({ pull: 'full' })` (no error, no fault met,
 *   nothing else running), every server row is stored locally or was evicted (a stub in
 *   the `evicted` table), except rows the server created or moved during the walk that
 *   were not stored before it: during that very round, or, for a walk cut short and
 *   resumed, since the walk began (a row that lands in the part a walk has already read,
 *   below the head, is named by the next walk; a walk can only promise the rows that stood
 *   still while it read).
 *
 * Records are told apart by a unique contact_id, which survives the temporary id remap.
 * `NUM_RUNS` sets the number of sequences (default: the quick profile of `npm test`);
 * a failure prints its seed and path, and `SEED=… PATH=…` style replay is done with
 * fc's own `seed`/`path` parameters (set FC_SEED / FC_PATH).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Conversation,
  type ConversationPatch,
  type ConversationStore,
  type ListParams,
  type PullKind,
  ValidationError,
} from '../../src/index.js';
import { conversation, type Harness, harness } from '../fixtures.js';

/** How the server moves during the next list requests (see `armMove`). */
type Move =
  | 'bumpUnread'
  | 'bumpRead'
  | 'deleteRead'
  | 'deleteUnread'
  | 'deleteCursor'
  | 'tieAtEdge';

/** Moves that need a cursor: a part already read. */
const CURSOR_MOVES: ReadonlySet<Move> = new Set([
  'bumpRead',
  'deleteRead',
  'deleteCursor',
  'tieAtEdge',
]);

/** What varies per sequence beyond its actions. */
interface RunConfig {
  pageSize: number;
  maxRecords: number | undefined;
}

type Action =
  | { kind: 'localCreate' }
  | { kind: 'localUpdate'; pick: number; patch: ConversationPatch }
  | { kind: 'localDelete'; pick: number }
  | { kind: 'remoteCreate' }
  | { kind: 'remoteUpdate'; pick: number; patch: ConversationPatch }
  | { kind: 'remoteDelete'; pick: number }
  | { kind: 'offline'; on: boolean }
  | {
      kind: 'fail';
      status: 500 | 503 | 429;
      count: number;
      method: 'POST' | 'PUT' | 'DELETE' | 'GET';
    }
  | { kind: 'loseReply'; method: 'POST' | 'PUT' | 'DELETE' }
  | { kind: 'restart' }
  | { kind: 'sync'; pull: PullKind }
  /** A round that runs while the next actions happen (writes racing a push or a pull). */
  | { kind: 'syncInBackground'; pull: PullKind }
  /** `sync.refresh` of local and server records (deleted ones included). */
  | { kind: 'refresh'; picks: number[] }
  /** A `list$` subscriber from now on: recent pulls make that list exact. */
  | { kind: 'watch'; params: ListParams }
  /**
   * The server moves at the `at`-th eligible list request from now (`when`: before or
   * after its page is computed); `round` runs one at once, or `'later'` leaves it to later ones.
   */
  | {
      kind: 'move';
      move: Move;
      at: number;
      pick: number;
      when: 'before' | 'after';
      round: PullKind | 'later';
    }
  /** The network goes away once the `at`-th walk page after the first is answered. */
  | { kind: 'cutWalk'; at: number; round: 'full' | 'later' };

const patchArbitrary: fc.Arbitrary<ConversationPatch> = fc.record(
  {
    is_muted: fc.boolean(),
    is_pinned: fc.boolean(),
    archived_at: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
    pinned_message_id: fc.option(fc.constantFrom('m1', 'm2'), { nil: null }),
  },
  { requiredKeys: [] },
);

const pullArbitrary: fc.Arbitrary<PullKind> = fc.constantFrom(
  'full' as const,
  'recent' as const,
  'none' as const,
);

const moveArbitrary: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant('move' as const),
  move: fc.constantFrom<Move>(
    'bumpUnread',
    'bumpRead',
    'deleteRead',
    'deleteUnread',
    'deleteCursor',
    'tieAtEdge',
  ),
  at: fc.integer({ min: 0, max: 3 }),
  pick: fc.nat(),
  when: fc.constantFrom('before' as const, 'after' as const),
  round: fc.constantFrom<PullKind | 'later'>('full', 'full', 'recent', 'later'),
});

const configArbitrary: fc.Arbitrary<RunConfig> = fc.record({
  pageSize: fc.constantFrom(2, 3, 100),
  maxRecords: fc.constantFrom(undefined, undefined, 10),
});

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: moveArbitrary },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('cutWalk' as const),
      at: fc.integer({ min: 0, max: 2 }),
      round: fc.constantFrom('full' as const, 'later' as const),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'localCreate' } as const) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('localUpdate' as const),
      pick: fc.nat(),
      patch: patchArbitrary,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('localDelete' as const), pick: fc.nat() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'remoteCreate' } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('remoteUpdate' as const),
      pick: fc.nat(),
      patch: patchArbitrary,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('remoteDelete' as const), pick: fc.nat() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('offline' as const), on: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      status: fc.constantFrom(500 as const, 503 as const, 429 as const),
      count: fc.integer({ min: 1, max: 3 }),
      method: fc.constantFrom('POST' as const, 'PUT' as const, 'DELETE' as const, 'GET' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('loseReply' as const),
      method: fc.constantFrom('POST' as const, 'PUT' as const, 'DELETE' as const),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' } as const) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('sync' as const), pull: pullArbitrary }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('syncInBackground' as const), pull: pullArbitrary }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('refresh' as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('watch' as const),
      params: fc.record(
        {
          muted: fc.boolean(),
          pinned: fc.boolean(),
          archived: fc.boolean(),
          limit: fc.integer({ min: 1, max: 5 }),
        },
        { requiredKeys: ['limit'] },
      ),
    }),
  },
);

/** What the test knows a record should become, keyed by its unique contact_id. */
interface Expected {
  /** Another device created, changed or deleted it: only convergence is checked. */
  touchedRemotely: boolean;
  deletedLocally: boolean;
  createdLocally: boolean;
  /** The record as the local writes left it (fields the app wrote). */
  fields: Partial<Conversation>;
}

/** False when the record was gone by the time the write ran (a ValidationError on `id`). */
async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ValidationError && error.field === 'id') return false;
    throw error;
  }
}

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 200);
const stats = {
  sequences: 0,
  actions: 0,
  faults: 0,
  restarts: 0,
  longest: 0,
  moves: 0,
  checkedRounds: 0,
  removals: 0,
};

async function runSequence(config: RunConfig, actions: Action[]): Promise<void> {
  stats.sequences += 1;
  stats.longest = Math.max(stats.longest, actions.length);
  const seed = Array.from({ length: 4 }, (_, i) =>
    conversation({
      id: `SEED${String(i).padStart(12, '0')}`,
      contact_id: `S${i}`,
      last_active_at: 100 + i,
    }),
  );
  const h: Harness = harness(seed);
  const model = new Map<string, Expected>(
    seed.map((row) => [
      row.contact_id as string,
      { touchedRemotely: false, deletedLocally: false, createdLocally: false, fields: {} },
    ]),
  );
  const open = () =>
    h.open({
      sync: {
        auto: false,
        timeoutMs: 2000,
        retry: { baseMs: 1, maxMs: 5 },
        pageSize: config.pageSize,
      },
      ...(config.maxRecords === undefined ? {} : { storage: { maxRecords: config.maxRecords } }),
    });
  const background: Promise<unknown>[] = [];
  let running = 0; // Background rounds not settled yet.
  const watchers: { unsubscribe(): void }[] = [];
  let localCount = 0;
  let remoteCount = 0;
  let moveCount = 0;
  const localRows = async () => (await store.conversations.list({ limit: 100 })).data;

  /** Ids the user deleted here (a removal of those needs no 404). */
  const deletedHere = new Set<string>();
  /** Local removals that no 404, server deletion or local delete explains. */
  const violations: string[] = [];
  /** Rows the server created or moved (through `faults.onList`) since the round began. */
  const movedThisRound = new Set<string>();
  /** The same since the last checked round whose walk completed (a resumed walk spans rounds). */
  const movedSinceWalk = new Set<string>();
  const events: { unsubscribe(): void }[] = [];
  /** Records every `removed` event and checks, as it comes, that it was proven. */
  const watchRemovals = (target: ConversationStore) => {
    events.push(
      target.sync.events$.subscribe((event) => {
        if (event.type !== 'removed') return;
        stats.removals += 1;
        const id = event.recordId;
        const got404 = h.server.requests.some(
          (request) => request.path === `/v1/conversations/${id}` && request.status === 404,
        );
        if (got404 || h.server.get(id) === undefined || deletedHere.has(id)) return;
        violations.push(
          `${id} (${event.reason}) was removed locally, yet the server still has it and never answered 404 for it`,
        );
      }),
    );
  };
  let store: ConversationStore = open();
  watchRemovals(store);

  const remember = (contact: string, touchedRemotely: boolean) => {
    const expected = model.get(contact);
    if (expected === undefined) {
      model.set(contact, {
        touchedRemotely,
        deletedLocally: false,
        createdLocally: false,
        fields: {},
      });
    } else if (touchedRemotely) expected.touchedRemotely = true;
  };
  /** Later than every row of the server, and now at the earliest: a new message. */
  const newMessageAt = () =>
    Math.max(
      Math.floor(Date.now() / 1000),
      ...h.server.all().map((row) => (row.last_active_at ?? 0) + 1),
    );

  /** Changes the server's table as `move` says, around `cursor` (the part read so far). */
  const applyMove = (move: Move, pick: number, cursor: string | undefined) => {
    const rows = h.server.all();
    const at = cursor === undefined ? -1 : rows.findIndex((row) => row.id === cursor);
    if (cursor !== undefined && at === -1) return; // Gone already.
    const read = rows.slice(0, Math.max(0, at));
    const unread = rows.slice(at + 1);
    const chosen = (part: Conversation[]) => part[pick % Math.max(1, part.length)];
    const bump = (row: Conversation | undefined) => {
      if (row === undefined) return;
      h.server.update(row.id, { last_active_at: newMessageAt() });
      movedThisRound.add(row.id);
      movedSinceWalk.add(row.id);
    };
    const remove = (row: Conversation | undefined) => {
      if (row === undefined) return;
      h.server.remove(row.id);
      remember(row.contact_id as string, true);
    };
    const cursorRow = rows[at];
    switch (move) {
      case 'bumpUnread':
        return bump(chosen(unread));
      case 'bumpRead':
        return bump(chosen(read));
      case 'deleteRead':
        return remove(chosen(read));
      case 'deleteUnread':
        return remove(chosen(unread));
      case 'deleteCursor':
        return remove(cursorRow);
      case 'tieAtEdge': {
        if (cursorRow === undefined) return;
        // Same last_active_at as the cursor row: created later sorts before it (a page
        // already read), created earlier after it (the next page).
        for (const offset of [1, -1]) {
          const n = moveCount++;
          const contact = `M${n}`;
          const row = h.server.insert({
            id: `MOVE${String(n).padStart(12, '0')}`,
            contact_id: contact,
            last_active_at: cursorRow.last_active_at,
            created_at: cursorRow.created_at + offset,
          });
          movedThisRound.add(row.id);
          movedSinceWalk.add(row.id);
          movedSinceWalk.add(row.id);
          remember(contact, true);
        }
        return;
      }
    }
  };

  /**
   * Arms a one-shot `faults.onList` hook: at the `at`-th eligible list request (one with a
   * cursor into the default list for the moves that need a part already read), it runs
   * `act` with that cursor: the request's `starting_after` before the page, the page's
   * last id after it.
   */
  const armHook = (
    options: { at: number; when: 'before' | 'after'; needsCursor: boolean },
    act: (cursor: string | undefined) => void,
  ) => {
    let eligible = 0;
    const stop = h.server.faults.onList(
      ({ query, answer }) => {
        const unfiltered = Object.keys(query).every(
          (key) => key === 'limit' || key === 'starting_after',
        );
        const cursor =
          options.when === 'after' ? (answer?.page?.ids.at(-1) ?? undefined) : query.starting_after;
        if (options.needsCursor && (cursor === undefined || !unfiltered)) return;
        if (eligible++ < options.at) return;
        stop();
        act(unfiltered ? cursor : undefined);
      },
      { when: options.when },
    );
  };

  /** The local ids and the evicted ones, straight from the database. */
  const storedIds = async () => {
    const dump = await h.dump();
    const ids = (table: string) =>
      new Set((dump[table] ?? []).map((row) => (row as { id: string }).id));
    return { local: ids('conversations'), evicted: ids('evicted') };
  };

  /**
   * One foreground round; after a complete `full` one that met no fault while nothing else
   * ran, every server row is here or evicted (see the file's comment).
   */
  const syncRound = async (pull: PullKind) => {
    const checkable = pull === 'full' && running === 0 && !h.network.offline;
    const before = checkable ? await storedIds() : null;
    // A walk stored in the database is resumed by this round: it began in an earlier one.
    const resumed =
      checkable &&
      ((await h.dump()).meta ?? []).some((row) => (row as { key: string }).key === 'walk');
    movedThisRound.clear();
    const from = h.server.requests.length;
    const summary = await store.sync.now({ pull });
    const faultMet = h.server.requests
      .slice(from)
      .some((request) => request.lost || request.status >= 500 || request.status === 429);
    if (
      before === null ||
      !summary.complete ||
      summary.error !== null ||
      faultMet ||
      h.network.offline
    ) {
      return;
    }
    stats.checkedRounds += 1;
    const after = await storedIds();
    const missing = h.server
      .all()
      .map((row) => row.id)
      .filter(
        (id) =>
          !after.local.has(id) &&
          !after.evicted.has(id) &&
          !((resumed ? movedSinceWalk : movedThisRound).has(id) && !before.local.has(id)),
      );
    expect(missing, 'server rows missing locally after a complete round').toEqual([]);
    movedSinceWalk.clear();
  };

  try {
    await syncRound('full');
    for (const action of actions) {
      stats.actions += 1;
      switch (action.kind) {
        case 'localCreate': {
          const contact = `L${localCount++}`;
          await store.conversations.create({ contact_id: contact });
          model.set(contact, {
            touchedRemotely: false,
            deletedLocally: false,
            createdLocally: true,
            fields: {},
          });
          break;
        }
        case 'localUpdate': {
          const rows = await localRows();
          const row = rows[action.pick % Math.max(1, rows.length)];
          if (row === undefined) break;
          // A round in the background may have removed it meanwhile (deleted elsewhere).
          if (!(await applied(store.conversations.update(row.id, action.patch)))) break;
          const expected = model.get(row.contact_id as string);
          if (expected !== undefined) Object.assign(expected.fields, action.patch);
          break;
        }
        case 'localDelete': {
          const rows = await localRows();
          const row = rows[action.pick % Math.max(1, rows.length)];
          if (row === undefined) break;
          if (!(await applied(store.conversations.delete(row.id)))) break;
          deletedHere.add(row.id);
          const expected = model.get(row.contact_id as string);
          if (expected !== undefined) expected.deletedLocally = true;
          break;
        }
        case 'remoteCreate': {
          const contact = `R${remoteCount++}`;
          movedSinceWalk.add(h.server.insert({ contact_id: contact, last_active_at: 50 }).id);
          model.set(contact, {
            touchedRemotely: true,
            deletedLocally: false,
            createdLocally: false,
            fields: {},
          });
          break;
        }
        case 'remoteUpdate':
        case 'remoteDelete': {
          const rows = h.server.all();
          const row = rows[action.pick % Math.max(1, rows.length)];
          if (row === undefined) break;
          if (action.kind === 'remoteUpdate') h.server.update(row.id, action.patch);
          else h.server.remove(row.id);
          const expected = model.get(row.contact_id as string);
          if (expected !== undefined) expected.touchedRemotely = true;
          break;
        }
        case 'offline':
          h.network.offline = action.on;
          break;
        case 'fail':
          stats.faults += 1;
          h.server.faults.failNext(action.status, action.count, {
            methods: [action.method],
            retryAfter: 0,
          });
          break;
        case 'loseReply':
          stats.faults += 1;
          h.server.faults.loseNextReply(1, { methods: [action.method] });
          break;
        case 'syncInBackground':
          running += 1;
          background.push(
            store.sync
              .now({ pull: action.pull })
              .catch(() => {})
              .finally(() => {
                running -= 1;
              }),
          );
          break;
        case 'move':
          stats.moves += 1;
          armHook(
            { at: action.at, when: action.when, needsCursor: CURSOR_MOVES.has(action.move) },
            (cursor) => applyMove(action.move, action.pick, cursor),
          );
          if (action.round !== 'later') await syncRound(action.round);
          break;
        case 'cutWalk':
          stats.faults += 1;
          armHook({ at: action.at, when: 'after', needsCursor: true }, () => {
            h.network.offline = true;
          });
          if (action.round !== 'later') await syncRound(action.round);
          break;
        case 'refresh': {
          const ids = [...(await localRows()), ...h.server.all()].map((row) => row.id);
          const picked = action.picks.flatMap((pick) => ids[pick % Math.max(1, ids.length)] ?? []);
          // A refresh whose GET fails (offline, injected 5xx) rejects; nothing is half-done.
          await store.sync.refresh(picked).catch(() => {});
          break;
        }
        case 'watch':
          watchers.push(store.conversations.list$(action.params).subscribe({ error: () => {} }));
          break;
        case 'restart':
          stats.restarts += 1;
          for (const watcher of watchers.splice(0)) watcher.unsubscribe();
          await store.close(); // Waits for a round in progress, as a closing tab would not.
          store = open();
          watchRemovals(store);
          break;
        case 'sync':
          await syncRound(action.pull);
          break;
      }
      expect(violations, 'local records removed without proof').toEqual([]);
    }

    await Promise.all(background);
    // The faults clear; sync settles.
    h.server.faults.clear();
    h.network.offline = false;
    for (let round = 0; round < 8; round++) {
      const summary = await store.sync.now();
      if (
        summary.complete &&
        summary.error === null &&
        (await store.sync.listOutbox()).length === 0
      )
        break;
    }
    await store.sync.now();

    const server = h.server.all();
    expect(await store.sync.listOutbox()).toEqual([]);
    expect(await store.sync.listRejections()).toEqual([]);
    expect(violations, 'local records removed without proof').toEqual([]);
    // Every server row is here, as the server has it, unless the quota manager evicted it.
    const { evicted } = await storedIds();
    if (config.maxRecords === undefined) expect(evicted.size).toBe(0);
    const kept = server.filter((row) => !evicted.has(row.id));
    expect((await localRows()).length).toBe(kept.length);
    expect(await localRows()).toEqual(kept);
    const byContact = new Map<string, Conversation[]>();
    for (const row of server) {
      const list = byContact.get(row.contact_id as string) ?? [];
      list.push(row);
      byContact.set(row.contact_id as string, list);
    }
    for (const [contact, expected] of model) {
      const rows = byContact.get(contact) ?? [];
      expect(rows.length, `${contact} is on the server at most once`).toBeLessThanOrEqual(1);
      if (expected.touchedRemotely) continue;
      if (expected.deletedLocally) {
        expect(rows, `${contact} was deleted locally`).toEqual([]);
        continue;
      }
      expect(rows.length, `${contact} reached the server`).toBe(1);
      expect(rows[0], `${contact} carries every local write`).toMatchObject(expected.fields);
    }
  } finally {
    for (const watcher of watchers) watcher.unsubscribe();
    for (const subscription of events) subscription.unsubscribe();
    h.server.faults.clear();
    await Promise.all(background);
    await store.close().catch(() => {});
  }
}

describe('model-based: random writes, faults and restarts converge', () => {
  it(
    'ends with the store equal to the server, an empty outbox, no duplicate and no lost write',
    async () => {
      const seed = process.env.FC_SEED === undefined ? undefined : Number(process.env.FC_SEED);
      const path = process.env.FC_PATH;
      await fc.assert(
        fc.asyncProperty(
          configArbitrary,
          fc.array(actionArbitrary, { minLength: 1, maxLength: 60, size: 'large' }),
          runSequence,
        ),
        {
          numRuns: NUM_RUNS,
          ...(seed === undefined ? {} : { seed }),
          ...(path === undefined ? {} : { path }),
          endOnFailure: false,
        },
      );
      if (process.env.RELIABILITY_STATS) console.log(JSON.stringify(stats));
    },
    Math.max(60_000, NUM_RUNS * 2_000),
  );
});

/**
 * Model-based reliability test: random sequences of local writes, another device's
 * writes, offline spells, injected 5xx/429, replies lost after the server applied the
 * write, restarts (close and reopen), sync rounds of every kind (full, recent, push only),
 * `sync.refresh` of random ids, and watched lists that recent pulls make exact. After the faults clear and sync
 * settles, the store must equal the server, the outbox must be empty, no create may be
 * duplicated, and every local write on a record nobody else touched must be on the server.
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
  | { kind: 'watch'; params: ListParams };

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

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
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
const stats = { sequences: 0, actions: 0, faults: 0, restarts: 0, longest: 0 };

async function runSequence(actions: Action[]): Promise<void> {
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
  let store: ConversationStore = h.open({
    sync: { auto: false, timeoutMs: 2000, retry: { baseMs: 1, maxMs: 5 } },
  });
  const background: Promise<unknown>[] = [];
  const watchers: { unsubscribe(): void }[] = [];
  let localCount = 0;
  let remoteCount = 0;
  const localRows = async () => (await store.conversations.list({ limit: 100 })).data;
  try {
    await store.sync.now();
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
          const expected = model.get(row.contact_id as string);
          if (expected !== undefined) expected.deletedLocally = true;
          break;
        }
        case 'remoteCreate': {
          const contact = `R${remoteCount++}`;
          h.server.insert({ contact_id: contact, last_active_at: 50 });
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
          background.push(store.sync.now({ pull: action.pull }).catch(() => {}));
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
          store = h.open({
            sync: { auto: false, timeoutMs: 2000, retry: { baseMs: 1, maxMs: 5 } },
          });
          break;
        case 'sync':
          await store.sync.now({ pull: action.pull });
          break;
      }
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
    expect((await localRows()).length).toBe(server.length);
    expect(await localRows()).toEqual(server);
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

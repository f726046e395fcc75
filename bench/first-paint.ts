/**
 * `first-paint`: a fresh device opens an account of 50,000 conversations (20 ms a request
 * at the reference server) while the app shows a list whose rows sit at the very bottom of
 * the order (a group whose conversations are the least recently active). Measured: the
 * seconds until that list is exact, against the seconds the whole first walk takes (the
 * baseline, in the same run). The walk reads the watched lists first, so the list should
 * be exact within one request, whatever the account's size. Target: within 1 s.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { type Conversation, createConversationStore, type ListPage } from '../src/index.js';
import { clock } from '../src/platform/clock.js';
import { createReferenceServer, generateConversations } from '../src/testing/index.js';
import { type Result, round3 } from './measure.js';

const TOKEN = 'bench-token';
const ROWS = 50_000;
const LATENCY_MS = 20;
const DEEP = { group_id: 'deep-group', limit: 10 } as const;

const same = (a: ListPage, b: ListPage) => JSON.stringify(a) === JSON.stringify(b);

export async function firstPaint(): Promise<Result[]> {
  // Never active and the oldest: the very bottom of the order.
  const deep = Array.from(
    { length: 12 },
    (_, index): Conversation => ({
      id: `DEEP${String(index).padStart(12, '0')}`,
      contact_id: null,
      group_id: DEEP.group_id,
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: 1 + index,
      archived_at: null,
    }),
  );
  const server = createReferenceServer({
    token: TOKEN,
    seed: [...generateConversations(ROWS, { seed: 21 }), ...deep],
  });
  const expected = (await (
    await server.fetch(
      `http://reference.test/v1/conversations?group_id=${DEEP.group_id}&limit=10`,
      {
        headers: { authorization: `Bearer ${TOKEN}` },
      },
    )
  ).json()) as ListPage;
  server.faults.latencyMs = LATENCY_MS;
  const store = createConversationStore({
    baseUrl: 'http://reference.test',
    getToken: () => TOKEN,
    fetch: server.fetch,
    databaseName: 'bench-first-paint',
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    sync: { auto: false },
  });
  const started = clock().monotonic();
  let exactAt: number | null = null;
  const watched = store.conversations.list$(DEEP).subscribe((page) => {
    if (exactAt === null && same(page, expected)) exactAt = clock().monotonic();
  });
  const summary = await store.sync.now();
  const walked = clock().monotonic() - started;
  watched.unsubscribe();
  await store.destroy();
  if (!summary.complete || exactAt === null)
    throw new Error('first-paint: the walk did not end exact');
  const exact = (exactAt as number) - started;
  return [
    {
      name: 'first-paint',
      env: 'node',
      value: round3(exact / 1000),
      baseline: round3(walked / 1000),
      ratio: round3(exact / walked),
      unit: 's',
      note: `a watched list at the very bottom of ${ROWS.toLocaleString('en')} conversations (${LATENCY_MS} ms a request) exact after ${round3(exact / 1000)} s, vs the whole first walk; target ≤ 1 s`,
    },
  ];
}

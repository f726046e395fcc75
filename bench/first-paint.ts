/**
 * `first-paint`: a fresh device opens an account of 50,000 conversations (20 ms a request
 * at the reference server) while the app shows a list whose rows sit at the very bottom of
 * the order (a group whose conversations are the least recently active). Measured: the
 * seconds until that list is exact, against the seconds the whole first walk takes (the
 * baseline, in the same run). The walk reads the watched lists first, so the list should
 * be exact within one request, whatever the account's size. Target: within 1 s. Node runs
 * it in `node.ts` (fake-indexeddb, the server in-process), Chromium in `browser/bench.ts`
 * (real IndexedDB, the server over HTTP): both through {@link measureFirstPaint}.
 */
import type { Conversation, ConversationStore, ListPage } from '../src/index.js';
import { clock } from '../src/platform/clock.js';
import { type Result, round3 } from './measure.js';

export const FIRST_PAINT = {
  rows: 50_000,
  latencyMs: 20,
  /** The watched list: a group at the very bottom of the order. */
  deep: { group_id: 'deep-group', limit: 10 },
} as const;

/** The deep group's conversations: never active and the oldest, the very bottom of the order. */
export function deepRows(): Conversation[] {
  return Array.from(
    { length: 12 },
    (_, index): Conversation => ({
      id: `DEEP${String(index).padStart(12, '0')}`,
      contact_id: null,
      group_id: FIRST_PAINT.deep.group_id,
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: 1 + index,
      archived_at: null,
    }),
  );
}

const same = (a: ListPage, b: ListPage) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Runs the first walk of `store` (a fresh database) while its app watches the deep list;
 * `expected` is the server's page of that list.
 */
export async function measureFirstPaint(
  env: Result['env'],
  store: ConversationStore,
  expected: ListPage,
): Promise<Result[]> {
  const started = clock().monotonic();
  let exactAt: number | null = null;
  const watched = store.conversations.list$(FIRST_PAINT.deep).subscribe((page) => {
    if (exactAt === null && same(page, expected)) exactAt = clock().monotonic();
  });
  const summary = await store.sync.now();
  const walked = clock().monotonic() - started;
  watched.unsubscribe();
  await store.destroy();
  if (!summary.complete || exactAt === null)
    throw new Error('first-paint: the walk did not end exact');
  const exact = (exactAt as number) - started;
  const { rows, latencyMs } = FIRST_PAINT;
  return [
    {
      name: 'first-paint',
      env,
      value: round3(exact / 1000),
      baseline: round3(walked / 1000),
      ratio: round3(exact / walked),
      unit: 's',
      note: `a watched list at the very bottom of ${rows.toLocaleString('en')} conversations (${latencyMs} ms a request) exact after ${round3(exact / 1000)} s, vs the whole first walk; target ≤ 1 s`,
    },
  ];
}

/**
 * `list-subscribe-churn`: a list mounted and unmounted over and over (a screen the user
 * keeps opening). Each cycle subscribes to a filtered `list$`, waits for its first page and
 * unsubscribes; the baseline does the same with a raw Dexie `liveQuery` of the same query
 * on the same rows. Afterwards nothing may be left running: no timer, no live query.
 * Shared by the Node and the Chromium benchmarks.
 */
import { Dexie, liveQuery } from 'dexie';
import { PUBLISH_MS } from '../src/local/watched-lists.js';
import { type Clock, setClock, systemClock, type TimerHandle } from '../src/platform/clock.js';
import { toStored } from '../src/storage/schema.js';
import { generateConversations } from '../src/testing/seed.js';
import { handWrittenList } from './baselines.js';
import { compare, type Result, round3 } from './measure.js';
import type { Platform } from './rxdb.js';

const CYCLES = 5_000;
const ROUNDS = 20;
const PER_ROUND = CYCLES / ROUNDS;
const LIMIT = 20;
const PARAMS = { muted: false, archived: false, limit: LIMIT } as const;

interface Subscribable {
  subscribe(observer: { next(): void; error(error: unknown): void }): { unsubscribe(): void };
}

/** Subscribes, waits for the first emission, unsubscribes. */
async function cycle(source: Subscribable): Promise<void> {
  let emitted: () => void = () => {};
  let failed: (error: unknown) => void = () => {};
  const first = new Promise<void>((resolve, reject) => {
    emitted = resolve;
    failed = reject;
  });
  const subscription = source.subscribe({ next: () => emitted(), error: (e) => failed(e) });
  await first;
  subscription.unsubscribe();
}

/** The system clock, counting the timers set through it that neither fired nor were cleared. */
function countingClock(): Clock & { pending(): number } {
  const pending = new Set<TimerHandle>();
  return {
    now: systemClock.now,
    monotonic: systemClock.monotonic,
    setTimeout: (callback, delayMs) => {
      const handle = systemClock.setTimeout(() => {
        pending.delete(handle);
        callback();
      }, delayMs);
      pending.add(handle);
      return handle;
    },
    clearTimeout: (handle) => {
      if (handle !== undefined) pending.delete(handle);
      systemClock.clearTimeout(handle);
    },
    setInterval: (callback, delayMs) => {
      const handle = systemClock.setInterval(callback, delayMs);
      pending.add(handle);
      return handle;
    },
    clearInterval: (handle) => {
      if (handle !== undefined) pending.delete(handle);
      systemClock.clearInterval(handle);
    },
    pending: () => pending.size,
  };
}

/** Dexie's listeners of committed changes: one per live query (and one per store's cache). */
const changeListeners = () =>
  (Dexie.on('storagemutated') as unknown as { subscribers: unknown[] }).subscribers.length;

/** Counts committed transactions that wrote a `meta` table (only the watched-lists registry, here). */
function countMetaWrites(): { count(): number; stop(): void } {
  let count = 0;
  const listener = (parts: Record<string, unknown>) => {
    if (Object.keys(parts).some((part) => /^idb:\/\/[^/]+\/meta\//.test(part))) count += 1;
  };
  Dexie.on('storagemutated', listener);
  return { count: () => count, stop: () => Dexie.on('storagemutated').unsubscribe(listener) };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function listSubscribeChurn(platform: Platform): Promise<Result[]> {
  const rows = generateConversations(10_000, { seed: 13 });
  // No warm result (cacheMs 0): each first page is read, as the raw live query's is.
  const store = await platform.openStore(rows, { cacheMs: 0 });
  const raw = new Dexie(`raw-churn-${Date.now()}`, platform.deps);
  raw.version(1).stores({ conversations: 'id, s, f, g, a' });
  const table = raw.table('conversations');
  await table.bulkPut(rows.map(toStored));
  await store.conversations.list(PARAMS); // Opened.

  const timers = countingClock();
  const restoreClock = setClock(timers);
  const metaWrites = countMetaWrites();
  const listenersBefore = changeListeners();
  let result: Result;
  let timersAtEnd: number;
  try {
    result = await compare(
      'list-subscribe-churn',
      platform.env,
      async () => {
        for (let i = 0; i < PER_ROUND; i++) await cycle(store.conversations.list$(PARAMS));
      },
      async () => {
        for (let i = 0; i < PER_ROUND; i++) {
          await cycle(liveQuery(() => handWrittenList(table, LIMIT)));
        }
      },
      ROUNDS,
      1,
    );
    timersAtEnd = timers.pending();
    await wait(PUBLISH_MS * 2); // The registry's last coalesced write.
  } finally {
    restoreClock();
  }
  const timersLeft = timers.pending();
  const listenersLeft = changeListeners() - listenersBefore;
  metaWrites.stop();
  await store.destroy();
  await raw.delete();
  if (timersLeft !== 0 || listenersLeft !== 0) {
    throw new Error(
      `list-subscribe-churn left ${timersLeft} timers and ${listenersLeft} live queries behind`,
    );
  }
  const perCycle = (ms: number | undefined) => round3((ms ?? 0) / PER_ROUND);
  return [
    {
      ...result,
      value: perCycle(result.value),
      baseline: perCycle(result.baseline),
      p95: perCycle(result.p95),
      baselineP95: perCycle(result.baselineP95),
      note: `ms per cycle (subscribe, first page, unsubscribe) of list$({ muted: false, archived: false, limit: ${LIMIT} }) over 10,000, ${CYCLES} cycles a side, vs a raw Dexie liveQuery of the same one-range index query; ${metaWrites.count()} registry writes for ${2 * (CYCLES + PER_ROUND)} subscribes and unsubscribes (warm-up included); left once the window passed: ${timersLeft} timers (${timersAtEnd} pending right after the churn), ${listenersLeft} live queries`,
    },
  ];
}

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  conversation,
  FAKE_TIMERS,
  type Harness,
  holdingFetch,
  harness as plainHarness,
  record,
  requests,
  syncedSuite,
  tickUntil,
} from '../fixtures.js';

const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });

/** The store under test (`t.store`) and its harness (`t.h`); closed after each test. */
const { t } = syncedSuite();

/** Rounds that pulled, in every store of the test (each store tells only its own rounds). */
let pulling = 0;
const rounds = () => pulling;

/** A harness whose stores count the rounds that pull. */
function harness(...args: Parameters<typeof plainHarness>): Harness {
  const made = plainHarness(...args);
  const open = made.open.bind(made);
  made.open = (options) => {
    const opened = open(options);
    opened.sync.events$.subscribe((event) => {
      if (event.type === 'round-start' && event.kind !== 'none') pulling += 1;
    });
    return opened;
  };
  return made;
}

/** Lets timers at "now" and IndexedDB work run, until no round is in progress. */
const settle = async () => {
  let state: string | undefined;
  const subscription = t.store.sync.status$.subscribe((s) => {
    state = s.state;
  });
  try {
    for (let i = 0; i < 200; i++) {
      await vi.advanceTimersByTimeAsync(0);
      await new Promise((resolve) => setImmediate(resolve));
      if (state !== undefined && state !== 'syncing') return;
    }
    throw new Error(`still ${state ?? 'loading'}`);
  } finally {
    subscription.unsubscribe();
  }
};

function open(options: Parameters<Harness['open']>[0] = {}) {
  t.store = t.h.open({
    sync: { auto: true, debounceMs: 300, intervalMs: 60_000, retry: { baseMs: 1000, maxMs: 4000 } },
    ...options,
  });
  return t.store;
}

beforeEach(() => {
  // IndexedDB (fake-indexeddb) runs on setImmediate, which stays real.
  vi.useFakeTimers(FAKE_TIMERS);
  pulling = 0;
  t.h = harness([A]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('automatic sync', () => {
  it('runs a round at start', async () => {
    open();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(1);
    });
  });

  it('runs one round shortly after a burst of local writes (debounced)', async () => {
    open();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(1);
    });
    await settle();
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.conversations.update(A.id, { is_pinned: true });
    await t.store.conversations.update(A.id, { archived_at: 5 });
    await vi.advanceTimersByTimeAsync(250);
    expect(requests(t.h.server, 'PUT')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    });
    expect(rounds()).toBe(1); // A round after writes only pushes.
    expect(t.h.server.get(A.id)).toMatchObject({ is_muted: true, is_pinned: true, archived_at: 5 });
  });

  it('runs a round when the browser comes back online', async () => {
    open();
    await settle();
    const before = rounds();
    t.h.platform.goOffline();
    t.h.platform.goOnline();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(before + 1);
    });
  });

  it('runs a round when the page becomes visible', async () => {
    open();
    await settle();
    const before = rounds();
    t.h.platform.becomeVisible();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(before + 1);
    });
  });

  it('runs a round on every interval', async () => {
    open();
    await settle();
    const before = rounds();
    await vi.advanceTimersByTimeAsync(59_000);
    expect(rounds()).toBe(before);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(before + 1);
    });
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(before + 2);
    });
  });

  it('retries a failed write when its backoff deadline passes', async () => {
    open({
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
    });
    await settle();
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await t.store.conversations.update(A.id, { is_muted: true });
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    });
    await settle();
    await vi.advanceTimersByTimeAsync(4_000);
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(requests(t.h.server, 'PUT')).toHaveLength(2);
    });
    await settle();
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it.each([
    ['a delay in seconds', '1000000000'],
    ['an HTTP date 30 days away', 'date'],
  ])(
    'waits out a Retry-After longer than a timer can hold (%s) without a busy loop',
    async (_name, value) => {
      open({
        sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
      });
      await settle();
      const retryAfter =
        value === 'date' ? new Date(Date.now() + 30 * 86_400_000).toUTCString() : value;
      t.h.server.faults.failNext(503, 1, { methods: ['PUT'], retryAfter });
      await t.store.conversations.update(A.id, { is_muted: true });
      await vi.waitFor(async () => {
        await vi.advanceTimersByTimeAsync(0);
        expect(requests(t.h.server, 'PUT')).toHaveLength(1);
      });
      await settle();
      const before = t.h.server.requests.length;
      for (let i = 0; i < 20; i++) {
        await vi.advanceTimersByTimeAsync(1_000);
        await new Promise((resolve) => setImmediate(resolve));
      }
      // An overflowing timer fired at once: a round every few ms, each a PUT and a GET.
      expect(t.h.server.requests.length).toBe(before);
      expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    },
  );

  it('keeps retrying a failed write on time when the wall clock is set back a day', async () => {
    open({
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
    });
    await settle();
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
    await t.store.conversations.update(A.id, { is_muted: true });
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(requests(t.h.server, 'PUT')).toHaveLength(1);
    });
    await settle();
    vi.setSystemTime(Date.now() - 86_400_000); // The user (or NTP) sets the clock back.
    await vi.advanceTimersByTimeAsync(4_000);
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(requests(t.h.server, 'PUT')).toHaveLength(2);
    });
    await settle();
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('sends writes that only waited for the network as soon as it comes back', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9); // A long jittered backoff.
    open({
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs: 60_000, maxMs: 60_000 } },
    });
    await settle();
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { is_muted: true });
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      const [entry] = (await t.h.dump()).outbox as { attempts: number }[];
      expect(entry?.attempts).toBe(1);
    });
    await settle();
    t.h.network.offline = false;
    t.h.platform.goOnline();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    });
    vi.restoreAllMocks();
  });

  it('never runs two rounds at once: triggers during a round queue one more', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let release: () => void = () => {};
    let hold = true;
    open({
      fetch: async (input, init) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (hold) await new Promise<void>((resolve) => (release = resolve));
        try {
          return await t.h.network.fetch(input, init);
        } finally {
          inFlight -= 1;
        }
      },
    });
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(inFlight).toBe(1);
    });
    t.h.platform.goOnline();
    t.h.platform.becomeVisible();
    await vi.advanceTimersByTimeAsync(5_000); // Less than the request timeout.
    hold = false;
    release();
    await settle();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(2);
    });
    expect(maxInFlight).toBe(1);
  });

  it('stops on sync.stop() and resumes on sync.start()', async () => {
    open();
    await settle();
    t.store.sync.stop();
    const before = rounds();
    t.h.platform.goOnline();
    t.h.platform.becomeVisible();
    await t.store.conversations.update(A.id, { is_muted: true });
    await vi.advanceTimersByTimeAsync(180_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rounds()).toBe(before);
    t.store.sync.start();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    });
  });

  it('does nothing more after close()', async () => {
    open();
    await settle();
    await t.store.close();
    const before = t.h.server.requests.length;
    t.h.platform.goOnline();
    await vi.advanceTimersByTimeAsync(600_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.h.server.requests.length).toBe(before);
  });

  it('skips the network in automatic rounds while the platform is offline', async () => {
    t.h.platform.goOffline();
    open();
    await vi.advanceTimersByTimeAsync(120_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.h.server.requests).toHaveLength(0);
    t.h.platform.goOnline();
    await vi.waitFor(async () => {
      await vi.advanceTimersByTimeAsync(0);
      expect(rounds()).toBe(1);
    });
  });
});

/**
 * Exact retry timing on the fake clock: the clock only moves when a test moves it, so a
 * round that fires "too early" or "too late" shows as a wrong request count at an exact
 * instant instead of a test that hangs until its timeout.
 */
describe('retry timing (fake clock, exact instants)', () => {
  const puts = () => requests(t.h.server, 'PUT').length;

  /** Lets IndexedDB work (real setImmediate) run without moving the fake clock. */
  const ticks = async (count = 50) => {
    for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  /** Moves the fake clock by `ms`; a round that fires then ends and plans its retry. */
  const elapse = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    await settle();
    await ticks();
  };

  /** Automatic sync, no debounce, no interval: only writes, backoff and events trigger rounds. */
  const openRetrying = (retry: { baseMs: number; maxMs: number }) =>
    open({ sync: { auto: true, debounceMs: 0, intervalMs: 0, retry } });

  it('does not retry before Retry-After has passed, and retries once right after', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // Jitter of 500 ms, far below Retry-After.
    openRetrying({ baseMs: 1000, maxMs: 4000 });
    await elapse(0);
    t.h.server.faults.failNext(429, 1, { methods: ['PUT'], retryAfter: 30 });
    await t.store.conversations.update(A.id, { is_muted: true });
    await elapse(0);
    expect(puts()).toBe(1);
    const refusedAt = Date.now();
    await elapse(29_999);
    expect(puts()).toBe(1);
    await elapse(1);
    expect(puts()).toBe(2);
    expect(Date.now() - refusedAt).toBe(30_000);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    await elapse(120_000);
    expect(puts()).toBe(2);
  });

  it('spaces automatic retries by the capped exponential backoff: never more than maxMs', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9999); // Jitter takes (almost) the whole ceiling.
    openRetrying({ baseMs: 1000, maxMs: 4000 });
    await elapse(0);
    t.h.server.faults.failNext(503, 5, { methods: ['PUT'] });
    await t.store.conversations.update(A.id, { is_muted: true });
    await elapse(0);
    expect(puts()).toBe(1);
    // After failure n the ceiling is min(maxMs, baseMs * 2^(n-1)) and the delay is
    // floor(0.9999 * ceiling); a failed round never plans sooner than baseMs (1000 > 999).
    const delays = [1000, 1999, 3999, 3999, 3999];
    for (const [failures, delay] of delays.entries()) {
      await elapse(delay - 1);
      expect(puts(), `retry ${failures + 1} came early`).toBe(failures + 1);
      await elapse(1);
      expect(puts(), `retry ${failures + 1} did not come after ${delay} ms`).toBe(failures + 2);
    }
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect((await t.h.dump()).outbox).toEqual([]);
  });

  it('sends an entry that failed offline at once on the online event, not after its backoff', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9999); // Backoff of 59,999 ms.
    openRetrying({ baseMs: 60_000, maxMs: 60_000 });
    await elapse(0);
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { is_muted: true });
    await elapse(0);
    const [entry] = (await t.h.dump()).outbox as { attempts: number; offline: boolean }[];
    expect(entry).toMatchObject({ attempts: 1, offline: true });
    t.h.platform.goOffline();
    await elapse(30_000);
    expect(puts()).toBe(0);
    t.h.network.offline = false;
    const back = Date.now();
    t.h.platform.goOnline();
    await elapse(0);
    expect(puts()).toBe(1);
    expect(Date.now()).toBe(back);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
    expect((await t.h.dump()).outbox).toEqual([]);
  });
});

describe('leadership between tabs', () => {
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('lets only the leader sync; a follower’s write wakes it; closing the leader hands over', async () => {
    t.h = harness([A], { tabs: true });
    const leader = open();
    await vi.waitFor(async () => {
      await advance(0);
      expect(rounds()).toBe(1);
    });
    const follower = t.h.open({
      sync: {
        auto: true,
        debounceMs: 300,
        intervalMs: 60_000,
        retry: { baseMs: 1000, maxMs: 4000 },
      },
    });
    await advance(1000);
    expect(rounds()).toBe(1); // The follower runs no round of its own at start.

    await follower.conversations.update(A.id, { is_muted: true });
    await vi.waitFor(async () => {
      await advance(300);
      expect(requests(t.h.server, 'PUT')).toHaveLength(1); // Sent once, by the leader.
    });
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);

    await leader.close();
    t.store = follower;
    const before = rounds();
    await vi.waitFor(async () => {
      await advance(0);
      expect(rounds()).toBe(before + 1); // The new leader syncs at once.
    });
    await follower.conversations.update(A.id, { is_pinned: true });
    await vi.waitFor(async () => {
      await advance(300);
      expect(requests(t.h.server, 'PUT')).toHaveLength(2);
    });
  });
});

describe('what automatic rounds pull', () => {
  const rows = [
    conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 }),
    conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 }),
    conversation({ id: 'CCCCCCCCCCCCCCCC', last_active_at: 100 }),
  ];
  const gets = () => requests(t.h.server, 'GET').length;
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    // A timer set to 0 ms from inside another timer's callback is due 1 ms later under
    // fake timers (sinon's guard against loops): the planned round starts after that.
    await vi.advanceTimersByTimeAsync(1);
    await settle();
  };

  function openPaged(fullSyncMs?: number) {
    t.h = harness(rows);
    return open({
      sync: {
        auto: true,
        debounceMs: 300,
        intervalMs: 60_000,
        pageSize: 1,
        ...(fullSyncMs === undefined ? {} : { fullSyncMs }),
      },
    });
  }

  it('walks every page at start, then reads only the head on the interval until fullSyncMs', async () => {
    openPaged(5 * 60_000);
    await advance(0);
    expect(gets()).toBe(4); // Never walked: a complete walk of the three one-row pages, the head.
    t.h.server.clearRequests();
    await advance(60_000);
    expect(gets()).toBe(1); // Recent: the first page tells nothing new.
    t.h.server.clearRequests();
    for (let minute = 2; minute <= 5; minute++) await advance(60_000);
    // Three recent rounds, then a walk of every page and the head once 5 minutes passed.
    expect(gets()).toBe(1 + 1 + 1 + 4);
    t.h.server.clearRequests();
    await advance(60_000);
    expect(gets()).toBe(1);
  });

  it('walks everything on every automatic round with fullSyncMs 0', async () => {
    openPaged(0);
    await advance(0);
    t.h.server.clearRequests();
    await advance(60_000);
    expect(gets()).toBe(4); // Three one-row pages and the head.
  });

  it('pulls recent when the network comes back or the page becomes visible', async () => {
    openPaged();
    await advance(0);
    t.h.server.clearRequests();
    t.h.platform.goOffline();
    t.h.platform.goOnline();
    await advance(0);
    expect(gets()).toBe(1);
    t.h.platform.becomeVisible();
    await advance(0);
    expect(gets()).toBe(2);
  });

  it('sends only the writes after local writes', async () => {
    openPaged();
    await advance(0);
    t.h.server.clearRequests();
    await t.store.conversations.update('BBBBBBBBBBBBBBBB', { is_muted: true });
    await advance(300);
    expect(t.h.server.requests.map((r) => r.method)).toEqual(['PUT']);
  });
});

describe('how triggers merge into planned rounds (exact instants on the fake clock)', () => {
  const rows = [
    conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 }),
    conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 }),
    conversation({ id: 'CCCCCCCCCCCCCCCC', last_active_at: 100 }),
  ];
  const gets = () => requests(t.h.server, 'GET').length;
  const puts = () => requests(t.h.server, 'PUT').length;
  const methods = () => t.h.server.requests.map((request) => request.method);
  const roundStarts = (events: { type: string }[]) =>
    events.filter((event) => event.type === 'round-start').length;

  /** Lets IndexedDB work (real setImmediate) run without moving the fake clock. */
  const ticks = async (count = 50) => {
    for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  /** Moves the fake clock by `ms` (and 1 ms for timers planned inside timers), then settles. */
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    await ticks();
  };

  const retrying = (baseMs: number, fetch?: typeof t.h.network.fetch) =>
    open({
      ...(fetch === undefined ? {} : { fetch }),
      sync: { auto: true, debounceMs: 0, intervalMs: 0, retry: { baseMs, maxMs: baseMs * 4 } },
    });

  it('walks every page with fullSyncMs 0 even within the millisecond of the last walk', async () => {
    t.h = harness(rows);
    open({ sync: { auto: true, intervalMs: 60_000, pageSize: 1, fullSyncMs: 0 } });
    await settle();
    expect(gets()).toBe(4); // Three one-row pages and the head.
    t.h.server.clearRequests();
    const walkedAt = Date.now();
    t.h.platform.becomeVisible(); // The fake clock has not moved since the walk ended.
    await settle();
    await ticks();
    expect(Date.now()).toBe(walkedAt);
    expect(gets()).toBe(4);
  });

  it('pulls in the round of a local write that follows a visible trigger before its round ran', async () => {
    open();
    await advance(0);
    t.h.server.clearRequests();
    t.h.platform.becomeVisible();
    await t.store.conversations.update(A.id, { is_muted: true });
    await advance(300);
    expect(methods()).toEqual(['PUT', 'GET']);
  });

  it('pushes writes spaced less than debounceMs apart in one round, debounceMs after the last', async () => {
    open();
    await advance(0);
    t.h.server.clearRequests();
    await t.store.conversations.update(A.id, { is_muted: true });
    await vi.advanceTimersByTimeAsync(200);
    await t.store.conversations.update(A.id, { is_pinned: true });
    await vi.advanceTimersByTimeAsync(299);
    await ticks();
    expect(puts()).toBe(0);
    await advance(0);
    expect(methods()).toEqual(['PUT']);
    expect(t.h.server.get(A.id)).toMatchObject({ is_muted: true, is_pinned: true });
  });

  it('debounces a follower’s writes in the leader as it debounces its own', async () => {
    t.h = harness([A], { tabs: true });
    open();
    await advance(0);
    const follower = t.h.open({
      sync: {
        auto: true,
        debounceMs: 300,
        intervalMs: 60_000,
        retry: { baseMs: 1000, maxMs: 4000 },
      },
    });
    try {
      await advance(1000);
      t.h.server.clearRequests();
      await follower.conversations.update(A.id, { is_muted: true });
      await vi.advanceTimersByTimeAsync(200);
      await follower.conversations.update(A.id, { is_pinned: true });
      await vi.advanceTimersByTimeAsync(299);
      await ticks();
      expect(puts()).toBe(0);
      await advance(0);
      expect(methods()).toEqual(['PUT']);
      expect(t.h.server.get(A.id)).toMatchObject({ is_muted: true, is_pinned: true });
    } finally {
      await follower.close();
    }
  });

  it('syncs a page that became visible during a failing round as that round ends, not at its retry', async () => {
    const gate = holdingFetch(t.h.network.fetch, ['PUT']);
    retrying(1000, gate.fetch);
    await advance(0);
    let state: string | undefined;
    const subscription = t.store.sync.status$.subscribe((status) => {
      state = status.state;
    });
    try {
      t.h.server.clearRequests();
      t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
      await t.store.conversations.update(A.id, { is_muted: true });
      await vi.advanceTimersByTimeAsync(0);
      await tickUntil(() => gate.waiting === 1);
      expect(gate.waiting).toBe(1);
      t.h.platform.becomeVisible(); // Due at once on the fake clock, which stays put.
      gate.open();
      await tickUntil(() => state === 'error');
      await ticks();
      const endedAt = Date.now();
      await vi.advanceTimersByTimeAsync(0);
      await settle();
      await ticks();
      expect(Date.now()).toBe(endedAt);
      expect(methods()).toEqual(['PUT', 'GET']); // The failed PUT waits for its backoff.
    } finally {
      subscription.unsubscribe();
    }
  });

  it('keeps one interval when sync.start() is called on a running store, and syncs at once', async () => {
    open();
    await advance(0);
    await advance(10_000);
    t.h.server.clearRequests();
    t.store.sync.start();
    await advance(0);
    expect(gets()).toBe(1);
    t.h.server.clearRequests();
    for (let i = 0; i < 12; i++) await advance(10_000);
    expect(gets()).toBe(2); // One round a minute.
  });

  it('keeps the backoff of a write that failed for the network across a reopen', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9999); // Backoff of 59,999 ms.
    retrying(60_000);
    await advance(0);
    t.h.network.offline = true; // The server is unreachable, though the platform says online.
    await t.store.conversations.update(A.id, { is_muted: true });
    await advance(0);
    expect((await t.h.dump()).outbox).toMatchObject([{ attempts: 1, offline: true }]);
    await t.store.close();
    t.h.network.offline = false;
    t.h.server.clearRequests();
    retrying(60_000);
    await advance(0);
    expect(methods()).toEqual(['GET']); // The start round pulls; the write waits its turn.
    await advance(60_000);
    expect(puts()).toBe(1);
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('sends a write that failed for the network early on the online event only, not on a visible one', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.9999); // Backoff of 59,999 ms.
    retrying(60_000);
    await advance(0);
    t.h.network.offline = true;
    await t.store.conversations.update(A.id, { is_muted: true });
    await advance(0);
    expect((await t.h.dump()).outbox).toMatchObject([{ attempts: 1, offline: true }]);
    t.h.network.offline = false;
    t.h.server.clearRequests();
    t.h.platform.becomeVisible();
    await advance(0);
    expect(methods()).toEqual(['GET']);
    t.h.platform.goOnline();
    await advance(0);
    expect(puts()).toBe(1); // After a check GET (its last attempt failed for the network).
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('leads and wakes per database: two databases of one platform both sync, each wakes only its own leader', async () => {
    t.h = harness([A], { tabs: true });
    const sync = {
      auto: true,
      debounceMs: 300,
      intervalMs: 60_000,
      retry: { baseMs: 1000, maxMs: 4000 },
    };
    const first = open();
    const firstEvents = record(first.sync.events$);
    const otherName = `${t.h.databaseName}-other`;
    const other = t.h.open({ databaseName: otherName, sync });
    const otherEvents = record(other.sync.events$);
    const otherFollower = t.h.open({ databaseName: otherName, sync });
    try {
      await advance(0);
      expect(roundStarts(firstEvents.values)).toBe(1);
      expect(roundStarts(otherEvents.values)).toBe(1);
      t.h.server.clearRequests();
      await otherFollower.conversations.update(A.id, { is_muted: true });
      await advance(300);
      expect(methods()).toEqual(['PUT']);
      expect(roundStarts(otherEvents.values)).toBe(2);
      expect(roundStarts(firstEvents.values)).toBe(1);
    } finally {
      firstEvents.stop();
      otherEvents.stop();
      await otherFollower.close();
      await other.close();
    }
  });

  it('closes every channel it opened on the platform when the store closes', async () => {
    t.h = harness([A], { tabs: true });
    const opened: { name: string; closed: boolean }[] = [];
    const channel = t.h.platform.channel;
    if (channel === undefined) throw new Error('a platform with tabs has channels');
    t.h.platform.channel = (name) => {
      const inner = channel(name);
      const entry = { name, closed: false };
      opened.push(entry);
      return {
        ...inner,
        close: () => {
          entry.closed = true;
          inner.close();
        },
      };
    };
    open();
    await advance(0);
    await t.store.close();
    expect(opened.length).toBeGreaterThan(1);
    expect(opened.filter((entry) => !entry.closed)).toEqual([]);
  });

  it('runs no further round once the re-run after a failed write has sent it', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0); // No backoff: the write is due again at once.
    const gate = holdingFetch(t.h.network.fetch, ['PUT']);
    retrying(1000, gate.fetch);
    await advance(0);
    const events = record(t.store.sync.events$);
    try {
      t.h.server.clearRequests();
      t.h.server.faults.failNext(503, 1, { methods: ['PUT'] });
      await t.store.conversations.update(A.id, { is_muted: true });
      await vi.advanceTimersByTimeAsync(0);
      await tickUntil(() => gate.waiting === 1);
      expect(gate.waiting).toBe(1);
      t.h.platform.becomeVisible();
      await vi.advanceTimersByTimeAsync(0); // Due while a round runs: it runs after that one.
      gate.open();
      await advance(0);
      await advance(0);
      expect(methods()).toEqual(['PUT', 'PUT', 'GET']);
      expect(roundStarts(events.values)).toBe(2);
      await advance(10_000);
      expect(roundStarts(events.values)).toBe(2);
    } finally {
      events.stop();
    }
  });
});

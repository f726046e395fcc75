/** The default platform: its lock without Web Locks, and its channel between tabs (Node's BroadcastChannel stands in for the browser's). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { defaultPlatform } from '../../src/platform/platform.js';
import { A, B, harness } from '../fixtures.js';

const stores: ConversationStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

describe('defaultPlatform without Web Locks (Node)', () => {
  it('serialises the rounds of two stores on one database in one JS context', async () => {
    expect((globalThis as { navigator?: { locks?: unknown } }).navigator?.locks).toBeUndefined();
    const h = harness([A, B]);
    let inFlight = 0;
    let maxInFlight = 0;
    // A slow network: a round (a PUT, then a GET) spans several macrotasks, so two
    // unserialised rounds would overlap.
    const slowFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 15));
        return await h.network.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    };
    // Each store gets its own platform object, as two independent stores would; one
    // request at a time within a round, so two requests in flight mean two rounds.
    const options = () => ({
      platform: defaultPlatform(),
      fetch: slowFetch,
      sync: { auto: false, concurrency: 1 },
    });
    const first = h.open(options());
    const second = h.open(options());
    stores.push(first, second);
    await first.sync.now(); // Both see A and B locally (one database).
    maxInFlight = 0;
    await first.conversations.update(A.id, { is_muted: true });
    await second.conversations.update(B.id, { is_pinned: true });
    const [one, two] = await Promise.all([first.sync.now(), second.sync.now()]);
    expect(one.error).toBeNull();
    expect(two.error).toBeNull();
    expect(maxInFlight).toBe(1);
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    expect(h.server.get(B.id)?.is_pinned).toBe(true);
  });
});

describe('defaultPlatform', () => {
  it('carries structured messages to the other channels of a name, never back to the sender', async () => {
    const platform = defaultPlatform();
    const name = `platform-test-${Math.random()}`;
    const [sender, receiver] = [platform.channel?.(name), platform.channel?.(name)];
    const received: unknown[] = [];
    const echoed: unknown[] = [];
    receiver?.listen((message) => received.push(message));
    sender?.listen((message) => echoed.push(message));
    sender?.post({ v: 1, type: 'round', round: { state: 'offline', error: null } });
    sender?.post();
    await expect.poll(() => received).toHaveLength(2);
    expect(received).toEqual([
      { v: 1, type: 'round', round: { state: 'offline', error: null } },
      'wake',
    ]);
    expect(echoed).toEqual([]);
    sender?.close();
    receiver?.close();
  });
});

/** A window or document: an EventTarget whose events the test dispatches by hand. */
function fakeEventTarget<T extends object>(fields: T = {} as T) {
  return Object.assign(new EventTarget(), fields);
}

/** Web Locks for one realm: requests of a name are granted in order; an aborted wait is dropped. */
function fakeLocks() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request<T>(name: string, ...args: unknown[]): Promise<T> {
      const callback = args.at(-1) as () => Promise<T>;
      const signal = args.length === 2 ? (args[0] as { signal: AbortSignal }).signal : undefined;
      const previous = tails.get(name) ?? Promise.resolve();
      const granted = new Promise<void>((resolve, reject) => {
        void previous.then(() => resolve());
        signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
      const run = granted.then(callback);
      tails.set(name, Promise.allSettled([previous, run]));
      return run;
    },
  };
}

function deferred() {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Lets every pending message and promise callback run (no time passes on any timer). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('defaultPlatform in a browser (fakes of its globals)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("calls onOnline and onOffline listeners on the window's events until unsubscribed", () => {
    const window = fakeEventTarget();
    vi.stubGlobal('addEventListener', window.addEventListener.bind(window));
    vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window));
    const platform = defaultPlatform();
    const calls: string[] = [];
    const stopOnline = platform.onOnline(() => calls.push('online'));
    const stopOffline = platform.onOffline?.(() => calls.push('offline'));
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    expect(calls).toEqual(['offline', 'online']);
    stopOnline();
    stopOffline?.();
    window.dispatchEvent(new Event('offline'));
    window.dispatchEvent(new Event('online'));
    expect(calls).toEqual(['offline', 'online']);
  });

  it('calls onVisible listeners when the page becomes visible, not when it is hidden', () => {
    const document = fakeEventTarget({ visibilityState: 'hidden' });
    vi.stubGlobal('document', document);
    const platform = defaultPlatform();
    let calls = 0;
    const stop = platform.onVisible(() => {
      calls += 1;
    });
    document.dispatchEvent(new Event('visibilitychange'));
    expect(calls).toBe(0);
    document.visibilityState = 'visible';
    document.dispatchEvent(new Event('visibilitychange'));
    expect(calls).toBe(1);
    stop();
    document.dispatchEvent(new Event('visibilitychange'));
    expect(calls).toBe(1);
  });

  it("is offline only when navigator.onLine says so, and exposes navigator's storage", () => {
    const storage = { persist: async () => true };
    vi.stubGlobal('navigator', { onLine: false, storage });
    expect(defaultPlatform().isOnline()).toBe(false);
    expect(defaultPlatform().storage?.()).toBe(storage);
    vi.stubGlobal('navigator', { onLine: true });
    expect(defaultPlatform().isOnline()).toBe(true);
  });

  it('hands leadership to the next waiting tab when the leader resigns; a tab that gave up never leads', async () => {
    vi.stubGlobal('navigator', { locks: fakeLocks() });
    const platform = defaultPlatform();
    const leaders: string[] = [];
    const resignFirst = platform.lead?.('leader', () => leaders.push('first'));
    const resignSecond = platform.lead?.('leader', () => leaders.push('second'));
    platform.lead?.('leader', () => leaders.push('third'));
    await expect.poll(() => leaders).toEqual(['first']);
    resignSecond?.();
    resignFirst?.();
    await expect.poll(() => leaders).toEqual(['first', 'third']);
    await settle();
    expect(leaders).toEqual(['first', 'third']);
  });

  it('has no channel where BroadcastChannel is missing (each store shows its own rounds)', () => {
    vi.stubGlobal('BroadcastChannel', undefined);
    expect(defaultPlatform().channel).toBeUndefined();
  });
});

describe('defaultPlatform without Web Locks: the fallback lock', () => {
  it('keeps a task queued while the second one runs waiting until that one ends', async () => {
    const platform = defaultPlatform();
    const name = `lock-test-${Math.random()}`;
    const started: string[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const task = (index: number) => async () => {
      started.push(`task ${index}`);
      await gates[index]?.promise;
    };
    const first = platform.withLock(name, task(0));
    const second = platform.withLock(name, task(1));
    gates[0]?.resolve();
    await expect.poll(() => started).toEqual(['task 0', 'task 1']);
    const third = platform.withLock(name, task(2));
    await settle();
    expect(started).toEqual(['task 0', 'task 1']);
    gates[1]?.resolve();
    await expect.poll(() => started).toEqual(['task 0', 'task 1', 'task 2']);
    gates[2]?.resolve();
    await Promise.all([first, second, third]);
  });
});

describe('defaultPlatform channels', () => {
  it('stops calling a listener once unsubscribed, and a closed channel receives nothing', async () => {
    const platform = defaultPlatform();
    const name = `platform-test-${Math.random()}`;
    const [sender, receiver, closed] = [
      platform.channel?.(name),
      platform.channel?.(name),
      platform.channel?.(name),
    ];
    const unsubscribed: unknown[] = [];
    const kept: unknown[] = [];
    const afterClose: unknown[] = [];
    const stop = receiver?.listen((message) => unsubscribed.push(message));
    receiver?.listen((message) => kept.push(message));
    closed?.listen((message) => afterClose.push(message));
    stop?.();
    closed?.close();
    sender?.post('after');
    await expect.poll(() => kept).toEqual(['after']);
    await settle();
    expect(unsubscribed).toEqual([]);
    expect(afterClose).toEqual([]);
    sender?.close();
    receiver?.close();
  });
});

describe('defaultPlatform where features are null (happy-dom sets navigator.locks to null)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('counts null locks, storage, document and BroadcastChannel as absent', async () => {
    vi.stubGlobal('navigator', { onLine: true, locks: null, storage: null });
    vi.stubGlobal('document', null);
    vi.stubGlobal('BroadcastChannel', null);
    const platform = defaultPlatform();
    expect(platform.lead).toBeUndefined();
    expect(platform.channel).toBeUndefined();
    expect(platform.storage?.()).toBeUndefined();
    expect(platform.isOnline()).toBe(true);
    expect(await platform.withLock(`null-locks-${Math.random()}`, async () => 'ran')).toBe('ran');
    const stopVisible = platform.onVisible(() => {});
    stopVisible();
  });

  it('counts a null navigator, and locks without a request method, as absent', async () => {
    vi.stubGlobal('navigator', null);
    expect(defaultPlatform().storage?.()).toBeUndefined();
    expect(defaultPlatform().isOnline()).toBe(true);
    vi.stubGlobal('navigator', { locks: {} });
    const platform = defaultPlatform();
    expect(platform.lead).toBeUndefined();
    expect(await platform.withLock(`odd-locks-${Math.random()}`, async () => 'ran')).toBe('ran');
  });
});

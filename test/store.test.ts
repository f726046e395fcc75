import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ConversationStore, ProtocolOfflineError } from '../src/index.js';
import { A, FAKE_TIMERS, type Harness, harness, requests } from './fixtures.js';

let h: Harness;
const stores: ConversationStore[] = [];

beforeEach(() => {
  // IndexedDB (fake-indexeddb) runs on setImmediate, which stays real.
  vi.useFakeTimers(FAKE_TIMERS);
  h = harness([A]);
});

afterEach(async () => {
  vi.useRealTimers();
  for (const store of stores.splice(0)) await store.close().catch(() => {});
});

/** Lets IndexedDB work run while fake time stands still. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Resolves with how much fake time passed until `promise` settled (at most `limitMs`). */
async function fakeTimeUntil(promise: Promise<unknown>, limitMs: number): Promise<number> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  const started = Date.now();
  while (!done && Date.now() - started < limitMs) {
    await flush();
    if (!done) await vi.advanceTimersByTimeAsync(5);
  }
  return Date.now() - started;
}

describe('close()', () => {
  it('returns at once while a request hangs; the write is sent once after reopening', async () => {
    let hang = false;
    let started = 0;
    const store = h.open({
      fetch: (input, init) => {
        if (!hang) return h.network.fetch(input, init);
        started += 1;
        return new Promise<Response>(() => {}); // No answer, and the signal is ignored.
      },
    });
    stores.push(store);
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    hang = true;
    const round = store.sync.now();
    await vi.waitFor(async () => {
      await flush();
      expect(started).toBe(1);
    });
    const elapsed = await fakeTimeUntil(store.close(), 30_000);
    expect(elapsed).toBeLessThan(50); // Not one timeout (10 s) for the push and one for the pull.
    await expect(round).resolves.toMatchObject({ state: 'offline' });

    const reopened = h.open();
    stores.push(reopened);
    const summary = reopened.sync.now();
    await fakeTimeUntil(summary, 1000);
    await expect(summary).resolves.toMatchObject({ error: null });
    expect(requests(h.server, 'PUT')).toHaveLength(1);
    expect(h.server.get(A.id)?.is_muted).toBe(true);
    expect((await h.dump()).outbox).toEqual([]);
  });

  it('returns at once while getToken hangs, and destroy() too', async () => {
    let hangToken = false;
    const store = h.open({
      getToken: () => (hangToken ? new Promise<string>(() => {}) : 'secret-token-0b7c1f'),
    });
    stores.push(store);
    await store.sync.now();
    await store.conversations.update(A.id, { is_muted: true });
    hangToken = true;
    void store.sync.now();
    await flush();
    expect(await fakeTimeUntil(store.destroy(), 30_000)).toBeLessThan(50);
  });
});

describe('after close()', () => {
  it('every promise-returning method rejects only with a ProtocolOfflineError', async () => {
    vi.useRealTimers();
    const store = h.open();
    stores.push(store);
    await store.sync.now();
    const created = await store.conversations.create({ contact_id: 'k1' });
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['list', () => store.conversations.list()],
      ['retrieve', () => store.conversations.retrieve(A.id)],
      ['create', () => store.conversations.create({ contact_id: 'k2' })],
      ['update', () => store.conversations.update(A.id, { is_muted: true })],
      ['delete', () => store.conversations.delete(created.id)],
      ['listOutbox', () => store.sync.listOutbox()],
      ['listRejections', () => store.sync.listRejections()],
      ['retry', () => store.sync.retry(1)],
      ['discard', () => store.sync.discard(1)],
      ['now', () => store.sync.now()],
    ];
    for (const [name, call] of calls) {
      const outcome = await call().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      expect(outcome, name).toBeInstanceOf(ProtocolOfflineError);
      expect((outcome as Error).message, name).not.toMatch(/DatabaseClosedError/);
    }
    // destroy() after close() still deletes the database.
    await expect(store.destroy()).resolves.toBeUndefined();
  });
});

/**
 * Found by the mutation run of src/sync/engine.ts (line 220): a trigger that arrived during
 * the round that paused sync for the token was kept, and ran one more round after sync.now()
 * resumed, although that round had already done its work.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { A, FAKE_TIMERS, harness, holdingFetch, requests, TOKEN, until } from '../fixtures.js';

let store: ConversationStore | undefined;
afterEach(async () => {
  await store?.close();
  vi.useRealTimers();
});

/** Lets IndexedDB work (real setImmediate) and timers due now run, without moving the clock. */
const run = async (count = 100) => {
  for (let i = 0; i < count; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

it('runs exactly one round on sync.now() after a pause, also when a trigger came during the pausing round', async () => {
  vi.useFakeTimers(FAKE_TIMERS);
  const h = harness([A]);
  const gate = holdingFetch(h.network.fetch, ['GET']);
  let token = 'revoked';
  store = h.open({
    getToken: () => token,
    fetch: gate.fetch,
    sync: { auto: true, debounceMs: 300, intervalMs: 0, retry: { baseMs: 1000, maxMs: 4000 } },
  });
  for (let i = 0; i < 300 && gate.waiting === 0; i++) await run(1);
  h.platform.becomeVisible(); // Due while the start round runs: queued behind it.
  await run(10);
  gate.open();
  await run();
  expect(await until(store.sync.status$, () => true)).toMatchObject({ state: 'paused' });
  token = TOKEN;
  expect((await store.sync.now()).state).toBe('idle');
  const gets = requests(h.server, 'GET').length;
  await run();
  expect(requests(h.server, 'GET').length).toBe(gets);
});

/** The bearer token is never stored, logged or reported. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, SyncEvent } from '../src/index.js';
import { A, B, C, type Harness, syncedHarness, TOKEN } from './fixtures.js';

let h: Harness;
let store: ConversationStore;

/** A store that already pulled A, B, C (or `seed`), then the request log cleared. */
async function synced(seed = [A, B, C], options: Parameters<Harness['open']>[0] = {}) {
  ({ h, store } = await syncedHarness(seed, options));
  return store;
}

afterEach(async () => {
  await store?.close().catch(() => {});
  vi.useRealTimers();
});

describe('secrets', () => {
  it('never stores, logs or reports the bearer token', async () => {
    const logged: unknown[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args) => logged.push(args));
    }
    const errors: unknown[] = [];
    // The debug stream of the whole run: the logger sees every event, events$ those after
    // the first sync, and debug: 'verbose' prints them all with console.debug.
    const logged$: SyncEvent[] = [];
    const events: SyncEvent[] = [];
    await synced([A, B, C], { logger: (event) => logged$.push(event), debug: 'verbose' });
    store.sync.events$.subscribe((event) => events.push(event));
    store.sync.rejections$.subscribe((r) => errors.push(r, r.error));
    store.sync.status$.subscribe((s) => errors.push(s.lastError));
    await store.conversations.update(A.id, { is_muted: true });
    await store.conversations.update(B.id, { is_muted: true });
    h.server.faults.failNext(400, 1, { methods: ['PUT'] });
    await store.sync.now();
    h.server.setToken('rotated');
    await store.conversations.update(C.id, { is_muted: true });
    await store.conversations.update(C.id, { is_pinned: true });
    await store.conversations.create({ contact_id: 'new' });
    errors.push((await store.sync.now()).error);
    h.server.setToken(TOKEN);
    errors.push((await store.sync.now()).error);
    const dump = JSON.stringify(await h.dump());
    const reported = JSON.stringify(errors, (_key, value) =>
      value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value,
    );
    expect(dump).not.toContain(TOKEN);
    expect(reported).not.toContain(TOKEN);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(['request', 'coalesced', 'rejected', 'id-remapped', 'round-end']),
    );
    expect(logged).toContainEqual([expect.stringMatching(/^protocol-offline PUT /)]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(JSON.stringify(logged$)).not.toContain(TOKEN);
    expect(JSON.stringify([...events, ...logged$])).not.toMatch(
      /bearer|authorization|idempotency/i,
    );
    expect(JSON.stringify(h.server.requests)).not.toContain(TOKEN);
    vi.restoreAllMocks();
  });
});

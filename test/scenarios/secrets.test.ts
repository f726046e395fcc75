/** The bearer token is never stored, logged or reported. */
import { describe, expect, it, vi } from 'vitest';
import type { SyncEvent } from '../../src/index.js';
import { A, B, C, syncedSuite, TOKEN } from '../fixtures.js';

/** The store under test (`t.store`) and its harness (`t.h`); closed after each test. */
const { t, synced } = syncedSuite();

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
    t.store.sync.events$.subscribe((event) => events.push(event));
    t.store.sync.rejections$.subscribe((r) => errors.push(r, r.error));
    t.store.sync.status$.subscribe((s) => errors.push(s.lastError));
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.conversations.update(B.id, { is_muted: true });
    t.h.server.faults.failNext(400, 1, { methods: ['PUT'] });
    await t.store.sync.now();
    t.h.server.setToken('rotated');
    await t.store.conversations.update(C.id, { is_muted: true });
    await t.store.conversations.update(C.id, { is_pinned: true });
    await t.store.conversations.create({ contact_id: 'new' });
    errors.push((await t.store.sync.now()).error);
    t.h.server.setToken(TOKEN);
    errors.push((await t.store.sync.now()).error);
    const dump = JSON.stringify(await t.h.dump());
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
    expect(JSON.stringify(t.h.server.requests)).not.toContain(TOKEN);
    vi.restoreAllMocks();
  });
});

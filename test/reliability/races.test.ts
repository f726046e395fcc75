/**
 * Races: the replies of a push and a pull and a local write resolve in every order that
 * fc.scheduler picks; the final state must not depend on it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conversation, harness } from '../fixtures.js';

const NUM_RUNS = Number(process.env.NUM_RUNS ?? 40);
const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });
const B = conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 });

describe('races between a local write, a pull and a push acknowledgement', () => {
  it(
    'converge to the same state in every order',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.scheduler(), async (s) => {
          const h = harness([A, B]);
          const store = h.open({ fetch: s.scheduleFunction(h.server.fetch) });
          try {
            await s.waitFor(store.sync.now());
            await store.conversations.update(A.id, { is_muted: true }); // pending: the push
            h.server.update(A.id, { is_pinned: true }); // another device: the pull brings it
            h.server.update(B.id, { is_muted: true });
            const round = store.sync.now();
            const write = s
              .schedule(Promise.resolve('local write'))
              .then(() => store.conversations.update(A.id, { archived_at: 7 }));
            const created = s
              .schedule(Promise.resolve('local create'))
              .then(() => store.conversations.create({ contact_id: 'k-race' }));
            await s.waitFor(Promise.all([round, write, created]));
            await s.waitFor(store.sync.now());
            await s.waitFor(store.sync.now());
            expect(h.server.get(A.id)).toMatchObject({
              is_muted: true,
              is_pinned: true,
              archived_at: 7,
            });
            expect(h.server.get(B.id)?.is_muted).toBe(true);
            expect(h.server.all().filter((row) => row.contact_id === 'k-race')).toHaveLength(1);
            expect((await store.conversations.list({ limit: 100 })).data).toEqual(h.server.all());
            expect(await store.sync.listOutbox()).toEqual([]);
          } finally {
            await store.close();
          }
        }),
        { numRuns: NUM_RUNS },
      );
    },
    Math.max(120_000, NUM_RUNS * 1_000),
  );
});

/**
 * Writes queued behind an acknowledged DELETE. The write path never queues anything
 * behind a delete of the same id; the one way there is an acknowledged create whose
 * server id already has a queue of its own: the create's reply was lost, and a server
 * clock far behind ours let a pull show the server's copy before the create had its
 * answer. The user deletes that copy and then edits the record they created: once the
 * create is acknowledged, the edit waits behind the delete of the same server id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Conflict } from '../../src/index.js';
import { createReferenceServer } from '../../src/testing/index.js';
import {
  A,
  B,
  C,
  harness,
  holdingFetch,
  record,
  syncedSuite,
  TOKEN,
  tickUntil,
} from '../fixtures.js';

/** The id the server gives the one conversation created here: it sorts after `tmp_` ids. */
const COPY_ID = 'zCOPY00000000001';

const { t } = syncedSuite();
let gate: ReturnType<typeof holdingFetch> | null = null;

afterEach(() => {
  gate?.open();
  gate = null;
});

describe('an update queued behind an acknowledged DELETE of the same server id', () => {
  it('stays pending and is still sent after the DELETE, and its loss is reported as a conflict', async () => {
    t.h = harness();
    // The server's clock is an hour behind ours: its copy of an unanswered create is not
    // recognised as possibly that create (mayBeUnanswered allows 5 minutes of skew).
    const server = createReferenceServer({
      token: TOKEN,
      seed: [A, B, C],
      now: () => Math.floor(Date.now() / 1000) - 3600,
      generateId: () => COPY_ID,
    });
    t.store = t.h.open({
      sync: { auto: false, concurrency: 1, retry: { baseMs: 10, maxMs: 100 } },
      fetch: (input, init) => (gate ?? server).fetch(new Request(input, init)),
    });
    await t.store.sync.now();

    const created = await t.store.conversations.create({ contact_id: 'k1' });
    server.faults.loseNextReply(1, { methods: ['POST'] }); // Applied; the answer is lost.
    await t.store.sync.now({ pull: 'none' });
    expect(server.get(COPY_ID)).toMatchObject({ contact_id: 'k1' });
    server.faults.failNext(503, 1, { methods: ['POST'] }); // The create stays unanswered.
    await t.store.sync.now();
    // The pull showed the server's copy beside the record still under its temporary id.
    expect(await t.store.conversations.retrieve(COPY_ID)).toMatchObject({ contact_id: 'k1' });
    expect(await t.store.conversations.retrieve(created.id)).toMatchObject({ contact_id: 'k1' });

    await t.store.conversations.delete(COPY_ID); // The duplicate, as the user sees it.
    await t.store.conversations.update(created.id, { is_muted: true });

    const conflicts = record(t.store.sync.conflicts$);
    const pending = record(t.store.sync.pending$);
    gate = holdingFetch(server.fetch, ['PUT']);
    // One worker: the create (tmp_ id) goes first, its queue moves to COPY_ID behind the
    // DELETE queued there, and the DELETE is acknowledged with the update behind it.
    const round = t.store.sync.now({ pull: 'none' });
    await tickUntil(() => gate?.waiting === 1);
    expect(gate.waiting).toBe(1); // The update's PUT was sent after the DELETE.
    expect(server.get(COPY_ID)).toBeUndefined();
    expect(pending.values.at(-1)).toEqual(new Set([COPY_ID])); // Still not on the server.
    gate.open();
    await round;

    // The PUT found the record gone: the update is reported lost, nothing stays queued.
    expect(conflicts.values).toEqual([
      expect.objectContaining<Partial<Conflict>>({
        id: COPY_ID,
        kind: 'deleted',
        fields: ['is_muted'],
      }),
    ]);
    expect(pending.values.at(-1)).toEqual(new Set());
    expect(await t.store.sync.listOutbox()).toEqual([]);
    expect(server.requests.map((request) => request.method)).toEqual(
      expect.arrayContaining(['DELETE', 'PUT']),
    );
  });
});

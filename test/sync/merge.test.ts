import { afterEach, describe, expect, it } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { type Harness, syncedHarness } from '../fixtures.js';

let h: Harness;
let store: ConversationStore;

afterEach(async () => {
  await store?.close();
});

const withContact = async (contact: string) =>
  (await store.conversations.list({ limit: 100 })).data.filter((row) => row.contact_id === contact);

describe('new server rows while a sent create is unanswered', () => {
  it('shows another device’s new conversations that cannot be that create', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.create({ contact_id: 'mine' });
    h.server.faults.failNext(503, 20, { methods: ['POST'] }); // The create stays unanswered.
    const other = h.server.insert({ contact_id: 'theirs' });
    const older = h.server.insert({ contact_id: 'mine', created_at: 1_000_000 });
    const summary = await store.sync.now();
    expect(summary.complete).toBe(true);
    expect(await store.conversations.retrieve(other.id)).toEqual(other);
    // Same contact, but created long before the create left: not its copy either.
    expect(await store.conversations.retrieve(older.id)).toEqual(older);
  });

  it('still holds back a row that may be the create itself: no duplicate', async () => {
    ({ h, store } = await syncedHarness());
    const created = await store.conversations.create({ contact_id: 'mine' });
    h.server.faults.loseNextReply(1, { methods: ['POST'] }); // Applied; the answer is lost.
    await store.sync.now();
    h.server.faults.failNext(503, 1, { methods: ['POST'] });
    const summary = await store.sync.now();
    expect(summary.complete).toBe(true);
    expect(h.server.all().filter((row) => row.contact_id === 'mine')).toHaveLength(1);
    expect((await withContact('mine')).map((row) => row.id)).toEqual([created.id]);
    await store.sync.now(); // The replayed answer settles it.
    expect(await withContact('mine')).toEqual(
      h.server.all().filter((row) => row.contact_id === 'mine'),
    );
  });
});

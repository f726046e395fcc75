import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConversationStore } from '../../src/index.js';
import { A, B, C, FAKE_TIMERS, type Harness, syncedHarness } from '../fixtures.js';

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

describe('new server rows while a sent group create is unanswered', () => {
  const withGroup = async (group: string) =>
    (await store.conversations.list({ limit: 100 })).data.filter((row) => row.group_id === group);

  it('shows new rows of other groups and contacts, and holds back one of the same group', async () => {
    ({ h, store } = await syncedHarness());
    const created = await store.conversations.create({ group_id: 'g-mine' });
    h.server.faults.failNext(503, 20, { methods: ['POST'] }); // The create stays unanswered.
    const otherGroup = h.server.insert({ contact_id: null, group_id: 'g-theirs' });
    const contact = h.server.insert({ contact_id: 'theirs' });
    const sameGroup = h.server.insert({ contact_id: null, group_id: 'g-mine' });
    expect(await store.sync.now()).toMatchObject({ complete: true });
    expect(await store.conversations.retrieve(otherGroup.id)).toEqual(otherGroup);
    expect(await store.conversations.retrieve(contact.id)).toEqual(contact);
    expect(await store.conversations.retrieve(sameGroup.id)).toBeUndefined();
    expect((await withGroup('g-mine')).map((row) => row.id)).toEqual([created.id]);
  });
});

describe('the 5 minutes allowed for the server clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds back a same-contact row created up to 5 minutes before the create left', async () => {
    const T = 1_750_000_000_000;
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
    ({ h, store } = await syncedHarness());
    await store.conversations.create({ contact_id: 'mine' });
    h.server.faults.failNext(503, 20, { methods: ['POST'] });
    const edge = h.server.insert({ contact_id: 'mine', created_at: T / 1000 - 300 });
    const before = h.server.insert({ contact_id: 'mine', created_at: T / 1000 - 301 });
    await store.sync.now();
    expect(await store.conversations.retrieve(edge.id)).toBeUndefined();
    expect(await store.conversations.retrieve(before.id)).toEqual(before);
  });
});

describe('known records while a sent create is unanswered', () => {
  it('still updates a record of the same contact this store already shows', async () => {
    ({ h, store } = await syncedHarness());
    const known = h.server.insert({ contact_id: 'mine' });
    await store.sync.now();
    expect(await store.conversations.retrieve(known.id)).toEqual(known);
    await store.conversations.create({ contact_id: 'mine' });
    h.server.faults.failNext(503, 20, { methods: ['POST'] });
    const pinned = h.server.update(known.id, { is_pinned: true });
    await store.sync.now();
    expect(await store.conversations.retrieve(known.id)).toEqual(pinned);
  });
});

describe('a record deleted here while its update is unanswered', () => {
  it('stays deleted through a pull that still lists it', async () => {
    ({ h, store } = await syncedHarness());
    await store.conversations.update(A.id, { is_pinned: true });
    h.server.faults.failNext(503, 20, { methods: ['PUT'] }); // The PUT left; no answer.
    await store.sync.now({ pull: 'none' });
    await store.conversations.delete(A.id);
    expect((await store.sync.listOutbox()).map((item) => item.op)).toEqual(['update', 'delete']);
    h.server.update(A.id, { is_muted: true });
    await store.sync.now();
    expect(await store.conversations.retrieve(A.id)).toBeUndefined();
    expect((await store.conversations.list({ limit: 100 })).data.map((row) => row.id)).toEqual([
      B.id,
      C.id,
    ]);
  });
});

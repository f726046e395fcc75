import { describe, expect, it, vi } from 'vitest';
import { A, B, C, FAKE_TIMERS, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

const withContact = async (contact: string) =>
  (await t.store.conversations.list({ limit: 100 })).data.filter(
    (row) => row.contact_id === contact,
  );

describe('new server rows while a sent create is unanswered', () => {
  it('shows another device’s new conversations that cannot be that create', async () => {
    await synced();
    await t.store.conversations.create({ contact_id: 'mine' });
    t.h.server.faults.failNext(503, 20, { methods: ['POST'] }); // The create stays unanswered.
    const other = t.h.server.insert({ contact_id: 'theirs' });
    const older = t.h.server.insert({ contact_id: 'mine', created_at: 1_000_000 });
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(true);
    expect(await t.store.conversations.retrieve(other.id)).toEqual(other);
    // Same contact, but created long before the create left: not its copy either.
    expect(await t.store.conversations.retrieve(older.id)).toEqual(older);
  });

  it('still holds back a row that may be the create itself: no duplicate', async () => {
    await synced();
    const created = await t.store.conversations.create({ contact_id: 'mine' });
    t.h.server.faults.loseNextReply(1, { methods: ['POST'] }); // Applied; the answer is lost.
    await t.store.sync.now();
    t.h.server.faults.failNext(503, 1, { methods: ['POST'] });
    const summary = await t.store.sync.now();
    expect(summary.complete).toBe(true);
    expect(t.h.server.all().filter((row) => row.contact_id === 'mine')).toHaveLength(1);
    expect((await withContact('mine')).map((row) => row.id)).toEqual([created.id]);
    await t.store.sync.now(); // The replayed answer settles it.
    expect(await withContact('mine')).toEqual(
      t.h.server.all().filter((row) => row.contact_id === 'mine'),
    );
  });
});

describe('new server rows while a sent group create is unanswered', () => {
  const withGroup = async (group: string) =>
    (await t.store.conversations.list({ limit: 100 })).data.filter((row) => row.group_id === group);

  it('shows new rows of other groups and contacts, and holds back one of the same group', async () => {
    await synced();
    const created = await t.store.conversations.create({ group_id: 'g-mine' });
    t.h.server.faults.failNext(503, 20, { methods: ['POST'] }); // The create stays unanswered.
    const otherGroup = t.h.server.insert({ contact_id: null, group_id: 'g-theirs' });
    const contact = t.h.server.insert({ contact_id: 'theirs' });
    const sameGroup = t.h.server.insert({ contact_id: null, group_id: 'g-mine' });
    expect(await t.store.sync.now()).toMatchObject({ complete: true });
    expect(await t.store.conversations.retrieve(otherGroup.id)).toEqual(otherGroup);
    expect(await t.store.conversations.retrieve(contact.id)).toEqual(contact);
    expect(await t.store.conversations.retrieve(sameGroup.id)).toBeUndefined();
    expect((await withGroup('g-mine')).map((row) => row.id)).toEqual([created.id]);
  });
});

describe('the 5 minutes allowed for the server clock', () => {
  it('holds back a same-contact row created up to 5 minutes before the create left', async () => {
    const T = 1_750_000_000_000;
    vi.useFakeTimers({ ...FAKE_TIMERS, now: T });
    await synced();
    await t.store.conversations.create({ contact_id: 'mine' });
    t.h.server.faults.failNext(503, 20, { methods: ['POST'] });
    const edge = t.h.server.insert({ contact_id: 'mine', created_at: T / 1000 - 300 });
    const before = t.h.server.insert({ contact_id: 'mine', created_at: T / 1000 - 301 });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(edge.id)).toBeUndefined();
    expect(await t.store.conversations.retrieve(before.id)).toEqual(before);
  });
});

describe('known records while a sent create is unanswered', () => {
  it('still updates a record of the same contact this store already shows', async () => {
    await synced();
    const known = t.h.server.insert({ contact_id: 'mine' });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(known.id)).toEqual(known);
    await t.store.conversations.create({ contact_id: 'mine' });
    t.h.server.faults.failNext(503, 20, { methods: ['POST'] });
    const pinned = t.h.server.update(known.id, { is_pinned: true });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(known.id)).toEqual(pinned);
  });
});

describe('a record deleted here while its update is unanswered', () => {
  it('stays deleted through a pull that still lists it', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.faults.failNext(503, 20, { methods: ['PUT'] }); // The PUT left; no answer.
    await t.store.sync.now({ pull: 'none' });
    await t.store.conversations.delete(A.id);
    expect((await t.store.sync.listOutbox()).map((item) => item.op)).toEqual(['update', 'delete']);
    t.h.server.update(A.id, { is_muted: true });
    await t.store.sync.now();
    expect(await t.store.conversations.retrieve(A.id)).toBeUndefined();
    expect((await t.store.conversations.list({ limit: 100 })).data.map((row) => row.id)).toEqual([
      B.id,
      C.id,
    ]);
  });
});

/**
 * Receipts (DESIGN 2, `sync.synced(id)`): resolves once every change made to a record
 * before the call is acknowledged, from the outbox in IndexedDB, in every tab and after a
 * reload; rejects with the refusal's ApiError or, on close, a StorageError.
 */
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type Conversation,
  type Rejection,
  StorageError,
  ValidationError,
} from '../../src/index.js';
import {
  followReceipt,
  type ReceiptSnapshot,
  startReceipt,
  type Waiting,
} from '../../src/sync/receipts.js';
import { createNetworkSwitch } from '../../src/testing/index.js';
import {
  A,
  B,
  harness,
  holdingFetch,
  requests,
  type StoreOptions,
  syncedSuite,
  tickUntil,
} from '../fixtures.js';

const suite = syncedSuite();
const { t, open } = suite;

/** A store that pulled A and B. */
const synced = (options: StoreOptions = {}) => suite.synced([A, B], options);

/** A receipt whose outcome the test can look at while it waits. */
function watch(receipt: Promise<Conversation | null>) {
  const outcome: { settled: boolean; value?: Conversation | null; error?: unknown } = {
    settled: false,
  };
  receipt.then(
    (value) => Object.assign(outcome, { settled: true, value }),
    (error: unknown) => Object.assign(outcome, { settled: true, error }),
  );
  return outcome;
}

/** Lets IndexedDB, live queries and the in-process server run; true if the receipt settled. */
async function settlesNow(outcome: { settled: boolean }) {
  await tickUntil(() => outcome.settled, 100);
  return outcome.settled;
}

/** The listeners of Dexie's change event: each live query adds one while subscribed. */
const liveQueries = () =>
  (Dexie.on as unknown as { storagemutated: { subscribers: unknown[] } }).storagemutated.subscribers
    .length;

describe('sync.synced(id)', () => {
  it("resolves with the server's record, under its id, once a temporary id's create and update are acknowledged", async () => {
    t.h = harness([A, B]);
    const held = holdingFetch(t.h.network.fetch, ['PUT']);
    const store = open({ fetch: held.fetch });
    const created = await store.conversations.create({ contact_id: 'contact-1' });
    await store.sync.now({ pull: 'none' }); // Sends the POST, then holds the PUT.
    await store.conversations.update(created.id, { is_muted: true });
    const receipt = watch(store.sync.synced(created.id));
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => held.waiting === 1);
    expect(held.waiting).toBe(1);
    expect(await settlesNow(receipt)).toBe(false);
    held.release();
    await round;
    await tickUntil(() => receipt.settled);
    const [serverRow] = t.h.server.all().filter((row) => row.contact_id === 'contact-1');
    expect(receipt.value).toEqual(serverRow);
    expect(receipt.value?.id).not.toBe(created.id);
    expect(receipt.value?.is_muted).toBe(true);
  });

  it('waits for the update queued behind a create until both are acknowledged', async () => {
    t.h = harness([A, B]);
    const held = holdingFetch(t.h.network.fetch, ['PUT']);
    const store = open({ fetch: held.fetch });
    const created = await store.conversations.create({ contact_id: 'contact-1' });
    await store.conversations.update(created.id, { is_pinned: true });
    const receipt = watch(store.sync.synced(created.id));
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => held.waiting === 1); // The POST is answered, the PUT held.
    expect(requests(t.h.server, 'POST')).toHaveLength(1);
    expect(await settlesNow(receipt)).toBe(false);
    held.release();
    await round;
    await tickUntil(() => receipt.settled);
    expect(receipt.value).toMatchObject({ contact_id: 'contact-1', is_pinned: true });
  });

  it('resolves with null once a delete is acknowledged', async () => {
    const store = await synced();
    await store.conversations.delete(A.id);
    const receipt = store.sync.synced(A.id);
    await store.sync.now({ pull: 'none' });
    expect(await receipt).toBeNull();
    expect(t.h.server.get(A.id)).toBeUndefined();
  });

  it("rejects with the refusal's ApiError when the server refuses the change", async () => {
    const store = await synced();
    t.h.server.faults.failNext(422, 1, { methods: ['PUT'], message: 'no muting today' });
    await store.conversations.update(A.id, { is_muted: true });
    const receipt = store.sync.synced(A.id).catch((caught: unknown) => caught);
    await store.sync.now({ pull: 'none' });
    const error = await receipt;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, message: 'no muting today' });
    expect(await store.sync.listRejections()).toEqual([
      expect.objectContaining({ recordId: A.id, op: 'update' }),
    ]);
  });

  it("rejects with the refusal's ApiError when a temporary id's create is refused", async () => {
    const store = await synced();
    t.h.server.faults.failNext(422, 1, { methods: ['POST'] });
    const created = await store.conversations.create({ contact_id: 'contact-1' });
    const receipt = store.sync.synced(created.id).catch((caught: unknown) => caught);
    await store.sync.now({ pull: 'none' });
    expect(await receipt).toMatchObject({ name: 'ApiError', status: 422 });
  });

  it('waits while a reply is lost, and resolves once the retry is answered', async () => {
    const store = await synced();
    t.h.server.faults.loseNextReply(1, { methods: ['PUT'] });
    await store.conversations.update(A.id, { is_pinned: true });
    const receipt = watch(store.sync.synced(A.id));
    await store.sync.now({ pull: 'none' });
    expect(await settlesNow(receipt)).toBe(false);
    await store.sync.now({ pull: 'none' });
    await tickUntil(() => receipt.settled);
    expect(receipt.value).toMatchObject({ id: A.id, is_pinned: true });
  });

  it('waits for the entry a conflict check put in place of the one it was asked about', async () => {
    t.h = harness([A, B]);
    const held = holdingFetch(t.h.server.fetch, ['PUT']);
    const network = createNetworkSwitch(held.fetch); // Offline fails before the hold.
    const store = open({ fetch: network.fetch });
    await store.sync.now();
    network.offline = true;
    await store.conversations.update(A.id, { is_muted: true });
    await store.sync.now({ pull: 'none' }); // Sent, failed: the next push checks first.
    const receipt = watch(store.sync.synced(A.id));
    network.offline = false;
    const round = store.sync.now({ pull: 'none' });
    await tickUntil(() => held.waiting === 1);
    expect(requests(t.h.server, 'GET').at(-1)?.path).toBe(`/v1/conversations/${A.id}`);
    expect(held.waiting).toBe(1); // The check replaced the entry; its PUT is held.
    expect(await settlesNow(receipt)).toBe(false);
    held.release();
    await round;
    await tickUntil(() => receipt.settled);
    expect(receipt.value).toMatchObject({ id: A.id, is_muted: true });
  });

  it('waits for the delete that absorbed the update it was asked about', async () => {
    const store = await synced();
    await store.conversations.update(A.id, { is_muted: true });
    const receipt = watch(store.sync.synced(A.id));
    await store.conversations.delete(A.id); // Replaces the unsent update.
    expect(await settlesNow(receipt)).toBe(false);
    await store.sync.now({ pull: 'none' });
    await tickUntil(() => receipt.settled);
    expect(receipt).toEqual({ settled: true, value: null });
    expect(requests(t.h.server, 'DELETE')).toHaveLength(1);
  });

  it('resolves at once with the record when nothing is pending, and null for an unknown id', async () => {
    const store = await synced();
    expect(await store.sync.synced(A.id)).toEqual(A);
    expect(await store.sync.synced('ZZZZZZZZZZZZZZZZ')).toBeNull();
    expect(t.h.server.requests).toEqual([]);
  });

  it('refuses an id that is not a non-empty string with a ValidationError', async () => {
    const store = await synced();
    await expect(store.sync.synced('')).rejects.toBeInstanceOf(ValidationError);
  });

  it('resolves in a tab that does not sync once the leading tab pushes the change', async () => {
    t.h = harness([A, B], { tabs: true });
    const leader = open();
    const follower = open();
    await leader.sync.now();
    const created = await follower.conversations.create({ contact_id: 'contact-1' });
    await follower.conversations.update(A.id, { archived_at: 1_800_000_000 });
    const [createReceipt, updateReceipt] = [
      follower.sync.synced(created.id),
      follower.sync.synced(A.id),
    ];
    await leader.sync.now({ pull: 'none' });
    const serverId = t.h.server.all().find((row) => row.contact_id === 'contact-1')?.id;
    expect(await createReceipt).toMatchObject({ id: serverId, contact_id: 'contact-1' });
    expect(await updateReceipt).toMatchObject({ id: A.id, archived_at: 1_800_000_000 });
  });

  it('resolves after a reload, for a temporary id too, once the outbox drains', async () => {
    const before = await synced();
    t.h.network.offline = true;
    const created = await before.conversations.create({ group_id: 'group-1' });
    await before.conversations.update(A.id, { is_pinned: true });
    await before.sync.now({ pull: 'none' });
    await before.close();
    const after = open();
    const receipts = [after.sync.synced(created.id), after.sync.synced(A.id)];
    t.h.network.offline = false;
    await after.sync.now({ pull: 'none' });
    const [createdOnServer, pinned] = await Promise.all(receipts);
    expect(createdOnServer?.id).toBe(
      t.h.server.all().find((row) => row.group_id === 'group-1')?.id,
    );
    expect(createdOnServer?.id).not.toBe(created.id);
    expect(pinned).toMatchObject({ id: A.id, is_pinned: true });
  });

  it('rejects with a StorageError when the store closes first, and at once after', async () => {
    const store = await synced();
    await store.conversations.update(A.id, { is_muted: true });
    const receipt = store.sync.synced(A.id).catch((caught: unknown) => caught);
    await store.close();
    expect(await receipt).toBeInstanceOf(StorageError);
    await expect(store.sync.synced(A.id)).rejects.toBeInstanceOf(StorageError);
  });

  it('leaves no live query behind once it resolves, rejects or its store closes', async () => {
    const store = await synced();
    const idle = liveQueries();
    await store.conversations.update(A.id, { is_muted: true });
    await store.conversations.update(B.id, { is_muted: true });
    t.h.server.faults.failNext(422, 1, { methods: ['PUT'] });
    const refused = store.sync.synced(A.id).catch(() => null);
    const acknowledged = store.sync.synced(B.id);
    await tickUntil(() => liveQueries() === idle + 2);
    expect(liveQueries()).toBe(idle + 2);
    await store.sync.now({ pull: 'none' });
    await Promise.all([refused, acknowledged]);
    expect(liveQueries()).toBe(idle);
    await store.conversations.update(B.id, { is_pinned: true });
    const closed = store.sync.synced(B.id).catch(() => null);
    await tickUntil(() => liveQueries() === idle + 1);
    await store.close();
    await closed;
    expect(liveQueries()).toBeLessThan(idle);
  });
});

describe('followReceipt (pure)', () => {
  const refusal = (id: number): Rejection => ({
    id,
    recordId: A.id,
    rejectedAt: 0,
    error: new ApiError(422, 'invalid_request', 'no'),
    op: 'update',
    patch: { is_muted: true },
  });
  const snapshot = (seqs: number[], rejections: Rejection[] = []): ReceiptSnapshot => ({
    id: A.id,
    seqs,
    rejections,
  });
  const waitingOn = (carriers: number[], seen: number[], mark = 0): Waiting => ({
    carriers: new Set(carriers),
    seen: new Set(seen),
    mark,
  });

  it('is acknowledged at once when nothing is queued', () => {
    expect(startReceipt(snapshot([]), 0)).toEqual({ kind: 'acknowledged', id: A.id });
  });

  it('does not wait for entries queued behind the ones it was asked about', () => {
    const waiting = waitingOn([1], [1]);
    const behind = followReceipt(waiting, snapshot([1, 2]));
    expect(behind).toMatchObject({ kind: 'waiting', waiting: { carriers: new Set([1]) } });
    if (behind.kind !== 'waiting') return;
    expect(followReceipt(behind.waiting, snapshot([2]))).toEqual({
      kind: 'acknowledged',
      id: A.id,
    });
  });

  it('waits for an entry that appears as one it was asked about leaves (a replacement)', () => {
    expect(followReceipt(waitingOn([1], [1]), snapshot([5]))).toMatchObject({
      kind: 'waiting',
      waiting: { carriers: new Set([5]) },
    });
  });

  it('is refused by a rejection stored as one of its entries leaves, not by an earlier one', () => {
    expect(followReceipt(waitingOn([1], [1]), snapshot([], [refusal(3)]))).toEqual({
      kind: 'refused',
      rejection: refusal(3),
    });
    const noted = followReceipt(waitingOn([1], [1]), snapshot([1], [refusal(3)]));
    expect(noted).toMatchObject({ kind: 'waiting', waiting: { mark: 3 } });
    if (noted.kind !== 'waiting') return;
    expect(followReceipt(noted.waiting, snapshot([], [refusal(3)]))).toEqual({
      kind: 'acknowledged',
      id: A.id,
    });
  });
});

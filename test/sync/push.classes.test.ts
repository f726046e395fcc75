/**
 * Push failure classes and reply errors the user sees (DESIGN 4, "Failures"): which
 * answers reject a write, which retry it, why a write backs off, and what the round's
 * error says.
 */
import { describe, expect, it } from 'vitest';
import type { Rejection, SyncEvent } from '../../src/index.js';
import { A, harness, record, requests, syncedSuite } from '../fixtures.js';

const { t, synced } = syncedSuite();

/** Reopens `t.store` with a fetch that lets `edit` replace the server's answer to a PUT. */
async function reopenEditingPuts(edit: (response: Response) => Promise<Response | null>) {
  await t.store.close();
  t.store = t.h.open({
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await t.h.network.fetch(request);
      if (request.method !== 'PUT') return response;
      return (await edit(response)) ?? response;
    },
  });
}

describe('which answers reject a write', () => {
  it('rejects a create answered 404 and reports it on rejections$, as any other 4xx', async () => {
    await synced();
    const rejections: Rejection[] = [];
    t.store.sync.rejections$.subscribe((r) => rejections.push(r));
    const conflicts: unknown[] = [];
    t.store.sync.conflicts$.subscribe((c) => conflicts.push(c));
    const created = await t.store.conversations.create({ contact_id: 'k404' });
    t.h.server.faults.failNext(404, 1, { methods: ['POST'] });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ pushed: 0, rejected: 1 });
    expect(rejections.map((r) => [r.op, r.recordId, r.error.status])).toEqual([
      ['create', created.id, 404],
    ]);
    expect(conflicts).toEqual([]);
    expect(await t.store.conversations.retrieve(created.id)).toBeUndefined();
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });

  it('retries, not rejects, a write whose 4xx answer is too large to read', async () => {
    await synced();
    let huge = true;
    await reopenEditingPuts(async () => {
      if (!huge) return null;
      huge = false;
      return new Response('x'.repeat(8 * 1024 * 1024 + 1), { status: 422 });
    });
    await t.store.conversations.update(A.id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ pushed: 0, rejected: 0, state: 'error' });
    expect(summary.error).toMatchObject({ status: 422, type: 'invalid_response' });
    expect(await t.store.sync.listRejections()).toEqual([]);
    expect(await t.store.sync.now({ pull: 'none' })).toMatchObject({ pushed: 1, rejected: 0 });
    expect(t.h.server.get(A.id)?.is_muted).toBe(true);
  });

  it('sends the record’s next queued update in the same round after one is rejected', async () => {
    await synced();
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.server.faults.failNext(503, 1, { methods: ['PUT'] }); // It left: later changes queue behind it.
    await t.store.sync.now({ pull: 'none' });
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.clearRequests();
    t.h.server.faults.failNext(400, 1, { methods: ['PUT'] });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ pushed: 1, rejected: 1 });
    expect(requests(t.h.server, 'PUT').map((r) => r.body)).toEqual([
      { is_muted: true },
      { is_pinned: true },
    ]);
    expect(t.h.server.get(A.id)).toMatchObject({ is_muted: false, is_pinned: true });
    expect(await t.store.sync.listOutbox()).toEqual([]);
  });
});

describe('why a write backs off, as its backoff event says it', () => {
  const backoffs = (events: SyncEvent[]) => events.filter((event) => event.type === 'backoff');

  it("says 'network', with no status, for a request that got no answer", async () => {
    await synced();
    const events = record(t.store.sync.events$);
    await t.store.conversations.update(A.id, { is_muted: true });
    t.h.network.offline = true;
    await t.store.sync.now({ pull: 'none' });
    expect(backoffs(events.values)).toEqual([
      expect.objectContaining({ recordId: A.id, reason: 'network', status: null }),
    ]);
  });

  it("says 'invalid-response', with the reply's status, for a reply that is not a conversation", async () => {
    await synced();
    await reopenEditingPuts(async (response) => Response.json({ ok: true }, response));
    const events = record(t.store.sync.events$);
    await t.store.conversations.update(A.id, { is_muted: true });
    await t.store.sync.now({ pull: 'none' });
    expect(backoffs(events.values)).toEqual([
      expect.objectContaining({ recordId: A.id, reason: 'invalid-response', status: 200 }),
    ]);
  });
});

describe('what the round’s error says about a malformed reply', () => {
  it('says a PUT reply that is not a conversation is not a valid conversation', async () => {
    await synced();
    await reopenEditingPuts(async (response) => Response.json({ ok: true }, response));
    await t.store.conversations.update(A.id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary.error).toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
      status: 200,
      message: 'The reply is not a valid conversation',
    });
  });

  it('names both ids when a PUT reply is about another record', async () => {
    await synced();
    await reopenEditingPuts(async (response) => {
      const body = (await response.json()) as Record<string, unknown>;
      return Response.json({ ...body, id: 'SomeoneElse00000' }, { status: response.status });
    });
    await t.store.conversations.update(A.id, { is_muted: true });
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary.error).toMatchObject({
      type: 'invalid_response',
      message: `The reply names SomeoneElse00000, not ${A.id}`,
    });
  });
});

describe('a check before the push that cannot leave', () => {
  it('keeps the frozen entry as sent when the GET of its check never left (getToken hung)', async () => {
    let hang = false;
    t.h = harness([A]);
    t.store = t.h.open({
      getToken: () => (hang ? new Promise<string>(() => {}) : 'secret-token-0b7c1f'),
      sync: { auto: false, timeoutMs: 30, retry: { baseMs: 10, maxMs: 100 } },
    });
    await t.store.sync.now();
    await t.store.conversations.update(A.id, { is_pinned: true });
    t.h.server.faults.loseNextReply(1, { methods: ['PUT'] }); // Applied, reply lost: frozen.
    await t.store.sync.now({ pull: 'none' });
    hang = true;
    const summary = await t.store.sync.now({ pull: 'none' });
    expect(summary).toMatchObject({ state: 'offline', error: { name: 'NetworkError' } });
    const [entry] = (await t.h.dump()).outbox as { attempts: number; sentAt: number | null }[];
    expect(entry?.attempts).toBe(1);
    expect(entry?.sentAt).not.toBeNull();
    expect((await t.store.sync.listOutbox()).map((item) => item.attempts)).toEqual([1]);
  });
});

/** referenceHandlers(): the reference server behind MSW 2, driven by a real store in Node. */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createConversationStore } from '../../src/index.js';
import { createReferenceServer, referenceHandlers } from '../../src/testing/index.js';
import { auth } from './support.js';

const TOKEN = 'msw-token';
const BASE_URL = 'https://api.msw.test';
const server = createReferenceServer({ token: TOKEN });
const mock = setupServer(...referenceHandlers(server, { http, baseUrl: BASE_URL }));

beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  server.reset();
  server.clearRequests();
  server.faults.clear();
});
afterAll(() => mock.close());

let counter = 0;
// No `fetch` option: the store calls the global fetch, which MSW intercepts.
const openStore = () =>
  createConversationStore({
    baseUrl: BASE_URL,
    getToken: () => TOKEN,
    databaseName: `msw-${counter++}`,
    indexedDB: new IDBFactory(),
    IDBKeyRange,
    sync: { auto: false, retry: { baseMs: 10, maxMs: 50 } },
  });

describe('referenceHandlers with msw/node', () => {
  it('a store creates, updates and syncs through the global fetch', async () => {
    const store = openStore();
    try {
      const created = await store.conversations.create({ contact_id: 'through-msw' });
      await store.conversations.update(created.id, { is_muted: true });
      const summary = await store.sync.now();
      expect(summary.state).toBe('idle');
      const [row] = server.all();
      expect(row).toMatchObject({ contact_id: 'through-msw', is_muted: true });
      expect(await store.conversations.retrieve(row?.id as string)).toMatchObject({
        is_muted: true,
      });
      expect(server.requests.map((r) => r.method)).toEqual(
        expect.arrayContaining(['POST', 'PUT', 'GET']),
      );
    } finally {
      await store.close();
    }
  });

  it('a lost reply is a network error: the write is applied once and the retry replays it', async () => {
    const store = openStore();
    try {
      server.faults.loseNextReply(1, { methods: ['POST'] });
      await store.conversations.create({ contact_id: 'lost-reply' });
      await store.sync.now();
      await store.sync.now();
      expect(server.all()).toHaveLength(1);
      const posts = server.requests.filter((r) => r.method === 'POST');
      expect(posts.map((r) => [r.lost, r.replayed])).toEqual([
        [true, false],
        [false, true],
      ]);
      expect(new Set(posts.map((r) => r.idempotencyKey)).size).toBe(1);
      expect((await store.conversations.list()).data).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('rejects fetch like a dead network while the server is offline', async () => {
    server.faults.offline = true;
    await expect(fetch(`${BASE_URL}/v1/conversations`, { headers: auth })).rejects.toThrow(
      TypeError,
    );
  });

  it('answers unknown paths under baseUrl with the API’s 404', async () => {
    const response = await fetch(`${BASE_URL}/v1/contacts`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'invalid_request' });
  });
});

describe('referenceHandlers without baseUrl', () => {
  it('answers /v1/conversations on any origin and leaves other paths to other handlers', async () => {
    const other = createReferenceServer({ token: TOKEN });
    const local = setupServer(
      ...referenceHandlers(other, { http }),
      http.get('*/health', () => HttpResponse.text('ok')),
    );
    mock.close();
    local.listen({ onUnhandledRequest: 'error' });
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const created = await fetch('http://one.example/v1/conversations', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{"group_id":"g"}',
      });
      const { id } = (await created.json()) as { id: string };
      const read = await fetch(`http://two.example/v1/conversations/${id}`, { headers });
      expect(await read.json()).toMatchObject({ id, group_id: 'g' });
      expect(await (await fetch('http://one.example/health')).text()).toBe('ok');
    } finally {
      local.close();
      mock.listen({ onUnhandledRequest: 'error' });
    }
  });
});

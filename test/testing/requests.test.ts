/** Auth, body validation, error shapes and the record of requests. */
import { describe, expect, it } from 'vitest';
import { createReferenceServer, SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { auth, form, json, ORIGIN } from './support.js';

const CONVERSATIONS = `${ORIGIN}/v1/conversations`;
const EXAMPLE = `${CONVERSATIONS}/xgQQXg3hrtjh7AvZ`;

describe('bearer auth', () => {
  it('answers 401 invalid_request without a token and with a wrong one', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const refused: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'test-token' },
    ];
    for (const headers of refused) {
      const response = await server.fetch(CONVERSATIONS, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        type: 'invalid_request',
        message: 'Invalid or missing bearer token',
        documentation_url: expect.any(String),
      });
    }
  });

  it('accepts the option token, and after setToken only the new one', async () => {
    const server = createReferenceServer({ token: 'first' });
    const as = (token: string) =>
      server.fetch(CONVERSATIONS, { headers: { authorization: `Bearer ${token}` } });
    expect((await as('first')).status).toBe(200);
    server.setToken('second');
    expect((await as('first')).status).toBe(401);
    expect((await as('second')).status).toBe(200);
  });

  it('refuses writes without the token and applies nothing', async () => {
    const server = createReferenceServer();
    const response = await server.fetch(CONVERSATIONS, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"contact_id":"c"}',
    });
    expect(response.status).toBe(401);
    expect(server.all()).toEqual([]);
  });
});

describe('recorded requests', () => {
  it('keep method, path, query, lower-cased headers, parsed body, key, status and replay', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    await server.fetch(`${CONVERSATIONS}?limit=2&muted=false`, {
      headers: { ...auth, 'X-Trace': 'abc' },
    });
    await server.fetch(EXAMPLE, {
      method: 'PUT',
      headers: { ...form, 'Idempotency-Key': 'key-1' },
      body: 'is_muted=true&archived_at=5',
    });
    expect(server.requests).toEqual([
      {
        method: 'GET',
        path: '/v1/conversations',
        query: { limit: '2', muted: 'false' },
        headers: { 'x-trace': 'abc' },
        authorized: true,
        body: undefined,
        idempotencyKey: undefined,
        status: 200,
        replayed: false,
        lost: false,
      },
      expect.objectContaining({
        method: 'PUT',
        path: '/v1/conversations/xgQQXg3hrtjh7AvZ',
        body: { is_muted: true, archived_at: 5 },
        idempotencyKey: 'key-1',
        status: 200,
      }),
    ]);
    server.clearRequests();
    expect(server.requests).toEqual([]);
  });

  it('never contain the token, whether it was right or wrong', async () => {
    const server = createReferenceServer({ token: 'secret-right-41c9' });
    await server.fetch(CONVERSATIONS, { headers: { authorization: 'Bearer secret-right-41c9' } });
    await server.fetch(CONVERSATIONS, { headers: { authorization: 'Bearer secret-wrong-88aa' } });
    await server.fetch(CONVERSATIONS, {
      method: 'POST',
      headers: { authorization: 'Bearer secret-right-41c9', 'content-type': 'application/json' },
      body: '{"contact_id":"c"}',
    });
    expect(server.requests.map((r) => r.authorized)).toEqual([true, false, true]);
    const recorded = JSON.stringify(server.requests);
    expect(recorded).not.toContain('secret-right-41c9');
    expect(recorded).not.toContain('secret-wrong-88aa');
  });
});

describe('create validation', () => {
  const server = createReferenceServer();
  const post = (body: string, headers: Record<string, string> = json) =>
    server.fetch(CONVERSATIONS, { method: 'POST', headers, body });

  it('creates from a JSON body with a group_id', async () => {
    const response = await post('{"group_id":"g1"}');
    expect(await response.json()).toMatchObject({ contact_id: null, group_id: 'g1' });
  });

  it.each([
    ['both ids', '{"contact_id":"a","group_id":"b"}', 'contact_id'],
    ['neither id', '{}', 'contact_id'],
    ['a non-string contact_id', '{"contact_id":5}', 'contact_id'],
    ['an empty group_id', '{"group_id":""}', 'group_id'],
    ['an unknown field', '{"contact_id":"a","id":"x"}', 'id'],
    ['a read-only field', '{"contact_id":"a","is_muted":true}', 'is_muted'],
  ])('answers 400 naming the field for %s', async (_case, body, field) => {
    const before = server.all().length;
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      type: 'invalid_request',
      message: expect.stringContaining(field),
    });
    expect(server.all()).toHaveLength(before);
  });

  it.each(['{not json', '[1]', 'null', '"text"'])('answers 400 to the body %s', async (body) => {
    expect((await post(body)).status).toBe(400);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const response = await post(JSON.stringify({ contact_id: 'x'.repeat(1024 * 1024) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ type: 'invalid_request' });
  });
});

describe('update validation', () => {
  const put = (server: ReturnType<typeof createReferenceServer>, body: string, headers = json) =>
    server.fetch(EXAMPLE, { method: 'PUT', headers, body });

  it('applies every writable field from JSON', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const patch = { pinned_message_id: 'm1', is_pinned: true, is_muted: true, archived_at: 9 };
    const response = await put(server, JSON.stringify(patch));
    expect(await response.json()).toMatchObject(patch);
    expect(server.get('xgQQXg3hrtjh7AvZ')).toMatchObject(patch);
  });

  it('reads form values as booleans, digits and null', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    await put(server, 'is_pinned=true&archived_at=77&pinned_message_id=m2', form);
    expect(server.get('xgQQXg3hrtjh7AvZ')).toMatchObject({
      is_pinned: true,
      archived_at: 77,
      pinned_message_id: 'm2',
    });
    await put(server, 'is_pinned=false&archived_at=&pinned_message_id=null', form);
    expect(server.get('xgQQXg3hrtjh7AvZ')).toMatchObject({
      is_pinned: false,
      archived_at: null,
      pinned_message_id: null,
    });
  });

  it.each([
    ['{"created_at":1}', 'created_at'],
    ['{"id":"other"}', 'id'],
    ['{"is_muted":"yes"}', 'is_muted'],
    ['{"is_pinned":1}', 'is_pinned'],
    ['{"archived_at":-1}', 'archived_at'],
    ['{"archived_at":1.5}', 'archived_at'],
    ['{"pinned_message_id":7}', 'pinned_message_id'],
  ])('answers 400 to %s, naming %s, and changes nothing', async (body, field) => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const response = await put(server, body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: expect.stringContaining(field) });
    expect(server.get('xgQQXg3hrtjh7AvZ')).toEqual(SEED_CONVERSATIONS[0]);
  });

  it('answers 400 to is_muted=yes in a form', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    expect((await put(server, 'is_muted=yes', form)).status).toBe(400);
  });

  it('answers 404 to an unknown id on GET, PUT and DELETE', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const url = `${CONVERSATIONS}/noSuchConversation`;
    for (const init of [
      { headers: auth },
      { method: 'PUT', headers: json, body: '{"is_muted":true}' },
      { method: 'DELETE', headers: auth },
    ]) {
      const response = await server.fetch(url, init);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ type: 'invalid_request' });
    }
  });
});

describe('prototype pollution', () => {
  it.each([
    ['a JSON __proto__ key', '{"__proto__":{"polluted":true},"is_muted":true}', json],
    ['a JSON constructor key', '{"constructor":{"prototype":{"polluted":true}}}', json],
    ['a JSON prototype key', '{"prototype":{"polluted":true}}', json],
    ['a form __proto__ field', '__proto__=x&is_muted=true', form],
  ])('refuses %s with 400 and pollutes nothing', async (_case, body, headers) => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const response = await server.fetch(EXAMPLE, { method: 'PUT', headers, body });
    expect(response.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(server.get('xgQQXg3hrtjh7AvZ')).toEqual(SEED_CONVERSATIONS[0]);
  });
});

describe('routing', () => {
  it('answers 405 with the error body to a method a path does not support', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    for (const [url, method] of [
      [CONVERSATIONS, 'PATCH'],
      [CONVERSATIONS, 'DELETE'],
      [EXAMPLE, 'POST'],
    ] as const) {
      const response = await server.fetch(url, { method, headers: auth });
      expect(response.status).toBe(405);
      expect(await response.json()).toMatchObject({ type: 'invalid_request' });
    }
  });

  it('answers 404 with the error body to an unknown path', async () => {
    const server = createReferenceServer();
    for (const path of ['/v1/contacts', '/v2/conversations', '/v1/conversations/a/b']) {
      const response = await server.fetch(`${ORIGIN}${path}`, { headers: auth });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/json');
      expect(await response.json()).toMatchObject({ type: 'invalid_request' });
    }
  });
});

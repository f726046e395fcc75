/** The documented example requests, in-process and over real HTTP, and the two transports. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createReferenceServer,
  type ReferenceServer,
  SEED_CONVERSATIONS,
} from '../../src/testing/index.js';
import { type ListeningServer, listen } from '../../src/testing/node.js';
import { auth, DOC_EXAMPLE, form, json, ORIGIN } from './support.js';

const CREATED_AT = 692233200;

type Fetch = ReferenceServer['fetch'];

/** The docs' curl examples, run in order against one server through `fetch` at `origin`. */
function documentedExamples(setup: () => { fetch: Fetch; origin: string }) {
  it('GET /v1/conversations -d limit=10 answers { has_more: false, data } starting like the docs', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations?limit=10`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const page = (await response.json()) as { has_more: boolean; data: { id: string }[] };
    expect(page.has_more).toBe(false);
    expect(page.data[0]).toEqual(DOC_EXAMPLE);
    expect(page.data[1]?.id).toBe('hSIhXBhNe8X1d8Et');
    for (const conversation of page.data) {
      expect(Object.keys(conversation).sort()).toEqual(Object.keys(DOC_EXAMPLE).sort());
    }
  });

  it('POST with the form body contact_id=WAz8eIbvDR60rouK creates the documented object', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations`, {
      method: 'POST',
      headers: form,
      body: 'contact_id=WAz8eIbvDR60rouK',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ...DOC_EXAMPLE,
      id: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
      last_active_at: null,
      last_opened_at: null,
      created_at: CREATED_AT,
    });
  });

  it('GET /v1/conversations/xgQQXg3hrtjh7AvZ returns the documented object', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, { headers: auth });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(DOC_EXAMPLE);
  });

  it('PUT with the form body is_muted=true returns the documented object, muted', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, {
      method: 'PUT',
      headers: form,
      body: 'is_muted=true',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ...DOC_EXAMPLE, is_muted: true });
  });

  it('DELETE answers { id, deleted: true }, and the conversation is then 404', async () => {
    const { fetch, origin } = setup();
    const deleted = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: 'xgQQXg3hrtjh7AvZ', deleted: true });
    const again = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, { headers: auth });
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({
      type: 'invalid_request',
      message: expect.any(String),
      documentation_url: expect.stringMatching(/^https:\/\//),
    });
  });
}

describe('the documented examples, in-process', () => {
  const server = createReferenceServer({ seed: SEED_CONVERSATIONS, now: () => CREATED_AT });
  documentedExamples(() => ({ fetch: server.fetch, origin: ORIGIN }));
});

describe('the documented examples, over real HTTP', () => {
  const server = createReferenceServer({ seed: SEED_CONVERSATIONS, now: () => CREATED_AT });
  let http: ListeningServer;
  beforeAll(async () => {
    http = await listen(server);
  });
  afterAll(() => http.close());
  documentedExamples(() => ({ fetch: globalThis.fetch, origin: http.url }));
});

describe('transports', () => {
  it('listen() picks a free port on 127.0.0.1 and close() stops answering', async () => {
    const server = createReferenceServer();
    const http = await listen(server);
    expect(http.url).toBe(`http://127.0.0.1:${http.port}`);
    expect(http.port).toBeGreaterThan(0);
    expect((await fetch(`${http.url}/v1/conversations`, { headers: auth })).status).toBe(200);
    await http.close();
    await expect(fetch(`${http.url}/v1/conversations`, { headers: auth })).rejects.toThrow();
  });

  it('the in-process fetch accepts a Request, a URL, or a bare path', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const url = 'http://anything.example/v1/conversations';
    expect((await server.fetch(new Request(url, { headers: auth }))).status).toBe(200);
    expect((await server.fetch(new URL(url), { headers: auth })).status).toBe(200);
    expect((await server.fetch('/v1/conversations', { headers: auth })).status).toBe(200);
  });

  it('records requests over HTTP like in-process ones, without the token', async () => {
    const server = createReferenceServer({ token: 'http-secret-7f3a' });
    const http = await listen(server);
    try {
      await fetch(`${http.url}/v1/conversations`, {
        method: 'POST',
        headers: { ...json, authorization: 'Bearer http-secret-7f3a', 'idempotency-key': 'k' },
        body: '{"contact_id":"c"}',
      });
    } finally {
      await http.close();
    }
    expect(server.requests).toMatchObject([
      {
        method: 'POST',
        path: '/v1/conversations',
        authorized: true,
        body: { contact_id: 'c' },
        idempotencyKey: 'k',
        status: 200,
      },
    ]);
    expect(JSON.stringify(server.requests)).not.toContain('http-secret-7f3a');
  });
});

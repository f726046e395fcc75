import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareConversations,
  createReferenceServer,
  generateConversations,
  type ReferenceServer,
  SEED_CONVERSATIONS,
} from '../../src/testing/index.js';

const TOKEN = 'test-token';
const DOC_EXAMPLE = SEED_CONVERSATIONS[0];
const auth = { authorization: `Bearer ${TOKEN}` };
const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
const json = { ...auth, 'content-type': 'application/json' };

type Fetch = ReferenceServer['fetch'];

/** The documentation's example requests, run against an origin and a fetch. */
function documentedExamples(
  setup: () => { fetch: Fetch; origin: string; server: ReferenceServer },
) {
  it('GET /v1/conversations?limit=10 answers { has_more, data } with the documented shape', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations?limit=10`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const page = (await response.json()) as { has_more: boolean; data: unknown[] };
    expect(page.has_more).toBe(false);
    expect(page.data).toContainEqual(DOC_EXAMPLE);
    expect(Object.keys(page.data[0] as object).sort()).toEqual(
      Object.keys(DOC_EXAMPLE ?? {}).sort(),
    );
  });

  it('POST with the form body of the docs creates the documented object', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations`, {
      method: 'POST',
      headers: form,
      body: 'contact_id=WAz8eIbvDR60rouK',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
      contact_id: 'WAz8eIbvDR60rouK',
      group_id: null,
      pinned_message_id: null,
      is_pinned: false,
      is_muted: false,
      last_active_at: null,
      last_opened_at: null,
      created_at: 692233200,
      archived_at: null,
    });
  });

  it('GET /v1/conversations/:id returns the documented example', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, { headers: auth });
    expect(await response.json()).toEqual(DOC_EXAMPLE);
  });

  it('PUT with is_muted=true (form) returns the documented object', async () => {
    const { fetch, origin } = setup();
    const response = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, {
      method: 'PUT',
      headers: form,
      body: 'is_muted=true',
    });
    expect(await response.json()).toEqual({ ...DOC_EXAMPLE, is_muted: true });
  });

  it('DELETE removes the conversation, then it is 404', async () => {
    const { fetch, origin } = setup();
    const deleted = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ id: 'xgQQXg3hrtjh7AvZ', deleted: true });
    const again = await fetch(`${origin}/v1/conversations/xgQQXg3hrtjh7AvZ`, { headers: auth });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({
      type: 'invalid_request',
      documentation_url: expect.any(String),
    });
  });
}

describe('the documented examples, in-process', () => {
  let server: ReferenceServer;
  const setup = () => ({ fetch: server.fetch, origin: 'https://api.protocol.chat', server });
  beforeAll(() => {
    server = createReferenceServer({ seed: SEED_CONVERSATIONS, now: () => 692233200 });
  });
  documentedExamples(setup);
});

describe('the documented examples, over real HTTP', () => {
  let server: ReferenceServer;
  let http: Awaited<ReturnType<ReferenceServer['listen']>>;
  const setup = () => ({ fetch: globalThis.fetch as Fetch, origin: http.url, server });
  beforeAll(async () => {
    server = createReferenceServer({ seed: SEED_CONVERSATIONS, now: () => 692233200 });
    http = await server.listen(0);
  });
  afterAll(() => http.close());
  documentedExamples(setup);
});

describe('list semantics', () => {
  const rows = generateConversations(120, { seed: 9, groups: 2 });
  const server = createReferenceServer({ seed: rows });
  const list = async (query: string) => {
    const response = await server.fetch(`https://api.test/v1/conversations?${query}`, {
      headers: auth,
    });
    return {
      status: response.status,
      body: (await response.json()) as { has_more: boolean; data: typeof rows } & { type?: string },
    };
  };
  const ordered = [...rows].sort(compareConversations);

  it('orders by last_active_at desc with nulls last, then created_at desc, then id asc', async () => {
    const { body } = await list('limit=100');
    expect(body.data).toEqual(ordered.slice(0, 100));
    const nullsFrom = ordered.findIndex((row) => row.last_active_at === null);
    expect(ordered.slice(nullsFrom).every((row) => row.last_active_at === null)).toBe(true);
  });

  it('defaults to 10 rows and accepts 1..100 only', async () => {
    expect((await list('')).body.data).toHaveLength(10);
    expect((await list('limit=1')).body.data).toHaveLength(1);
    for (const bad of ['0', '101', '1.5', 'ten']) {
      expect((await list(`limit=${bad}`)).status).toBe(400);
    }
  });

  it.each([
    ['muted=true', (r: (typeof rows)[number]) => r.is_muted],
    ['muted=false', (r: (typeof rows)[number]) => !r.is_muted],
    ['pinned=true', (r: (typeof rows)[number]) => r.is_pinned],
    ['pinned=false', (r: (typeof rows)[number]) => !r.is_pinned],
    ['archived=true', (r: (typeof rows)[number]) => r.archived_at !== null],
    ['archived=false', (r: (typeof rows)[number]) => r.archived_at === null],
    ['group_id=group-1', (r: (typeof rows)[number]) => r.group_id === 'group-1'],
    [
      'muted=false&archived=false',
      (r: (typeof rows)[number]) => !r.is_muted && r.archived_at === null,
    ],
  ])('filters %s', async (query, keep) => {
    const { body } = await list(`${query}&limit=100`);
    const expected = ordered.filter(keep);
    expect(body.data).toEqual(expected.slice(0, 100));
    expect(body.has_more).toBe(expected.length > 100);
  });

  it('refuses a flag that is not true or false, and unknown parameters', async () => {
    expect((await list('muted=yes')).status).toBe(400);
    expect((await list('sort=asc')).body).toMatchObject({ type: 'invalid_request' });
  });

  it('pages forwards with starting_after and backwards with ending_before, keeping the order', async () => {
    const filtered = ordered.filter((row) => !row.is_muted);
    const first = await list('muted=false&limit=7');
    expect(first.body).toEqual({ has_more: true, data: filtered.slice(0, 7) });
    const second = await list(`muted=false&limit=7&starting_after=${filtered[6]?.id}`);
    expect(second.body).toEqual({ has_more: filtered.length > 14, data: filtered.slice(7, 14) });
    const back = await list(`muted=false&limit=7&ending_before=${filtered[14]?.id}`);
    expect(back.body).toEqual({ has_more: true, data: filtered.slice(7, 14) });
    const start = await list(`muted=false&limit=7&ending_before=${filtered[3]?.id}`);
    expect(start.body).toEqual({ has_more: false, data: filtered.slice(0, 3) });
    const last = filtered.at(-1)?.id;
    expect((await list(`muted=false&limit=7&starting_after=${last}`)).body).toEqual({
      has_more: false,
      data: [],
    });
  });

  it('answers 400 for a cursor outside the filtered list or both cursors', async () => {
    const muted = ordered.find((row) => row.is_muted)?.id;
    expect((await list(`muted=false&starting_after=${muted}`)).status).toBe(400);
    expect((await list(`ending_before=nope`)).status).toBe(400);
    const [a, b] = ordered;
    expect((await list(`starting_after=${a?.id}&ending_before=${b?.id}`)).status).toBe(400);
  });
});

describe('requests and auth', () => {
  it('answers 401 without the bearer token, with a wrong one, and after a rotation', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const url = 'https://api.test/v1/conversations';
    expect((await server.fetch(url)).status).toBe(401);
    expect((await server.fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    expect((await server.fetch(url, { headers: auth })).status).toBe(200);
    server.setToken('rotated');
    const refused = await server.fetch(url, { headers: auth });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'invalid_request' });
    expect(JSON.stringify(server.requests)).not.toContain(TOKEN);
  });

  it('validates create and update bodies, naming the field', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const post = (body: string, headers = json) =>
      server.fetch('https://api.test/v1/conversations', { method: 'POST', headers, body });
    expect((await post('{"contact_id":"a","group_id":"b"}')).status).toBe(400);
    expect((await post('{}')).status).toBe(400);
    expect((await post('{"contact_id":5}')).status).toBe(400);
    expect((await post('{"contact_id":"a","id":"x"}')).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    const put = (body: string) =>
      server.fetch('https://api.test/v1/conversations/xgQQXg3hrtjh7AvZ', {
        method: 'PUT',
        headers: json,
        body,
      });
    const readOnly = await put('{"created_at":1}');
    expect(await readOnly.json()).toMatchObject({ message: expect.stringContaining('created_at') });
    expect((await put('{"is_muted":"yes"}')).status).toBe(400);
    expect((await put('{"archived_at":-1}')).status).toBe(400);
    const missing = await server.fetch('https://api.test/v1/conversations/nope', {
      method: 'PUT',
      headers: json,
      body: '{}',
    });
    expect(missing.status).toBe(404);
  });

  it('refuses a prototype-polluting body and pollutes nothing', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const response = await server.fetch('https://api.test/v1/conversations/xgQQXg3hrtjh7AvZ', {
      method: 'PUT',
      headers: json,
      body: '{"__proto__":{"polluted":true},"is_muted":true}',
    });
    expect(response.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(server.get('xgQQXg3hrtjh7AvZ')?.is_muted).toBe(false);
  });

  it('answers 405 for an unsupported method and 413 for an oversize body', async () => {
    const server = createReferenceServer();
    expect(
      (await server.fetch('https://api.test/v1/conversations', { method: 'PATCH', headers: auth }))
        .status,
    ).toBe(405);
    const big = JSON.stringify({ contact_id: 'x'.repeat(1024 * 1024 + 10) });
    const response = await server.fetch('https://api.test/v1/conversations', {
      method: 'POST',
      headers: json,
      body: big,
    });
    expect(response.status).toBe(413);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer of a repeated key without applying the write again', async () => {
    const server = createReferenceServer();
    const send = () =>
      server.fetch('https://api.test/v1/conversations', {
        method: 'POST',
        headers: { ...json, 'idempotency-key': 'k-1' },
        body: '{"contact_id":"c"}',
      });
    const first = await send();
    const second = await send();
    expect(await second.json()).toEqual(await first.json());
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(server.all()).toHaveLength(1);
    expect(server.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it('answers 422 when a key is reused for a different request', async () => {
    const server = createReferenceServer();
    const send = (body: string) =>
      server.fetch('https://api.test/v1/conversations', {
        method: 'POST',
        headers: { ...json, 'idempotency-key': 'k-2' },
        body,
      });
    await send('{"contact_id":"c"}');
    expect((await send('{"contact_id":"d"}')).status).toBe(422);
  });
});

describe('fault injection', () => {
  const url = 'https://api.test/v1/conversations';

  it('delays every answer by latencyMs', async () => {
    const server = createReferenceServer();
    server.faults.latencyMs = 40;
    const start = performance.now();
    await server.fetch(url, { headers: auth });
    expect(performance.now() - start).toBeGreaterThanOrEqual(35);
  });

  it('fails every request like a fetch without network while offline, and applies nothing', async () => {
    const server = createReferenceServer();
    server.faults.offline = true;
    await expect(
      server.fetch(url, { method: 'POST', headers: json, body: '{"contact_id":"c"}' }),
    ).rejects.toBeInstanceOf(TypeError);
    expect(server.all()).toEqual([]);
    server.faults.clear();
    expect((await server.fetch(url, { headers: auth })).status).toBe(200);
  });

  it('answers the given status to the next N matching requests, with Retry-After, without applying them', async () => {
    const server = createReferenceServer();
    server.faults.failNext(429, 2, { methods: ['POST'], retryAfter: 30 });
    expect((await server.fetch(url, { headers: auth })).status).toBe(200); // GET does not match
    const post = () =>
      server.fetch(url, { method: 'POST', headers: json, body: '{"contact_id":"c"}' });
    const first = await post();
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('30');
    expect(await first.json()).toMatchObject({ type: 'invalid_request' });
    expect((await post()).status).toBe(429);
    expect(server.all()).toEqual([]);
    expect((await post()).status).toBe(200);
  });

  it('applies a write and then loses its reply; a retry with the same key replays it', async () => {
    const server = createReferenceServer();
    server.faults.loseNextReply(1, { methods: ['POST'] });
    const send = () =>
      server.fetch(url, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': 'k-3' },
        body: '{"contact_id":"c"}',
      });
    await expect(send()).rejects.toBeInstanceOf(TypeError);
    expect(server.all()).toHaveLength(1);
    const retry = await send();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(server.all()).toHaveLength(1);
  });

  it('drops the connection over real HTTP when a reply is lost', async () => {
    const server = createReferenceServer();
    const http = await server.listen(0);
    try {
      server.faults.loseNextReply(1);
      await expect(
        fetch(`${http.url}/v1/conversations`, {
          method: 'POST',
          headers: json,
          body: '{"contact_id":"c"}',
        }),
      ).rejects.toThrow();
      expect(server.all()).toHaveLength(1);
    } finally {
      await http.close();
    }
  });

  it.each([
    ['wrong-type', (row: Record<string, unknown>) => typeof row.is_muted !== 'boolean'],
    ['missing-field', (row: Record<string, unknown>) => !('created_at' in row)],
  ] as const)('breaks one row of the next list answer (%s)', async (kind, broken) => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(1, { row: kind });
    const page = (await (await server.fetch(url, { headers: auth })).json()) as {
      data: Record<string, unknown>[];
    };
    expect(page.data.filter(broken)).toHaveLength(1);
    const next = (await (await server.fetch(url, { headers: auth })).json()) as {
      data: Record<string, unknown>[];
    };
    expect(next.data.filter(broken)).toHaveLength(0);
  });

  it('can add a row with an own __proto__ key, or answer a list that is not JSON', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(1, { row: 'proto' });
    const text = await (await server.fetch(url, { headers: auth })).text();
    expect(text).toContain('"__proto__"');
    server.faults.malformNextList(1, { row: 'not-json' });
    const html = await (await server.fetch(url, { headers: auth })).text();
    expect(() => JSON.parse(html)).toThrow();
  });

  it('fails a share of requests with errorRate', async () => {
    let flip = 0;
    const server = createReferenceServer({ random: () => (flip++ % 2 === 0 ? 0 : 0.99) });
    server.faults.errorRate = 0.5;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await server.fetch(url, { headers: auth })).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
  });
});

/** Every fault knob of `server.faults`. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReferenceServer, SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { listen } from '../../src/testing/node.js';
import { conversation } from '../fixtures.js';
import { auth, json, list, ORIGIN } from './support.js';

const CONVERSATIONS = `${ORIGIN}/v1/conversations`;
const create = { method: 'POST', headers: json, body: '{"contact_id":"c"}' };

afterEach(() => {
  vi.useRealTimers();
});

describe('latencyMs', () => {
  it('holds every answer for latencyMs', async () => {
    vi.useFakeTimers();
    const server = createReferenceServer();
    server.faults.latencyMs = 100;
    let answered = false;
    const pending = server.fetch(CONVERSATIONS, { headers: auth }).then((response) => {
      answered = true;
      return response;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(answered).toBe(true);
    expect((await pending).status).toBe(200);
  });

  it('delays answers over real HTTP too', async () => {
    const server = createReferenceServer();
    const http = await listen(server);
    try {
      server.faults.latencyMs = 50;
      const start = performance.now();
      await fetch(`${http.url}/v1/conversations`, { headers: auth });
      expect(performance.now() - start).toBeGreaterThanOrEqual(40);
    } finally {
      await http.close();
    }
  });
});

describe('offline', () => {
  it('rejects every request with TypeError("Failed to fetch"), applying and recording nothing', async () => {
    const server = createReferenceServer();
    server.faults.offline = true;
    await expect(server.fetch(CONVERSATIONS, create)).rejects.toThrow(
      new TypeError('Failed to fetch'),
    );
    expect(server.all()).toEqual([]);
    expect(server.requests).toEqual([]);
    server.faults.offline = false;
    expect((await server.fetch(CONVERSATIONS, { headers: auth })).status).toBe(200);
  });

  it('closes the connection without an answer over real HTTP', async () => {
    const server = createReferenceServer();
    const http = await listen(server);
    try {
      server.faults.offline = true;
      await expect(fetch(`${http.url}/v1/conversations`, create)).rejects.toThrow(TypeError);
      expect(server.all()).toEqual([]);
    } finally {
      await http.close();
    }
  });
});

describe('failNext', () => {
  it('answers the status to the next `count` requests of `methods`, with Retry-After, applying nothing', async () => {
    const server = createReferenceServer();
    server.faults.failNext(429, 2, { methods: ['post'], retryAfter: 30 });
    expect((await server.fetch(CONVERSATIONS, { headers: auth })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const response = await server.fetch(CONVERSATIONS, create);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('30');
      expect(await response.json()).toEqual({
        type: 'invalid_request',
        message: expect.any(String),
        documentation_url: expect.any(String),
      });
    }
    expect(server.all()).toEqual([]);
    expect((await server.fetch(CONVERSATIONS, create)).status).toBe(200);
  });

  it('fails one request of any method by default, as api_error for 5xx', async () => {
    const server = createReferenceServer();
    server.faults.failNext(503);
    const failed = await server.fetch(CONVERSATIONS, { headers: auth });
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBeNull();
    expect(await failed.json()).toMatchObject({ type: 'api_error' });
    expect((await server.fetch(CONVERSATIONS, { headers: auth })).status).toBe(200);
  });

  it('uses the given type, message and HTTP-date Retry-After', async () => {
    const server = createReferenceServer();
    const date = 'Wed, 21 Oct 2015 07:28:00 GMT';
    server.faults.failNext(409, 1, { type: 'conflict', message: 'Try later', retryAfter: date });
    const response = await server.fetch(CONVERSATIONS, { headers: auth });
    expect(response.headers.get('retry-after')).toBe(date);
    expect(await response.json()).toMatchObject({ type: 'conflict', message: 'Try later' });
  });

  it('records the failed request with its status', async () => {
    const server = createReferenceServer();
    server.faults.failNext(500);
    await server.fetch(CONVERSATIONS, create);
    expect(server.requests).toMatchObject([{ method: 'POST', status: 500, lost: false }]);
  });
});

describe('errorRate', () => {
  it('fails the share of requests that the random option picks with 500 api_error', async () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    const server = createReferenceServer({ random: () => draws.shift() ?? 1 });
    server.faults.errorRate = 0.5;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await server.fetch(CONVERSATIONS, create)).status);
    }
    expect(statuses).toEqual([500, 200, 500, 200]);
    expect(server.all()).toHaveLength(2);
  });
});

describe('loseNextReply', () => {
  it('applies the write, then rejects like a failed fetch; a retry with the same key replays', async () => {
    const server = createReferenceServer();
    server.faults.loseNextReply();
    const send = () =>
      server.fetch(CONVERSATIONS, { ...create, headers: { ...json, 'idempotency-key': 'k' } });
    await expect(send()).rejects.toThrow(new TypeError('Failed to fetch'));
    expect(server.all()).toHaveLength(1);
    const retry = await send();
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(server.all()[0]);
    expect(server.all()).toHaveLength(1);
    expect(server.requests).toMatchObject([
      { status: 200, lost: true, replayed: false },
      { status: 200, lost: false, replayed: true },
    ]);
  });

  it('only loses writes by default, and `count` of them', async () => {
    const server = createReferenceServer();
    server.faults.loseNextReply(2);
    expect((await server.fetch(CONVERSATIONS, { headers: auth })).status).toBe(200);
    await expect(server.fetch(CONVERSATIONS, create)).rejects.toThrow(TypeError);
    await expect(server.fetch(CONVERSATIONS, create)).rejects.toThrow(TypeError);
    expect((await server.fetch(CONVERSATIONS, create)).status).toBe(200);
    expect(server.all()).toHaveLength(3);
  });

  it('loses the reply of the given methods only', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.loseNextReply(1, { methods: ['GET'] });
    expect((await server.fetch(CONVERSATIONS, create)).status).toBe(200);
    await expect(server.fetch(CONVERSATIONS, { headers: auth })).rejects.toThrow(TypeError);
  });

  it('destroys the connection over real HTTP after applying the write', async () => {
    const server = createReferenceServer();
    const http = await listen(server);
    try {
      server.faults.loseNextReply();
      await expect(fetch(`${http.url}/v1/conversations`, create)).rejects.toThrow(TypeError);
      expect(server.all()).toHaveLength(1);
      expect((await fetch(`${http.url}/v1/conversations`, create)).status).toBe(200);
    } finally {
      await http.close();
    }
  });
});

describe('malformNextList', () => {
  const page = async (server: ReturnType<typeof createReferenceServer>) => {
    const text = await (await server.fetch(CONVERSATIONS, { headers: auth })).text();
    return JSON.parse(text) as { has_more: boolean; data: Record<string, unknown>[] };
  };

  it.each([
    ['wrong-type', (row: Record<string, unknown>) => row.is_muted === 'yes'],
    ['missing-field', (row: Record<string, unknown>) => !Object.hasOwn(row, 'created_at')],
  ] as const)('%s breaks one row of the next `count` list answers', async (kind, broken) => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(2, { row: kind });
    for (let i = 0; i < 2; i++) {
      const { data } = await page(server);
      expect(data.filter(broken)).toHaveLength(1);
      expect(data).toHaveLength(SEED_CONVERSATIONS.length);
    }
    expect((await page(server)).data.filter(broken)).toHaveLength(0);
  });

  it('breaks wrong-type by default', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList();
    expect((await page(server)).data[0]?.is_muted).toBe('yes');
  });

  it('proto adds a row with an own __proto__ key next to the valid rows', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(1, { row: 'proto' });
    const { data } = await page(server);
    expect(data).toHaveLength(SEED_CONVERSATIONS.length + 1);
    expect(data.filter((row) => Object.hasOwn(row, '__proto__'))).toHaveLength(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('not-json answers a body that is not JSON', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(1, { row: 'not-json' });
    const text = await (await server.fetch(CONVERSATIONS, { headers: auth })).text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it('leaves retrieves and failed lists alone', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    server.faults.malformNextList(1, { row: 'not-json' });
    await server
      .fetch(`${CONVERSATIONS}/xgQQXg3hrtjh7AvZ`, { headers: auth })
      .then((r) => r.json());
    expect((await server.fetch(`${CONVERSATIONS}?limit=0`, { headers: auth })).status).toBe(400);
    await expect(
      server.fetch(CONVERSATIONS, { headers: auth }).then((r) => r.json()),
    ).rejects.toThrow(SyntaxError);
  });
});

describe('onList', () => {
  /** Five rows in list order, E the least recently active, all created at 1. */
  const ROWS = ['A', 'B', 'C', 'D', 'E'].map((letter, index) =>
    conversation({ id: letter.repeat(16), last_active_at: 500 - index * 100, created_at: 1 }),
  );
  const [A, B, C, D, E] = ROWS.map((r) => r.id) as [string, string, string, string, string];
  const ids = (answer: { body: { data: { id: string }[] } }) => answer.body.data.map((r) => r.id);

  it('runs before each list page: a row bumped to the top between pages is never listed', async () => {
    const server = createReferenceServer({ seed: ROWS });
    const calls: unknown[] = [];
    server.faults.onList((call) => {
      calls.push(call);
      if (call.index === 1) server.update(E, { last_active_at: 1000 }); // A new message.
    });
    const page1 = await list(server, 'limit=2');
    const page2 = await list(server, `limit=2&starting_after=${B}`);
    const page3 = await list(server, `limit=2&starting_after=${D}`);
    expect([ids(page1), ids(page2), ids(page3)]).toEqual([[A, B], [C, D], []]);
    expect(page3.body.has_more).toBe(false);
    expect(server.all().map((r) => r.id)).toEqual([E, A, B, C, D]);
    expect(calls).toEqual([
      { index: 0, query: { limit: '2' } },
      { index: 1, query: { limit: '2', starting_after: B } },
      { index: 2, query: { limit: '2', starting_after: D } },
    ]);
  });

  it('deleting the row the cursor names answers that very request 400 invalid_request', async () => {
    const server = createReferenceServer({ seed: ROWS });
    server.faults.onList(({ query }) => {
      if (query.starting_after !== undefined) server.remove(query.starting_after);
    });
    const answer = await list(server, `limit=2&starting_after=${B}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ type: 'invalid_request' });
    expect(server.get(B)).toBeUndefined();
    expect(server.requests).toMatchObject([{ method: 'GET', status: 400 }]);
  });

  it('deletes in the read and the unread part: the next page starts after the cursor all the same', async () => {
    const server = createReferenceServer({ seed: ROWS });
    server.faults.onList(({ index }) => {
      if (index !== 1) return;
      server.remove(A); // Already read.
      server.remove(C); // Not read yet.
    });
    const page1 = await list(server, 'limit=2');
    const page2 = await list(server, `limit=2&starting_after=${B}`);
    expect([ids(page1), ids(page2)]).toEqual([
      [A, B],
      [D, E],
    ]);
    expect(page2.body.has_more).toBe(false);
  });

  it('rows created with the cursor row’s last_active_at land on either side of the page edge', async () => {
    const server = createReferenceServer({ seed: ROWS });
    server.faults.onList(({ index }) => {
      if (index !== 1) return;
      // B has last_active_at 400 and created_at 1: ties break on created_at, then id.
      server.insert({
        id: 'BBBBBBBBBBBBBBB0',
        contact_id: 'x',
        last_active_at: 400,
        created_at: 1,
      });
      server.insert({
        id: 'BBBBBBBBBBBBBBBC',
        contact_id: 'y',
        last_active_at: 400,
        created_at: 1,
      });
      server.insert({
        id: 'BBBBBBBBBBBBBBBZ',
        contact_id: 'z',
        last_active_at: 400,
        created_at: 2,
      });
    });
    const page1 = await list(server, 'limit=2');
    const page2 = await list(server, `limit=2&starting_after=${B}`);
    expect(ids(page1)).toEqual([A, B]);
    // Before B (read already): the one created later and the one with the smaller id.
    expect(server.all().map((r) => r.id)).toEqual([
      A,
      'BBBBBBBBBBBBBBBZ',
      'BBBBBBBBBBBBBBB0',
      B,
      'BBBBBBBBBBBBBBBC',
      C,
      D,
      E,
    ]);
    expect(ids(page2)).toEqual(['BBBBBBBBBBBBBBBC', C]);
  });

  it("when: 'after' runs once the page is computed: the client gets a page the table left", async () => {
    const server = createReferenceServer({ seed: ROWS });
    const answers: unknown[] = [];
    server.faults.onList(
      ({ index, answer }) => {
        answers.push(answer);
        if (index === 0) server.remove(A);
      },
      { when: 'after' },
    );
    const page1 = await list(server, 'limit=2');
    expect(ids(page1)).toEqual([A, B]);
    expect(server.get(A)).toBeUndefined();
    expect((await list(server, `limit=2&starting_after=${A}`)).status).toBe(400);
    expect(answers).toEqual([
      { status: 200, page: { ids: [A, B], has_more: true } },
      { status: 400, page: null },
    ]);
  });

  it('sees authorized list requests only: not retrieves, writes, failed or unauthorized ones', async () => {
    const server = createReferenceServer({ seed: ROWS });
    const seen: number[] = [];
    server.faults.onList(({ index }) => {
      seen.push(index);
    });
    await server.fetch(`${CONVERSATIONS}/${A}`, { headers: auth });
    await server.fetch(CONVERSATIONS, create);
    await server.fetch(CONVERSATIONS);
    server.faults.failNext(503, 1, { methods: ['GET'] });
    expect((await list(server)).status).toBe(503);
    await server.fetch(CONVERSATIONS, { method: 'HEAD', headers: auth });
    expect(seen).toEqual([]);
    expect((await list(server)).status).toBe(200);
    expect(seen).toEqual([0]);
  });

  it('count removes the hook after that many list requests; the remover and clear() end it sooner', async () => {
    const server = createReferenceServer({ seed: ROWS });
    const seen: string[] = [];
    server.faults.onList(({ index }) => void seen.push(`two ${index}`), { count: 2 });
    const stop = server.faults.onList(({ index }) => void seen.push(`stopped ${index}`));
    server.faults.onList(() => void seen.push('never'), { count: 0 });
    await list(server);
    stop();
    await list(server);
    await list(server);
    expect(seen).toEqual(['two 0', 'stopped 0', 'two 1']);
    server.faults.onList(() => void seen.push('cleared'));
    server.faults.clear();
    await list(server);
    expect(seen).toHaveLength(3);
  });

  it('numbers concurrent requests in their order of arrival and holds the answer for an async hook', async () => {
    const server = createReferenceServer({ seed: ROWS });
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    server.faults.onList(async ({ index, query }) => {
      order.push(`${index}:${query.limit}`);
      if (index === 0) await held;
    });
    let firstDone = false;
    const first = list(server, 'limit=1').then((answer) => {
      firstDone = true;
      return answer;
    });
    const second = await list(server, 'limit=2');
    expect(ids(second)).toEqual([A, B]);
    expect(firstDone).toBe(false);
    release();
    expect(ids(await first)).toEqual([A]);
    expect(order).toEqual(['0:1', '1:2']);
  });

  it('a hook that throws fails the request with a 500 api_error naming the error', async () => {
    const server = createReferenceServer({ seed: ROWS });
    server.faults.onList(() => {
      throw new Error('boom');
    });
    const answer = await list(server);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatchObject({
      type: 'api_error',
      message: expect.stringContaining('boom'),
    });
    expect(server.requests).toMatchObject([{ method: 'GET', status: 500 }]);
  });

  it('rejects an unknown `when`', () => {
    const server = createReferenceServer();
    expect(() => server.faults.onList(() => {}, { when: 'during' as unknown as 'before' })).toThrow(
      TypeError,
    );
  });

  it('moves the table over real HTTP too', async () => {
    const server = createReferenceServer({ seed: ROWS });
    const http = await listen(server);
    try {
      server.faults.onList(({ query }) => {
        if (query.starting_after !== undefined) server.remove(query.starting_after);
      });
      const response = await fetch(`${http.url}/v1/conversations?starting_after=${A}`, {
        headers: auth,
      });
      expect(response.status).toBe(400);
    } finally {
      await http.close();
    }
  });
});

describe('clear', () => {
  it('resets every fault', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const { faults } = server;
    faults.latencyMs = 1000;
    faults.errorRate = 1;
    faults.failNext(500, 5);
    faults.loseNextReply(5, { methods: ['GET'] });
    faults.malformNextList(5, { row: 'not-json' });
    faults.offline = true;
    faults.clear();
    expect([faults.latencyMs, faults.errorRate, faults.offline]).toEqual([0, 0, false]);
    const response = await server.fetch(CONVERSATIONS, { headers: auth });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ has_more: false });
  });
});

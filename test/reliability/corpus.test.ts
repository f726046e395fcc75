/**
 * Bad input corpus: what a broken or hostile server may answer, and what a careless app
 * may pass. Each gets a typed error; storage stays valid; Object.prototype stays clean.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, type ConversationStore, ProtocolOfflineError } from '../../src/index.js';
import { conversationProblem } from '../../src/model/validate.js';
import { conversation, harness } from '../fixtures.js';

const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });
const good = JSON.stringify(A);
const row = (fields: Record<string, unknown>) =>
  JSON.stringify({ ...A, id: 'BADROW0000000000', ...fields });

/** [name, status, content type, body] of list answers. */
const LIST_CORPUS: [string, number, string, string][] = [
  ['not JSON', 200, 'application/json', '{"has_more": false, "data": ['],
  ['HTML', 200, 'text/html', '<html><body>Maintenance</body></html>'],
  ['an empty body', 200, 'application/json', ''],
  ['null', 200, 'application/json', 'null'],
  ['an array', 200, 'application/json', '[]'],
  ['has_more not a boolean', 200, 'application/json', '{"has_more":"no","data":[]}'],
  ['data not an array', 200, 'application/json', '{"has_more":false,"data":{}}'],
  [
    'a row of wrong types',
    200,
    'application/json',
    `{"has_more":false,"data":[${good},${row({ is_muted: 'yes', created_at: '2024' })}]}`,
  ],
  [
    'a row without an id',
    200,
    'application/json',
    `{"has_more":false,"data":[${good},${row({ id: undefined })}]}`,
  ],
  [
    'a row with a fractional timestamp',
    200,
    'application/json',
    `{"has_more":false,"data":[${good},${row({ last_active_at: 1.5 })}]}`,
  ],
  [
    'a row with a negative timestamp',
    200,
    'application/json',
    `{"has_more":false,"data":[${good},${row({ archived_at: -5 })}]}`,
  ],
  ['a row that is a string', 200, 'application/json', `{"has_more":false,"data":[${good},"row"]}`],
  [
    'an oversize body',
    200,
    'application/json',
    `{"has_more":false,"data":[${good}],"pad":"${'x'.repeat(9 * 1024 * 1024)}"}`,
  ],
  ['an unexpected 204', 204, 'application/json', ''],
  ['a 418', 418, 'application/json', '{"type":"invalid_request","message":"teapot"}'],
  ['a 500 with an HTML body', 500, 'text/html', '<h1>oops</h1>'],
  ['has_more true with no rows', 200, 'application/json', '{"has_more":true,"data":[]}'],
];

let store: ConversationStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('hostile or broken server answers', () => {
  it.each(LIST_CORPUS)(
    'a list answer with %s gives a typed error and stores nothing invalid',
    async (_name, status, type, body) => {
      const h = harness([A]);
      let crafted = true;
      store = h.open({
        fetch: async (input, init) => {
          const request = new Request(input, init);
          if (request.method === 'GET' && crafted) {
            return new Response(status === 204 ? null : body, {
              status,
              headers: { 'content-type': type },
            });
          }
          return h.network.fetch(request);
        },
      });
      const summary = await store.sync.now();
      expect(summary.error).toBeInstanceOf(ProtocolOfflineError);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const stored = (await h.dump()).conversations ?? [];
      for (const row of stored) {
        const { s: _s, f: _f, g: _g, a: _a, ...fields } = row as Record<string, unknown>;
        expect(conversationProblem(fields)).toBeNull();
        expect(Object.keys(fields).sort()).toEqual(Object.keys(A).sort());
      }
      // Nothing the broken answer could have removed was removed, and the next good pull converges.
      crafted = false;
      await store.sync.now();
      expect((await store.conversations.list()).data).toEqual(h.server.all());
    },
  );

  it.each([
    ['an own __proto__', `${row({}).slice(0, -1)},"__proto__":{"polluted":true}}`],
    ['a constructor key', row({ constructor: { prototype: { polluted: true } } })],
    ['a prototype key', row({ prototype: { polluted: true } })],
  ])('keeps a row with %s, minus that key, without polluting anything', async (_name, bad) => {
    const h = harness([A]);
    store = h.open({
      fetch: async () =>
        new Response(`{"has_more":false,"data":[${good},${bad}]}`, {
          headers: { 'content-type': 'application/json' },
        }),
    });
    const summary = await store.sync.now();
    expect(summary).toMatchObject({ complete: true, skipped: 0, error: null });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
    const kept = await store.conversations.retrieve('BADROW0000000000');
    expect(kept).toEqual({ ...A, id: 'BADROW0000000000' });
    const stored = JSON.stringify(await h.dump());
    expect(stored).not.toContain('polluted');
  });

  it('drops an own __proto__ key of a list page without polluting anything', async () => {
    const h = harness([A]);
    store = h.open({
      fetch: async () =>
        new Response(`{"has_more":false,"data":[${good}],"__proto__":{"polluted":true}}`, {
          headers: { 'content-type': 'application/json' },
        }),
    });
    const summary = await store.sync.now();
    expect(summary.complete).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await store.conversations.list()).data).toEqual([A]);
  });

  it.each([
    ['not JSON', 200, '{"id":'],
    ['a conversation of wrong types', 200, row({ is_pinned: 'true' })],
    ['an oversize body', 200, `"${'x'.repeat(9 * 1024 * 1024)}"`],
    ['an unexpected 302', 302, ''],
  ] as const)(
    'a PUT reply with %s keeps the write queued with a typed error',
    async (_name, status, body) => {
      const h = harness([A]);
      let crafted = true;
      store = h.open({
        fetch: async (input, init) => {
          const request = new Request(input, init);
          if (request.method === 'PUT' && crafted) {
            await h.server.fetch(request); // The server applied it; the answer is garbage.
            return new Response(body, {
              status,
              headers: { 'content-type': 'application/json', location: '/x' },
            });
          }
          return h.network.fetch(request);
        },
      });
      await store.sync.now();
      await store.conversations.update(A.id, { is_muted: true });
      const summary = await store.sync.now();
      expect(summary.error).toBeInstanceOf(ApiError);
      expect((await store.sync.listOutbox()).map((item) => item.op)).toEqual(['update']);
      crafted = false;
      await store.sync.now();
      expect(await store.sync.listOutbox()).toEqual([]);
      expect(await store.conversations.retrieve(A.id)).toEqual(h.server.get(A.id));
      expect(h.server.get(A.id)?.is_muted).toBe(true);
    },
  );
});

describe('careless app input', () => {
  it.each([
    ['create', [null]],
    ['create', [undefined]],
    ['create', [{ contact_id: ['a'] }]],
    ['create', [Object.create({ contact_id: 'inherited' })]],
    ['update', [A.id, null]],
    ['update', [A.id, { is_muted: new Boolean(true) }]],
    ['update', [A.id, { archived_at: Number.NaN }]],
    ['update', [A.id, { archived_at: Number.MAX_VALUE }]],
    ['update', [null, { is_muted: true }]],
    ['update', [{ toString: () => A.id }, { is_muted: true }]],
    ['delete', ['']],
    ['retrieve', [7]],
    ['list', [{ limit: Number.POSITIVE_INFINITY }]],
    ['list', [{ starting_after: '' }]],
    ['list', ['muted']],
  ] as const)(
    '%s(%j) is refused with a ValidationError and changes nothing',
    async (method, args) => {
      const h = harness([A]);
      store = h.open();
      await store.sync.now();
      const before = await h.dump();
      const call = (
        store.conversations as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
      )[method];
      await expect(call?.(...args)).rejects.toMatchObject({ name: 'ValidationError' });
      expect(await h.dump()).toEqual(before);
    },
  );
});

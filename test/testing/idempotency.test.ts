/** Idempotency-Key: a repeated write replays its first answer instead of applying again. */
import { describe, expect, it } from 'vitest';
import { createReferenceServer, SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { json, ORIGIN } from './support.js';

const CONVERSATIONS = `${ORIGIN}/v1/conversations`;
const EXAMPLE = `${CONVERSATIONS}/xgQQXg3hrtjh7AvZ`;

const withKey = (key: string) => ({ ...json, 'idempotency-key': key });

describe('Idempotency-Key', () => {
  it('replays the first answer to a repeated POST, with Idempotent-Replayed, creating one row', async () => {
    const server = createReferenceServer();
    const send = () =>
      server.fetch(CONVERSATIONS, {
        method: 'POST',
        headers: withKey('k-1'),
        body: '{"contact_id":"c"}',
      });
    const first = await send();
    const second = await send();
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.status).toBe(first.status);
    expect(await second.json()).toEqual(await first.json());
    expect(server.all()).toHaveLength(1);
    expect(server.requests.map((r) => r.replayed)).toEqual([false, true]);
  });

  it('replays a PUT without applying it again over a later change', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const send = () =>
      server.fetch(EXAMPLE, { method: 'PUT', headers: withKey('k-2'), body: '{"is_muted":true}' });
    await send();
    server.update('xgQQXg3hrtjh7AvZ', { is_muted: false });
    const replay = await send();
    expect(await replay.json()).toMatchObject({ is_muted: true });
    expect(server.get('xgQQXg3hrtjh7AvZ')?.is_muted).toBe(false);
  });

  it('replays a DELETE as a success, not a 404', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    const send = () => server.fetch(EXAMPLE, { method: 'DELETE', headers: withKey('k-3') });
    await send();
    const replay = await send();
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ id: 'xgQQXg3hrtjh7AvZ', deleted: true });
  });

  it.each([
    ['a different body', CONVERSATIONS, 'POST', '{"contact_id":"other"}'],
    ['a different path', `${CONVERSATIONS}/s4WycXedwhQrEFuM`, 'PUT', '{"is_muted":true}'],
    ['a different method', EXAMPLE, 'DELETE', undefined],
  ])(
    'answers 422 invalid_request when a key comes back with %s, applying nothing',
    async (_case, url, method, body) => {
      const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
      const first = { method: 'PUT', headers: withKey('k-4'), body: '{"is_muted":true}' };
      await server.fetch(EXAMPLE, first);
      const before = server.all();
      const response = await server.fetch(url, { method, headers: withKey('k-4'), body });
      expect(response.status).toBe(422);
      expect(await response.json()).toMatchObject({ type: 'invalid_request' });
      expect(server.all()).toEqual(before);
    },
  );

  it('does not remember an answer to an injected failure: the retry is applied', async () => {
    const server = createReferenceServer();
    server.faults.failNext(503);
    const send = () =>
      server.fetch(CONVERSATIONS, {
        method: 'POST',
        headers: withKey('k-5'),
        body: '{"contact_id":"c"}',
      });
    expect((await send()).status).toBe(503);
    const retry = await send();
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(server.all()).toHaveLength(1);
  });

  it('forgets every key on reset', async () => {
    const server = createReferenceServer();
    const send = () =>
      server.fetch(CONVERSATIONS, {
        method: 'POST',
        headers: withKey('k-6'),
        body: '{"contact_id":"c"}',
      });
    await send();
    server.reset();
    expect((await send()).headers.get('idempotent-replayed')).toBeNull();
    expect(server.all()).toHaveLength(1);
  });

  it('applies writes without a key every time', async () => {
    const server = createReferenceServer();
    for (let i = 0; i < 2; i++) {
      await server.fetch(CONVERSATIONS, {
        method: 'POST',
        headers: json,
        body: '{"contact_id":"c"}',
      });
    }
    expect(server.all()).toHaveLength(2);
  });
});

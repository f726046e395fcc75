/** protocol-offline/testing/node: the reference server on a port, with and without CORS. */
import { afterEach, describe, expect, it } from 'vitest';
import { createReferenceServer, SEED_CONVERSATIONS } from '../../src/testing/index.js';
import { type ListeningServer, listen } from '../../src/testing/node.js';
import { auth, json } from './support.js';

let http: ListeningServer | undefined;
afterEach(async () => {
  await http?.close();
  http = undefined;
});

const preflight = (url: string) =>
  fetch(`${url}/v1/conversations`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://app.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'authorization, content-type, idempotency-key',
    },
  });

describe('listen() with cors', () => {
  it('answers a preflight without a token with 204 and the allowed methods, headers and max age', async () => {
    const server = createReferenceServer();
    http = await listen(server, { cors: true });
    const response = await preflight(http.url);
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toBe(
      'GET, POST, PUT, DELETE, OPTIONS',
    );
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, idempotency-key, accept',
    );
    expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    // The gateway answered it: the API never saw a request.
    expect(server.requests).toEqual([]);
  });

  it('names the allowed origin and exposes Retry-After on every answer, errors included', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    http = await listen(server, { cors: { origin: 'http://app.example' } });
    expect((await preflight(http.url)).headers.get('access-control-allow-origin')).toBe(
      'http://app.example',
    );
    server.faults.failNext(429, 1, { retryAfter: 3 });
    for (const init of [{ headers: auth }, { headers: auth }, {}]) {
      const response = await fetch(`${http.url}/v1/conversations`, init);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://app.example');
      expect(response.headers.get('access-control-expose-headers')).toBe('retry-after');
    }
    expect(server.requests.map((r) => r.status)).toEqual([429, 200, 401]);
  });

  it('fails a preflight like any request while the server is offline', async () => {
    const server = createReferenceServer();
    http = await listen(server, { cors: true });
    server.faults.offline = true;
    await expect(preflight(http.url)).rejects.toThrow(TypeError);
  });

  it('still destroys the connection of a lost reply after applying the write', async () => {
    const server = createReferenceServer();
    http = await listen(server, { cors: true });
    server.faults.loseNextReply();
    await expect(
      fetch(`${http.url}/v1/conversations`, {
        method: 'POST',
        headers: json,
        body: '{"contact_id":"c"}',
      }),
    ).rejects.toThrow(TypeError);
    expect(server.all()).toHaveLength(1);
  });
});

describe('listen() without cors', () => {
  it('adds no CORS headers and sends OPTIONS to the API (401 without a token)', async () => {
    const server = createReferenceServer();
    http = await listen(server);
    const response = await preflight(http.url);
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers HEAD like GET without a body', async () => {
    const server = createReferenceServer({ seed: SEED_CONVERSATIONS });
    http = await listen(server);
    const response = await fetch(`${http.url}/v1/conversations`, { method: 'HEAD', headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(await response.text()).toBe('');
  });

  it('refuses an object that is not a reference server', async () => {
    const server = createReferenceServer();
    await expect(listen({ ...server })).rejects.toThrow(/createReferenceServer/);
  });
});

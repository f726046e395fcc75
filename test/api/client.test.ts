import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationsApi, type FetchFunction, neverSent } from '../../src/api/client.js';
import { ApiError, AuthError, NetworkError } from '../../src/model/errors.js';
import type { RequestEvent } from '../../src/model/events.js';
import { setClock, systemClock } from '../../src/platform/clock.js';
import { FAKE_TIMERS } from '../fixtures.js';

const row = {
  id: 'xgQQXg3hrtjh7AvZ',
  contact_id: 'WAz8eIbvDR60rouK',
  group_id: null,
  pinned_message_id: null,
  is_pinned: false,
  is_muted: false,
  last_active_at: null,
  last_opened_at: null,
  created_at: 692233200,
  archived_at: null,
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

function client(fetch: FetchFunction, getToken: () => string | Promise<string> = () => 'secret-1') {
  return new ConversationsApi({ baseUrl: 'https://api.test/', getToken, fetch, timeoutMs: 1000 });
}

afterEach(() => vi.useRealTimers());

describe('ConversationsApi', () => {
  it('sends the bearer token from getToken and the Idempotency-Key', async () => {
    const seen: Request[] = [];
    const api = client(async (input, init) => {
      seen.push(new Request(input, init));
      return json(200, row);
    });
    await api.create({ contact_id: 'WAz8eIbvDR60rouK' }, 'key-1');
    const request = seen[0] as Request;
    expect(request.url).toBe('https://api.test/v1/conversations');
    expect(request.method).toBe('POST');
    expect(request.headers.get('authorization')).toBe('Bearer secret-1');
    expect(request.headers.get('idempotency-key')).toBe('key-1');
    expect(await request.json()).toEqual({ contact_id: 'WAz8eIbvDR60rouK' });
  });

  it('asks getToken once more after a 401 and retries with the new token', async () => {
    let token = 'old';
    const getToken = vi.fn(() => token);
    const api = client(async (input, init) => {
      const auth = new Request(input, init).headers.get('authorization');
      if (auth === 'Bearer old') {
        token = 'new';
        return json(401, { type: 'invalid_request', message: 'expired' });
      }
      return json(200, row);
    }, getToken);
    await expect(api.retrieve('xgQQXg3hrtjh7AvZ')).resolves.toMatchObject({ status: 200 });
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('shares one getToken call between concurrent requests that hit 401', async () => {
    let getTokenCalls = 0;
    // The first three calls (one per request) hand out a token that has expired.
    const getToken = () => (++getTokenCalls <= 3 ? 'old' : 'new');
    const api = client(async (input, init) => {
      const auth = new Request(input, init).headers.get('authorization');
      return auth === 'Bearer new'
        ? json(200, row)
        : json(401, { type: 'invalid_request', message: 'x' });
    }, getToken);
    // Three requests take the old token, all get 401, then share one refresh.
    const results = await Promise.all([api.retrieve('a'), api.retrieve('b'), api.retrieve('c')]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(getTokenCalls).toBe(4);
  });

  it('gives up with AuthError when the token is refused again, without the token in the error', async () => {
    const api = client(
      async () => json(401, { type: 'invalid_request', message: 'no' }),
      () => 'secret-xyz',
    );
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(JSON.stringify(error)).not.toContain('secret-xyz');
    expect(String((error as Error).message)).not.toContain('secret-xyz');
  });

  it('turns a failing getToken into AuthError', async () => {
    const api = client(
      async () => json(200, row),
      () => {
        throw new Error('signed out');
      },
    );
    await expect(api.retrieve('a')).rejects.toBeInstanceOf(AuthError);
  });

  it('maps an error body onto ApiError with status, type, message and Retry-After', async () => {
    const api = client(async () =>
      json(429, { type: 'api_error', message: 'slow down' }, { 'retry-after': '7' }),
    );
    const error = (await api
      .update('a', { is_muted: true }, 'k')
      .catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.type, error.message, error.retryAfter]).toEqual([
      429,
      'api_error',
      'slow down',
      7,
    ]);
  });

  it('reports a 2xx body that is not JSON as an invalid_response ApiError', async () => {
    const api = client(async () => new Response('<html>', { status: 200 }));
    await expect(api.retrieve('a')).rejects.toMatchObject({
      name: 'ApiError',
      type: 'invalid_response',
    });
  });

  it('reports a failed fetch as NetworkError', async () => {
    const api = client(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.retrieve('a')).rejects.toMatchObject({ name: 'NetworkError', timeout: false });
  });

  it('reports a request that outlives its timeout as NetworkError with timeout: true', async () => {
    vi.useFakeTimers();
    const api = client(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    );
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1500);
    const error = await pending;
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).timeout).toBe(true);
  });
});

describe('waits that never end', () => {
  it('gives getToken the request timeout: a token that never comes fails as a NetworkError, unsent', async () => {
    vi.useFakeTimers();
    const fetch = vi.fn(async () => json(200, row));
    const api = client(fetch, () => new Promise<string>(() => {}));
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    await vi.advanceTimersByTimeAsync(1);
    const error = await pending;
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ timeout: true });
    expect((error as Error).message).toMatch(/getToken/);
    expect(neverSent(error)).toBe(true);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('abort() ends a request in flight at once, even one whose fetch ignores the signal', async () => {
    vi.useFakeTimers();
    const api = client(() => new Promise<Response>(() => {}));
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    api.abort();
    await vi.advanceTimersByTimeAsync(0);
    const error = await pending;
    expect(error).toBeInstanceOf(NetworkError);
    expect(neverSent(error)).toBe(false); // It had left: the server may have it.
  });

  it('after abort(), fails every request without calling getToken or fetch', async () => {
    const fetch = vi.fn(async () => json(200, row));
    const getToken = vi.fn(() => 'secret-1');
    const api = client(fetch, getToken);
    api.abort();
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(neverSent(error)).toBe(true);
    expect(getToken).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('a getToken that hangs ends at abort() too', async () => {
    vi.useFakeTimers();
    const api = client(
      async () => json(200, row),
      () => new Promise<string>(() => {}),
    );
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    api.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(await pending).toBeInstanceOf(NetworkError);
  });
});

describe('errors name what failed and the request it failed', () => {
  const retrieveA = { method: 'GET', url: 'https://api.test/v1/conversations/a' };

  it('a getToken that returns an empty string fails as an AuthError, unsent, and sends nothing', async () => {
    const fetch = vi.fn(async () => json(200, row));
    const api = client(fetch, () => '');
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      message: 'getToken did not return a non-empty string',
      request: retrieveA,
    });
    expect(neverSent(error)).toBe(true);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('a failing getToken is an AuthError with its error as the cause and the request', async () => {
    const signedOut = new Error('signed out');
    const api = client(
      async () => json(200, row),
      () => {
        throw signedOut;
      },
    );
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      message: 'getToken failed',
      cause: signedOut,
      request: retrieveA,
    });
  });

  it('a token refused after the refresh: the AuthError names the request, never the token', async () => {
    const api = client(async () => json(401, { type: 'invalid_request', message: 'no' }));
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      message:
        'The API refused the bearer token (401), also after a refresh: GET https://api.test/v1/conversations/a',
      request: retrieveA,
    });
  });

  it('after abort(), a request fails unsent with a NetworkError that says the store closed', async () => {
    const api = client(async () => json(200, row));
    api.abort();
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      message: 'getToken was not started: the store closed',
      request: retrieveA,
    });
  });

  it('abort() during a request: the NetworkError names the request and says the store closed', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const api = client(() => new Promise<Response>(() => {}));
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10);
    api.abort();
    const error = await pending;
    expect(error).toMatchObject({
      message: 'GET https://api.test/v1/conversations/a was aborted: the store closed',
      request: retrieveA,
    });
  });

  it('a failed fetch: the NetworkError names the request and the reason, with the cause', async () => {
    const failure = new TypeError('Failed to fetch');
    const api = client(async () => {
      throw failure;
    });
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      message: 'GET https://api.test/v1/conversations/a failed: Failed to fetch',
      cause: failure,
      request: retrieveA,
    });
  });

  it('a timeout: the NetworkError names the request and the time it waited', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const api = client(() => new Promise<Response>(() => {}));
    const pending = api.retrieve('a').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await pending).toMatchObject({
      message: 'GET https://api.test/v1/conversations/a timed out after 1000 ms',
      timeout: true,
      request: retrieveA,
    });
  });

  it('a body that breaks off while read is a NetworkError with the cause and the request', async () => {
    const dropped = new Error('socket hang up');
    const api = client(
      async () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              controller.error(dropped);
            },
          }),
          { status: 200 },
        ),
    );
    const error = await api.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({
      message: 'The connection dropped while reading the reply',
      cause: dropped,
      request: retrieveA,
    });
  });
});

describe('requests and what they leave behind', () => {
  it('asks for JSON (Accept: application/json)', async () => {
    const seen: Request[] = [];
    const api = client(async (input, init) => {
      seen.push(new Request(input, init));
      return json(200, row);
    });
    await api.retrieve('a');
    expect(seen[0]?.headers.get('accept')).toBe('application/json');
  });

  it('leaves no timer pending once a request has answered', async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const api = client(async () => json(200, row));
    await api.retrieve('a');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('leaves no abort listener behind: many requests raise no MaxListenersExceededWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const api = client(async () => json(200, row));
      for (let i = 0; i < 12; i++) await api.retrieve('a');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});

describe('onRequest', () => {
  function told(fetch: FetchFunction, getToken: () => string = () => 'secret-1') {
    const events: RequestEvent[] = [];
    const api = new ConversationsApi({
      baseUrl: 'https://api.test',
      getToken,
      fetch,
      timeoutMs: 1000,
      onRequest: (event) => events.push(event),
    });
    return { api, events };
  }

  it('counts a request repeated after a 401 as one more attempt', async () => {
    let token = 'old';
    const { api, events } = told(
      async (input, init) => {
        if (new Request(input, init).headers.get('authorization') === 'Bearer old') {
          token = 'new';
          return json(401, { type: 'invalid_request', message: 'expired' });
        }
        return json(200, row);
      },
      () => token,
    );
    await api.update('a', { is_muted: true }, 'k', 3);
    expect(events.map(({ status, attempt }) => ({ status, attempt }))).toEqual([
      { status: 401, attempt: 3 },
      { status: 200, attempt: 4 },
    ]);
  });

  it("tells a request that timed out with failure 'timeout'", async () => {
    vi.useFakeTimers(FAKE_TIMERS);
    const { api, events } = told(() => new Promise<Response>(() => {}));
    const pending = api.retrieve('a').catch(() => {});
    await vi.advanceTimersByTimeAsync(1000);
    await pending;
    expect(events).toMatchObject([{ status: null, failure: 'timeout' }]);
  });

  it('tells the time from sending to the answer read, on the monotonic clock', async () => {
    let monotonic = 5000;
    const restore = setClock({ ...systemClock, monotonic: () => monotonic });
    try {
      const { api, events } = told(async () => {
        monotonic += 25;
        return json(200, row);
      });
      await api.retrieve('a');
      expect(events).toMatchObject([{ status: 200, durationMs: 25 }]);
    } finally {
      restore();
    }
  });
});

describe('reading the reply', () => {
  const api = (fetch: FetchFunction, maxBodyBytes?: number) =>
    new ConversationsApi({
      baseUrl: 'https://api.test',
      getToken: () => 'secret-1',
      fetch,
      timeoutMs: 1000,
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    });
  const retrieveA = { method: 'GET', url: 'https://api.test/v1/conversations/a' };

  it('accepts a body of exactly maxBodyBytes and refuses a longer one as invalid_response', async () => {
    const exact = api(async () => new Response('"abcdefgh"', { status: 200 }), 10);
    await expect(exact.retrieve('a')).resolves.toEqual({ status: 200, body: 'abcdefgh' });
    const longer = api(async () => new Response('"abcdefghi"', { status: 200 }), 10);
    const error = await longer.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 200,
      type: 'invalid_response',
      message: 'The reply body is too large',
      request: retrieveA,
    });
  });

  it('an empty success reply (204) resolves with body null', async () => {
    const client = api(async () => new Response(null, { status: 204 }));
    await expect(client.delete('a', 'k')).resolves.toEqual({ status: 204, body: null });
  });

  it('a success reply of only whitespace resolves with body null', async () => {
    const client = api(async () => new Response(' \n', { status: 200 }));
    await expect(client.delete('a', 'k')).resolves.toEqual({ status: 200, body: null });
  });

  it('a success reply that is not JSON: the ApiError says so, with the parse error as cause', async () => {
    const client = api(async () => new Response('<html>', { status: 200 }));
    const error = await client.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      type: 'invalid_response',
      message: 'The reply is not JSON',
      cause: expect.any(SyntaxError),
      request: retrieveA,
    });
  });

  it('an error status with a body that is not JSON is an api_error named by status and status text', async () => {
    const client = api(
      async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const error = await client.retrieve('a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 502,
      type: 'api_error',
      message: 'The API answered 502 Bad Gateway',
    });
  });

  it('an error status without body or status text: the message has no trailing space', async () => {
    const client = api(async () => new Response(null, { status: 500 }));
    const error = await client.retrieve('a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 500,
      type: 'api_error',
      message: 'The API answered 500',
    });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConversationsApi, type FetchFunction, neverSent } from '../src/api.js';
import { ApiError, AuthError, NetworkError } from '../src/errors.js';

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

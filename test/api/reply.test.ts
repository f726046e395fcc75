/**
 * A reply read in full (api/reply.ts): the parsed body of a success, or the ApiError of
 * anything else (a body too large or not JSON, an error status with the API's
 * `{ type, message }`), with the Retry-After the server asked for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfter, readReply } from '../../src/api/reply.js';
import { ApiError } from '../../src/index.js';
import { setClock, systemClock } from '../../src/platform/clock.js';

const request = { method: 'PUT', url: 'https://api.test/v1/conversations/c1' };
const MAX = 1024;

/** Reads `text` as the body of a reply with `init`'s status and headers. */
const read = (text: string, init: ResponseInit = {}) =>
  readReply({ response: new Response(text, init), text }, request, MAX);

/** What `read` threw. */
function failure(text: string, init: ResponseInit = {}): ApiError {
  try {
    read(text, init);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the reply was read without an error');
}

let restoreClock: (() => void) | undefined;
afterEach(() => {
  restoreClock?.();
  restoreClock = undefined;
});

describe('readReply of a success', () => {
  it('returns the status and the parsed JSON body', () => {
    expect(read('{"id":"c1","is_muted":true}', { status: 201 })).toEqual({
      status: 201,
      body: { id: 'c1', is_muted: true },
    });
  });

  it('returns a null body for an empty or blank reply', () => {
    expect(read('', { status: 200 })).toEqual({ status: 200, body: null });
    expect(read(' \n', { status: 200 })).toEqual({ status: 200, body: null });
  });

  it('throws an invalid_response ApiError for a body that is not JSON, with the parse error as cause', () => {
    const error = failure('<html>', { status: 200 });
    expect(error).toMatchObject({
      status: 200,
      type: 'invalid_response',
      message: 'The reply is not JSON',
      request,
    });
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('readReply of any reply', () => {
  it('throws an invalid_response ApiError for a body longer than the limit, whatever its status', () => {
    const long = JSON.stringify({ data: 'x'.repeat(MAX) });
    for (const status of [200, 422]) {
      expect(failure(long, { status })).toMatchObject({
        status,
        type: 'invalid_response',
        message: 'The reply body is too large',
        request,
      });
    }
  });

  it('reads a body exactly as long as the limit', () => {
    const exact = JSON.stringify({ data: 'x'.repeat(MAX - 11) });
    expect(exact).toHaveLength(MAX);
    expect(read(exact).body).toEqual({ data: 'x'.repeat(MAX - 11) });
  });
});

describe('readReply of an error status', () => {
  it("throws an ApiError with the status and the API's type and message", () => {
    const body = JSON.stringify({ type: 'invalid_request', message: 'No such conversation' });
    expect(failure(body, { status: 404 })).toMatchObject({
      name: 'ApiError',
      status: 404,
      type: 'invalid_request',
      message: 'No such conversation',
      retryAfter: undefined,
      request,
    });
  });

  it('says api_error and the status line when the body tells nothing readable', () => {
    const unreadable = failure('Bad gateway', { status: 502, statusText: 'Bad Gateway' });
    expect(unreadable).toMatchObject({
      type: 'api_error',
      message: 'The API answered 502 Bad Gateway',
    });
    const wrongTypes = failure('{"type":5,"message":["no"]}', { status: 500 });
    expect(wrongTypes).toMatchObject({ type: 'api_error', message: 'The API answered 500' });
  });

  it('carries the Retry-After the server asked for, in seconds', () => {
    const busy = { status: 429, headers: { 'retry-after': '120' } };
    expect(failure('{}', busy).retryAfter).toBe(120);
  });

  it('reads a Retry-After date against the store’s clock', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    restoreClock = setClock({ ...systemClock, now: () => now });
    const headers = { 'retry-after': 'Thu, 01 Jan 2026 00:01:00 GMT' };
    expect(failure('{}', { status: 503, headers }).retryAfter).toBe(60);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
  });

  it('never asks for less than no wait', () => {
    expect(parseRetryAfter('-5', 0)).toBe(0);
  });

  it('ignores a missing, blank or unreadable header (ApiError.retryAfter stays undefined)', () => {
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('', 0)).toBeUndefined();
    expect(parseRetryAfter('  ', 0)).toBeUndefined();
  });
});

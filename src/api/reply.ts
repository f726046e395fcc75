/**
 * A reply read in full, turned into the parsed body or the store's error for it: a body
 * too large or not JSON, or an error status with the API's `{ type, message }`.
 */

import { ApiError, type FailedRequest } from '../model/errors.js';
import { clock } from '../platform/clock.js';

/** A successful reply: the parsed JSON body (still unvalidated). */
export interface ApiReply {
  status: number;
  body: unknown;
}

/** A reply read in full within the request's time. */
export interface RawReply {
  response: Response;
  text: string;
}

/** The body of a successful reply; throws the ApiError of any other. */
export function readReply(
  { response, text }: RawReply,
  request: FailedRequest,
  maxBodyBytes: number,
): ApiReply {
  if (text.length > maxBodyBytes) {
    throw new ApiError(response.status, 'invalid_response', 'The reply body is too large', {
      request,
    });
  }
  let body: unknown = null;
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (response.ok) {
        throw new ApiError(response.status, 'invalid_response', 'The reply is not JSON', {
          cause: error,
          request,
        });
      }
    }
  }
  if (response.ok) return { status: response.status, body };
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const type = typeof fields.type === 'string' ? fields.type : 'api_error';
  const message =
    typeof fields.message === 'string'
      ? fields.message
      : `The API answered ${response.status} ${response.statusText}`.trim();
  throw new ApiError(response.status, type, message, {
    retryAfter: parseRetryAfter(response.headers.get('retry-after'), clock().now()),
    request,
  });
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

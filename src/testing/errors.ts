/**
 * The API's error answers: every unsuccessful request gets `{ type, message,
 * documentation_url }` as JSON, `invalid_request` for 4xx and `api_error` for 5xx.
 */

/** Where `documentation_url` points in every error body. */
export const ERRORS_DOCUMENTATION_URL = 'https://docs.protocol.chat/errors';

/** A request the API refuses; the routes throw it and the error handler answers it. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/** The documented error answer. `type` defaults from the status class. */
export function errorResponse(
  status: number,
  message: string,
  options: { type?: string; headers?: Record<string, string> } = {},
): Response {
  const body = {
    type: options.type ?? (status >= 500 ? 'api_error' : 'invalid_request'),
    message,
    documentation_url: ERRORS_DOCUMENTATION_URL,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

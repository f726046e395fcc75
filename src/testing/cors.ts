/**
 * CORS for the reference server on a port, so a web app served from another origin (a
 * Vite dev server, say) can call it: preflights are answered before auth, since a
 * browser sends them without the Authorization header, and every answer names the
 * allowed origin.
 */

/** The CORS option of `listen()`: `true` allows any origin, `{ origin }` that one. */
export type CorsOption =
  | boolean
  | {
      /** The one origin allowed, for example `http://localhost:5173` (default `*`). */
      origin?: string;
    };

const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, accept';
/** Ten minutes: long enough that a test run preflights each request shape once. */
const MAX_AGE_SECONDS = 600;

/** The allowed origin of `option`, or null when CORS is off. */
export function allowedOrigin(option: CorsOption | undefined): string | null {
  if (option === undefined || option === false) return null;
  if (option === true) return '*';
  return option.origin ?? '*';
}

/** Whether `request` is a CORS preflight (an OPTIONS asking for a method). */
export function isPreflight(request: Request): boolean {
  return (
    request.method.toUpperCase() === 'OPTIONS' &&
    request.headers.has('access-control-request-method')
  );
}

/** The answer to a preflight. */
export function preflightResponse(origin: string): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...originHeaders(origin),
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': String(MAX_AGE_SECONDS),
    },
  });
}

/**
 * The headers every answer carries. `Retry-After` is exposed because the store reads it
 * to back off, and a browser hides non-safelisted headers from cross-origin scripts.
 */
export function originHeaders(origin: string): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'retry-after',
  };
}

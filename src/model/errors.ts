/**
 * The error classes the store throws and reports. Each has a stable `name`, the fields a
 * caller needs to decide what to do, and the underlying `cause` where there is one.
 * None of them ever carries the bearer token.
 */

/** The HTTP request an error came from (never its headers: they hold the token). */
export interface FailedRequest {
  /** `GET`, `POST`, `PUT` or `DELETE`. */
  method: string;
  /** The full URL, query included. */
  url: string;
}

/** What the error classes' constructors take besides the message. */
export interface ErrorDetails {
  /** The underlying error. */
  cause?: unknown;
  /** The request that failed, for errors of the API client. */
  request?: FailedRequest | undefined;
}

/** Base class of every error raised by protocol-offline. */
export class ProtocolOfflineError extends Error {
  /** `'ProtocolOfflineError'`; each subclass sets its own class name. */
  override name = 'ProtocolOfflineError';
  /** The HTTP request that failed, when the error came from one. */
  readonly request: FailedRequest | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.request = details.request;
  }
}

/**
 * Bad input from the app (or a bad list parameter): nothing was read or written.
 * `field` names the offending field or parameter.
 */
export class ValidationError extends ProtocolOfflineError {
  /** Always `'ValidationError'`. */
  override name = 'ValidationError';
  /** The offending field or parameter, for example `'is_muted'` or `'limit'`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/**
 * The API answered with an error status. `type` is the API's error type
 * (`api_error` or `invalid_request`), `message` the API's message.
 */
export class ApiError extends ProtocolOfflineError {
  /** Always `'ApiError'`. */
  override name = 'ApiError';
  /** The HTTP status of the answer. */
  readonly status: number;
  /** The API's error type: `'api_error'` or `'invalid_request'`. */
  readonly type: string;
  /** Seconds the server asked to wait (`Retry-After`), when it said so. */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    type: string,
    message: string,
    options: ErrorDetails & { retryAfter?: number | undefined } = {},
  ) {
    super(message, options);
    this.status = status;
    this.type = type;
    this.retryAfter = options.retryAfter;
  }
}

/** The API refused the bearer token, also after asking `getToken` again. Sync is paused. */
export class AuthError extends ProtocolOfflineError {
  /** Always `'AuthError'`. */
  override name = 'AuthError';
  /** Always 401. */
  readonly status = 401;
}

/** The request did not get an answer: no network, a timeout, or a dropped connection. */
export class NetworkError extends ProtocolOfflineError {
  /** Always `'NetworkError'`. */
  override name = 'NetworkError';
  /** True when the request timed out rather than failed outright. */
  readonly timeout: boolean;

  constructor(message: string, options: ErrorDetails & { timeout?: boolean } = {}) {
    super(message, options);
    this.timeout = options.timeout ?? false;
  }
}

/** IndexedDB failed: quota exceeded, an aborted transaction, a closed database. */
export class StorageError extends ProtocolOfflineError {
  /** Always `'StorageError'`. */
  override name = 'StorageError';
  /** True when the browser refused to store more data (QuotaExceededError). */
  readonly quota: boolean;

  constructor(message: string, options: ErrorDetails & { quota?: boolean } = {}) {
    super(message, options);
    this.quota = options.quota ?? isQuotaError(options.cause);
  }
}

/** Whether IndexedDB refused to store more: a QuotaExceededError, or Dexie's wrapper of one. */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  const inner = (error as { inner?: { name?: unknown } } | null)?.inner?.name;
  return name === 'QuotaExceededError' || inner === 'QuotaExceededError';
}

/** What a StorageError says when this runtime has no IndexedDB (SSR, Node without a shim). */
export const MISSING_INDEXEDDB =
  'IndexedDB is missing in this environment: pass one with the `indexedDB` option ' +
  '(and `IDBKeyRange`), for example from fake-indexeddb in Node, or create the store in a browser';

/** Dexie's errors that have a plainer explanation for the app. */
function reasonOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  // After a failed open, Dexie answers DatabaseClosedError with the open's error inside.
  const inner = (error as { inner?: { name?: unknown } } | null)?.inner?.name;
  if (name === 'MissingAPIError' || inner === 'MissingAPIError') return MISSING_INDEXEDDB;
  if (name === 'DatabaseClosedError') return STORE_CLOSED;
  return error instanceof Error ? error.message : String(error);
}

/** Why a closed store refuses to read or write. */
export const STORE_CLOSED =
  'the store is closed (close() or destroy() here, or destroy() in another tab)';

/**
 * The error of an `action` refused because the store closed: `cause` is why it closed
 * when that was a failure (its database could not open), else it simply closed.
 */
export const closedStoreError = (action: string, cause?: unknown): Error =>
  cause === undefined
    ? new StorageError(`${action} failed: ${STORE_CLOSED}`)
    : toStorageError(cause, action);

/** Wraps anything thrown by IndexedDB/Dexie in a StorageError; passes our own errors through. */
export function toStorageError(error: unknown, action: string): Error {
  if (error instanceof ProtocolOfflineError) return error;
  // Dexie wraps what failed its open (the gate's refusal) in an OpenFailedError.
  const inner = (error as { inner?: unknown } | null)?.inner;
  if (inner instanceof ProtocolOfflineError) return inner;
  return new StorageError(`${action} failed: ${reasonOf(error)}`, { cause: error });
}

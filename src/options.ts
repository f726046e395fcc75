/**
 * The store's options: their public types, and the one function that validates and
 * defaults all of them at creation. Everything after reads the normalised form.
 */
import type { FetchFunction, TokenProvider } from './api/client.js';
import { ValidationError } from './model/errors.js';
import type { SyncEvent } from './model/events.js';
import { clock, MAX_DELAY_MS, unixSeconds } from './platform/clock.js';
import { type DebugMode, debugMode } from './platform/debug.js';
import { defaultPlatform, type Platform } from './platform/platform.js';
import type { ResolveConflict } from './sync/reconcile.js';

/** How failed requests are retried (option `sync.retry`). */
export interface RetryOptions {
  /** First backoff ceiling in ms, 1 or more (default 1000). */
  baseMs?: number;
  /** Largest backoff ceiling in ms, at least `baseMs` (default 60000). */
  maxMs?: number;
}

/** Options of the sync engine (`createConversationStore({ sync })`). */
export interface SyncOptions {
  /** Sync by itself: at start, after writes, online, visible, on the interval. Default true. */
  auto?: boolean;
  /** Pull period in ms while started: 0 (off) or 1000 and more. Default 60 000. */
  intervalMs?: number;
  /** Rows per page when pulling, 1..100. Default 100 (the API's maximum). */
  pageSize?: number;
  /** Backoff of failed writes. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  retry?: RetryOptions;
  /** Timeout of each HTTP request in ms, 1 or more. Default 10 000. */
  timeoutMs?: number;
  /** Delay in ms between a local write and the round it triggers, 0 or more. Default 300. */
  debounceMs?: number;
  /** Records pushed at once (one request in flight per record), 1..32. Default 4. */
  concurrency?: number;
  /**
   * How old the last complete walk may get before an automatic round walks every page
   * again, in ms. Default 15 minutes; 0: every automatic round walks everything.
   */
  fullSyncMs?: number;
  /**
   * An update to a record last confirmed with the server longer ago than this (ms) is
   * checked against the server's state (one GET) before it is sent. Default 60 000.
   */
  freshMs?: number;
}

/** Limits of the local store (option `storage`); see the README's "Storage" section. */
export interface StorageOptions {
  /**
   * Most conversations kept locally, 10 to 10 000 000. Past it, synced records nobody
   * watches are evicted, least recently active first. Default: no limit.
   */
  maxRecords?: number;
  /**
   * Most bytes of conversations kept locally (their JSON size), 65 536 or more. Past it,
   * records are evicted as for `maxRecords`. Default: no limit.
   */
  maxBytes?: number;
  /**
   * Bytes held in reserve, as a file in the origin private file system, and given up when
   * the browser refuses a local write for want of room, so that the write still lands
   * (see the README's "Quota and eviction"). 0 to 67 108 864; 0 holds none. Default
   * 524 288 (512 KiB).
   */
  reserveBytes?: number;
}

/** Options of {@link createConversationStore}. */
export interface ConversationStoreOptions {
  /** The API's origin; `/v1/conversations` is appended. */
  baseUrl: string;
  /** Returns the bearer token; called for every request, never stored. */
  getToken: TokenProvider;
  /** The IndexedDB database; use one per signed-in user. Default `'protocol-offline'`. */
  databaseName?: string;
  /** The fetch to use (default: the global `fetch`). */
  fetch?: FetchFunction;
  /** An IndexedDB factory, for Node and tests (for example fake-indexeddb). */
  indexedDB?: IDBFactory;
  /** The `IDBKeyRange` that goes with `indexedDB`. */
  IDBKeyRange?: typeof IDBKeyRange;
  /** How and when to sync; see {@link SyncOptions}. */
  sync?: SyncOptions;
  /** Decides conflicts differently from the default rebase (see ConflictContext). */
  resolveConflict?: ResolveConflict;
  /** Clock in unix seconds, for `created_at` of local creates. Default: the system clock. */
  now?: () => number;
  /** Online/visibility events, the cross-tab lock, `navigator.storage`; default: the browser's. */
  platform?: Platform;
  /** Limits of the local store; see {@link StorageOptions}. */
  storage?: StorageOptions;
  /**
   * The user just signed in: open the database even if a sign-out (`destroy()`) deleted it
   * before. Without it, a database deleted by a sign-out is never recreated (a stale tab,
   * the service worker): the store's reads and writes reject with a StorageError.
   * Default false.
   */
  afterSignIn?: boolean;
  /**
   * Receives every event of the debug stream (see {@link SyncEvent}, and
   * `store.sync.events$`): rounds, requests, decisions. Events never carry a token, a
   * header or a body. A logger that throws is ignored.
   */
  logger?: (event: SyncEvent) => void;
  /**
   * Prints the debug stream with `console.debug`, one line per event: `true` the requests,
   * rounds' ends and decisions; `'verbose'` every event. Default: on when
   * `localStorage.debug` contains `protocol-offline` (`'protocol-offline:verbose'` for all).
   */
  debug?: DebugMode;
  /**
   * How long (ms) a list or record the app read (`list`, `list$`, `retrieve`, `retrieve$`)
   * stays in memory, kept current, after its last subscriber left or its last one-shot
   * read: the same read again answers without touching IndexedDB. At most 64 lists and 256
   * records stay (least recently used leave first). Default 60 000; 0 keeps nothing.
   */
  cacheMs?: number;
}

/** Every option, validated and defaulted. */
export interface NormalizedOptions {
  baseUrl: string;
  getToken: TokenProvider;
  databaseName: string;
  fetch: FetchFunction | undefined;
  indexedDB: IDBFactory | undefined;
  IDBKeyRange: typeof IDBKeyRange | undefined;
  resolveConflict: ResolveConflict | undefined;
  nowSeconds: () => number;
  platform: Platform;
  storage: { maxRecords: number; maxBytes: number; reserveBytes: number };
  afterSignIn: boolean;
  logger: ((event: SyncEvent) => void) | undefined;
  debug: DebugMode;
  cacheMs: number;
  sync: {
    auto: boolean;
    intervalMs: number;
    pageSize: number;
    retry: { baseMs: number; maxMs: number };
    timeoutMs: number;
    debounceMs: number;
    concurrency: number;
    fullSyncMs: number;
    freshMs: number;
  };
}

function integer(value: unknown, fallback: number, field: string, min: number, max: number) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function optionalFunction<T>(value: T | undefined, field: string): T | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new ValidationError(field, 'must be a function');
  }
  return value;
}

function object<T extends object>(value: T | undefined, field: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) {
    throw new ValidationError(field, 'must be an object');
  }
  return value;
}

function normalizeSync(input: SyncOptions | undefined): NormalizedOptions['sync'] {
  const sync = object(input, 'sync');
  if (sync.auto !== undefined && typeof sync.auto !== 'boolean') {
    throw new ValidationError('sync.auto', 'must be a boolean');
  }
  const intervalMs = integer(sync.intervalMs, 60_000, 'sync.intervalMs', 0, MAX_DELAY_MS);
  if (intervalMs > 0 && intervalMs < 1000) {
    throw new ValidationError('sync.intervalMs', `must be 0 (off) or from 1000 to ${MAX_DELAY_MS}`);
  }
  const retry = object(sync.retry, 'sync.retry');
  const baseMs = integer(retry.baseMs, 1000, 'sync.retry.baseMs', 1, MAX_DELAY_MS);
  const maxMs = integer(
    retry.maxMs,
    Math.max(baseMs, 60_000),
    'sync.retry.maxMs',
    baseMs,
    MAX_DELAY_MS,
  );
  return {
    auto: sync.auto ?? true,
    intervalMs,
    pageSize: integer(sync.pageSize, 100, 'sync.pageSize', 1, 100),
    retry: { baseMs, maxMs },
    timeoutMs: integer(sync.timeoutMs, 10_000, 'sync.timeoutMs', 1, MAX_DELAY_MS),
    debounceMs: integer(sync.debounceMs, 300, 'sync.debounceMs', 0, MAX_DELAY_MS),
    concurrency: integer(sync.concurrency, 4, 'sync.concurrency', 1, 32),
    fullSyncMs: integer(
      sync.fullSyncMs,
      15 * 60_000,
      'sync.fullSyncMs',
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    freshMs: integer(sync.freshMs, 60_000, 'sync.freshMs', 0, Number.MAX_SAFE_INTEGER),
  };
}

function normalizeStorage(input: StorageOptions | undefined): NormalizedOptions['storage'] {
  const storage = object(input, 'storage');
  const unlimited = Number.MAX_SAFE_INTEGER;
  return {
    maxRecords: integer(storage.maxRecords, unlimited, 'storage.maxRecords', 10, 10_000_000),
    maxBytes: integer(storage.maxBytes, unlimited, 'storage.maxBytes', 65_536, unlimited),
    reserveBytes: integer(storage.reserveBytes, 524_288, 'storage.reserveBytes', 0, 67_108_864),
  };
}

/** Validates and defaults every option; throws a `ValidationError` naming the first bad one. */
export function normalizeOptions(options: ConversationStoreOptions): NormalizedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('options', 'must be an object');
  }
  if (typeof options.baseUrl !== 'string' || !/^https?:\/\//i.test(options.baseUrl)) {
    throw new ValidationError('baseUrl', 'must be an http(s) URL');
  }
  if (typeof options.getToken !== 'function') {
    throw new ValidationError('getToken', 'must be a function');
  }
  const databaseName = options.databaseName ?? 'protocol-offline';
  if (typeof databaseName !== 'string' || databaseName === '') {
    throw new ValidationError('databaseName', 'must be a non-empty string');
  }
  const now = optionalFunction(options.now, 'now');
  if (options.afterSignIn !== undefined && typeof options.afterSignIn !== 'boolean') {
    throw new ValidationError('afterSignIn', 'must be a boolean');
  }
  const { debug } = options;
  if (debug !== undefined && typeof debug !== 'boolean' && debug !== 'verbose') {
    throw new ValidationError('debug', "must be a boolean or 'verbose'");
  }
  return {
    baseUrl: options.baseUrl,
    getToken: options.getToken,
    databaseName,
    fetch: optionalFunction(options.fetch, 'fetch'),
    indexedDB: options.indexedDB,
    IDBKeyRange: options.IDBKeyRange,
    resolveConflict: optionalFunction(options.resolveConflict, 'resolveConflict'),
    nowSeconds: now ?? (() => unixSeconds(clock().now())),
    platform: options.platform ?? defaultPlatform(),
    storage: normalizeStorage(options.storage),
    afterSignIn: options.afterSignIn ?? false,
    logger: optionalFunction(options.logger, 'logger'),
    debug: debugMode(debug),
    cacheMs: integer(options.cacheMs, 60_000, 'cacheMs', 0, Number.MAX_SAFE_INTEGER),
    sync: normalizeSync(options.sync),
  };
}

/**
 * createConversationStore: normalises the options once, wires the database, the local
 * reads and writes, the API client and the sync engine, and owns close/destroy.
 */
import { type Observable, Subject } from 'rxjs';
import { ConversationsApi, type FetchFunction, type TokenProvider } from './api.js';
import { type OutboxEntry, openDatabase, type RejectionRow, type StoreDatabase } from './db.js';
import { ApiError, ProtocolOfflineError, toStorageError, ValidationError } from './errors.js';
import type {
  Conversation,
  ConversationPatch,
  CreateConversationInput,
  ListPage,
  ListParams,
  WriteOperation,
} from './model.js';
import { listConversations, listLive, retrieveConversation, retrieveLive } from './queries.js';
import { backoffPolicy, type RetryOptions } from './sync/backoff.js';
import type { IdChange, Rejection } from './sync/context.js';
import { SyncEngine, type SyncStatus, type SyncSummary } from './sync/engine.js';
import type { Conflict, ResolveConflict } from './sync/reconcile.js';
import { defaultPlatform, type Platform } from './sync/triggers.js';
import { createLocal, deleteLocal, updateLocal, type WriteContext } from './writes.js';

/** Options of the sync engine (`createConversationStore({ sync })`). */
export interface SyncOptions {
  /** Sync by itself: at start, after writes, online, visible, on the interval. Default true. */
  auto?: boolean;
  /** Pull period in ms while started; 0 turns the interval off. Default 60 000. */
  intervalMs?: number;
  /** Rows per page when pulling, 1..100. Default 100 (the API's maximum). */
  pageSize?: number;
  /** Backoff of failed writes. Default `{ baseMs: 1000, maxMs: 60000 }`. */
  retry?: RetryOptions;
  /** Timeout of each HTTP request in ms. Default 10 000. */
  timeoutMs?: number;
  /** Delay in ms between a local write and the round it triggers. Default 300. */
  debounceMs?: number;
  /** Records pushed at once (one request in flight per record). Default 4. */
  concurrency?: number;
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
  /** Online/visibility events and the cross-tab lock; default: the browser's. */
  platform?: Platform;
}

/** Local reads and writes with the API's parameters and shapes. */
export interface ConversationsView {
  /**
   * One page of conversations from IndexedDB, with the API's parameters and answer.
   * @throws {@link ValidationError} for a bad parameter (nothing is read).
   */
  list(params?: ListParams): Promise<ListPage>;
  /** The same page, re-emitted after every change that alters it (from any tab). */
  list$(params?: ListParams): Observable<ListPage>;
  /** One conversation by id (a temporary id still works after its create is acknowledged). */
  retrieve(id: string): Promise<Conversation | undefined>;
  /** One conversation, re-emitted after every change to it; `undefined` once deleted. */
  retrieve$(id: string): Observable<Conversation | undefined>;
  /** Creates locally with a `tmp_` id and queues the POST; resolves once both are stored. */
  create(input: CreateConversationInput): Promise<Conversation>;
  /** Applies the patch locally and queues the PUT; resolves with the new local state. */
  update(id: string, patch: ConversationPatch): Promise<Conversation>;
  /** Removes locally and queues the DELETE (an unsent create is simply dropped). */
  delete(id: string): Promise<void>;
}

/** One queued write, as `sync.listOutbox()` shows it. */
export type OutboxItem = {
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** How many times it was sent; more than 0 means the server may have applied it. */
  attempts: number;
  /** Why the last attempt failed, if it did. */
  lastError: string | null;
} & WriteOperation;

/** The sync engine as the app sees it. */
export interface SyncView {
  /** The current sync state; replays the latest to new subscribers. */
  status$: Observable<SyncStatus>;
  /** The ids of records with changes not yet on the server (for "unsent" badges). */
  pending$: Observable<ReadonlySet<string>>;
  /** Each write the server refused for good, once, when it is refused. */
  rejections$: Observable<Rejection>;
  /** Each disagreement between local pending changes and the server, with how it was settled. */
  conflicts$: Observable<Conflict>;
  /** Pushes, then pulls; concurrent calls share one round. Resolves with what it did. */
  now(): Promise<SyncSummary>;
  /** Resumes automatic sync (and clears a paused `AuthError`). */
  start(): void;
  /** Stops automatic sync; writes keep landing locally and in the outbox. */
  stop(): void;
  /** The queued writes, in the order they will be sent (for a "waiting to sync" view). */
  listOutbox(): Promise<OutboxItem[]>;
  /** The refused writes kept until the app retries or discards them (survive reloads). */
  listRejections(): Promise<Rejection[]>;
  /** Applies a refused write again locally and queues it with a new Idempotency-Key. */
  retry(rejectionId: number): Promise<void>;
  /** Forgets a refused write (its rollback stays). */
  discard(rejectionId: number): Promise<void>;
}

/** The store {@link createConversationStore} returns. */
export interface ConversationStore {
  /** Local reads and writes. */
  conversations: ConversationsView;
  /** The sync engine. */
  sync: SyncView;
  /** Emits `{ from, to }` when the server's id replaces a temporary id. */
  idChanges$: Observable<IdChange>;
  /** Stops syncing and closes the database; the outbox stays for the next session. */
  close(): Promise<void>;
  /** Closes and deletes the database, outbox included (sign-out). Other tabs' stores close too. */
  destroy(): Promise<void>;
}

function positiveInteger(
  value: number | undefined,
  fallback: number,
  field: string,
  max = Infinity,
) {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new ValidationError(field, `must be an integer from 0 to ${max}`);
  }
  return value;
}

const systemClock = () => Math.floor(Date.now() / 1000);

/** Opens the local store for one signed-in user and (by default) starts syncing. */
export function createConversationStore(options: ConversationStoreOptions): ConversationStore {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('options', 'must be an object');
  }
  if (typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
    throw new ValidationError('baseUrl', 'must be an http(s) URL');
  }
  if (typeof options.getToken !== 'function') {
    throw new ValidationError('getToken', 'must be a function');
  }
  const databaseName = options.databaseName ?? 'protocol-offline';
  if (typeof databaseName !== 'string' || databaseName === '') {
    throw new ValidationError('databaseName', 'must be a non-empty string');
  }
  const sync = options.sync ?? {};
  const pageSize = positiveInteger(sync.pageSize, 100, 'sync.pageSize', 100);
  if (pageSize < 1) throw new ValidationError('sync.pageSize', 'must be from 1 to 100');
  const settings = {
    auto: sync.auto ?? true,
    intervalMs: positiveInteger(sync.intervalMs, 60_000, 'sync.intervalMs'),
    timeoutMs: positiveInteger(sync.timeoutMs, 10_000, 'sync.timeoutMs'),
    debounceMs: positiveInteger(sync.debounceMs, 300, 'sync.debounceMs'),
    concurrency: Math.max(1, positiveInteger(sync.concurrency, 4, 'sync.concurrency')),
  };
  const now = options.now ?? systemClock;

  const db: StoreDatabase = openDatabase(databaseName, {
    indexedDB: options.indexedDB,
    IDBKeyRange: options.IDBKeyRange,
  });
  const api = new ConversationsApi({
    baseUrl: options.baseUrl,
    getToken: options.getToken,
    fetch: options.fetch,
    timeoutMs: settings.timeoutMs,
  });
  const idChanges = new Subject<IdChange>();
  const conflicts = new Subject<Conflict>();
  const rejections = new Subject<Rejection>();
  const engine = new SyncEngine(
    {
      db,
      api,
      clockMs: () => Date.now(),
      random: Math.random,
      policy: backoffPolicy(sync.retry),
      pageSize,
      concurrency: settings.concurrency,
      resolveConflict: options.resolveConflict,
      events: {
        idChange: (change) => idChanges.next(change),
        conflict: (conflict) => conflicts.next(conflict),
        rejection: (rejection) => rejections.next(rejection),
        problem: () => {},
      },
    },
    {
      auto: settings.auto,
      intervalMs: settings.intervalMs,
      debounceMs: settings.debounceMs,
      lockName: `protocol-offline:sync:${databaseName}`,
      platform: options.platform ?? defaultPlatform(),
    },
  );
  const writes: WriteContext = { db, now, written: () => engine.written() };

  const toRejection = (row: RejectionRow) =>
    ({ ...row, id: row.id as number, error: rejectionError(row.error) }) as Rejection;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await engine.close();
      for (const subject of [idChanges, conflicts, rejections]) subject.complete();
      db.close();
    })();
    return closing;
  };

  // Another tab destroyed this database (sign-out): close for good here too, instead of
  // letting Dexie reopen (and so recreate) it on the next read.
  db.on('versionchange', (event) => {
    if (event.newVersion !== null) return;
    db.close();
    void close();
    return false;
  });

  const store: ConversationStore = {
    conversations: {
      list: (params) => listConversations(db, params),
      list$: (params) => listLive(db, params),
      retrieve: (id) => retrieveConversation(db, id),
      retrieve$: (id) => retrieveLive(db, id),
      create: (input) => createLocal(writes, input),
      update: (id, patch) => updateLocal(writes, id, patch),
      delete: (id) => deleteLocal(writes, id),
    },
    sync: {
      status$: engine.status$.asObservable(),
      pending$: engine.pending$.asObservable(),
      rejections$: rejections.asObservable(),
      conflicts$: conflicts.asObservable(),
      now: () => engine.now(),
      start: () => engine.start(),
      stop: () => engine.stop(),
      listOutbox: async () => {
        try {
          return (await db.outbox.toArray()).map(toOutboxItem);
        } catch (error) {
          throw toStorageError(error, 'listOutbox');
        }
      },
      listRejections: async () => {
        try {
          return (await db.rejections.toArray()).map(toRejection);
        } catch (error) {
          throw toStorageError(error, 'listRejections');
        }
      },
      retry: (rejectionId) => retryRejection(db, writes, rejectionId),
      discard: async (rejectionId) => {
        try {
          await db.rejections.delete(rejectionId);
        } catch (error) {
          throw toStorageError(error, 'discard');
        }
      },
    },
    idChanges$: idChanges.asObservable(),
    close,
    destroy: async () => {
      await close();
      try {
        await db.delete();
      } catch (error) {
        throw toStorageError(error, 'destroy');
      }
    },
  };
  if (settings.auto) engine.start();
  return store;
}

function toOutboxItem(entry: OutboxEntry): OutboxItem {
  const { recordId, attempts, lastError } = entry;
  if (entry.op === 'create')
    return { recordId, attempts, lastError, op: 'create', body: entry.body };
  if (entry.op === 'update')
    return { recordId, attempts, lastError, op: 'update', patch: entry.patch };
  return { recordId, attempts, lastError, op: 'delete' };
}

function rejectionError(error: { status: number; type: string; message: string }): ApiError {
  return new ApiError(error.status, error.type, error.message);
}

/** Re-applies a refused write and removes the rejection, in one transaction. */
async function retryRejection(db: StoreDatabase, writes: WriteContext, rejectionId: number) {
  const tables = [db.conversations, db.outbox, db.bases, db.aliases, db.rejections];
  let written = false;
  const quiet: WriteContext = { ...writes, written: () => (written = true) };
  try {
    await db.transaction('rw', tables, async () => {
      const row = await db.rejections.get(rejectionId);
      if (row === undefined)
        throw new ValidationError('rejectionId', `no rejection ${rejectionId}`);
      await db.rejections.delete(rejectionId);
      if (row.op === 'create') await createLocal(quiet, row.body);
      else if (row.op === 'update') await updateLocal(quiet, row.recordId, row.patch);
      else await deleteLocal(quiet, row.recordId);
    });
  } catch (error) {
    throw error instanceof ProtocolOfflineError ? error : toStorageError(error, 'retry');
  }
  if (written) writes.written();
}

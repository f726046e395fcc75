/**
 * createConversationStore: wires the database, the local reads and writes, the API
 * client and the sync engine, and owns close/destroy. The public types of the store
 * live here; its options in options.ts.
 */
import { type Observable, Subject } from 'rxjs';
import { ConversationsApi } from './api.js';
import { clock } from './clock.js';
import { indexedDBOf, inTransaction, type OutboxEntry, openDatabase, SCOPES } from './db.js';
import { MISSING_INDEXEDDB, StorageError, toStorageError } from './errors.js';
import { type ListState, listState } from './list-state.js';
import type {
  Conversation,
  ConversationPatch,
  CreateConversationInput,
  ListPage,
  ListParams,
  WriteOperation,
} from './model.js';
import { operationOf } from './model.js';
import { type ConversationStoreOptions, normalizeOptions } from './options.js';
import { allEntries } from './outbox.js';
import { WatchedRecords } from './protected.js';
import { listConversations, listLive, retrieveConversation, retrieveLive } from './queries.js';
import { QuotaManager } from './quota.js';
import { discardRejection, listRejections, type Rejection, takeRejection } from './rejections.js';
import { markSignedOut, signedOutGate } from './signout.js';
import { StorageMonitor, type StorageView } from './storage.js';
import type { IdChange } from './sync/context.js';
import { SyncEngine, type SyncSummary } from './sync/engine.js';
import { Confirmations } from './sync/fresh.js';
import type { Conflict } from './sync/reconcile.js';
import type { RefreshResult } from './sync/refresh.js';
import type { SyncStatus } from './sync/status.js';
import { parseIds, parseRoundOptions, type RoundOptions } from './validate.js';
import { WatchedLists } from './watched.js';
import {
  createLocal,
  deleteLocal,
  type QueueChange,
  updateLocal,
  type WriteContext,
} from './writes.js';

/** Local reads and writes with the API's parameters and shapes. */
export interface ConversationsView {
  /**
   * One page of conversations from IndexedDB, with the API's parameters and answer.
   * @throws {@link ValidationError} for a bad parameter (nothing is read).
   */
  list(params?: ListParams): Promise<ListPage>;
  /**
   * The same page, re-emitted after every change that alters it (from any tab). While
   * subscribed, the list counts as visible: each recent pull makes it equal to the
   * server's answer for the same parameters.
   */
  list$(params?: ListParams): Observable<ListPage>;
  /** The page of `list$` with how fresh it is (see {@link ListState}). */
  listState$(params?: ListParams): Observable<ListState>;
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
  /**
   * One round now: pushes every pending write (backoff skipped), then pulls `options.pull`
   * (default `'full'`: every page; `'recent'`: the head and the visible lists; `'none'`).
   * A call while an equal or larger forced round runs shares it. Resolves with what it did,
   * also when the network failed (see `status$`); rejects only after `close()`.
   */
  now(options?: RoundOptions): Promise<SyncSummary>;
  /**
   * Reads these records by id (GET each, at most `concurrency` at once), stores or removes
   * them (a 404 removes; with pending updates that is a `'deleted'` conflict) and rebases
   * pending changes. Temporary ids map to server ids; unacknowledged creates are skipped.
   */
  refresh(ids: readonly string[]): Promise<RefreshResult>;
  /** Resolves once a complete walk has ever finished for this database (`hasSynced`). */
  firstSync(): Promise<void>;
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
  /** Persistent storage and the usage estimate (see the README's "Storage" section). */
  storage: StorageView;
  /** Emits `{ from, to }` when the server's id replaces a temporary id. */
  idChanges$: Observable<IdChange>;
  /** Stops syncing and closes the database; the outbox stays for the next session. */
  close(): Promise<void>;
  /**
   * Closes and deletes the database, outbox included (sign-out). Other tabs' stores close
   * too, and nothing recreates the database (a stale tab, the service worker) until the
   * app creates a store on it with `afterSignIn: true`.
   */
  destroy(): Promise<void>;
}

/** Opens the local store for one signed-in user and (by default) starts syncing. */
export function createConversationStore(input: ConversationStoreOptions): ConversationStore {
  const options = normalizeOptions(input);
  const gate = signedOutGate(options, options.databaseName, options.afterSignIn);
  const db = openDatabase(options.databaseName, { ...options, gate });
  const protectedRecords: WatchedRecords = new WatchedRecords((params) => quota.isComplete(params));
  const quota = new QuotaManager(db, {
    ...options.storage,
    protectedIds: () => protectedRecords.protectedIds(),
  });
  const api = new ConversationsApi({ ...options, timeoutMs: options.sync.timeoutMs });
  const watched = new WatchedLists(db);
  const idChanges = new Subject<IdChange>();
  const conflicts = new Subject<Conflict>();
  const rejections = new Subject<Rejection>();
  const engine = new SyncEngine(
    {
      db,
      api,
      random: Math.random,
      policy: options.sync.retry,
      pageSize: options.sync.pageSize,
      concurrency: options.sync.concurrency,
      resolveConflict: options.resolveConflict,
      fullSyncMs: options.sync.fullSyncMs,
      freshMs: options.sync.freshMs,
      confirmations: new Confirmations(),
      watchedLists: () => watched.all(),
      events: {
        idChange: (change) => idChanges.next(change),
        conflict: (conflict) => conflicts.next(conflict),
        rejection: (rejection) => rejections.next(rejection),
        problem: () => {},
        queueChanged: () => {},
        progress: () => {},
      },
    },
    {
      ...options.sync,
      lockName: `protocol-offline:sync:${options.databaseName}`,
      platform: options.platform,
      roundEnded: async (summary) => {
        storage.refresh();
        await quota.afterRound(summary);
      },
    },
  );
  const pending$ = engine.statusStore.pending$.asObservable();
  const storage = new StorageMonitor(db, options.platform.storage?.(), (value) =>
    engine.statusStore.dispatch({ type: 'persisted', value }),
  );
  const writes: WriteContext = {
    db,
    nowSeconds: options.nowSeconds,
    written: ({ recordId, queued }) => engine.written(recordId, queued),
    withRoom: (write) => quota.withRoom(write),
    failed: () => storage.refresh(),
  };

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      // Requests in flight end now instead of at their timeouts; the outbox keeps their
      // entries (sent ones are resent with the same Idempotency-Key next session).
      api.abort();
      await engine.close();
      await watched.close();
      for (const subject of [idChanges, conflicts, rejections]) subject.complete();
      storage.close();
      db.close();
    })();
    return closing;
  };

  // A database deleted by a sign-out, or written by a newer release, is refused before
  // it opens (gate.ts). Dexie does not retry a failed open: the store closes for good,
  // and its reads and writes reject with the reason. (Without IndexedDB there is nothing
  // to open: each call says so itself.)
  if (indexedDBOf(options) !== undefined) db.open().catch(() => void close());

  // Another tab destroyed this database (sign-out): close for good here too, instead of
  // letting Dexie reopen (and so recreate) it on the next read.
  db.on('versionchange', (event) => {
    if (event.newVersion !== null) return;
    db.close();
    void close();
    return false;
  });

  /** Re-applies a refused write and removes the rejection, in one transaction. */
  const retryRejection = async (rejectionId: number) => {
    const changes: QueueChange[] = [];
    const quiet: WriteContext = { ...writes, written: (change) => changes.push(change) };
    try {
      await inTransaction(db, SCOPES.settle, async () => {
        const rejection = await takeRejection(db, rejectionId);
        if (rejection.op === 'create') {
          const created = await createLocal(quiet, rejection.body);
          if (rejection.patch !== undefined) await updateLocal(quiet, created.id, rejection.patch);
        } else if (rejection.op === 'update')
          await updateLocal(quiet, rejection.recordId, rejection.patch);
        else await deleteLocal(quiet, rejection.recordId);
      });
    } catch (error) {
      throw toStorageError(error, 'retry');
    }
    for (const change of changes) writes.written(change);
  };

  const store: ConversationStore = {
    conversations: {
      list: (params) => listConversations(db, params),
      list$: (params) => watched.track(params, protectedRecords.list(params, listLive(db, params))),
      listState$: (params) =>
        listState(
          db,
          params,
          watched.track(params, protectedRecords.list(params, listLive(db, params))),
          pending$,
        ),
      retrieve: (id) => retrieveConversation(db, id),
      retrieve$: (id) => protectedRecords.record(retrieveLive(db, id)),
      create: (input) => createLocal(writes, input),
      update: (id, patch) => updateLocal(writes, id, patch),
      delete: (id) => deleteLocal(writes, id),
    },
    sync: {
      status$: engine.statusStore.status$.asObservable(),
      pending$,
      rejections$: rejections.asObservable(),
      conflicts$: conflicts.asObservable(),
      now: async (options) => engine.now(parseRoundOptions(options)),
      refresh: async (ids) => engine.refresh(parseIds(ids)),
      firstSync: () => engine.firstSync(),
      start: () => engine.start(),
      stop: () => engine.stop(),
      listOutbox: async () => {
        try {
          return (await allEntries(db)).map(toOutboxItem);
        } catch (error) {
          throw toStorageError(error, 'listOutbox');
        }
      },
      listRejections: () => listRejections(db),
      retry: retryRejection,
      discard: (rejectionId) => discardRejection(db, rejectionId),
    },
    storage: { persist: () => storage.persist(), estimate$: storage.estimate$ },
    idChanges$: idChanges.asObservable(),
    close,
    destroy: async () => {
      try {
        // First: from now on nothing reopens it, not even a tab that races the deletion.
        await markSignedOut(options, options.databaseName, clock().now());
        await close();
        await db.delete();
      } catch (error) {
        throw toStorageError(error, 'destroy');
      }
    },
  };
  if (indexedDBOf(options) === undefined) {
    // Nothing can be read or synced (reads and writes reject with the same message);
    // status$ says why at once instead of waiting forever for counts it cannot read.
    const error = new StorageError(MISSING_INDEXEDDB);
    const status = engine.statusStore;
    status.readPending(
      new Set(),
      status.version,
      { type: 'rejected', count: 0 },
      { type: 'synced', at: null },
      { type: 'walked', at: null },
      { type: 'ended', state: 'error', error },
    );
  } else if (options.sync.auto) engine.start();
  return store;
}

function toOutboxItem(entry: OutboxEntry): OutboxItem {
  const { recordId, attempts, lastError } = entry;
  return { recordId, attempts, lastError, ...operationOf(entry) };
}

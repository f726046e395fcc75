/**
 * createConversationStore: wires the database, the local reads and writes, the API
 * client and the sync engine, and owns close/destroy. The public types of the store
 * live here; its options in options.ts.
 */
import { type Observable, Subject } from 'rxjs';
import { ConversationsApi } from './api.js';
import { clock } from './clock.js';
import { inTransaction, type OutboxEntry, openDatabase, SCOPES } from './db.js';
import { toStorageError } from './errors.js';
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
import { listConversations, listLive, retrieveConversation, retrieveLive } from './queries.js';
import { QuotaManager } from './quota.js';
import { discardRejection, listRejections, type Rejection, takeRejection } from './rejections.js';
import { markSignedOut, signedOutGate } from './signout.js';
import { StorageMonitor, type StorageView } from './storage.js';
import type { IdChange } from './sync/context.js';
import { SyncEngine, type SyncSummary } from './sync/engine.js';
import type { Conflict } from './sync/reconcile.js';
import type { SyncStatus } from './sync/status.js';
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
  const watched: WatchedLists = new WatchedLists((params) => quota.isComplete(params));
  const quota = new QuotaManager(db, {
    ...options.storage,
    protectedIds: () => watched.protectedIds(),
  });
  const api = new ConversationsApi({ ...options, timeoutMs: options.sync.timeoutMs });
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
      events: {
        idChange: (change) => idChanges.next(change),
        conflict: (conflict) => conflicts.next(conflict),
        rejection: (rejection) => rejections.next(rejection),
        problem: () => {},
        queueChanged: () => {},
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
      await engine.close();
      for (const subject of [idChanges, conflicts, rejections]) subject.complete();
      storage.close();
      db.close();
    })();
    return closing;
  };

  // A database deleted by a sign-out, or written by a newer release, is refused before
  // it opens (gate.ts). Dexie does not retry a failed open: the store closes for good,
  // and its reads and writes reject with the reason.
  db.open().catch(() => void close());

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
        if (rejection.op === 'create') await createLocal(quiet, rejection.body);
        else if (rejection.op === 'update')
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
      list$: (params) => watched.list(params, listLive(db, params)),
      retrieve: (id) => retrieveConversation(db, id),
      retrieve$: (id) => watched.record(retrieveLive(db, id)),
      create: (input) => createLocal(writes, input),
      update: (id, patch) => updateLocal(writes, id, patch),
      delete: (id) => deleteLocal(writes, id),
    },
    sync: {
      status$: engine.statusStore.status$.asObservable(),
      pending$: engine.statusStore.pending$.asObservable(),
      rejections$: rejections.asObservable(),
      conflicts$: conflicts.asObservable(),
      now: () => engine.now(),
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
  if (options.sync.auto) engine.start();
  return store;
}

function toOutboxItem(entry: OutboxEntry): OutboxItem {
  const { recordId, attempts, lastError } = entry;
  return { recordId, attempts, lastError, ...operationOf(entry) };
}

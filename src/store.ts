/**
 * createConversationStore: wires the database, the local reads and writes, the API
 * client and the sync engine, and owns close/destroy. Its public shape is in views.ts,
 * its options in options.ts.
 */
import { Subject } from 'rxjs';
import { ConversationsApi } from './api/client.js';
import { listState } from './local/list-state.js';
import { LiveResults } from './local/live-results.js';
import { WatchedLists } from './local/watched-lists.js';
import { WatchedRecords } from './local/watched-records.js';
import {
  createLocal,
  deleteLocal,
  type QueueChange,
  updateLocal,
  type WriteContext,
} from './local/writes.js';
import { type ListParams, operationOf } from './model/conversation.js';
import {
  closedStoreError,
  MISSING_INDEXEDDB,
  StorageError,
  toStorageError,
} from './model/errors.js';
import { EventLog } from './model/events.js';
import { parseId, parseIds, parseRoundOptions } from './model/validate.js';
import { type ConversationStoreOptions, normalizeOptions } from './options.js';
import { clock } from './platform/clock.js';
import { debugPrinter } from './platform/debug.js';
import { allEntries } from './storage/outbox.js';
import { StorageMonitor } from './storage/persistence.js';
import { QuotaManager } from './storage/quota.js';
import {
  discardRejection,
  listRejections,
  type Rejection,
  takeRejection,
} from './storage/rejections.js';
import { Reserve } from './storage/reserve.js';
import {
  indexedDBOf,
  inTransaction,
  type OutboxEntry,
  openDatabase,
  SCOPES,
} from './storage/schema.js';
import { markSignedOut, signedOutGate } from './storage/signout.js';
import { Confirmations } from './sync/confirmations.js';
import type { IdChange } from './sync/context.js';
import { SyncEngine } from './sync/engine.js';
import { Receipts } from './sync/receipts.js';
import type { Conflict } from './sync/reconcile.js';
import type { ConversationStore, OutboxItem } from './views.js';

/** Opens the local store for one signed-in user and (by default) starts syncing. */
export function createConversationStore(input: ConversationStoreOptions): ConversationStore {
  const options = normalizeOptions(input);
  const printer = debugPrinter(options.debug);
  const log = new EventLog([options.logger, printer].flatMap((f) => (f ? [f] : [])));
  const signedOut = signedOutGate(options, options.databaseName, options.afterSignIn);
  // The reserve is taken before IndexedDB is touched: Chromium reckons the room IndexedDB
  // has when the origin's first database opens, and misses a file written after that.
  const gate = async () => {
    await quota.takeReserve();
    await signedOut().catch(async (error: unknown) => {
      await reserve.release(); // Signed out: hold nothing for this database.
      throw error;
    });
  };
  const db = openDatabase(options.databaseName, { ...options, gate });
  const protectedRecords: WatchedRecords = new WatchedRecords((params) => quota.isComplete(params));
  const storageManager = options.platform.storage?.();
  const reserve = new Reserve(storageManager, options.databaseName, options.storage.reserveBytes);
  const quota = new QuotaManager(db, {
    ...options.storage,
    protectedIds: () => protectedRecords.protectedIds(),
    evicted: (count, reason) => log.emit({ type: 'evicted', count, reason }),
    reserve,
    reserveChanged: (held) => log.emit({ type: 'reserve', held }),
  });
  const api = new ConversationsApi({
    ...options,
    timeoutMs: options.sync.timeoutMs,
    onRequest: log.emit,
  });
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
        debug: log.emit,
      },
    },
    {
      ...options.sync,
      lockName: `protocol-offline:sync:${options.databaseName}`,
      platform: options.platform,
      database: indexedDBOf(options) !== undefined,
      roundEnded: async (summary) => {
        storage.refresh();
        await quota.afterRound(summary);
      },
    },
  );
  const pending$ = engine.statusStore.pending$.asObservable();
  const storage = new StorageMonitor(db, storageManager, (value) =>
    engine.statusStore.dispatch({ type: 'persisted', value }),
  );
  const results = new LiveResults(db, options.cacheMs);
  const receipts = new Receipts(db, (id) => results.retrieve(id));
  const writes: WriteContext = {
    db,
    nowSeconds: options.nowSeconds,
    written: ({ recordId, queued }) => engine.written(recordId, queued),
    withRoom: (write) => quota.withRoom(write),
    coalesced: log.emit,
    failed: () => storage.refresh(),
    changed: (change, queue) => results.claim(change, queue),
    known: (id) => results.known(id),
  };

  let closing: Promise<void> | null = null;
  /** The database refused to open: it stays in that state, so reads keep rejecting with why. */
  let openFailed = false;
  /** Why the database could not open, if it could not. */
  let openError: unknown;
  const close = () => {
    // At once: no read answers from memory after this (the cache, or a live result).
    results.close(openError);
    receipts.close(openError);
    closing ??= (async () => {
      // Requests in flight end now instead of at their timeouts; the outbox keeps their
      // entries (sent ones are resent with the same Idempotency-Key next session).
      api.abort();
      await engine.close();
      await watched.close();
      for (const subject of [idChanges, conflicts, rejections]) subject.complete();
      log.close();
      storage.close();
      if (!openFailed) db.close();
    })();
    return closing;
  };

  // A database deleted by a sign-out, or written by a newer release, is refused before
  // it opens (gate.ts). Dexie does not retry a failed open: the store closes for good,
  // and its reads and writes reject with the reason. (Without IndexedDB there is nothing
  // to open: each call says so itself.)
  if (indexedDBOf(options) !== undefined) {
    db.open().catch((error: unknown) => {
      openFailed = true;
      openError = error;
      void close();
    });
  }

  // Another tab destroyed this database (sign-out): close for good here too, instead of
  // letting Dexie reopen (and so recreate) it on the next read.
  db.on('versionchange', (event) => {
    // Another connection upgrades the database: nothing held in memory is known to match it.
    results.invalidate();
    if (event.newVersion !== null) return;
    db.close();
    void close();
    return false;
  });

  /** Re-applies a refused write and removes the rejection, in one transaction. */
  const retryRejection = async (rejectionId: number) => {
    const changes: QueueChange[] = [];
    // Inside this transaction: no guessed write, whose abort would abort it.
    const quiet: WriteContext = {
      ...writes,
      written: (change) => changes.push(change),
      known: undefined,
    };
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

  // A subscribed list counts as visible (recent pulls make it exact) and as protected
  // (its rows are never evicted), whether the app asked for list$ or listState$.
  const list$ = (params: ListParams | undefined) =>
    watched.track(params, protectedRecords.list(params, results.list$(params)));
  const store: ConversationStore = {
    conversations: {
      list: (params) => results.list(params),
      list$,
      listState$: (params) =>
        listState(db, params, list$(params), pending$, (listParams) =>
          protectedRecords.isComplete(listParams),
        ),
      retrieve: (id) => results.retrieve(id),
      retrieve$: (id) => protectedRecords.record(results.retrieve$(id)),
      create: (input) => createLocal(writes, input),
      update: (id, patch) => updateLocal(writes, id, patch),
      delete: (id) => deleteLocal(writes, id),
    },
    sync: {
      status$: engine.statusStore.status$.asObservable(),
      pending$,
      rejections$: rejections.asObservable(),
      conflicts$: conflicts.asObservable(),
      events$: log.events$,
      now: async (options) => engine.now(parseRoundOptions(options)),
      refresh: async (ids) => engine.refresh(parseIds(ids)),
      firstSync: () => engine.firstSync(),
      synced: async (id) => receipts.synced(parseId(id)),
      start: () => engine.start(),
      stop: () => engine.stop(),
      listOutbox: async () => {
        if (closing !== null) throw closedStoreError('listOutbox', openError);
        try {
          return (await allEntries(db)).map(toOutboxItem);
        } catch (error) {
          throw toStorageError(error, 'listOutbox');
        }
      },
      // Refused from close() on, as every read is: the database closes a moment later.
      listRejections: async () => {
        if (closing !== null) throw closedStoreError('listRejections', openError);
        return listRejections(db);
      },
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
        await reserve.release();
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

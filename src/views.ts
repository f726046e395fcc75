/**
 * The store's public shape: what `createConversationStore` returns and what each of its
 * parts offers the app. Wiring lives in store.ts.
 */
import type { Observable } from 'rxjs';
import type { ListState } from './local/list-state.js';
import type {
  Conversation,
  ConversationPatch,
  CreateConversationInput,
  ListPage,
  ListParams,
  WriteOperation,
} from './model/conversation.js';
import type { SyncEvent } from './model/events.js';
import type { SyncStatus, SyncSummary } from './model/sync.js';
import type { RoundOptions } from './model/validate.js';
import type { StorageView } from './storage/persistence.js';
import type { Rejection } from './storage/rejections.js';
import type { IdChange } from './sync/context.js';
import type { Conflict } from './sync/reconcile.js';
import type { RefreshResult } from './sync/refresh.js';

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
   * The debug stream: this store's rounds, HTTP requests and decisions as typed events
   * (see {@link SyncEvent}), as they happen; never a token, a header or a body. Hot: a
   * subscriber sees the events after it subscribed. Completes on `close()`.
   */
  events$: Observable<SyncEvent>;
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
  /**
   * The server's receipt for a record: resolves once every change made to it before the
   * call is acknowledged, with the record as it is then (under the server's id for a
   * temporary one), or `null` when it was deleted. Resolves at once when nothing is
   * pending. The outbox is the truth: it works in every tab, whichever syncs, and after a
   * reload. It may also wait for a change made just after the call that coalescing merged
   * into an unsent entry.
   * @throws {@link ApiError} (rejects) when the server refused one of those changes (the
   * refusal is also on `rejections$` and in `listRejections()`).
   * @throws {@link StorageError} (rejects) when the store closes first, or was closed.
   * @throws {@link ValidationError} (rejects) for an id that is not a non-empty string.
   */
  synced(id: string): Promise<Conversation | null>;
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

/**
 * The debug stream: typed events of what the store does (rounds, each HTTP request, and
 * the decisions of the outbox and the sync engine), for `store.sync.events$`, the option
 * `logger` and the `debug` switch (debug.ts). An event names records, methods, paths,
 * statuses and field names; never a token, a header or a body.
 */
import { Subject } from 'rxjs';
import type { PullKind, SyncSummary } from './sync.js';

/** Why an HTTP request got no status: no network, its timeout, or the store closed. */
export type RequestFailure = 'network' | 'timeout' | 'aborted';

/** A round began: `kind` is what it pulls after pushing. */
export interface RoundStartEvent {
  /** Tells the kind of event apart. */
  type: 'round-start';
  /** What the round pulls: every page, the recent part, or nothing. */
  kind: PullKind;
}

/** A round ended, with the counts of its `SyncSummary` and how long it took. */
export type RoundEndEvent = {
  /** Tells the kind of event apart. */
  type: 'round-end';
  /** What the round pulled. */
  kind: PullKind;
  /** Milliseconds from start to end (monotonic clock). */
  durationMs: number;
} & Pick<
  SyncSummary,
  'pushed' | 'pulled' | 'removed' | 'conflicts' | 'rejected' | 'skipped' | 'complete' | 'state'
>;

/** One HTTP request left and got an answer (`status`) or none (`failure`). */
export interface RequestEvent {
  /** Tells the kind of event apart. */
  type: 'request';
  /** `GET`, `POST`, `PUT` or `DELETE`. */
  method: string;
  /** The URL's path and query, e.g. `/v1/conversations?limit=100`. */
  path: string;
  /** The HTTP status, or null when no answer came. */
  status: number | null;
  /** Why no answer came; null when one did. */
  failure: RequestFailure | null;
  /** Milliseconds until the answer was read or the request failed (monotonic clock). */
  durationMs: number;
  /**
   * 1 for a first try. A write counts its outbox entry's attempts; a request repeated
   * after a 401 with a refreshed token counts one more.
   */
  attempt: number;
}

/**
 * A local write coalesced with the outbox: `'merged'` into an entry never sent (updates
 * merged, or unsent updates replaced by a delete), or `'dropped'` (it changed nothing, or a
 * delete cancelled a create that was never sent): no request of its own.
 */
export interface CoalescedEvent {
  /** Tells the kind of event apart. */
  type: 'coalesced';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** The local write. */
  op: 'update' | 'delete';
  /** Merged into an unsent entry, or dropped: nothing of its own to send. */
  outcome: 'merged' | 'dropped';
}

/** A pull brought a new server state for a record with pending changes: they were rebased on it. */
export interface RebasedEvent {
  /** Tells the kind of event apart. */
  type: 'rebased';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
}

/** A conflict reported on `conflicts$` (`'field'`: both sides changed these fields). */
export interface ConflictEvent {
  /** Tells the kind of event apart. */
  type: 'conflict';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** As `Conflict.kind`: both sides changed fields, or the server deleted the record. */
  kind: 'field' | 'deleted';
  /** The fields in question (names only). */
  fields: string[];
}

/** A write the server refused for good (reported on `rejections$`). */
export interface RejectedEvent {
  /** Tells the kind of event apart. */
  type: 'rejected';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** The refused write. */
  op: 'create' | 'update' | 'delete';
  /** The HTTP status of the refusal. */
  status: number;
  /** The API's error type (`invalid_request`, ...). */
  errorType: string;
}

/** A local record removed because the server answered 404 for its id (the only proof). */
export interface RemovedEvent {
  /** Tells the kind of event apart. */
  type: 'removed';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /**
   * `'walk'`: a complete walk did not name it, and the read by id that followed answered
   * 404; `'not-found'`: another request for it (a read, a PUT) answered 404.
   */
  reason: 'walk' | 'not-found';
}

/** A temporary id replaced by the server's (also on `idChanges$`). */
export interface IdRemappedEvent {
  /** Tells the kind of event apart. */
  type: 'id-remapped';
  /** The temporary `tmp_` id. */
  from: string;
  /** The server's id. */
  to: string;
}

/** A write failed and waits before it is sent again. */
export interface BackoffEvent {
  /** Tells the kind of event apart. */
  type: 'backoff';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** Unix ms before which it is not sent again (by an automatic round). */
  until: number;
  /** The wait, in ms. */
  delayMs: number;
  /** Why: no answer, a timeout, a retryable status (408, 429, 5xx), or an unreadable reply. */
  reason: 'network' | 'timeout' | 'status' | 'invalid-response';
  /** The status, when `reason` is `'status'` or `'invalid-response'`. */
  status: number | null;
}

/**
 * The conflict check before a push (one GET): the record was `'current'` (the queued
 * change goes on top), in `'conflict'` (see the conflict event), `'gone'` (404: removed),
 * or `'unreadable'` (sent as queued). `sends`: whether anything is left to send.
 */
export interface CheckedEvent {
  /** Tells the kind of event apart. */
  type: 'checked';
  /** The record's id (temporary until its create is acknowledged). */
  recordId: string;
  /** What the GET showed. */
  outcome: 'current' | 'conflict' | 'gone' | 'unreadable';
  /** Whether anything is left to send after the check. */
  sends: boolean;
}

/** Synced, unwatched records evicted to make room (`'quota'`) or to keep the `storage` limits. */
export interface EvictedEvent {
  /** Tells the kind of event apart. */
  type: 'evicted';
  /** How many records were evicted. */
  count: number;
  /** `'quota'`: a write ran out of room; `'limits'`: past `storage.maxRecords` or `maxBytes`. */
  reason: 'quota' | 'limits';
}

/**
 * The reserve (option `storage.reserveBytes`) was given up so that a refused local write
 * could land (`held: false`), or was taken again after a round found room (`held: true`).
 */
export interface ReserveEvent {
  /** Tells the kind of event apart. */
  type: 'reserve';
  /** Whether the store now holds its reserve. */
  held: boolean;
}

/**
 * One event of the debug stream (`store.sync.events$`, option `logger`), told apart by
 * `type`. Events are about this store: requests it sent and decisions it made.
 */
export type SyncEvent =
  | RoundStartEvent
  | RoundEndEvent
  | RequestEvent
  | CoalescedEvent
  | RebasedEvent
  | ConflictEvent
  | RejectedEvent
  | RemovedEvent
  | IdRemappedEvent
  | BackoffEvent
  | CheckedEvent
  | EvictedEvent
  | ReserveEvent;

/** Where events go: `events$` subscribers and the listeners (logger, debug printer). */
export class EventLog {
  readonly #subject = new Subject<SyncEvent>();
  readonly #listeners: ((event: SyncEvent) => void)[];
  readonly events$ = this.#subject.asObservable();

  constructor(listeners: ((event: SyncEvent) => void)[]) {
    this.#listeners = listeners;
  }

  emit = (event: SyncEvent): void => {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing logger must never break a write or a round.
      }
    }
    this.#subject.next(event);
  };

  close(): void {
    this.#subject.complete();
  }
}

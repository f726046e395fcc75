/**
 * Receipts: `sync.synced(id)`, the server's acknowledgement of every change made to a
 * record before the call. The outbox is the truth, not memory, so a receipt works in
 * every tab (whichever one syncs) and after a reload: it notes the entries queued for
 * the record when it is asked for, follows them in the outbox (under the server's id once
 * the create is acknowledged: a moved entry keeps its seq) until none is left, then tells
 * an acknowledgement from a refusal by the rejections stored meanwhile.
 */
import type { Subscription } from 'rxjs';
import { live } from '../local/live.js';
import type { Conversation } from '../model/conversation.js';
import { closedStoreError, toStorageError } from '../model/errors.js';
import { resolveId } from '../storage/ids.js';
import { queuedSeqs } from '../storage/outbox.js';
import { lastRejectionId, type Rejection, rejectionsAfter } from '../storage/rejections.js';
import { inReadTransaction, SCOPES, type StoreDatabase } from '../storage/schema.js';

/** What the outbox and the rejections hold for one record, read in one transaction. */
export interface ReceiptSnapshot {
  /** The record's id now: the server's once its create is acknowledged. */
  id: string;
  /** The seqs of its queued entries, under its temporary or its server id. */
  seqs: readonly number[];
  /** Its rejections stored after the receipt was asked for, oldest first. */
  rejections: readonly Rejection[];
}

/** A receipt still waiting. */
export interface Waiting {
  /** The entries that hold changes made before the call. */
  carriers: ReadonlySet<number>;
  /** The entries queued at the last snapshot. */
  seen: ReadonlySet<number>;
  /** The last rejection id already accounted for. */
  mark: number;
}

/** Where a receipt stands after a snapshot. */
export type ReceiptStep =
  | { kind: 'waiting'; waiting: Waiting }
  | { kind: 'acknowledged'; id: string }
  | { kind: 'refused'; rejection: Rejection };

/** The first state of a receipt, from the snapshot taken when it was asked for. */
export function startReceipt(snapshot: ReceiptSnapshot, mark: number): ReceiptStep {
  if (snapshot.seqs.length === 0) return { kind: 'acknowledged', id: snapshot.id };
  const queued = new Set(snapshot.seqs);
  return { kind: 'waiting', waiting: { carriers: queued, seen: queued, mark } };
}

/**
 * The next state of a receipt after a later snapshot (pure). An entry leaves the outbox
 * when its reply is stored (with a rejection, in the same transaction, when refused), or
 * when its changes move into a new entry in the same transaction: a conflict check or a
 * rebase replaces unsent entries, a delete absorbs the updates before it. So entries that
 * appear in the snapshot where a carrier leaves carry on its changes (a write made just
 * after the call may be among them: the receipt then waits for it too). Entries queued
 * later, behind the carriers, are not waited for: a record's entries are sent in order.
 */
export function followReceipt(waiting: Waiting, snapshot: ReceiptSnapshot): ReceiptStep {
  const queued = new Set(snapshot.seqs);
  const fresh = snapshot.rejections.filter((rejection) => rejection.id > waiting.mark);
  const mark = Math.max(waiting.mark, ...fresh.map((rejection) => rejection.id));
  const remaining = [...waiting.carriers].filter((seq) => queued.has(seq));
  if (remaining.length === waiting.carriers.size) {
    return { kind: 'waiting', waiting: { carriers: waiting.carriers, seen: queued, mark } };
  }
  const refused = fresh[0];
  if (refused !== undefined) return { kind: 'refused', rejection: refused };
  const successors = snapshot.seqs.filter((seq) => !waiting.seen.has(seq));
  const carriers = new Set([...remaining, ...successors]);
  if (carriers.size === 0) return { kind: 'acknowledged', id: snapshot.id };
  return { kind: 'waiting', waiting: { carriers, seen: queued, mark } };
}

/** Reads a record's snapshot; the temporary id and the server's both name it. */
function readSnapshot(db: StoreDatabase, id: string, afterRejection: number) {
  return inReadTransaction(db, SCOPES.receipt, async (): Promise<ReceiptSnapshot> => {
    const current = await resolveId(db, id);
    const ids = current === id ? [id] : [id, current];
    const [seqs, rejections] = await Promise.all([
      queuedSeqs(db, ids),
      rejectionsAfter(db, ids, afterRejection),
    ]);
    return { id: current, seqs, rejections };
  });
}

/** The receipts asked for in one store; `close()` refuses those still waiting. */
export class Receipts {
  readonly #db: StoreDatabase;
  readonly #read: (id: string) => Promise<Conversation | undefined>;
  /** Fails each receipt still waiting. */
  readonly #waiting = new Set<(error: Error) => void>();
  #closed: Error | null = null;

  /** `read` answers the record as the app sees it (`conversations.retrieve`). */
  constructor(db: StoreDatabase, read: (id: string) => Promise<Conversation | undefined>) {
    this.#db = db;
    this.#read = read;
  }

  /** `sync.synced(id)`, for an id already validated. */
  synced(id: string): Promise<Conversation | null> {
    if (this.#closed !== null) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      let subscription: Subscription | undefined;
      let done = false;
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        this.#waiting.delete(fail);
        subscription?.unsubscribe();
        settle();
      };
      const fail = (error: Error) => finish(() => reject(error));
      const failStorage = (error: unknown) => fail(toStorageError(error, 'sync.synced'));
      const answer = (recordId: string) =>
        this.#read(recordId).then((record) => finish(() => resolve(record ?? null)), failStorage);
      this.#waiting.add(fail);
      const step = (next: ReceiptStep): Waiting | null => {
        if (next.kind === 'acknowledged') void answer(next.id);
        else if (next.kind === 'refused') fail(next.rejection.error);
        return next.kind === 'waiting' ? next.waiting : null;
      };
      const db = this.#db;
      inReadTransaction(db, SCOPES.receipt, async () => ({
        mark: await lastRejectionId(db),
        snapshot: await readSnapshot(db, id, Number.POSITIVE_INFINITY),
      })).then(({ mark, snapshot }) => {
        let waiting = step(startReceipt(snapshot, mark));
        if (waiting === null || done) return;
        // Unsubscribed at once if the first snapshot already settles the receipt.
        const snapshots = live(
          () => readSnapshot(db, id, mark),
          () => false,
        );
        subscription = snapshots.subscribe({
          next: (next) => {
            if (waiting !== null && !done) waiting = step(followReceipt(waiting, next));
          },
          error: failStorage,
        });
        if (done) subscription.unsubscribe();
      }, failStorage);
    });
  }

  /** Refuses every receipt still waiting, and every later one, with a StorageError. */
  close(cause?: unknown): void {
    this.#closed ??= closedStoreError('sync.synced', cause);
    for (const fail of [...this.#waiting]) fail(this.#closed);
  }
}

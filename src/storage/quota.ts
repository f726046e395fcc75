/**
 * The quota manager: evicts synced conversations when the browser refuses to store more
 * (QuotaExceededError) and when the store holds more than `storage.maxRecords` or
 * `storage.maxBytes`. Least recently active first; never a record with queued writes,
 * never one the app is watching (protected.ts), never the outbox, bases or rejections.
 * An evicted record leaves a stub with its list keys and the fingerprint of its state
 * (records.ts writes both), so a list can tell it may be incomplete and a page that lists
 * it unchanged tells nothing new; the next complete pull brings the records back and the
 * stubs go.
 */

import type { Conversation, ListParams } from '../model/conversation.js';
import { isQuotaError, StorageError } from '../model/errors.js';
import { parseListParams } from '../model/validate.js';
import { queuedRecordIds, unansweredCreates } from './outbox.js';
import { cursorOf, listConversations, planQuery, readRange } from './queries.js';
import { clearStubs, evict } from './records.js';
import {
  compareSortKeys,
  type EvictedRow,
  inTransaction,
  SCOPES,
  type StoreDatabase,
  type StoredConversation,
  sortKey,
} from './schema.js';

export interface QuotaOptions {
  maxRecords: number;
  maxBytes: number;
  /** The ids the app is watching (never evicted). */
  protectedIds: () => Set<string>;
  /** Told how many records were evicted, to make room (`'quota'`) or for the limits. */
  evicted?: (count: number, reason: 'quota' | 'limits') => void;
  /**
   * Space held for local writes (reserve.ts); without it, eviction alone makes room. Its
   * calls never reject: they resolve false when they could not do their part.
   */
  reserve?: { take(): Promise<boolean>; release(): Promise<boolean> };
  /** Told when the reserve is given up for a refused write, and when it is held again. */
  reserveChanged?: (held: boolean) => void;
}

/** Records evicted by the first attempt to make room; each further attempt doubles it. */
const FIRST_BATCH = 16;

/** The size a stored record is counted with against `maxBytes`: its JSON length. */
export const rowBytes = (row: StoredConversation): number => JSON.stringify(row).length;

export class QuotaManager {
  readonly #db: StoreDatabase;
  readonly #options: QuotaOptions;
  /** Whether the reserve is held, as far as this store knows (undefined: not yet asked). */
  #reserveHeld: boolean | undefined;

  constructor(db: StoreDatabase, options: QuotaOptions) {
    this.#db = db;
    this.#options = options;
  }

  #reserveIs(held: boolean): void {
    if (this.#reserveHeld !== undefined && this.#reserveHeld !== held) {
      this.#options.reserveChanged?.(held);
    }
    this.#reserveHeld = held;
  }

  /** Takes the reserve if it is not held (at start, after rounds); never throws. */
  async takeReserve(): Promise<void> {
    const reserve = this.#options.reserve;
    if (reserve === undefined) return;
    this.#reserveIs(await reserve.take());
  }

  /**
   * Evicts the least recently active evictable records until `count` records or `bytes`
   * bytes are gone (whichever comes first), in one transaction. Resolves with how many.
   */
  async evict(budget: { count?: number; bytes?: number }): Promise<number> {
    const db = this.#db;
    const count = budget.count ?? Number.POSITIVE_INFINITY;
    const bytes = budget.bytes ?? Number.POSITIVE_INFINITY;
    return inTransaction(db, SCOPES.evict, async () => {
      const queued = new Set(await queuedRecordIds(db));
      const watched = this.#options.protectedIds();
      const victims: StoredConversation[] = [];
      let freed = 0;
      // `s` is the list order (most recently active first, never-active last): reversed,
      // the least recently active come first.
      await db.conversations
        .orderBy('s')
        .reverse()
        .until(() => victims.length >= count || freed >= bytes)
        .each((row) => {
          if (queued.has(row.id) || watched.has(row.id)) return;
          victims.push(row);
          freed += rowBytes(row);
        });
      if (victims.length === 0) return 0;
      await evict(db, victims);
      return victims.length;
    });
  }

  /**
   * Evicts a batch (growing with `attempt`); for a local write (`forWrite`) gives up the
   * reserve first, which also leaves room for the eviction's own bookkeeping. False when
   * nothing was freed.
   */
  async makeRoom(attempt: number, forWrite: boolean): Promise<boolean> {
    let released = false;
    if (forWrite && this.#options.reserve !== undefined) {
      released = await this.#options.reserve.release();
      if (released) this.#reserveIs(false);
    }
    const evicted = await this.evict({ count: FIRST_BATCH * 2 ** attempt }).catch(() => 0);
    if (evicted > 0) this.#options.evicted?.(evicted, 'quota');
    return released || evicted > 0;
  }

  /** Runs a local write; on a QuotaExceededError makes room and runs it again, while room is made. */
  async withRoom<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        if (!(await this.makeRoom(attempt, true))) {
          throw new StorageError(`${describe(error)}; nothing left to evict`, { cause: error });
        }
      }
    }
  }

  /** Evicts down to `maxRecords` and `maxBytes`. Resolves with how many were evicted. */
  async enforceLimits(): Promise<number> {
    const { maxRecords, maxBytes } = this.#options;
    const db = this.#db;
    let evicted = 0;
    if (maxRecords < Number.MAX_SAFE_INTEGER) {
      const over = (await db.conversations.count()) - maxRecords;
      if (over > 0) evicted += await this.evict({ count: over });
    }
    if (maxBytes < Number.MAX_SAFE_INTEGER) {
      let total = 0;
      await db.conversations.each((row) => {
        total += rowBytes(row);
      });
      if (total > maxBytes) evicted += await this.evict({ bytes: total - maxBytes });
    }
    if (evicted > 0) this.#options.evicted?.(evicted, 'limits');
    return evicted;
  }

  /**
   * After a sync round: a complete pull stored every server row again, so the stubs go
   * (unless a create without its answer kept new rows out); then the limits hold again, a
   * round that ran out of quota gets room for the next (the reserve stays for local
   * writes), and a reserve given up is taken again if there is room.
   */
  async afterRound(round: { complete: boolean; error: Error | null }): Promise<void> {
    const db = this.#db;
    if (round.complete) {
      await inTransaction(db, SCOPES.evict, async () =>
        clearStubs(db, (await unansweredCreates(db)).length > 0),
      );
    }
    if (round.error instanceof StorageError && round.error.quota) await this.makeRoom(0, false);
    await this.enforceLimits();
    // Also when held (another tab may have given it up), never for a database that is
    // closed or refused (signed out).
    if (db.isOpen()) await this.takeReserve();
  }

  /** Whether `list(params)` may miss evicted records (see WatchedRecords.isComplete). */
  async isComplete(input: ListParams): Promise<boolean> {
    const params = parseListParams(input);
    const db = this.#db;
    return db.transaction('r', [...SCOPES.read, 'evicted'], async () => {
      if ((await db.evicted.count()) === 0) return true;
      const cursor = await cursorOf(db, params);
      const direction = params.ending_before !== undefined ? 'before' : 'after';
      const plan = planQuery(params);
      const [page, ranges] = await Promise.all([
        listConversations(db, params),
        Promise.all(
          plan.prefixes.map((prefix) =>
            readRange<EvictedRow, unknown>(db.evicted, plan.index, prefix, cursor, direction, 1),
          ),
        ),
      ]);
      const nearest = ranges.flat();
      if (nearest.length === 0) return true;
      if (!page.has_more) return false; // The page runs to the end of the list.
      // A full page: only stubs before its last row (in reading order) were left out.
      const edge = sortKey(
        (direction === 'after' ? page.data.at(-1) : page.data[0]) as Conversation,
      );
      const sign = direction === 'after' ? 1 : -1;
      return !nearest.some((stub) => sign * compareSortKeys(stub.s, edge) < 0);
    });
  }
}

const describe = (error: unknown) =>
  `the browser refused to store more (${error instanceof Error ? error.message : String(error)})`;

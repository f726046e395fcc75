/**
 * The storage layer (`src/storage/`): IndexedDB through Dexie. The schema and its upgrades
 * (this file), the one writer of the local record (records.ts), the outbox and its
 * coalescing (outbox.ts, coalesce.ts, due.ts), refused writes (rejections.ts), temporary
 * ids (ids.ts), bookkeeping (meta.ts), reads over the indexes (queries.ts), the quota
 * manager and its reserve (quota.ts, reserve.ts), persistence (persistence.ts) and sign-out
 * (signout.ts, gate.ts). Each table has one owner here; nothing here knows the network.
 *
 * The Dexie schema: the one file that knows the tables and their indexes.
 *
 * Lists are answered from three array-valued indexes (booleans are not valid IndexedDB
 * keys, so flags are stored as 0/1 inside the keys):
 * - `s`: the list order itself, `[lastActiveIsNull, -last_active_at, -created_at, id]`;
 * - `f`: `[muted, archived, pinned, ...s]`, for the boolean filters;
 * - `g`: `[group_id, muted, archived, pinned, ...s]`, only on rows that have a group.
 * A filter that leaves a flag open reads one key range per open value and merges them.
 */
import { Dexie, type EntityTable, type Transaction } from 'dexie';
import type { Conversation, RefusedOperation, WriteOperation } from '../model/conversation.js';
import { type OpenGate, openThroughGate } from './gate.js';

export type SortKey = [number, number, number, string];

/** A conversation as stored: the API's fields plus the derived index keys. */
export interface StoredConversation extends Conversation {
  s: SortKey;
  f: [number, number, number, ...SortKey];
  g?: [string, number, number, number, ...SortKey];
  /**
   * `[muted, archived, ...s]` (schema 4): the lists that leave `pinned` open (the app's
   * default `{ muted: false, archived: false }` among them) read one key range of it
   * instead of two of `f`.
   */
  a: [number, number, ...SortKey];
  /**
   * Set while the record may have outbox entries (schema 3), so that a write to a record
   * with nothing queued reads its row and nothing else. Every path that queues an entry
   * sets it in the same transaction; one left over after the queue emptied costs only a
   * read of an empty queue. Not an index.
   */
  q?: 1;
}

/** One queued write. Only the first entry of a record may be in flight (`sentAt` set). */
export type OutboxEntry = {
  seq?: number;
  /** The record's id (temporary until the create is acknowledged). */
  recordId: string;
  /** Sent as `Idempotency-Key`; fixed at enqueue, so retries and restarts replay. */
  key: string;
  /** Unix ms when the request first left; once set the entry is frozen (never coalesced). */
  sentAt: number | null;
  attempts: number;
  /** Unix ms before which an automatic round does not retry it. */
  notBefore: number;
  /**
   * Unix ms of the last retryable failure. A wall clock earlier than this was set back:
   * `notBefore` then means nothing, and the entry is due (else it would stall for as long
   * as the clock went back).
   */
  failedAt?: number;
  /** The last attempt got no answer at all: retry as soon as the network comes back. */
  offline?: boolean;
  enqueuedAt: number;
  lastError: string | null;
  /**
   * On a record's first entry only: the last state the server acknowledged, which the
   * entries apply to (rebases and rollbacks start from it). Absent before a create is
   * acknowledged. Schema 3 moved it here from the `bases` table of schemas 1-2.
   */
  base?: Conversation;
} & WriteOperation;

/** A create that left without its answer being stored yet. */
export type SentCreate = Extract<OutboxEntry, { op: 'create' }> & { sentAt: number };

/** A row of the `bases` table of schemas 1-2 (moved into the outbox by schema 3). */
export interface BaseRow {
  id: string;
  row: Conversation;
}

/** A temporary id that the server replaced. */
export interface AliasRow {
  from: string;
  to: string;
}

/** A write the server refused for good. */
export type RejectionRow = {
  id?: number;
  recordId: string;
  rejectedAt: number;
  error: { status: number; type: string; message: string };
} & RefusedOperation;

/**
 * What is left of a record evicted under storage pressure: its index keys, so that a list
 * can tell whether an evicted record would have been on its page (`isComplete`).
 */
export interface EvictedRow {
  id: string;
  s: SortKey;
  f: StoredConversation['f'];
  g?: StoredConversation['g'];
  a: StoredConversation['a'];
  /**
   * The fingerprint of the record's server state when it was evicted (records.ts): a page
   * that lists it unchanged tells nothing new. Absent on stubs written before 0.3. Not an index.
   */
  h?: number;
}

export interface MetaRow {
  key: string;
  value: unknown;
}

export type StoreDatabase = Dexie & {
  conversations: EntityTable<StoredConversation, 'id'>;
  outbox: EntityTable<OutboxEntry, 'seq'>;
  aliases: EntityTable<AliasRow, 'from'>;
  rejections: EntityTable<RejectionRow, 'id'>;
  meta: EntityTable<MetaRow, 'key'>;
  evicted: EntityTable<EvictedRow, 'id'>;
};

/**
 * The transaction scopes, named once. Dexie accepts table names, so the modules that own
 * a table are still the only ones that read or write it.
 */
export const SCOPES = {
  /** Local reads: records and the aliases that resolve temporary ids. */
  read: ['conversations', 'aliases'],
  /** A local write: the record, its outbox entries (the first holds the base), alias lookups. */
  write: ['conversations', 'outbox', 'aliases'],
  /** Settling a reply, or re-applying a refused write: a write plus the rejections. */
  settle: ['conversations', 'outbox', 'aliases', 'rejections'],
  /**
   * Reconciling pulled rows with local records and their queues (and the walk's progress);
   * the stubs of evicted records tell an unchanged row from news.
   */
  pull: ['conversations', 'outbox', 'meta', 'evicted'],
  /** Evicting synced records: the records, the queue that protects them, their stubs. */
  evict: ['conversations', 'outbox', 'evicted'],
  /** A receipt's read: a record's queued entries (under either id) and its refusals. */
  receipt: ['outbox', 'aliases', 'rejections'],
} as const satisfies Record<string, readonly (keyof TableRows)[]>;

type TableRows = {
  conversations: StoredConversation;
  outbox: OutboxEntry;
  aliases: AliasRow;
  rejections: RejectionRow;
  meta: MetaRow;
  evicted: EvictedRow;
};

/** Runs `body` in a read-write transaction over one of {@link SCOPES}. */
export function inTransaction<T>(
  db: StoreDatabase,
  scope: readonly (keyof TableRows)[],
  body: () => Promise<T>,
): Promise<T> {
  return db.transaction('rw', scope as (keyof TableRows)[], body);
}

/** Runs `body` in a read-only transaction over one of {@link SCOPES}: one consistent snapshot. */
export function inReadTransaction<T>(
  db: StoreDatabase,
  scope: readonly (keyof TableRows)[],
  body: () => Promise<T>,
): Promise<T> {
  return db.transaction('r', scope as (keyof TableRows)[], body);
}

/** One version of the schema: the tables it adds or changes, and how their rows move. */
export interface SchemaVersion {
  version: number;
  /** Dexie's schema of every table this version adds or changes (`null` deletes one). */
  stores: Record<string, string | null>;
  /**
   * Rewrites the rows of the tables this version changes. Tables it does not name are
   * carried over by IndexedDB as they are; an upgrade that touches the outbox, bases,
   * rejections, aliases or meta must carry every row over.
   */
  upgrade?: (transaction: Transaction) => Promise<void>;
}

/**
 * Every schema the store has had, oldest first. A change to tables or indexes is a new
 * entry appended here, never an edit of an old one: browsers hold databases at every
 * version ever shipped, and Dexie upgrades them step by step.
 */
export const SCHEMA: readonly SchemaVersion[] = [
  {
    version: 1, // 0.1.0
    stores: {
      conversations: 'id, s, f, g',
      outbox: '++seq, recordId',
      bases: 'id',
      aliases: 'from, to',
      rejections: '++id, recordId',
      meta: 'key',
    },
  },
  {
    // Stubs of records evicted under storage pressure (quota.ts), with the list indexes.
    version: 2,
    stores: { evicted: 'id, s, f, g' },
  },
  {
    // A cheaper write: each base moves into the first outbox entry of its record and rows
    // with entries get the queued marker `q`, so a write to a record with nothing queued
    // reads one row. The emptied `bases` table is dropped (Dexie keeps it readable until
    // this upgrade has run).
    version: 3,
    stores: { bases: null },
    upgrade: moveBasesIntoOutbox,
  },
  {
    // Faster default lists: the `a` index, `[muted, archived, ...s]`, answers a list that
    // leaves `pinned` open with one key range instead of two. Rows and stubs get the key.
    version: 4,
    stores: { conversations: 'id, s, f, g, a', evicted: 'id, s, f, g, a' },
    upgrade: addMutedArchivedKeys,
  },
];

/** Schema 4's upgrade: every row and stub gets its `a` key, derived from its `f` key. */
export async function addMutedArchivedKeys(transaction: Transaction): Promise<void> {
  for (const name of ['conversations', 'evicted']) {
    await transaction
      .table<{ f: StoredConversation['f']; a?: StoredConversation['a'] }>(name)
      .toCollection()
      .modify((row) => {
        const [muted, archived, , ...s] = row.f;
        row.a = [muted, archived, ...s];
      });
  }
}

/**
 * Schema 3's upgrade: each base of the `bases` table moves into the first outbox entry of
 * its record, and the rows of records with entries get the queued marker. Every entry,
 * base and record is carried over; nothing else changes.
 */
export async function moveBasesIntoOutbox(transaction: Transaction): Promise<void> {
  const bases = transaction.table<BaseRow, string>('bases');
  const outbox = transaction.table<OutboxEntry, number>('outbox');
  const conversations = transaction.table<StoredConversation, string>('conversations');
  const baseById = new Map((await bases.toArray()).map((row) => [row.id, row.row]));
  const heads = new Map<string, OutboxEntry>();
  for (const entry of await outbox.toArray()) {
    if (!heads.has(entry.recordId)) heads.set(entry.recordId, entry); // In `seq` order.
  }
  const withBase: OutboxEntry[] = [];
  for (const [id, head] of heads) {
    const base = baseById.get(id);
    if (base !== undefined) withBase.push({ ...head, base });
  }
  await outbox.bulkPut(withBase);
  const rows = await conversations.bulkGet([...heads.keys()]);
  const marked = rows.flatMap((row) => (row === undefined ? [] : [{ ...row, q: 1 as const }]));
  await conversations.bulkPut(marked);
}

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = (SCHEMA[SCHEMA.length - 1] as SchemaVersion).version;

export interface DatabaseOptions {
  indexedDB?: IDBFactory | undefined;
  IDBKeyRange?: typeof IDBKeyRange | undefined;
  /** Waits before the database is opened (created, if missing); a rejection refuses it. */
  gate?: OpenGate | undefined;
}

/** The IndexedDB a store uses: the option's, else the runtime's; undefined when neither. */
export function indexedDBOf(options: DatabaseOptions): IDBFactory | undefined {
  return options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
}

export function openDatabase(name: string, options: DatabaseOptions = {}): StoreDatabase {
  const indexedDB = indexedDBOf(options);
  const keyRange =
    options.IDBKeyRange ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
  // Dexie's liveQuery silently never runs when its global dependencies lack an
  // IndexedDB (Node without a global shim), even if this instance was given one.
  // The global entry is only checked for presence by liveQuery.
  if (indexedDB && !Dexie.dependencies.indexedDB) {
    Dexie.dependencies.indexedDB = indexedDB;
    if (keyRange) Dexie.dependencies.IDBKeyRange = keyRange;
  }
  // The factory is always explicit, never Dexie's global default: that may be another
  // store's factory, another database universe (a store without IndexedDB must fail, not
  // borrow it). A key range class holds no data, so the global one may stand in: without
  // any, Dexie throws synchronously from where(), outside every promise (uncaught).
  // Opening goes through the gate (signed-out check, newer-version refusal; gate.ts).
  const db = new Dexie(name, {
    indexedDB: openThroughGate(indexedDB, options.gate),
    IDBKeyRange: keyRange ?? Dexie.dependencies.IDBKeyRange,
  }) as StoreDatabase;
  for (const { version, stores, upgrade } of SCHEMA) {
    const declared = db.version(version).stores(stores);
    if (upgrade !== undefined) declared.upgrade(upgrade);
  }
  return db;
}

const flag = (value: boolean): number => (value ? 1 : 0);

export function sortKey(row: Conversation): SortKey {
  const active = row.last_active_at;
  return [active === null ? 1 : 0, active === null ? 0 : -active, -row.created_at, row.id];
}

/** Adds the derived index keys to a conversation. */
export function toStored(row: Conversation): StoredConversation {
  const s = sortKey(row);
  const flags = [flag(row.is_muted), flag(row.archived_at !== null), flag(row.is_pinned)] as const;
  const stored: StoredConversation = {
    ...row,
    s,
    f: [...flags, ...s],
    a: [flags[0], flags[1], ...s],
  };
  if (row.group_id !== null) stored.g = [row.group_id, ...flags, ...s];
  return stored;
}

/**
 * {@link toStored} with the queued marker when `queued`: what a transaction that leaves
 * the record with outbox entries stores.
 */
export function toStoredQueued(row: Conversation, queued: boolean): StoredConversation {
  const stored = toStored(row);
  if (queued) stored.q = 1;
  return stored;
}

/** Orders two sort keys the way IndexedDB orders them. */
export function compareSortKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] as number) - (b[i] as number);
    if (diff !== 0) return diff;
  }
  return a[3] < b[3] ? -1 : a[3] > b[3] ? 1 : 0;
}

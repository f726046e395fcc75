/**
 * The store's bookkeeping beside the data: when it last synced, the progress of a walk
 * over every page, which lists are watched in which tab, and when each list was last
 * confirmed by the server. The only module that reads or writes the `meta` table.
 */

import type { ListParams } from '../model/conversation.js';
import type { StoreDatabase } from './schema.js';

/** A walk over every page, kept so that a reload or an offline spell can resume it. */
export interface WalkState {
  /** Names the walk's seen-id chunks. */
  id: string;
  /** Wall ms when it started: a resumed walk must finish within `fullSyncMs` of it. */
  startedAt: number;
  /** The cursor of the next page (`null`: the first page). */
  cursor: string | null;
  pages: number;
  rows: number;
}

/** The lists one store had subscribers for, and when it said so last. */
export interface WatchedEntry {
  lists: ListParams[];
  at: number;
}

interface MetaValues {
  /** Wall ms of the end of the last round that pulled without an error. */
  lastSyncedAt: number;
  /** Wall ms of the end of the last complete walk. */
  lastFullSyncAt: number;
  /** Wall ms of the end of the last round that could not reach the server. */
  lastOfflineAt: number;
  walk: WalkState;
  /** What the browser answered to `navigator.storage.persist()`. */
  persisted: boolean;
}

export async function readMeta<K extends keyof MetaValues>(
  db: StoreDatabase,
  key: K,
): Promise<MetaValues[K] | null> {
  const row = await db.meta.get(key);
  return row === undefined ? null : (row.value as MetaValues[K]);
}

export function writeMeta<K extends keyof MetaValues>(
  db: StoreDatabase,
  key: K,
  value: MetaValues[K],
): Promise<unknown> {
  return db.meta.put({ key, value });
}

const SEEN = 'walk-seen:';
const WATCHED = 'watched:';
const CONFIRMED = 'list-confirmed:';

/** Records the ids one page of walk `walkId` named (in the page's own transaction). */
export function addSeen(db: StoreDatabase, walkId: string, page: number, ids: string[]) {
  return db.meta.put({ key: `${SEEN}${walkId}:${page}`, value: ids });
}

/** Every id the walk `walkId` has seen so far. */
export async function readSeen(db: StoreDatabase, walkId: string): Promise<Set<string>> {
  const seen = new Set<string>();
  await db.meta
    .where('key')
    .startsWith(`${SEEN}${walkId}:`)
    .each((row) => {
      for (const id of row.value as string[]) seen.add(id);
    });
  return seen;
}

/** Forgets the walk in progress and its seen ids. */
export async function clearWalk(db: StoreDatabase): Promise<void> {
  await db.meta.where('key').startsWith(SEEN).delete();
  await db.meta.delete('walk');
}

/** Says which lists this store (`storeId`) watches; an empty list removes its entry. */
export async function writeWatched(db: StoreDatabase, storeId: string, entry: WatchedEntry) {
  const key = `${WATCHED}${storeId}`;
  if (entry.lists.length === 0) await db.meta.delete(key);
  else await db.meta.put({ key, value: entry });
}

/** Every store's watched lists (stores of other tabs included). */
export async function readWatched(db: StoreDatabase): Promise<WatchedEntry[]> {
  const rows = await db.meta.where('key').startsWith(WATCHED).toArray();
  return rows.map((row) => row.value as WatchedEntry);
}

/** Records that the server confirmed the first page of the list `listKey` at `at`. */
export function writeListConfirmed(db: StoreDatabase, listKey: string, at: number) {
  return db.meta.put({ key: `${CONFIRMED}${listKey}`, value: at });
}

/** When the server last confirmed the list `listKey`, or null. */
export async function readListConfirmed(db: StoreDatabase, listKey: string) {
  const row = await db.meta.get(`${CONFIRMED}${listKey}`);
  return typeof row?.value === 'number' ? row.value : null;
}

/**
 * Set-up of the local store tests: a store on a fresh fake IndexedDB (passed through the
 * options, never as a global), rows seeded straight into its database, and helpers to
 * collect live emissions.
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import type { Observable } from 'rxjs';
import { openDatabase, toStored } from '../../src/db.js';
import {
  type Conversation,
  type ConversationStore,
  createConversationStore,
} from '../../src/index.js';
import { dumpDatabase } from '../dump.js';

export const NOW = 1_700_000_000;
let counter = 0;

export interface LocalStore {
  store: ConversationStore;
  indexedDB: IDBFactory;
  databaseName: string;
  /** Every table's rows, for "nothing changed" assertions. */
  dump(): Promise<Record<string, unknown[]>>;
  /** Another store on the same database: a second tab. */
  openTab(): ConversationStore;
}

export async function localStore(rows: Conversation[] = []): Promise<LocalStore> {
  const indexedDB = new IDBFactory();
  const databaseName = `local-${counter++}`;
  if (rows.length > 0) {
    const db = openDatabase(databaseName, { indexedDB, IDBKeyRange });
    await db.conversations.bulkPut(rows.map(toStored));
    db.close();
  }
  const open = () =>
    createConversationStore({
      baseUrl: 'http://localhost:9',
      getToken: () => 'test-token',
      databaseName,
      indexedDB,
      IDBKeyRange,
      now: () => NOW,
      sync: { auto: false },
    });
  return {
    store: open(),
    indexedDB,
    databaseName,
    openTab: open,
    dump: () => dumpDatabase(databaseName, indexedDB),
  };
}

/** Records every emission of `source` until `stop()`. */
export function record<T>(source: Observable<T>) {
  const values: T[] = [];
  const subscription = source.subscribe((value) => values.push(value));
  return { values, stop: () => subscription.unsubscribe() };
}

/** Polls `check` (real time, bounded) until it passes: a live query may lag a write by a tick. */
export async function eventually(check: () => void, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Waits long enough for any pending live-query re-run to have emitted. */
export const quiet = () => new Promise((resolve) => setTimeout(resolve, 60));

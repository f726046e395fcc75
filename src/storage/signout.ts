/**
 * Sign-out stays signed out. `destroy()` records the database's name in a small database
 * of its own, kept apart from the store's (which is deleted), and the store's open gate
 * (gate.ts) refuses to open, and so to recreate, a database listed there: a stale tab or
 * the service worker gets a StorageError instead of an empty new database. Creating the
 * store with `afterSignIn: true` (the app's sign-in) clears the entry.
 */
import { Dexie, type EntityTable } from 'dexie';
import { StorageError } from '../model/errors.js';
import type { OpenGate } from './gate.js';
import type { DatabaseOptions } from './schema.js';

/** The database that lists the signed-out databases. */
export const SIGNED_OUT_DATABASE = 'protocol-offline:signed-out';

interface SignedOutRow {
  name: string;
  at: number;
}

type Factory = Pick<DatabaseOptions, 'indexedDB' | 'IDBKeyRange'>;

async function withMarkers<T>(
  options: Factory,
  body: (table: EntityTable<SignedOutRow, 'name'>) => Promise<T>,
): Promise<T> {
  const db = new Dexie(SIGNED_OUT_DATABASE, {
    ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
    ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
  }) as Dexie & { databases: EntityTable<SignedOutRow, 'name'> };
  db.version(1).stores({ databases: 'name' });
  try {
    return await body(db.databases);
  } finally {
    db.close();
  }
}

/** Records that `name` was deleted by a sign-out; `at` in unix ms. */
export function markSignedOut(options: Factory, name: string, at: number): Promise<unknown> {
  return withMarkers(options, (table) => table.put({ name, at }));
}

/** Whether `name` was deleted by a sign-out and not signed in again since. */
export function isSignedOut(options: Factory, name: string): Promise<boolean> {
  return withMarkers(options, async (table) => (await table.get(name)) !== undefined);
}

/**
 * The open gate of a store: refuses a signed-out database, or (`afterSignIn`) clears its
 * entry the first time and checks again on every later open.
 */
export function signedOutGate(options: Factory, name: string, afterSignIn: boolean): OpenGate {
  let signIn = afterSignIn;
  return async () => {
    if (signIn) {
      signIn = false;
      await withMarkers(options, (table) => table.delete(name));
      return;
    }
    let signedOut: boolean;
    try {
      signedOut = await isSignedOut(options, name);
    } catch (error) {
      throw new StorageError(`open ${name} failed: the sign-out marker could not be read`, {
        cause: error,
      });
    }
    if (signedOut) {
      throw new StorageError(
        `Database ${name} was deleted by a sign-out: it is not recreated until the app ` +
          'creates the store with afterSignIn: true',
      );
    }
  };
}

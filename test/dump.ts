/** Every table's rows of a store's database, for "nothing changed" and "nothing left" assertions. */
import type { IDBFactory } from 'fake-indexeddb';
import { IDBKeyRange } from 'fake-indexeddb';
import { openDatabase } from '../src/db.js';

export async function dumpDatabase(
  databaseName: string,
  indexedDB: IDBFactory,
): Promise<Record<string, unknown[]>> {
  const db = openDatabase(databaseName, { indexedDB, IDBKeyRange });
  const tables: Record<string, unknown[]> = {};
  for (const table of db.tables) tables[table.name] = await table.toArray();
  db.close();
  return tables;
}

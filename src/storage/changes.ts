/**
 * What changed in the databases of this JavaScript realm: one Dexie `storagemutated`
 * listener for every store, routing each change to the listeners of its database only.
 * With a listener per store on Dexie's global event, every commit of every store would
 * call every other store's listeners: n stores in one realm (a test suite, a simulation,
 * several accounts open at once) would pay n² for their writes.
 */
import { Dexie, type IntervalTree, RangeSet } from 'dexie';

/**
 * Dexie's record of what a transaction changed (`idb://<database>/<table>/<index>` keys).
 * The same object reaches every listener, so it can name the transaction that committed.
 */
export type MutatedParts = Record<string, unknown>;

/** Told the tables of its database that changed, and Dexie's record of the change. */
export type ChangeListener = (tables: ReadonlySet<string>, parts: MutatedParts) => void;

/** Every table: Dexie says so when it cannot tell what changed (`all`). */
export const ALL_TABLES: ReadonlySet<string> = new Set(['*']);

const listeners = new Map<string, Set<ChangeListener>>();

/** The database and table a part key names; null when it is not one. */
function parse(key: string): { database: string; table: string } | null {
  if (!key.startsWith('idb://')) return null;
  const rest = key.slice('idb://'.length);
  // Table and index names hold no slash; a database name may.
  const indexAt = rest.lastIndexOf('/');
  const tableAt = indexAt <= 0 ? -1 : rest.lastIndexOf('/', indexAt - 1);
  if (tableAt < 0) return null;
  return { database: rest.slice(0, tableAt), table: rest.slice(tableAt + 1, indexAt) };
}

function dispatch(parts: MutatedParts): void {
  if ('all' in parts) {
    for (const set of listeners.values())
      for (const listener of [...set]) listener(ALL_TABLES, parts);
    return;
  }
  const tablesByDatabase = new Map<string, Set<string>>();
  for (const key of Object.keys(parts)) {
    const named = parse(key);
    if (named === null || !listeners.has(named.database)) continue;
    const tables = tablesByDatabase.get(named.database) ?? new Set<string>();
    tables.add(named.table);
    tablesByDatabase.set(named.database, tables);
  }
  for (const [database, tables] of tablesByDatabase) {
    for (const listener of [...(listeners.get(database) ?? [])]) listener(tables, parts);
  }
}

/** Listens to the changes of one database (this tab's and, through Dexie, other tabs'). */
export function onChange(database: string, listener: ChangeListener): () => void {
  if (listeners.size === 0) Dexie.on('storagemutated', dispatch);
  const set = listeners.get(database) ?? new Set<ChangeListener>();
  set.add(listener);
  listeners.set(database, set);
  return () => {
    set.delete(listener);
    if (set.size === 0 && listeners.get(database) === set) listeners.delete(database);
    if (listeners.size === 0) Dexie.on('storagemutated').unsubscribe(dispatch);
  };
}

/** Whether a change touched one of `tables`. */
export const touches = (changed: ReadonlySet<string>, tables: readonly string[]): boolean =>
  changed === ALL_TABLES || tables.some((table) => changed.has(table));

/**
 * Whether a change may have written one of `keys` of `table` (primary keys): Dexie records
 * the keys each transaction wrote, also for changes heard from other tabs.
 */
export function touchesKeys(
  parts: MutatedParts,
  database: string,
  table: string,
  keys: readonly string[],
): boolean {
  if ('all' in parts) return true;
  const written = parts[`idb://${database}/${table}/`] as IntervalTree | undefined;
  if (written === undefined) return false;
  const set = RangeSet(written);
  return keys.some((key) => set.hasKey(key));
}

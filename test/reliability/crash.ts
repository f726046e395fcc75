/**
 * An IndexedDB factory that can "crash": from the moment `crash()` is called, opening a
 * transaction (or writing to one named object store) throws, as storage does when the
 * tab is killed mid-way. `recover()` is the restart. Dexie sees a real IDBFactory.
 */
import { IDBFactory } from 'fake-indexeddb';

export interface CrashableIndexedDB {
  indexedDB: IDBFactory;
  /** Every transaction opened from now on fails; or only writes to `store`. */
  crash(store?: string): void;
  recover(): void;
  readonly crashes: number;
}

export function crashableIndexedDB(): CrashableIndexedDB {
  const real = new IDBFactory();
  let crashedAll = false;
  let crashedStore: string | null = null;
  let crashes = 0;
  const fail = () => {
    crashes += 1;
    return new DOMException('The tab died', 'AbortError');
  };

  const wrapStore = (store: IDBObjectStore) =>
    new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (
          (property === 'put' || property === 'add' || property === 'delete') &&
          target.name === crashedStore
        ) {
          return () => {
            throw fail();
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const wrapTransaction = (transaction: IDBTransaction) =>
    new Proxy(transaction, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'objectStore')
          return (name: string) => wrapStore(target.objectStore(name));
        // Dexie builds its core from `transaction.db`: hand it the wrapped database too.
        if (property === 'db') return wrapDatabase(target.db);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set(target, property, value) {
        return Reflect.set(target, property, value, target);
      },
    });
  const wrapDatabase = (db: IDBDatabase) =>
    new Proxy(db, {
      get(target, property) {
        const value = Reflect.get(target, property, target);
        if (property === 'transaction') {
          return (
            names: string | string[],
            mode?: IDBTransactionMode,
            options?: IDBTransactionOptions,
          ) => {
            if (crashedAll) throw fail();
            return wrapTransaction(target.transaction(names, mode, options));
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set(target, property, value) {
        return Reflect.set(target, property, value, target);
      },
    });
  const wrapOpenRequest = (request: IDBOpenDBRequest) =>
    new Proxy(request, {
      get(target, property) {
        if (property === 'result') return wrapDatabase(target.result);
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
      set(target, property, value) {
        return Reflect.set(target, property, value, target);
      },
    });
  const factory = new Proxy(real, {
    get(target, property) {
      if (property === 'open') {
        return (name: string, version?: number) => wrapOpenRequest(target.open(name, version));
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    indexedDB: factory,
    crash: (store) => {
      if (store === undefined) crashedAll = true;
      else crashedStore = store;
    },
    recover: () => {
      crashedAll = false;
      crashedStore = null;
    },
    get crashes() {
      return crashes;
    },
  };
}

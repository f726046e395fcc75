/**
 * Shared set-up of the sync tests: a reference server in-process, a network switch in
 * front of it, and stores on a fresh fake IndexedDB (passed as options, no global shim).
 */
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { firstValueFrom, type Observable, filter as rxFilter } from 'rxjs';
import {
  type Conversation,
  type ConversationStore,
  type ConversationStoreOptions,
  createConversationStore,
} from '../../src/index.js';
import {
  createManualPlatform,
  createNetworkSwitch,
  createReferenceServer,
  type ReferenceServer,
} from '../../src/testing/index.js';
import { dumpDatabase } from '../dump.js';

export const TOKEN = 'secret-token-0b7c1f';

export interface Harness {
  server: ReferenceServer;
  network: ReturnType<typeof createNetworkSwitch>;
  platform: ReturnType<typeof createManualPlatform>;
  indexedDB: IDBFactory;
  databaseName: string;
  /** Opens (or reopens) the store on the same database. */
  open(options?: Partial<ConversationStoreOptions>): ConversationStore;
  /** The raw tables, for assertions about what is stored. */
  dump(): Promise<Record<string, unknown[]>>;
}

let counter = 0;

export function harness(seed: Conversation[] = []): Harness {
  const server = createReferenceServer({ token: TOKEN, seed });
  const network = createNetworkSwitch(server.fetch);
  const platform = createManualPlatform();
  const indexedDB = new IDBFactory();
  const databaseName = `sync-test-${counter++}`;
  return {
    server,
    network,
    platform,
    indexedDB,
    databaseName,
    open: (options = {}) =>
      createConversationStore({
        baseUrl: 'https://api.test',
        getToken: () => TOKEN,
        databaseName,
        fetch: network.fetch,
        indexedDB,
        IDBKeyRange,
        platform,
        sync: { auto: false, retry: { baseMs: 10, maxMs: 100 } },
        ...options,
      }),
    dump: () => dumpDatabase(databaseName, indexedDB),
  };
}

/** Resolves with the first value of `source` that satisfies `predicate`. */
export function until<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(rxFilter(predicate)));
}

/** The requests the server received with this method (and path prefix). */
export function requests(server: ReferenceServer, method: string) {
  return server.requests.filter((request) => request.method === method);
}

export function conversation(overrides: Partial<Conversation> & { id: string }): Conversation {
  return {
    contact_id: 'contact',
    group_id: null,
    pinned_message_id: null,
    is_pinned: false,
    is_muted: false,
    last_active_at: 1_700_000_000,
    last_opened_at: null,
    created_at: 1_600_000_000,
    archived_at: null,
    ...overrides,
  };
}

/** Three server rows in list order, the usual seed of the sync tests. */
export const A = conversation({ id: 'AAAAAAAAAAAAAAAA', last_active_at: 300 });
export const B = conversation({ id: 'BBBBBBBBBBBBBBBB', last_active_at: 200 });
export const C = conversation({ id: 'CCCCCCCCCCCCCCCC', last_active_at: 100 });

/** A harness and a store that already pulled `seed`, with the request log cleared. */
export async function syncedHarness(
  seed: Conversation[] = [A, B, C],
  options: Parameters<Harness['open']>[0] = {},
): Promise<{ h: Harness; store: ConversationStore }> {
  const h = harness(seed);
  const store = h.open(options);
  await store.sync.now();
  h.server.clearRequests();
  return { h, store };
}

/**
 * The public error classes: their names, the `cause` they carry (and only when there is
 * one), and when a StorageError says the browser refused for want of room (`quota`).
 */
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConversationStore,
  createConversationStore,
  NetworkError,
  ProtocolOfflineError,
  StorageError,
} from '../../src/index.js';
import { createReferenceServer } from '../../src/testing/index.js';
import { TOKEN } from '../fixtures.js';

const quotaExceeded = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');

describe('ProtocolOfflineError', () => {
  it('is named ProtocolOfflineError', () => {
    const error = new ProtocolOfflineError('something failed');
    expect(error.name).toBe('ProtocolOfflineError');
    expect(String(error)).toBe('ProtocolOfflineError: something failed');
  });

  it('carries the cause it is given', () => {
    const cause = new TypeError('fetch failed');
    const error = new NetworkError('GET https://api.test/v1/conversations failed', { cause });
    expect(error.cause).toBe(cause);
  });

  it('has no cause property when given none', () => {
    const error = new NetworkError('GET https://api.test/v1/conversations failed');
    expect(Object.hasOwn(error, 'cause')).toBe(false);
    expect('cause' in error).toBe(false);
  });
});

describe('StorageError.quota', () => {
  it.each<[string, unknown, boolean]>([
    ["the browser's QuotaExceededError", quotaExceeded(), true],
    [
      "Dexie's abort of a transaction the quota refused",
      new Dexie.AbortError('Transaction aborted', quotaExceeded()),
      true,
    ],
    [
      'an aborted transaction for another reason',
      new Dexie.AbortError('Transaction aborted'),
      false,
    ],
    ['a constraint error', new DOMException('Key already exists', 'ConstraintError'), false],
    ['no cause', undefined, false],
  ])('is set right for %s', (_name, cause, quota) => {
    expect(new StorageError('put failed', { cause }).quota).toBe(quota);
  });
});

describe('a StorageError in a runtime without IndexedDB', () => {
  let store: ConversationStore | undefined;
  afterEach(async () => {
    await store?.close().catch(() => {});
    store = undefined;
  });

  const missing =
    'IndexedDB is missing in this environment: pass one with the `indexedDB` option ' +
    '(and `IDBKeyRange`), for example from fake-indexeddb in Node, or create the store in a browser';

  // As the first call on the store, these get Dexie's MissingAPIError itself (not wrapped
  // in a DatabaseClosedError): the message still says how to pass an IndexedDB.
  it.each<[string, (store: ConversationStore) => Promise<unknown>, string]>([
    ['listOutbox', (s) => s.sync.listOutbox(), 'listOutbox'],
    ['listRejections', (s) => s.sync.listRejections(), 'listRejections'],
    ['a sync round', (s) => s.sync.now().then((summary) => Promise.reject(summary.error)), 'sync'],
  ])('says how to pass one when %s is the first call', async (_name, call, action) => {
    expect((globalThis as { indexedDB?: unknown }).indexedDB).toBeUndefined();
    store = createConversationStore({
      baseUrl: 'https://api.test',
      getToken: () => TOKEN,
      databaseName: `errors-no-indexeddb-${action}`,
      fetch: createReferenceServer({ token: TOKEN }).fetch,
    });
    const error = await call(store).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).message).toBe(`${action} failed: ${missing}`);
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../src/model/errors.js';
import {
  type ConversationStoreOptions,
  normalizeOptions,
  type SyncOptions,
} from '../src/options.js';

const base: ConversationStoreOptions = { baseUrl: 'https://api.test', getToken: () => 't' };
const withSync = (sync: unknown) => normalizeOptions({ ...base, sync: sync as SyncOptions });

/** The ValidationError that `act` throws. */
function refusal(act: () => unknown): ValidationError {
  try {
    act();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('normalizeOptions', () => {
  it('defaults every sync option', () => {
    expect(normalizeOptions(base).sync).toEqual({
      auto: true,
      intervalMs: 60_000,
      pageSize: 100,
      retry: { baseMs: 1000, maxMs: 60_000 },
      timeoutMs: 10_000,
      debounceMs: 300,
      concurrency: 4,
      fullSyncMs: 15 * 60_000,
      freshMs: 60_000,
    });
  });

  it.each<[string, unknown, string, RegExp]>([
    ['retry.baseMs 0', { retry: { baseMs: 0 } }, 'sync.retry.baseMs', /from 1 to 2147483647/],
    ['fullSyncMs negative', { fullSyncMs: -1 }, 'sync.fullSyncMs', /from 0 to/],
    ['freshMs fractional', { freshMs: 1.5 }, 'sync.freshMs', /integer/],
    ['retry.baseMs negative', { retry: { baseMs: -5 } }, 'sync.retry.baseMs', /from 1 to/],
    ['retry.baseMs fractional', { retry: { baseMs: 1.5 } }, 'sync.retry.baseMs', /integer/],
    [
      'retry.maxMs below baseMs',
      { retry: { baseMs: 500, maxMs: 100 } },
      'sync.retry.maxMs',
      /from 500 to/,
    ],
    ['retry.maxMs negative', { retry: { maxMs: -1 } }, 'sync.retry.maxMs', /from 1000 to/],
    ['concurrency 0', { concurrency: 0 }, 'sync.concurrency', /from 1 to 32/],
    ['concurrency 33', { concurrency: 33 }, 'sync.concurrency', /from 1 to 32/],
    ['pageSize 0', { pageSize: 0 }, 'sync.pageSize', /from 1 to 100/],
    ['pageSize 101', { pageSize: 101 }, 'sync.pageSize', /from 1 to 100/],
    ['timeoutMs 0', { timeoutMs: 0 }, 'sync.timeoutMs', /from 1 to 2147483647/],
    ['timeoutMs past the timer limit', { timeoutMs: 2 ** 31 }, 'sync.timeoutMs', /from 1 to/],
    ['debounceMs negative', { debounceMs: -1 }, 'sync.debounceMs', /from 0 to 2147483647/],
    ['intervalMs negative', { intervalMs: -1 }, 'sync.intervalMs', /from 0 to/],
    ['intervalMs under a second', { intervalMs: 500 }, 'sync.intervalMs', /0 \(off\) or from 1000/],
    ['auto not a boolean', { auto: 'yes' }, 'sync.auto', /boolean/],
    ['retry not an object', { retry: 5 }, 'sync.retry', /object/],
  ])('refuses sync %s, naming the option and its range', (_name, sync, field, message) => {
    const error = refusal(() => withSync(sync));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it.each<[string, Partial<ConversationStoreOptions>, string]>([
    ['a baseUrl that is not http(s)', { baseUrl: 'ftp://x' }, 'baseUrl'],
    ['a getToken that is not a function', { getToken: 'token' as never }, 'getToken'],
    ['an empty databaseName', { databaseName: '' }, 'databaseName'],
    ['a fetch that is not a function', { fetch: {} as never }, 'fetch'],
    ['a now that is not a function', { now: 5 as never }, 'now'],
    ['a logger that is not a function', { logger: 'console' as never }, 'logger'],
    ['a debug that is neither a boolean nor verbose', { debug: 'all' as never }, 'debug'],
  ])('refuses %s', (_name, options, field) => {
    expect(refusal(() => normalizeOptions({ ...base, ...options })).field).toBe(field);
  });

  it('takes the logger and the debug switch as given', () => {
    const logger = () => {};
    expect(normalizeOptions({ ...base, logger, debug: 'verbose' })).toMatchObject({
      logger,
      debug: 'verbose',
    });
    expect(normalizeOptions({ ...base, debug: false }).debug).toBe(false);
  });

  it('accepts the edges of each range', () => {
    const sync = withSync({
      intervalMs: 0,
      pageSize: 1,
      retry: { baseMs: 1, maxMs: 1 },
      timeoutMs: 1,
      debounceMs: 0,
      concurrency: 32,
    }).sync;
    expect(sync).toMatchObject({ intervalMs: 0, pageSize: 1, concurrency: 32, debounceMs: 0 });
    expect(sync.retry).toEqual({ baseMs: 1, maxMs: 1 });
  });
});

describe('normalizeOptions: what a refusal says', () => {
  it.each<[string, unknown, string, string]>([
    ['null options', null, 'options', 'options: must be an object'],
    ['a number as options', 5, 'options', 'options: must be an object'],
    [
      'a URL object as baseUrl',
      { ...base, baseUrl: new URL('https://api.test') },
      'baseUrl',
      'baseUrl: must be an http(s) URL',
    ],
    [
      'a baseUrl with http(s):// past its start',
      { ...base, baseUrl: 'ftp://mirror/https://api.test' },
      'baseUrl',
      'baseUrl: must be an http(s) URL',
    ],
    [
      'a baseUrl with a leading space',
      { ...base, baseUrl: ' https://api.test' },
      'baseUrl',
      'baseUrl: must be an http(s) URL',
    ],
    [
      'a getToken that is not a function',
      { ...base, getToken: 'token' },
      'getToken',
      'getToken: must be a function',
    ],
    [
      'a databaseName that is not a string',
      { ...base, databaseName: 5 },
      'databaseName',
      'databaseName: must be a non-empty string',
    ],
    [
      'a fetch that is not a function',
      { ...base, fetch: {} },
      'fetch',
      'fetch: must be a function',
    ],
    [
      'a resolveConflict that is not a function',
      { ...base, resolveConflict: 5 },
      'resolveConflict',
      'resolveConflict: must be a function',
    ],
    [
      'an afterSignIn that is not a boolean',
      { ...base, afterSignIn: 'yes' },
      'afterSignIn',
      'afterSignIn: must be a boolean',
    ],
    [
      'a debug that is neither a boolean nor verbose',
      { ...base, debug: 'all' },
      'debug',
      "debug: must be a boolean or 'verbose'",
    ],
    ['a null sync', { ...base, sync: null }, 'sync', 'sync: must be an object'],
    ['a number as storage', { ...base, storage: 5 }, 'storage', 'storage: must be an object'],
  ])('refuses %s with a ValidationError naming it', (_name, options, field, message) => {
    const error = refusal(() => normalizeOptions(options as ConversationStoreOptions));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
  });

  it('accepts a sync interval of exactly one second', () => {
    expect(withSync({ intervalMs: 1000 }).sync.intervalMs).toBe(1000);
  });
});

describe('baseUrl', () => {
  it('takes the scheme in any case, as URLs do', () => {
    for (const baseUrl of ['HTTPS://API.TEST', 'Http://localhost:3000']) {
      expect(normalizeOptions({ ...base, baseUrl }).baseUrl).toBe(baseUrl);
    }
  });
});

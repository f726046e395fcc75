/**
 * The public error classes: their names, the `cause` they carry (and only when there is
 * one), and when a StorageError says the browser refused for want of room (`quota`).
 */
import { Dexie } from 'dexie';
import { describe, expect, it } from 'vitest';
import { NetworkError, ProtocolOfflineError, StorageError } from '../src/index.js';

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
  ])('for %s: %s', (_name, cause, quota) => {
    expect(new StorageError('put failed', { cause }).quota).toBe(quota);
  });
});

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/model/errors.js';
import {
  conversationProblem,
  parsePatch,
  parseServerConversation,
} from '../../src/model/validate.js';
import { A } from '../fixtures.js';

describe('server rows', () => {
  it.each(['__proto__', 'constructor', 'prototype'])(
    'keeps a row with an own %s key and drops that key',
    (key) => {
      const raw = JSON.parse(
        `{${JSON.stringify(A).slice(1, -1)},"${key}":{"polluted":true}}`,
      ) as unknown;
      expect(Object.hasOwn(raw as object, key)).toBe(true);
      expect(conversationProblem(raw)).toBeNull();
      const row = parseServerConversation(raw);
      expect(row).toEqual(A);
      expect(Object.hasOwn(row as object, key)).toBe(false);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );
});

describe('server rows with timestamps', () => {
  it('stores a row whose timestamps are 0 (the epoch), refuses one before it', () => {
    const epoch = { ...A, created_at: 0, last_active_at: 0, last_opened_at: 0, archived_at: 0 };
    expect(conversationProblem(epoch)).toBeNull();
    expect(parseServerConversation(epoch)).toEqual(epoch);
    expect(conversationProblem({ ...A, created_at: -1 })).toBe('created_at is not a timestamp');
  });
});

describe('update patches', () => {
  it('refuses a timestamp in milliseconds, saying the API uses unix seconds', () => {
    let error: unknown;
    try {
      parsePatch({ archived_at: 1_700_000_000_000 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ field: 'archived_at' });
    expect((error as Error).message).toMatch(/unix seconds/);
    expect((error as Error).message).toMatch(/milliseconds/);
  });

  it('accepts unix seconds from 0 (the epoch) up to 10^11 (the year 5138) and null', () => {
    expect(parsePatch({ archived_at: 0 })).toEqual({ archived_at: 0 });
    expect(parsePatch({ archived_at: 1_700_000_000 })).toEqual({ archived_at: 1_700_000_000 });
    expect(parsePatch({ archived_at: 100_000_000_000 })).toEqual({ archived_at: 100_000_000_000 });
    expect(parsePatch({ archived_at: null })).toEqual({ archived_at: null });
  });
});

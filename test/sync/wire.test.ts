/** What crosses between tabs: errors rebuilt as the exported classes, unknown messages dropped. */
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthError,
  NetworkError,
  ProtocolOfflineError,
  StorageError,
  ValidationError,
} from '../../src/index.js';
import { errorFromWire, errorToWire, fromWire, toWire } from '../../src/sync/wire.js';

/** Through JSON, as the manual platform's channel (and the strictest custom one) carries it. */
const throughJson = (error: Error) => errorFromWire(JSON.parse(JSON.stringify(errorToWire(error))));

const request = { method: 'PUT', url: 'https://api.test/v1/conversations/A' };

describe('errors between tabs', () => {
  it.each([
    new ApiError(429, 'api_error', 'Slow down', { request, retryAfter: 3 }),
    new AuthError('token refused', { request }),
    new NetworkError('no answer', { request, timeout: true }),
    new StorageError('quota exceeded', { quota: true }),
    new ValidationError('limit', 'must be from 1 to 100'),
    new ProtocolOfflineError('something else'),
  ])('rebuilds a $name as its class, with its fields', (error) => {
    const rebuilt = throughJson(error);
    expect(rebuilt.constructor).toBe(error.constructor);
    expect(rebuilt.name).toBe(error.name);
    expect(rebuilt.message).toBe(error.message);
    const { cause: _, ...fields } = { ...error };
    expect({ ...rebuilt }).toEqual(fields);
  });

  it('keeps the name and message of an error of another kind', () => {
    const rebuilt = throughJson(Object.assign(new Error('boom'), { name: 'TypeError' }));
    expect(rebuilt).toBeInstanceOf(Error);
    expect(rebuilt).toMatchObject({ name: 'TypeError', message: 'boom' });
  });
});

describe('relay messages', () => {
  it('carries a round state with its error through JSON', () => {
    const error = new AuthError('token refused');
    const wire = JSON.parse(
      JSON.stringify(
        toWire({
          v: 1,
          type: 'round',
          round: { state: 'paused', error, paused: true },
          answer: false,
        }),
      ),
    );
    const message = fromWire(wire);
    expect(message).toMatchObject({ type: 'round', round: { state: 'paused', paused: true } });
    expect(message?.type === 'round' && message.round.error).toBeInstanceOf(AuthError);
  });

  it.each([
    null,
    'wake',
    { v: 2, type: 'hello' },
    { v: 1, type: 'shout' },
    { v: 1, type: 'round', round: { state: 'dreaming', error: null, paused: false } },
    { v: 1, type: 'round', round: { state: 'idle', error: 'boom', paused: false } },
    { v: 1, type: 'event', event: { kind: 'idChange' } },
    { v: 1, type: 'event', event: { kind: 'shout', value: {} } },
    {
      v: 1,
      type: 'event',
      event: {
        kind: 'rejection',
        rejection: { id: 1, error: { name: 'AuthError', message: 'x' } },
      },
    },
  ])('drops a message it does not understand: %j', (data) => {
    expect(fromWire(data)).toBeNull();
  });
});

describe('what a tab keeps or refuses', () => {
  it('sends an error’s primitive and null fields, not the objects it holds', () => {
    const error = Object.assign(new Error('boom'), { code: null, details: { at: 1 }, tries: 2 });
    expect(errorToWire(error)).toEqual({ name: 'Error', message: 'boom', code: null, tries: 2 });
  });

  it('reads a round’s progress when well formed, else (or from an older tab) as null', () => {
    const round = (progress?: unknown) =>
      fromWire({
        v: 1,
        type: 'round',
        answer: false,
        round: { state: 'syncing', error: null, paused: false, progress },
      });
    expect(round({ pages: 2, rows: 40 })).toMatchObject({
      round: { progress: { pages: 2, rows: 40 } },
    });
    expect(round()).toMatchObject({ round: { progress: null } });
    expect(round({ pages: 'two', rows: 40 })).toMatchObject({ round: { progress: null } });
  });

  it.each([
    { v: 1, type: 'round', round: { state: 'idle', paused: false } },
    { v: 1, type: 'round', round: { state: 'error', error: { message: 'x' }, paused: false } },
    { v: 1, type: 'round', round: { state: 'idle', error: null, paused: 'no' } },
    { v: 1, type: 'shout', round: { state: 'idle', error: null, paused: false } },
    { v: 1, type: 'shout', event: { kind: 'idChange', value: { from: 'a', to: 'b' } } },
    {
      v: 1,
      type: 'event',
      event: { kind: 'rejection', value: { id: 'A', error: { name: 'AuthError', message: 'x' } } },
    },
  ])('refuses a malformed message: %j', (data) => {
    expect(fromWire(data)).toBeNull();
  });
});

it('refuses a round whose error has no message', () => {
  const data = {
    v: 1,
    type: 'round',
    round: { state: 'error', error: { name: 'ApiError' }, paused: false },
  };
  expect(fromWire(data)).toBeNull();
});

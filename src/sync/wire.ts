/**
 * What crosses between tabs, as JSON: the relay's messages, with errors as
 * `{ name, message, status, type, ... }` rebuilt on arrival as the exported error classes
 * (a BroadcastChannel clones an Error as a plain one, and a custom channel may carry only
 * JSON). Messages come from other tabs, possibly running another version of the app, so
 * they are checked here before the relay trusts them.
 */
import {
  ApiError,
  AuthError,
  type FailedRequest,
  NetworkError,
  ProtocolOfflineError,
  StorageError,
  ValidationError,
} from '../errors.js';
import type { Rejection } from '../rejections.js';
import type { IdChange } from './context.js';
import type { Conflict } from './reconcile.js';
import type { SyncStatus } from './status.js';

/** An error as JSON: its class name, message and the fields its class carries. */
export interface WireError {
  name: string;
  message: string;
  status?: number;
  type?: string;
  retryAfter?: number;
  field?: string;
  timeout?: boolean;
  quota?: boolean;
  request?: FailedRequest;
}

/** The part of the status a round decides, which the other tabs cannot read from IndexedDB. */
export interface RoundState {
  state: SyncStatus['state'];
  error: Error | null;
  /** Sync stopped on an `AuthError` until `sync.now()` or `sync.start()`. */
  paused: boolean;
}

/** An event of `idChanges$`, `conflicts$` or `rejections$`. */
export type SyncEvent =
  | { kind: 'idChange'; change: IdChange }
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'rejection'; rejection: Rejection };

/** The relay's messages; `v` lets a tab of another version ignore what it cannot read. */
export type RelayMessage =
  | { v: 1; type: 'hello' }
  | { v: 1; type: 'round'; round: RoundState; answer: boolean }
  | { v: 1; type: 'resume' }
  | { v: 1; type: 'event'; event: SyncEvent };

const STATES: readonly SyncStatus['state'][] = ['idle', 'syncing', 'offline', 'paused', 'error'];

export function errorToWire(error: Error): WireError {
  const wire: WireError = { name: error.name, message: error.message };
  const fields = error as Partial<Record<keyof WireError, unknown>>;
  for (const key of ['status', 'retryAfter'] as const) {
    if (typeof fields[key] === 'number') wire[key] = fields[key];
  }
  for (const key of ['type', 'field'] as const) {
    if (typeof fields[key] === 'string') wire[key] = fields[key];
  }
  for (const key of ['timeout', 'quota'] as const) {
    if (typeof fields[key] === 'boolean') wire[key] = fields[key];
  }
  if (error instanceof ProtocolOfflineError && error.request !== undefined) {
    wire.request = { method: error.request.method, url: error.request.url };
  }
  return wire;
}

/** Rebuilds an error as the class its name says (a plain Error for unknown names). */
export function errorFromWire(wire: WireError): Error {
  const { request } = wire;
  switch (wire.name) {
    case 'ApiError':
      return new ApiError(wire.status ?? 0, wire.type ?? 'api_error', wire.message, {
        request,
        retryAfter: wire.retryAfter,
      });
    case 'AuthError':
      return new AuthError(wire.message, { request });
    case 'NetworkError':
      return new NetworkError(wire.message, { request, timeout: wire.timeout ?? false });
    case 'StorageError':
      return new StorageError(wire.message, { request, quota: wire.quota ?? false });
    case 'ValidationError':
      return Object.assign(new ValidationError(wire.field ?? '', ''), { message: wire.message });
    case 'ProtocolOfflineError':
      return new ProtocolOfflineError(wire.message, { request });
    default:
      return Object.assign(new Error(wire.message), { name: wire.name });
  }
}

/** The message as it goes on the channel: errors as {@link WireError}. */
export function toWire(message: RelayMessage): unknown {
  if (message.type === 'round') {
    const { error } = message.round;
    return { ...message, round: { ...message.round, error: error && errorToWire(error) } };
  }
  if (message.type === 'event' && message.event.kind === 'rejection') {
    const { rejection } = message.event;
    return { ...message, event: { ...message.event, rejection: wireRejection(rejection) } };
  }
  return message;
}

const wireRejection = (rejection: Rejection) => ({
  ...rejection,
  error: errorToWire(rejection.error),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

const isWireError = (value: unknown): value is WireError =>
  isObject(value) && typeof value.name === 'string' && typeof value.message === 'string';

/** Reads a message from the channel; null for anything this version does not understand. */
export function fromWire(data: unknown): RelayMessage | null {
  if (!isObject(data) || data.v !== 1) return null;
  switch (data.type) {
    case 'hello':
    case 'resume':
      return { v: 1, type: data.type };
    case 'round': {
      const round = data.round;
      if (!isObject(round) || !STATES.includes(round.state as SyncStatus['state'])) return null;
      if (typeof round.paused !== 'boolean') return null;
      if (round.error !== null && !isWireError(round.error)) return null;
      const error = round.error === null ? null : errorFromWire(round.error);
      const state = round.state as SyncStatus['state'];
      return {
        v: 1,
        type: 'round',
        round: { state, error, paused: round.paused },
        answer: data.answer === true,
      };
    }
    case 'event':
      return readEvent(data.event);
    default:
      return null;
  }
}

function readEvent(event: unknown): RelayMessage | null {
  if (!isObject(event)) return null;
  if (event.kind === 'idChange' && isObject(event.change)) {
    const { from, to } = event.change;
    if (typeof from !== 'string' || typeof to !== 'string') return null;
    return { v: 1, type: 'event', event: { kind: 'idChange', change: { from, to } } };
  }
  if (event.kind === 'conflict' && isObject(event.conflict)) {
    const conflict = event.conflict as unknown as Conflict;
    if (typeof conflict.id !== 'string') return null;
    return { v: 1, type: 'event', event: { kind: 'conflict', conflict } };
  }
  if (event.kind === 'rejection' && isObject(event.rejection)) {
    const { error, ...rest } = event.rejection;
    if (!isWireError(error) || typeof rest.id !== 'number') return null;
    const rejection = { ...rest, error: errorFromWire(error) } as unknown as Rejection;
    if (!(rejection.error instanceof ApiError)) return null;
    return { v: 1, type: 'event', event: { kind: 'rejection', rejection } };
  }
  return null;
}

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
} from '../model/errors.js';
import type { SyncStatus, WalkProgress } from '../model/sync.js';
import type { SyncSinks } from './context.js';

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
  /** How far a complete walk has come while it runs (absent from older tabs' messages). */
  progress?: WalkProgress | null;
}

/** The kinds of event every tab receives: `idChanges$`, `conflicts$`, `rejections$`. */
export const EVENT_KINDS = ['idChange', 'conflict', 'rejection'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** One event of a kind, with the value its observable emits. */
export type RelayedEvent = {
  [K in EventKind]: { kind: K; value: Parameters<SyncSinks[K]>[0] };
}[EventKind];

/** The relay's messages; `v` lets a tab of another version ignore what it cannot read. */
export type RelayMessage =
  | { v: 1; type: 'hello' }
  | { v: 1; type: 'round'; round: RoundState; answer: boolean }
  | { v: 1; type: 'resume' }
  | { v: 1; type: 'event'; event: RelayedEvent };

const STATES: readonly unknown[] = ['idle', 'syncing', 'offline', 'paused', 'error'];

const CLASSES: Record<string, abstract new (...args: never[]) => Error> = {
  ApiError,
  AuthError,
  NetworkError,
  StorageError,
  ValidationError,
  ProtocolOfflineError,
};

/** The error's name, message and fields (its own primitive properties and its request). */
export function errorToWire(error: Error): WireError {
  const wire: Record<string, unknown> = { name: error.name, message: error.message };
  for (const [key, value] of Object.entries(error)) {
    if (value === null || typeof value !== 'object') wire[key] = value;
  }
  const { request } = error as { request?: FailedRequest };
  if (request !== undefined) wire.request = { method: request.method, url: request.url };
  return wire as unknown as WireError;
}

/**
 * Rebuilds an error as the class its name says (a plain Error for other names). The
 * classes' constructors take different arguments, so the error is made as an instance of
 * its class without running them, and gets the fields it carried.
 */
export function errorFromWire({ message, ...fields }: WireError): Error {
  const error = Reflect.construct(Error, [message], CLASSES[fields.name] ?? Error) as Error;
  return Object.assign(error, fields);
}

/** The message as it goes on the channel: errors as {@link WireError}. */
export function toWire(message: RelayMessage): unknown {
  if (message.type === 'round' && message.round.error !== null) {
    return { ...message, round: { ...message.round, error: errorToWire(message.round.error) } };
  }
  if (message.type === 'event' && message.event.kind === 'rejection') {
    const { value } = message.event;
    return {
      ...message,
      event: { kind: 'rejection', value: { ...value, error: errorToWire(value.error) } },
    };
  }
  return message;
}

type Loose = Record<string, unknown>;
const isObject = (value: unknown): value is Loose => typeof value === 'object' && value !== null;
const isWireError = (value: unknown): value is WireError =>
  isObject(value) && typeof value.name === 'string' && typeof value.message === 'string';

const isProgress = (value: unknown): value is WalkProgress =>
  isObject(value) && Number.isInteger(value.pages) && Number.isInteger(value.rows);

/** Reads a message from the channel; null for anything this version does not understand. */
export function fromWire(data: unknown): RelayMessage | null {
  if (!isObject(data) || data.v !== 1) return null;
  if (data.type === 'hello' || data.type === 'resume') return { v: 1, type: data.type };
  if (data.type === 'round' && isObject(data.round)) {
    const { state, paused, error } = data.round;
    if (!STATES.includes(state) || typeof paused !== 'boolean') return null;
    if (error !== null && !isWireError(error)) return null;
    const round = { state, paused, error: error && errorFromWire(error) } as RoundState;
    round.progress = isProgress(data.round.progress) ? data.round.progress : null;
    return { v: 1, type: 'round', round, answer: data.answer === true };
  }
  const event = data.event;
  if (data.type !== 'event' || !isObject(event) || !isObject(event.value)) return null;
  const value = event.value;
  if (event.kind === 'rejection') {
    if (!isWireError(value.error) || value.error.name !== 'ApiError') return null;
    value.error = errorFromWire(value.error);
  } else if (!EVENT_KINDS.includes(event.kind as EventKind)) {
    return null;
  }
  return { v: 1, type: 'event', event: { kind: event.kind, value } as RelayedEvent };
}

/**
 * protocol-offline: an offline-first store for the Protocol Conversations API.
 *
 * Reads are answered from IndexedDB with the API's own parameters and shapes; writes land
 * locally at once with an outbox entry in the same transaction; a sync engine pushes the
 * outbox, pulls the server's state and reconciles the two.
 *
 * @packageDocumentation
 */

export type { FetchFunction, TokenProvider } from './api.js';
export type { DebugMode } from './debug.js';
export {
  ApiError,
  AuthError,
  type ErrorDetails,
  type FailedRequest,
  NetworkError,
  ProtocolOfflineError,
  StorageError,
  ValidationError,
} from './errors.js';
export type {
  BackoffEvent,
  CheckedEvent,
  CoalescedEvent,
  ConflictEvent,
  EvictedEvent,
  IdRemappedEvent,
  RebasedEvent,
  RejectedEvent,
  RemovedEvent,
  RequestEvent,
  RequestFailure,
  ReserveEvent,
  RoundEndEvent,
  RoundStartEvent,
  SyncEvent,
} from './events.js';
export type { ListState } from './list-state.js';
export type {
  Conversation,
  ConversationPatch,
  CreateConversationInput,
  ListPage,
  ListParams,
  RefusedOperation,
  WritableField,
  WriteOperation,
} from './model.js';
export type {
  ConversationStoreOptions,
  RetryOptions,
  StorageOptions,
  SyncOptions,
} from './options.js';
export type {
  DirectoryHandleLike,
  FileHandleLike,
  Platform,
  StorageManagerEstimate,
  StorageManagerLike,
  WakeChannel,
  WritableLike,
} from './platform.js';
export { defaultPlatform } from './platform.js';
export type { Rejection } from './rejections.js';
export type { StorageEstimate, StorageView } from './storage.js';
export { createConversationStore } from './store.js';
export type { IdChange } from './sync/context.js';
export type { Conflict, ConflictContext, ResolveConflict } from './sync/reconcile.js';
export type { RefreshResult } from './sync/refresh.js';
export type { SyncSummary } from './sync/round.js';
export type { PullKind } from './sync/schedule.js';
export type { SyncStatus, WalkProgress } from './sync/status.js';
export type { RoundOptions } from './validate.js';
export type { ConversationStore, ConversationsView, OutboxItem, SyncView } from './views.js';

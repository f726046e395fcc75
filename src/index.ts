/**
 * protocol-offline: an offline-first store for the Protocol Conversations API.
 *
 * Reads are answered from IndexedDB with the API's own parameters and shapes; writes land
 * locally at once with an outbox entry in the same transaction; a sync engine pushes the
 * outbox, pulls the server's state and reconciles the two.
 *
 * @packageDocumentation
 */

export type { FetchFunction, TokenProvider } from './api/client.js';
export type { ListState } from './local/list-state.js';
export type {
  Conversation,
  ConversationPatch,
  CreateConversationInput,
  ListPage,
  ListParams,
  RefusedOperation,
  WritableField,
  WriteOperation,
} from './model/conversation.js';
export {
  ApiError,
  AuthError,
  type ErrorDetails,
  type FailedRequest,
  NetworkError,
  ProtocolOfflineError,
  StorageError,
  ValidationError,
} from './model/errors.js';
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
} from './model/events.js';
export type { PullKind, SyncStatus, SyncSummary, WalkProgress } from './model/sync.js';
export type { RoundOptions } from './model/validate.js';
export type {
  ConversationStoreOptions,
  RetryOptions,
  StorageOptions,
  SyncOptions,
} from './options.js';
export type { DebugMode } from './platform/debug.js';
export type {
  DirectoryHandleLike,
  FileHandleLike,
  Platform,
  StorageManagerEstimate,
  StorageManagerLike,
  WakeChannel,
  WritableLike,
} from './platform/platform.js';
export { defaultPlatform } from './platform/platform.js';
export type { StorageEstimate, StorageView } from './storage/persistence.js';
export type { Rejection } from './storage/rejections.js';
export { createConversationStore } from './store.js';
export type { IdChange } from './sync/context.js';
export type { Conflict, ConflictContext, ResolveConflict } from './sync/reconcile.js';
export type { RefreshResult } from './sync/refresh.js';
export type { ConversationStore, ConversationsView, OutboxItem, SyncView } from './views.js';

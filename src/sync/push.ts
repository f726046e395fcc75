/**
 * Push: outbox entries to HTTP, one request in flight per record, records independent
 * of each other, a bounded number of records at once. Each answer is classified and
 * settled (settle.ts); retryable failures wait for their backoff.
 */
import { type ApiReply, neverSent } from '../api/client.js';
import type { Conversation } from '../model/conversation.js';
import { ApiError, AuthError, NetworkError } from '../model/errors.js';
import type { BackoffEvent } from '../model/events.js';
import { malformed, parseServerConversation } from '../model/validate.js';
import { clock } from '../platform/clock.js';
import { isDue } from '../storage/due.js';
import { readMeta } from '../storage/meta.js';
import { claimHead, entriesOf, markFailed, queuedRecordIds } from '../storage/outbox.js';
import type { OutboxEntry } from '../storage/schema.js';
import { retryDelay } from './backoff.js';
import { checkBeforePush, needsCheck } from './check.js';
import type { SyncContext } from './context.js';
import {
  acknowledgeCreate,
  acknowledgeDelete,
  acknowledgeUpdate,
  deletedOnServer,
  reject,
} from './settle.js';

export interface PushResult {
  /** Entries the server acknowledged. */
  pushed: number;
  /** Entries the server refused for good. */
  rejected: number;
  /** Retryable failures (the entries stay queued). */
  failures: Error[];
  /** Set when the API refused the token: pushing stopped. */
  auth: AuthError | null;
  /**
   * The first request of the round that got no answer (timeout, no network): pushing
   * stopped there, since in a black hole every further request would cost a timeout too.
   */
  offline: NetworkError | null;
}

/** Whether the round may send another entry. */
const going = (result: PushResult) => result.auth === null && result.offline === null;

/** How an answer is handled. */
type Verdict = 'done' | 'retry' | 'reject' | 'gone';

/**
 * The failure classes of DESIGN section 4. No answer, a refused token and an unreadable
 * reply all back off here ('retry'); `failed` tells them apart.
 */
function classify(error: unknown, op: OutboxEntry['op']): Verdict {
  if (!(error instanceof ApiError) || error.type === 'invalid_response') return 'retry';
  const { status } = error;
  if (status === 404 && op === 'delete') return 'done';
  if (status === 404 && op === 'update') return 'gone';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return status >= 400 ? 'reject' : 'retry';
}

function send(context: SyncContext, entry: OutboxEntry): Promise<ApiReply> {
  switch (entry.op) {
    case 'create':
      return context.api.create(entry.body, entry.key, entry.attempts);
    case 'update':
      return context.api.update(entry.recordId, entry.patch, entry.key, entry.attempts);
    case 'delete':
      return context.api.delete(entry.recordId, entry.key, entry.attempts);
  }
}

/**
 * The conversation a write's reply carries. A PUT's reply must name the record it was sent
 * for (a POST's names the new server id): storing another id would add a stray record.
 */
function replyConversation(reply: ApiReply, entry: OutboxEntry): Conversation {
  const row = parseServerConversation(reply.body);
  if (row === null) throw malformed('The reply is not a valid conversation', reply.status);
  if (entry.op !== 'create' && row.id !== entry.recordId) {
    throw malformed(`The reply names ${row.id}, not ${entry.recordId}`, reply.status);
  }
  return row;
}

/**
 * Sends one record's entries in order until its queue is empty or one fails.
 * `dueBy`: entries waiting for a later backoff deadline are left alone.
 */
async function pushRecord(
  context: SyncContext,
  firstId: string,
  { dueBy, reconnected, lastOfflineAt }: Due,
  result: PushResult,
): Promise<void> {
  let recordId = firstId;
  const { db, events } = context;
  const entries = await entriesOf(db, recordId);
  const head = entries[0];
  if (head !== undefined && isDue(head, dueBy, reconnected, clock().now())) {
    if (needsCheck(context, entries, lastOfflineAt)) {
      try {
        if (!(await checkBeforePush(context, recordId))) return;
      } catch (error) {
        await failed(context, head, error, result, false);
        return;
      }
    }
  }
  while (going(result)) {
    const entry = await claimHead(db, recordId, clock().now(), dueBy, reconnected);
    if (entry === null) return;
    try {
      const reply = await send(context, entry);
      if (entry.op === 'create') {
        const settled = await acknowledgeCreate(db, entry, replyConversation(reply, entry));
        if (settled === null) return;
        events.queueChanged(entry.recordId, false);
        events.queueChanged(settled.serverId, settled.queued);
        context.confirmations.confirm([settled.serverId]);
        events.idChange({ from: entry.recordId, to: settled.serverId });
        recordId = settled.serverId;
      } else if (entry.op === 'update') {
        const queued = await acknowledgeUpdate(db, entry, replyConversation(reply, entry));
        context.confirmations.confirm([entry.recordId]);
        if (queued !== null) events.queueChanged(entry.recordId, queued);
      } else {
        events.queueChanged(entry.recordId, await acknowledgeDelete(db, entry));
      }
      result.pushed += 1;
    } catch (error) {
      const verdict = classify(error, entry.op);
      if (verdict === 'done') {
        events.queueChanged(entry.recordId, await acknowledgeDelete(db, entry));
        result.pushed += 1;
        continue;
      }
      if (verdict === 'gone') {
        const conflict = await deletedOnServer(db, entry, error as ApiError);
        events.queueChanged(entry.recordId, false);
        if (conflict !== null) {
          events.debug({ type: 'removed', recordId: entry.recordId, reason: 'not-found' });
          events.conflict(conflict);
        }
        return;
      }
      if (verdict === 'reject') {
        const refused = await reject(db, entry, error as ApiError, clock().now());
        result.rejected += 1;
        if (refused !== null) {
          events.queueChanged(entry.recordId, refused.queued);
          events.rejection(refused.rejection);
        }
        if (entry.op === 'create') return;
        continue;
      }
      await failed(context, entry, error, result, true);
      return;
    }
  }
}

/** A request (or the check before it) failed: pause for the token, or back off. */
async function failed(
  context: SyncContext,
  entry: OutboxEntry,
  error: unknown,
  result: PushResult,
  claimed: boolean,
) {
  if (error instanceof AuthError) {
    result.auth = error;
    return;
  }
  const failure = error instanceof Error ? error : new Error(String(error));
  const retryAfter = error instanceof ApiError ? error.retryAfter : undefined;
  const delay = retryDelay(context.policy, entry.attempts, context.random(), retryAfter);
  const failedAt = clock().now();
  const details = {
    notBefore: failedAt + delay,
    failedAt,
    offline: failure instanceof NetworkError,
    lastError: failure.message,
  };
  // A claim counts the attempt; a request that never left (no token) undoes it.
  await markFailed(context.db, entry, details, claimed && neverSent(error));
  context.events.debug({
    type: 'backoff',
    recordId: entry.recordId,
    until: details.notBefore,
    delayMs: delay,
    ...backoffReason(failure),
  });
  result.failures.push(failure);
  if (failure instanceof NetworkError) result.offline ??= failure;
}

/** Why a write backs off, as its debug event says it. */
function backoffReason(failure: Error): Pick<BackoffEvent, 'reason' | 'status'> {
  if (failure instanceof NetworkError) {
    return { reason: failure.timeout ? 'timeout' : 'network', status: null };
  }
  if (failure instanceof ApiError) {
    const invalid = failure.type === 'invalid_response';
    return { reason: invalid ? 'invalid-response' : 'status', status: failure.status };
  }
  return { reason: 'invalid-response', status: null };
}

/** Which entries are due, and what the conflict check needs to know. */
interface Due {
  dueBy: number;
  reconnected: boolean;
  lastOfflineAt: number | null;
}

export interface PushMode {
  /** sync.now(): every entry, backoff deadlines ignored. */
  force: boolean;
  /** The network just came back: entries that only waited for it are due too. */
  reconnected: boolean;
}

/** Pushes the outbox: the due entries, or every entry when forced. */
export async function push(context: SyncContext, mode: PushMode): Promise<PushResult> {
  const result: PushResult = { pushed: 0, rejected: 0, failures: [], auth: null, offline: null };
  const records = await queuedRecordIds(context.db);
  const due: Due = {
    dueBy: mode.force ? Number.POSITIVE_INFINITY : clock().now(),
    reconnected: mode.reconnected,
    lastOfflineAt: await readMeta(context.db, 'lastOfflineAt'),
  };
  let next = 0;
  const worker = async () => {
    // Records not reached keep their entries untouched: not sent, same backoff.
    while (next < records.length && going(result)) {
      const recordId = records[next++] as string;
      await pushRecord(context, recordId, due, result);
    }
  };
  const workers = Math.max(1, Math.min(context.concurrency, records.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return result;
}

/**
 * One round: push the outbox, then pull what the round's kind asks for, and work out the
 * state it ends in. The engine (engine.ts) decides when rounds run and shows their state.
 */

import { AuthError, NetworkError, toStorageError } from '../model/errors.js';
import type { PullKind, SyncSummary } from '../model/sync.js';
import { clock } from '../platform/clock.js';
import { readMeta, writeMeta } from '../storage/meta.js';
import type { SyncContext } from './context.js';
import { pullAll } from './pull.js';
import { push } from './push.js';
import { emptyPull, type PullResult } from './read.js';
import { pullRecent } from './recent.js';
import type { StatusAction } from './status.js';

export const emptySummary = (): SyncSummary => ({
  pushed: 0,
  pulled: 0,
  removed: 0,
  conflicts: 0,
  rejected: 0,
  skipped: 0,
  pull: 'none',
  complete: false,
  state: 'idle',
  error: null,
});

/** An automatic 'recent' round walks every page when the last complete walk is too old. */
async function choosePull(context: SyncContext, requested: PullKind): Promise<PullKind> {
  if (requested !== 'recent') return requested;
  const lastFull = await readMeta(context.db, 'lastFullSyncAt');
  const due = lastFull === null || clock().now() - lastFull >= context.fullSyncMs;
  return due ? 'full' : 'recent';
}

export interface RoundRequest {
  /** `sync.now()`: every entry is due, and the pull is exactly `requested`. */
  force: boolean;
  requested: PullKind;
  /** The network just came back. */
  reconnected: boolean;
  /** Sync was paused for the token before this round. */
  paused: boolean;
}

/**
 * Runs one round. Returns what it did, whether sync is now paused for the token, and the
 * status actions its end carries (its own times, shown at once).
 */
export async function runRound(
  base: SyncContext,
  { force, requested, reconnected, paused: wasPaused }: RoundRequest,
): Promise<{ summary: SyncSummary; paused: boolean; actions: StatusAction[] }> {
  const summary = emptySummary();
  const started = clock().monotonic();
  let paused = wasPaused;
  const errors: Error[] = [];
  const problems: Error[] = [];
  const context: SyncContext = {
    ...base,
    events: {
      ...base.events,
      problem: (error) => {
        problems.push(error);
        base.events.problem(error);
      },
    },
  };
  let pulled: PullResult | null = null;
  try {
    summary.pull = force ? requested : await choosePull(context, requested);
    context.events.debug({ type: 'round-start', kind: summary.pull });
    const pushed = await push(context, { force, reconnected });
    summary.pushed = pushed.pushed;
    summary.rejected = pushed.rejected;
    errors.push(...pushed.failures);
    if (pushed.auth !== null) {
      paused = true;
      errors.unshift(pushed.auth);
    } else if (pushed.offline === null && summary.pull !== 'none') {
      // After a request got no answer, a pull would only wait for its own timeout.
      pulled = summary.pull === 'full' ? await pullAll(context) : await pullRecent(context);
      if (pulled.error instanceof AuthError) paused = true;
      if (pulled.error !== null) errors.unshift(pulled.error);
    }
  } catch (error) {
    // Our own errors pass through; anything else came from IndexedDB.
    errors.unshift(toStorageError(error, 'sync'));
  }
  const { pulled: rows, removed, conflicts, skipped, complete } = pulled ?? emptyPull();
  Object.assign(summary, { pulled: rows, removed, conflicts, skipped, complete });
  summary.state = paused
    ? 'paused'
    : errors.some((error) => error instanceof NetworkError)
      ? 'offline'
      : errors.length > 0
        ? 'error'
        : 'idle';
  summary.error = errors[0] ?? problems[0] ?? null;
  const end = clock().now();
  const actions: StatusAction[] = [];
  try {
    if (pulled !== null && pulled.error === null) {
      await writeMeta(context.db, 'lastSyncedAt', end);
      actions.push({ type: 'synced', at: end });
    }
    if (summary.complete) actions.push({ type: 'walked', at: end });
    // Updates queued before now waited through an unreachable round: check them first.
    if (summary.state === 'offline') await writeMeta(context.db, 'lastOfflineAt', end);
  } catch (error) {
    summary.error ??= toStorageError(error, 'sync');
  }
  const { pull: kind, pushed, removed: gone, conflicts: found, rejected, state } = summary;
  context.events.debug({
    type: 'round-end',
    kind,
    pushed,
    pulled: rows,
    removed: gone,
    conflicts: found,
    rejected,
    skipped,
    complete,
    state,
    durationMs: Math.round(clock().monotonic() - started),
  });
  return { summary, paused, actions };
}

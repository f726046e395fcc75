/**
 * Retry delays: exponential backoff with full jitter (a random delay between 0 and the
 * capped exponential), never shorter than what the server asked for in Retry-After.
 */

import type { OutboxEntry } from '../db.js';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay in ms before attempt number `attempts + 1`, after `attempts` failures.
 * `random` is in [0, 1); `retryAfterSeconds` wins over a shorter jittered delay.
 */
export function retryDelay(
  policy: BackoffPolicy,
  attempts: number,
  random: number,
  retryAfterSeconds?: number,
): number {
  const exponent = Math.max(0, attempts - 1);
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
  const jittered = Math.floor(random * ceiling);
  return retryAfterSeconds === undefined
    ? jittered
    : Math.max(jittered, Math.ceil(retryAfterSeconds * 1000));
}

/** Whether the wall clock now reads earlier than when the entry last failed. */
export const clockWentBack = (entry: OutboxEntry, now: number): boolean =>
  entry.failedAt !== undefined && now < entry.failedAt;

/** Whether a record's first entry may be sent now: its deadline passed, the clock went back, or it only waited for the network that just came back. */
export function isDue(
  head: OutboxEntry,
  dueBy: number,
  reconnected: boolean,
  now: number,
): boolean {
  return (
    head.notBefore <= dueBy || clockWentBack(head, now) || (reconnected && head.offline === true)
  );
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

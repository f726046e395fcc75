/**
 * When a record's first outbox entry may be sent: its backoff deadline passed, the wall
 * clock was set back past its last failure (the deadline then means nothing), or it only
 * waited for the network that just came back.
 */
import type { OutboxEntry } from './schema.js';

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

/**
 * Retry delays: exponential backoff with full jitter (a random delay between 0 and the
 * capped exponential), never shorter than what the server asked for in Retry-After
 * (read by api/reply.ts). When an entry is due again is storage/due.ts.
 */

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

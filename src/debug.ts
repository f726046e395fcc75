/**
 * The debug switch: option `debug` (or `localStorage.debug` containing `protocol-offline`)
 * prints the events of the debug stream (events.ts) with `console.debug`, one line each,
 * e.g. `protocol-offline PUT /v1/conversations/abc 200 12ms`.
 */
import type { SyncEvent } from './events.js';

/** Option `debug`: off, the requests, rounds' ends and decisions, or every event. */
export type DebugMode = boolean | 'verbose';

/** `localStorage.debug`, read with care: it may be missing or throw (privacy modes, workers). */
function storedSwitch(): string {
  try {
    const value = (globalThis as { localStorage?: Storage }).localStorage?.getItem('debug');
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/**
 * The mode in force: the option when set, else `localStorage.debug` (`'protocol-offline'`
 * prints, `'protocol-offline:verbose'` prints every event).
 */
export function debugMode(option: DebugMode | undefined): DebugMode {
  if (option !== undefined) return option;
  const stored = storedSwitch();
  if (stored.includes('protocol-offline:verbose')) return 'verbose';
  return stored.includes('protocol-offline');
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** One readable line (without the `protocol-offline` prefix). */
export function describeEvent(event: SyncEvent): string {
  switch (event.type) {
    case 'round-start':
      return `round started (pull ${event.kind})`;
    case 'round-end':
      return (
        `round ended ${event.state} in ${event.durationMs}ms (pull ${event.kind}): ` +
        `${event.pushed} pushed, ${event.pulled} pulled, ${event.removed} removed, ` +
        `${plural(event.conflicts, 'conflict')}, ${event.rejected} rejected` +
        `${event.skipped > 0 ? `, ${event.skipped} skipped` : ''}${event.complete ? ', complete walk' : ''}`
      );
    case 'request':
      return (
        `${event.method} ${event.path} ${event.status ?? event.failure} ${event.durationMs}ms` +
        `${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`
      );
    case 'coalesced':
      return `${event.op} of ${event.recordId} ${event.outcome} in the outbox`;
    case 'rebased':
      return `pending changes of ${event.recordId} rebased on the server's state`;
    case 'conflict':
      return `conflict (${event.kind}) on ${event.recordId}: ${event.fields.join(', ') || 'record'}`;
    case 'rejected':
      return `${event.op} of ${event.recordId} rejected: ${event.status} ${event.errorType}`;
    case 'removed':
      return `${event.recordId} removed (${event.reason === 'walk' ? 'not listed by a complete walk' : '404'})`;
    case 'id-remapped':
      return `${event.from} is now ${event.to}`;
    case 'backoff':
      return (
        `${event.recordId} backs off ${event.delayMs}ms ` +
        `(${event.reason}${event.status === null ? '' : ` ${event.status}`})`
      );
    case 'checked':
      return `checked ${event.recordId} before sending: ${event.outcome}${event.sends ? '' : ', nothing to send'}`;
    case 'evicted':
      return `evicted ${plural(event.count, 'record')} (${event.reason})`;
  }
}

/** Events `debug: true` leaves out (frequent and local); `'verbose'` prints them too. */
const VERBOSE_ONLY: ReadonlySet<SyncEvent['type']> = new Set(['round-start', 'coalesced']);

/** The listener that prints events for `mode`, or null when it is off. */
export function debugPrinter(mode: DebugMode): ((event: SyncEvent) => void) | null {
  if (mode === false) return null;
  return (event) => {
    if (mode !== 'verbose' && VERBOSE_ONLY.has(event.type)) return;
    console.debug(`protocol-offline ${describeEvent(event)}`);
  };
}

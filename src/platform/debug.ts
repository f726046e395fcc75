/**
 * The debug switch: option `debug` (or `localStorage.debug` containing `protocol-offline`)
 * prints the events of the debug stream (events.ts) with `console.debug`, one line each,
 * e.g. `protocol-offline PUT /v1/conversations/abc 200 12ms`.
 */
import type { SyncEvent } from '../model/events.js';

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

/**
 * One readable line (without the `protocol-offline` prefix): a request as
 * `PUT /v1/conversations/abc 200 12ms`, any other event as its type and fields,
 * `round-end kind=recent pushed=1 … durationMs=40`.
 */
export function describeEvent(event: SyncEvent): string {
  if (event.type === 'request') {
    const { method, path, status, failure, durationMs, attempt } = event;
    const retry = attempt > 1 ? ` (attempt ${attempt})` : '';
    return `${method} ${path} ${status ?? failure} ${durationMs}ms${retry}`;
  }
  const { type, ...fields } = event;
  const pairs = Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`);
  return [type, ...pairs].join(' ');
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

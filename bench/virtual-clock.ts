/**
 * A clock whose time moves only when told: the store's timers (schedule, throttles,
 * backoff) all go through src/clock.ts, so minutes of sync can be simulated in seconds.
 * IndexedDB (fake-indexeddb) and the in-process server still run on the real event loop.
 *
 * The timers wait in a binary heap ordered by due time, then by creation (the order they
 * fired in when this clock scanned a list of them): finding the next one costs log n, so
 * a simulation of n clients, each firing its own timers, costs n log n in the clock
 * rather than n² (a scan of every client's timers for every timer that fires).
 */
import { type Clock, clampDelay, type TimerHandle } from '../src/platform/clock.js';

interface Timer {
  at: number;
  callback: () => void;
  every: number | null;
}

/** A timer's place in the heap: stale once the timer is cleared or re-armed. */
interface Entry {
  at: number;
  id: number;
}

const before = (a: Entry, b: Entry): boolean => a.at < b.at || (a.at === b.at && a.id < b.id);

export class VirtualClock implements Clock {
  #now: number;
  #next = 1;
  readonly #timers = new Map<number, Timer>();
  readonly #heap: Entry[] = [];

  constructor(start = 1_800_000_000_000) {
    this.#now = start;
  }

  now = (): number => this.#now;
  monotonic = (): number => this.#now;

  setTimeout = (callback: () => void, delayMs: number): TimerHandle =>
    this.#add({ at: this.#now + clampDelay(delayMs), callback, every: null });

  setInterval = (callback: () => void, delayMs: number): TimerHandle => {
    const every = Math.max(1, clampDelay(delayMs));
    return this.#add({ at: this.#now + every, callback, every });
  };

  clearTimeout = (handle: TimerHandle | undefined): void => {
    this.#clear(handle as unknown as number);
  };

  clearInterval = (handle: TimerHandle | undefined): void => {
    this.#clear(handle as unknown as number);
  };

  #add(timer: Timer): TimerHandle {
    const id = this.#next++;
    this.#timers.set(id, timer);
    this.#push({ at: timer.at, id });
    return id as unknown as TimerHandle;
  }

  #clear(id: number): void {
    if (!this.#timers.delete(id)) return;
    // Cleared timers stay in the heap until they surface; rebuild it when they dominate
    // (a request's timeout is set and cleared for every request).
    if (this.#heap.length > 64 && this.#heap.length > 4 * this.#timers.size) {
      this.#heap.length = 0;
      for (const [id, timer] of this.#timers) this.#push({ at: timer.at, id });
    }
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    let i = heap.push(entry) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry)) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && before(heap[right] as Entry, heap[left] as Entry) ? right : left;
      if (!before(heap[child] as Entry, last)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
  }

  /** The id of the timer due first, dropping the heap's stale entries on the way. */
  #first(): number | null {
    for (;;) {
      const entry = this.#heap[0];
      if (entry === undefined) return null;
      if (this.#timers.get(entry.id)?.at === entry.at) return entry.id;
      this.#pop();
    }
  }

  /**
   * Fires every timer due up to `until`, in order, letting `settle` finish the work each
   * one starts before time moves on; then sets the time to `until`.
   */
  async runUntil(until: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      const dueId = this.#first();
      const due = dueId === null ? undefined : this.#timers.get(dueId);
      if (dueId === null || due === undefined || due.at > until) break;
      this.#pop();
      this.#now = Math.max(this.#now, due.at);
      if (due.every === null) this.#timers.delete(dueId);
      else {
        due.at += due.every;
        this.#push({ at: due.at, id: dueId });
      }
      due.callback();
      await settle();
    }
    this.#now = Math.max(this.#now, until);
  }
}

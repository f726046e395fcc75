/**
 * When automatic rounds run: at start, shortly after local writes (debounced), when the
 * network comes back, when the page becomes visible, on an interval, and at a deadline
 * the engine asks for (the earliest backoff). Only the leading store of a database
 * schedules; the others wake it after their writes.
 */
import { clock, type TimerHandle } from '../clock.js';
import type { Platform } from '../platform.js';

export interface ScheduleOptions {
  intervalMs: number;
  debounceMs: number;
  lockName: string;
  platform: Platform;
}

export class Scheduler {
  readonly #options: ScheduleOptions;
  /** Runs an automatic round; returns false when one is already running. */
  readonly #run: () => boolean;
  #started = false;
  #leader = false;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #interval: TimerHandle | undefined;
  #unlisten: (() => void)[] = [];
  /** Wakes the leading tab (set while a follower). */
  #wake: (() => void) | null = null;
  /** A round was due while another ran: run again once it ends. */
  #rerun = false;
  /** The network came back since the last automatic round started. */
  #reconnected = false;

  constructor(options: ScheduleOptions, run: () => boolean) {
    this.#options = options;
    this.#run = run;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Starts listening to the triggers and plans the first round. */
  start(): void {
    if (this.#started) {
      this.plan(0);
      return;
    }
    this.#started = true;
    const { platform, intervalMs, lockName, debounceMs } = this.#options;
    // One tab leads: it alone runs automatic rounds. Others wake it after their writes.
    const channel = platform.channel?.(`${lockName}:wake`);
    this.#wake = channel === undefined ? null : () => channel.post();
    if (platform.lead !== undefined) {
      this.#leader = false;
      this.#unlisten.push(
        platform.lead(`${lockName}:leader`, () => {
          this.#leader = true;
          this.plan(0);
        }),
      );
    } else {
      this.#leader = true;
    }
    if (channel !== undefined) {
      this.#unlisten.push(
        channel.listen(() => this.plan(debounceMs, true)),
        () => channel.close(),
      );
    }
    this.#unlisten.push(
      platform.onOnline(() => {
        this.#reconnected = true;
        this.plan(0);
      }),
      platform.onVisible(() => this.plan(0)),
    );
    if (intervalMs > 0) this.#interval = clock().setInterval(() => this.plan(0), intervalMs);
    this.plan(0);
  }

  /** Stops listening and drops the planned round. */
  stop(): void {
    this.#started = false;
    this.#leader = false;
    this.#wake = null;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    clock().clearInterval(this.#interval);
    this.#clearTimer();
  }

  /** A local write was committed: a round soon (debounced), here or in the leading tab. */
  written(): void {
    if (!this.#started) return;
    if (this.#leader) this.plan(this.#options.debounceMs, true);
    else this.#wake?.();
  }

  /** Takes the "network came back" flag for the round about to run. */
  takeReconnected(): boolean {
    const reconnected = this.#reconnected;
    this.#reconnected = false;
    return reconnected;
  }

  /** A round ended: run the one that was due meanwhile. Returns whether one was planned. */
  roundEnded(): boolean {
    if (!this.#rerun) return false;
    this.#rerun = false;
    this.plan(0);
    return true;
  }

  /**
   * Plans an automatic round in `delayMs`. An earlier plan wins, except that `debounce`
   * pushes a pending write-triggered plan back (a burst of writes makes one round).
   */
  plan(delayMs: number, debounce = false): void {
    if (!this.#started || !this.#leader) return;
    const at = clock().monotonic() + delayMs;
    if (!debounce && this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = clock().setTimeout(() => {
      this.#clearTimer();
      if (!this.#run()) this.#rerun = true;
    }, delayMs);
  }

  #clearTimer(): void {
    clock().clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}

/**
 * When automatic rounds run, and what they pull: at start, when the network comes back,
 * when the page becomes visible and on the interval, a round pushes then pulls 'recent'
 * (the engine upgrades it to 'full' when the last complete walk is too old); shortly
 * after local writes (debounced) and at a backoff deadline, a round only pushes. Only the
 * leading store of a database schedules; the others wake it after their writes.
 */

import type { PullKind } from '../model/sync.js';
import { clock, type TimerHandle } from '../platform/clock.js';
import type { Platform } from '../platform/platform.js';

const STRENGTH: Record<PullKind, number> = { none: 0, recent: 1, full: 2 };

/** The kind that does both `a`'s and `b`'s work. */
export const strongest = (a: PullKind, b: PullKind): PullKind =>
  STRENGTH[a] >= STRENGTH[b] ? a : b;

export interface ScheduleOptions {
  intervalMs: number;
  debounceMs: number;
  lockName: string;
  platform: Platform;
}

export class Scheduler {
  readonly #options: ScheduleOptions;
  /** Runs an automatic round; returns false when one is already running. */
  readonly #run: (pull: PullKind) => boolean;
  #started = false;
  #leader = false;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** What the planned round pulls: the strongest of the triggers it stands for. */
  #kind: PullKind = 'none';
  #interval: TimerHandle | undefined;
  #unlisten: (() => void)[] = [];
  /** Wakes the leading tab (set while a follower). */
  #wake: (() => void) | null = null;
  /** A round was due while another ran: run it once that one ends. */
  #rerun: PullKind | null = null;
  /** The network came back since the last automatic round started. */
  #reconnected = false;

  constructor(options: ScheduleOptions, run: (pull: PullKind) => boolean) {
    this.#options = options;
    this.#run = run;
  }

  get started(): boolean {
    return this.#started;
  }

  /** Starts listening to the triggers and plans the first round. */
  start(): void {
    if (this.#started) {
      this.plan(0, 'recent');
      return;
    }
    this.#started = true;
    const { platform, intervalMs, lockName, debounceMs } = this.#options;
    // One tab leads: it alone runs automatic rounds. Others wake it after their writes.
    const channel = platform.channel?.(`${lockName}:wake`);
    this.#wake = channel === undefined ? null : () => channel.post();
    if (typeof platform.lead === 'function') {
      this.#leader = false;
      this.#unlisten.push(
        platform.lead(`${lockName}:leader`, () => {
          this.#leader = true;
          this.plan(0, 'recent');
        }),
      );
    } else {
      this.#leader = true;
    }
    if (channel !== undefined) {
      this.#unlisten.push(
        channel.listen(() => this.plan(debounceMs, 'none', true)),
        () => channel.close(),
      );
    }
    this.#unlisten.push(
      platform.onOnline(() => {
        this.#reconnected = true;
        this.plan(0, 'recent');
      }),
      platform.onVisible(() => this.plan(0, 'recent')),
    );
    if (intervalMs > 0) {
      this.#interval = clock().setInterval(() => this.plan(0, 'recent'), intervalMs);
    }
    this.plan(0, 'recent');
  }

  /** Stops listening and drops the planned round. */
  stop(): void {
    this.#started = false;
    this.#leader = false;
    this.#wake = null;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    clock().clearInterval(this.#interval);
    this.#clearTimer();
    this.#kind = 'none';
  }

  /** A local write was committed: a push soon (debounced), here or in the leading tab. */
  written(): void {
    if (!this.#started) return;
    if (this.#leader) this.plan(this.#options.debounceMs, 'none', true);
    else this.#wake?.();
  }

  /** Takes the "network came back" flag for the round about to run. */
  takeReconnected(): boolean {
    const reconnected = this.#reconnected;
    this.#reconnected = false;
    return reconnected;
  }

  /** Forgets the round that was due meanwhile: sync paused, and resuming runs its own. */
  forgetRerun(): void {
    this.#rerun = null;
  }

  /** A round ended: run the one that was due meanwhile. Returns whether one was planned. */
  roundEnded(): boolean {
    const rerun = this.#rerun;
    if (rerun === null) return false;
    this.#rerun = null;
    this.plan(0, rerun);
    return true;
  }

  /**
   * Plans an automatic round in `delayMs` that pulls at least `pull`. An earlier plan
   * wins, except that `debounce` pushes a pending plan back (a burst of writes makes one
   * round); the planned round does the work of every trigger merged into it.
   */
  plan(delayMs: number, pull: PullKind, debounce = false): void {
    if (!this.#started || !this.#leader) return;
    const kind = this.#timer === undefined ? pull : strongest(this.#kind, pull);
    const at = clock().monotonic() + delayMs;
    if (!debounce && this.#timer !== undefined && this.#timerAt <= at) {
      this.#kind = kind;
      return;
    }
    this.#clearTimer();
    this.#kind = kind;
    this.#timerAt = at;
    this.#timer = clock().setTimeout(() => {
      const due = this.#kind;
      this.#clearTimer();
      if (!this.#run(due)) this.#rerun = strongest(this.#rerun ?? 'none', due);
    }, delayMs);
  }

  #clearTimer(): void {
    clock().clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}

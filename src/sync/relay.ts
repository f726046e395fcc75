/**
 * The cross-tab relay: every store on a database shows the same status and receives every
 * event, whichever of them ran the round. `pending`, `rejected` and `lastSyncedAt` are
 * read from IndexedDB in every tab; what only the round knows (its state, `lastError`,
 * whether sync is paused) and the events of `idChanges$`, `conflicts$` and `rejections$`
 * travel over the platform's channel. Rounds run one at a time under the sync lock, so
 * their messages arrive in order; a store that opens later says hello and takes the
 * state from the first answer. The platform's offline event shows `'offline'` at once.
 */
import type { Platform, WakeChannel } from '../platform/platform.js';
import type { SyncSinks } from './context.js';
import type { StatusAction, StatusStore } from './status.js';
import {
  EVENT_KINDS,
  fromWire,
  type RelayedEvent,
  type RelayMessage,
  type RoundState,
  toWire,
} from './wire.js';

/** What the relay needs of its engine. */
export interface RelayHost {
  /** Whether sync is paused here (after an `AuthError`, until `sync.now()` or `start()`). */
  paused(): boolean;
  setPaused(paused: boolean): void;
  /** Shows a status change with a pending count read just now. */
  announce(...actions: StatusAction[]): Promise<void>;
  /** Plans an automatic round now, if this store leads. */
  plan(): void;
  /** Where other tabs' events go: this store's observables. */
  events: Pick<SyncSinks, 'idChange' | 'conflict' | 'rejection'>;
}

export class Relay {
  readonly #status: StatusStore;
  readonly #host: RelayHost;
  readonly #platform: Platform;
  readonly #channel: WakeChannel | undefined;
  readonly #unlisten: (() => void)[] = [];
  /** Other tabs' round states, applied one after the other (each reads the pending count). */
  #applying: Promise<void> = Promise.resolve();
  /** This store has a round state to tell a newcomer (it ran or was told of a round). */
  #known = false;
  /** Waiting for a first round state: an answer to our hello may still apply. */
  #joining = true;
  /**
   * Another tab's idle round that this tab showed as offline, being offline itself: shown
   * as it is once this tab is back online. The other tab's round may end before this
   * tab hears that the network came back, and no other round may follow for minutes.
   */
  #heldBack: RoundState | null = null;

  constructor(platform: Platform, name: string, status: StatusStore, host: RelayHost) {
    this.#platform = platform;
    this.#status = status;
    this.#host = host;
    this.#channel = platform.channel?.(name);
    const offline = () => {
      if (!host.paused()) status.dispatch({ type: 'state', state: 'offline' });
    };
    if (!platform.isOnline()) offline();
    if (typeof platform.onOffline === 'function') this.#unlisten.push(platform.onOffline(offline));
    if (typeof platform.onOnline === 'function') {
      this.#unlisten.push(
        platform.onOnline(() => {
          const round = this.#heldBack;
          if (round !== null) this.#apply(round);
        }),
      );
    }
    if (this.#channel !== undefined) {
      this.#unlisten.push(this.#channel.listen((data) => this.#receive(data)));
      this.#post({ v: 1, type: 'hello' });
    }
  }

  /** Tells the other tabs this store's round state, after a round changed it here. */
  publish(): void {
    this.#heldBack = null;
    this.#known = true;
    this.#joining = false;
    this.#post({ v: 1, type: 'round', round: this.#round(), answer: false });
  }

  /** Asks the other tabs to resume a paused sync (the leader then runs a round). */
  resume(): void {
    this.#post({ v: 1, type: 'resume' });
  }

  /** Wraps event sinks so that each event also reaches the other tabs. */
  share(events: SyncSinks): SyncSinks {
    const shared = { ...events };
    for (const kind of EVENT_KINDS) {
      shared[kind] = (value: never) => {
        events[kind](value);
        this.#post({ v: 1, type: 'event', event: { kind, value } as RelayedEvent });
      };
    }
    return shared;
  }

  /** Stops listening; waits for the states being applied. */
  async close(): Promise<void> {
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    this.#channel?.close();
    await this.#applying;
  }

  #round(): RoundState {
    const { state, lastError, progress } = this.#status.status;
    return { state, error: lastError, paused: this.#host.paused(), progress };
  }

  #post(message: RelayMessage): void {
    this.#channel?.post(toWire(message));
  }

  #receive(data: unknown): void {
    const message = fromWire(data);
    if (message === null) return;
    switch (message.type) {
      case 'hello':
        if (this.#known) this.#post({ v: 1, type: 'round', round: this.#round(), answer: true });
        return;
      case 'resume':
        // Another tab called sync.start() while paused: resume here, and sync if leading.
        if (!this.#host.paused()) return;
        this.#host.setPaused(false);
        this.#host.plan();
        return;
      case 'event':
        (this.#host.events[message.event.kind] as (value: unknown) => void)(message.event.value);
        return;
      case 'round':
        if (message.answer && !this.#joining) return;
        this.#apply(message.round);
    }
  }

  #apply({ state, error, paused, progress = null }: RoundState): void {
    this.#known = true;
    this.#joining = false;
    // A tab that knows it is offline says so, whatever the last round said.
    const heldBack = state === 'idle' && !this.#platform.isOnline();
    this.#heldBack = heldBack ? { state, error, paused, progress } : null;
    const shown = heldBack ? 'offline' : state;
    this.#applying = this.#applying.then(() => {
      this.#host.setPaused(paused);
      return this.#host.announce(
        { type: 'progress', progress },
        { type: 'ended', state: shown, error },
      );
    });
  }
}

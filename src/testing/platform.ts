/**
 * A platform adapter the test drives by hand: network and visibility events fire when
 * the test says so, and the sync lock is a plain in-process queue.
 */
import type { Platform } from '../platform.js';

/** A {@link Platform} whose online state and visibility the test controls. */
export interface ManualPlatform extends Platform {
  /** The current online state (what `isOnline()` answers). */
  online: boolean;
  /** Goes offline: `isOnline()` answers false (automatic rounds then skip the network). */
  goOffline(): void;
  /** Comes back online and fires the `online` listeners, as the browser does. */
  goOnline(): void;
  /** Fires the `visibilitychange` (to visible) listeners. */
  becomeVisible(): void;
}

/** Creates a {@link ManualPlatform}; pass it as the store's `platform` option. */
export function createManualPlatform(options: { online?: boolean } = {}): ManualPlatform {
  const onlineListeners = new Set<() => void>();
  const visibleListeners = new Set<() => void>();
  const tails = new Map<string, Promise<unknown>>();
  const subscribe = (listeners: Set<() => void>, listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const platform: ManualPlatform = {
    online: options.online ?? true,
    onOnline: (listener) => subscribe(onlineListeners, listener),
    onVisible: (listener) => subscribe(visibleListeners, listener),
    isOnline: () => platform.online,
    withLock: (name, task) => {
      const run = (tails.get(name) ?? Promise.resolve()).then(task, task);
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
    goOffline: () => {
      platform.online = false;
    },
    goOnline: () => {
      platform.online = true;
      for (const listener of [...onlineListeners]) listener();
    },
    becomeVisible: () => {
      for (const listener of [...visibleListeners]) listener();
    },
  };
  return platform;
}

/**
 * A `fetch` wrapper with an off switch: while `offline` is true every request fails the
 * way a browser's fetch fails without a network (a TypeError), before reaching the server.
 */
export interface NetworkSwitch {
  /** Pass as the store's `fetch`. */
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** While true, every request fails like a browser without a network. */
  offline: boolean;
}

/** Wraps `fetch` (for example a reference server's) in a {@link NetworkSwitch}. */
export function createNetworkSwitch(
  fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
): NetworkSwitch {
  const network: NetworkSwitch = {
    offline: false,
    fetch: async (input, init) => {
      if (network.offline) throw new TypeError('Failed to fetch');
      return fetch(input, init);
    },
  };
  return network;
}

/**
 * A platform adapter the test drives by hand: network and visibility events fire when
 * the test says so, and the sync lock is a plain in-process queue. With `tabs: true` it
 * also elects a leader among the stores that share it and carries their channel messages
 * (wake-ups, status, events), as Web Locks and BroadcastChannel do between browser tabs.
 */
import type { Platform } from '../platform/platform.js';

/** A {@link Platform} whose online state and visibility the test controls. */
export interface ManualPlatform extends Platform {
  /** The current online state (what `isOnline()` answers). */
  online: boolean;
  /**
   * Goes offline: `isOnline()` answers false (automatic rounds then skip the network) and
   * the `offline` listeners fire, as the browser does.
   */
  goOffline(): void;
  /** Comes back online and fires the `online` listeners, as the browser does. */
  goOnline(): void;
  /** Fires the `visibilitychange` (to visible) listeners. */
  becomeVisible(): void;
}

/** Options of {@link createManualPlatform}. */
export interface ManualPlatformOptions {
  /** Starts online (default true). */
  online?: boolean;
  /** Stores sharing this platform act as tabs: one leads, the others wake it, all show its status. Default false. */
  tabs?: boolean;
}

/** Creates a {@link ManualPlatform}; pass it as the store's `platform` option. */
export function createManualPlatform(options: ManualPlatformOptions = {}): ManualPlatform {
  const onlineListeners = new Set<() => void>();
  const offlineListeners = new Set<() => void>();
  const visibleListeners = new Set<() => void>();
  const tails = new Map<string, Promise<unknown>>();
  const subscribe = (listeners: Set<() => void>, listener: () => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const platform: ManualPlatform = {
    online: options.online ?? true,
    onOnline: (listener) => subscribe(onlineListeners, listener),
    onOffline: (listener) => subscribe(offlineListeners, listener),
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
      for (const listener of [...offlineListeners]) listener();
    },
    goOnline: () => {
      platform.online = true;
      for (const listener of [...onlineListeners]) listener();
    },
    becomeVisible: () => {
      for (const listener of [...visibleListeners]) listener();
    },
    ...(options.tabs === true ? { lead: leadership(), channel: channels() } : {}),
  };
  return platform;
}

/** Leadership per lock name: the first candidate leads until it resigns, then the next. */
function leadership(): NonNullable<Platform['lead']> {
  const queues = new Map<string, (() => void)[]>();
  return (name, onLeader) => {
    const queue = queues.get(name) ?? [];
    queues.set(name, queue);
    const candidate = () => onLeader();
    queue.push(candidate);
    if (queue.length === 1) onLeader();
    return () => {
      const index = queue.indexOf(candidate);
      if (index === -1) return;
      queue.splice(index, 1);
      if (index === 0) queue[0]?.();
    };
  };
}

/**
 * Channels per name that deliver each post to every other open channel of that name,
 * asynchronously and as a copy through JSON, as a BroadcastChannel clones its messages:
 * a message that only works by sharing objects between tabs fails here too.
 */
function channels(): NonNullable<Platform['channel']> {
  type Listener = (message: unknown) => void;
  const open = new Map<string, Set<Set<Listener>>>();
  return (name) => {
    const members = open.get(name) ?? new Set();
    open.set(name, members);
    const listeners = new Set<Listener>();
    members.add(listeners);
    return {
      post: (message) => {
        const json = message === undefined ? undefined : JSON.stringify(message);
        for (const other of members) {
          if (other === listeners) continue;
          queueMicrotask(() => {
            if (!members.has(other)) return; // Closed meanwhile.
            for (const listener of other)
              listener(json === undefined ? undefined : JSON.parse(json));
          });
        }
      },
      listen: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      close: () => members.delete(listeners),
    };
  };
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

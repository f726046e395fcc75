/**
 * The example's "offline" switch, shared by every tab and the service worker: it plays the
 * device losing its network, which they all share. The flag lives in the Cache API, the
 * one storage a page and a worker can both read, and it outlives a worker the browser
 * stopped (a flag in the worker's memory would not: it is restarted for each sync event).
 * The store's `fetch` reads it on every request, in the page and in the worker, so
 * nothing reaches the server while it is on; pages also learn of a change on a
 * BroadcastChannel, and tell their store through its platform (offline/online events).
 */
import { defaultPlatform, type Platform } from 'protocol-offline';

const CACHE = 'example-network-switch';
const FLAG = '/example-network-switch/offline';
const CHANNEL = 'example-network-switch';

/** Whether the switch is on (read from the Cache API: the current value in any context). */
export async function switchedOff(): Promise<boolean> {
  return (await (await caches.open(CACHE)).match(FLAG)) !== undefined;
}

/** `fetch` that fails as without a network while the switch is on. */
export async function switchedFetch(input: RequestInfo | URL, init?: RequestInit) {
  if (await switchedOff()) throw new TypeError('Failed to fetch (the example is switched offline)');
  return fetch(input, init);
}

/** The page's side of the switch: its current value, and listeners to its changes. */
export interface PageSwitch {
  readonly off: boolean;
  /** Turns the switch on or off for every tab and the worker. */
  set(off: boolean): Promise<void>;
  /** Calls `listener` after each change (from this tab or another); returns an unsubscribe. */
  listen(listener: (off: boolean) => void): () => void;
}

export function pageSwitch(): PageSwitch {
  const listeners = new Set<(off: boolean) => void>();
  const channel = new BroadcastChannel(CHANNEL);
  let off = false;
  const apply = (next: boolean) => {
    if (next === off) return;
    off = next;
    for (const listener of [...listeners]) listener(off);
  };
  channel.addEventListener('message', (event) => apply(event.data === true));
  void switchedOff().then(apply);
  return {
    get off() {
      return off;
    },
    set: async (next) => {
      const cache = await caches.open(CACHE);
      if (next) await cache.put(FLAG, new Response('offline'));
      else await cache.delete(FLAG);
      channel.postMessage(next);
      apply(next);
    },
    listen: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The browser's platform, with the switch counted as the network. */
export function platformWithSwitch(network: PageSwitch): Platform {
  const browser = defaultPlatform();
  const whenSwitch = (off: boolean, listener: () => void) =>
    network.listen((now) => {
      if (now === off && browser.isOnline()) listener();
    });
  const both = (a: () => void, b: () => void) => () => {
    a();
    b();
  };
  return {
    ...browser,
    isOnline: () => browser.isOnline() && !network.off,
    onOnline: (listener) =>
      both(
        browser.onOnline(() => {
          if (!network.off) listener();
        }),
        whenSwitch(false, listener),
      ),
    onOffline: (listener) =>
      both(browser.onOffline?.(listener) ?? (() => {}), whenSwitch(true, listener)),
  };
}

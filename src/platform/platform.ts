/**
 * The platform layer (`src/platform/`): what the runtime gives the store, injected so that
 * tests and other runtimes can drive it: events, locks, channels and storage (this file),
 * the clock and timers (clock.ts), the debug switch (debug.ts). It imports only the model.
 *
 * The platform's events and locks, behind a small interface so that tests (and
 * service workers, which have no document) can drive them. The browser adapter is the
 * only code that touches `window`, `document` or `navigator`.
 */

/**
 * A channel between the tabs of an origin (a BroadcastChannel in browsers): wake-ups
 * after writes, and the sync status and events of the store that ran a round.
 */
export interface WakeChannel {
  /**
   * Sends `message` (JSON-serialisable; none for a plain wake-up) to every other open
   * channel of the same name, in other tabs or in this one, never back to this channel.
   */
  post(message?: unknown): void;
  /** Calls `listener` with each message posted by another channel; returns an unsubscribe function. */
  listen(listener: (message: unknown) => void): () => void;
  /** Closes the channel. */
  close(): void;
}

/** What `navigator.storage.estimate()` answers (either field may be missing). */
export interface StorageManagerEstimate {
  /** Bytes the origin uses. */
  usage?: number | undefined;
  /** Bytes the origin may use. */
  quota?: number | undefined;
}

/** What the store uses of `navigator.storage` (every method may be missing). */
export interface StorageManagerLike {
  /** Asks the browser not to evict this origin's data; resolves with whether it agreed. */
  persist?(): Promise<boolean>;
  /** Resolves with the origin's usage and quota in bytes. */
  estimate?(): Promise<StorageManagerEstimate>;
  /** The origin private file system's root, where the store keeps its reserve (reserve.ts). */
  getDirectory?(): Promise<DirectoryHandleLike>;
}

/** What the store uses of a `FileSystemDirectoryHandle`. */
export interface DirectoryHandleLike {
  /** The file `name`; with `create`, made empty when missing (else a NotFoundError). */
  getFileHandle(name: string, options?: { create?: boolean }): Promise<FileHandleLike>;
  /** Removes the file `name`; a NotFoundError when it is missing. */
  removeEntry(name: string): Promise<void>;
}

/** What the store writes through (`FileSystemWritableFileStream`). */
export interface WritableLike {
  /** Appends `data`. */
  write(data: Uint8Array): Promise<void>;
  /** Commits what was written. */
  close(): Promise<void>;
  /** Discards what was written. */
  abort(): Promise<void>;
}

/** What the store uses of a `FileSystemFileHandle`. */
export interface FileHandleLike {
  /** The file as it is now (only its size is read). */
  getFile(): Promise<{
    /** The file's length in bytes. */
    size: number;
  }>;
  /** A stream that replaces the file's content when closed. */
  createWritable(): Promise<WritableLike>;
}

/** What the store needs from its platform (option `platform`). */
export interface Platform {
  /** Calls `listener` when the network comes back; returns an unsubscribe function. */
  onOnline(listener: () => void): () => void;
  /**
   * Optional: calls `listener` when the network goes away (the window's `offline` event),
   * so every tab shows `'offline'` at once; returns an unsubscribe function.
   */
  onOffline?(listener: () => void): () => void;
  /** Calls `listener` when the page becomes visible; returns an unsubscribe function. */
  onVisible(listener: () => void): () => void;
  /** False only when the platform knows it is offline. */
  isOnline(): boolean;
  /** Runs `task` while holding the exclusive lock `name` (one syncing tab at a time). */
  withLock<T>(name: string, task: () => Promise<T>): Promise<T>;
  /**
   * Optional leader election across tabs: calls `onLeader` once this context holds the
   * lock `name`, and keeps it until the returned function is called (or the tab closes).
   * Without it, every store leads.
   */
  lead?(name: string, onLeader: () => void): () => void;
  /**
   * Optional channels between tabs: followers' writes wake the leader, and the store that
   * ran a round tells the others its status and events. Without it, each store shows
   * only its own rounds.
   */
  channel?(name: string): WakeChannel;
  /** Optional: the storage manager (`navigator.storage`); without it persist() is false. */
  storage?(): StorageManagerLike | undefined;
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  request<T>(
    name: string,
    options: { signal: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

interface EventTargetLike {
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/**
 * The runtime's globals. Any of them may be missing or `null` (happy-dom sets
 * `navigator.locks` to `null`): both mean the feature is absent.
 */
const scope = globalThis as unknown as EventTargetLike & {
  document?: (EventTargetLike & { visibilityState?: string }) | null;
  navigator?: {
    onLine?: boolean;
    locks?: LockManagerLike | null;
    storage?: StorageManagerLike | null;
  } | null;
  BroadcastChannel?: typeof BroadcastChannel | null;
};

/** The Web Locks API, when the runtime has a usable one. */
function webLocks(): LockManagerLike | undefined {
  const locks = scope.navigator?.locks;
  return typeof locks?.request === 'function' ? locks : undefined;
}

function listen(
  target: EventTargetLike,
  type: string,
  listener: () => void,
  when: () => boolean = () => true,
) {
  if (typeof target.addEventListener !== 'function') return () => {};
  const handler = () => {
    if (when()) listener();
  };
  target.addEventListener(type, handler);
  return () => target.removeEventListener?.(type, handler);
}

/** Locks within one JS realm, where the Web Locks API is missing (Node, old browsers). */
function localLocks() {
  const tails = new Map<string, Promise<unknown>>();
  return <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  };
}

/**
 * Shared by every store of this JavaScript context: two stores on one database must not
 * run rounds at the same time, or a pull computed before the other's acknowledged writes
 * would revert them locally.
 */
const fallbackLock = localLocks();

/** The browser (or service worker, or Node) platform. */
export function defaultPlatform(): Platform {
  const locks = webLocks();
  return {
    onOnline: (listener) => listen(scope, 'online', listener),
    onOffline: (listener) => listen(scope, 'offline', listener),
    onVisible: (listener) => {
      const document = scope.document;
      if (document === undefined || document === null) return () => {};
      const visible = () => document.visibilityState === 'visible';
      return listen(document, 'visibilitychange', listener, visible);
    },
    isOnline: () => scope.navigator?.onLine !== false,
    storage: () => scope.navigator?.storage ?? undefined,
    withLock: (name, task) => {
      const current = webLocks();
      return current === undefined ? fallbackLock(name, task) : current.request(name, task);
    },
    ...(locks === undefined ? {} : { lead: webLockLeadership(locks) }),
    ...(typeof scope.BroadcastChannel === 'function' ? { channel: broadcastChannel } : {}),
  };
}

/** Leadership through a Web Lock held until release; the browser frees it when the tab dies. */
function webLockLeadership(locks: LockManagerLike) {
  return (name: string, onLeader: () => void) => {
    const controller = new AbortController();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    locks
      .request(name, { signal: controller.signal }, () => {
        onLeader();
        return held;
      })
      .catch(() => {}); // Aborted before it was granted.
    return () => {
      controller.abort();
      release();
    };
  };
}

function broadcastChannel(name: string): WakeChannel {
  const channel = new (scope.BroadcastChannel as typeof BroadcastChannel)(name);
  // Node's BroadcastChannel keeps the process alive; a store's channel should not.
  (channel as { unref?: () => void }).unref?.();
  return {
    post: (message = 'wake') => channel.postMessage(message),
    listen: (listener) => {
      const handler = (event: MessageEvent) => listener(event.data);
      channel.addEventListener('message', handler as EventListener);
      return () => channel.removeEventListener('message', handler as EventListener);
    },
    close: () => channel.close(),
  };
}

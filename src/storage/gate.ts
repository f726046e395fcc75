/**
 * The IndexedDB factory Dexie opens the store's database through. It adds two checks
 * that must happen before IndexedDB is asked to open (and so, if missing, create) the
 * database, which Dexie has no hook for:
 * - a gate (the signed-out marker, signout.ts) that may refuse the open altogether;
 * - a database written by a newer release fails with a StorageError naming both schema
 *   versions, where Dexie would otherwise open it at its newer version and carry on.
 */
import { StorageError } from '../model/errors.js';

/** Resolves when the database may be opened; rejects (with the error to report) when not. */
export type OpenGate = () => Promise<void>;

type Handler = ((event: Event) => unknown) | null;

/** A stand-in for the IDBOpenDBRequest that only exists once the gate has opened. */
class GatedOpenRequest {
  onsuccess: Handler = null;
  onerror: Handler = null;
  onblocked: Handler = null;
  onupgradeneeded: Handler = null;
  #request: IDBOpenDBRequest | null = null;
  #error: unknown = null;

  get result(): IDBDatabase | undefined {
    return this.#request?.result;
  }

  get transaction(): IDBTransaction | null {
    return this.#request?.transaction ?? null;
  }

  get error(): unknown {
    return this.#error ?? this.#request?.error ?? null;
  }

  constructor(factory: IDBFactory, name: string, version: number | undefined, gate: OpenGate) {
    gate().then(
      () => this.#open(factory, name, version),
      (error: unknown) => this.#fail(error),
    );
  }

  #open(factory: IDBFactory, name: string, version: number | undefined) {
    const request = version === undefined ? factory.open(name) : factory.open(name, version);
    this.#request = request;
    request.onupgradeneeded = (event) => this.onupgradeneeded?.(event);
    request.onblocked = (event) => this.onblocked?.(event);
    request.onsuccess = (event) => this.onsuccess?.(event);
    request.onerror = (event) => {
      if (version === undefined || request.error?.name !== 'VersionError') {
        return this.onerror?.(event);
      }
      event.preventDefault();
      this.#newerDatabase(factory, name, version);
    };
  }

  /** Reads the version of the newer database (without changing it) to name it. */
  #newerDatabase(factory: IDBFactory, name: string, known: number) {
    const report = (found: number | null) =>
      this.#fail(
        new StorageError(
          `Database ${name} has schema version ${found === null ? 'unknown' : Math.floor(found / 10)}, ` +
            `newer than version ${known / 10}, the newest this code knows: it was written by a ` +
            'newer release of protocol-offline. Nothing was changed; load the newer app.',
        ),
      );
    const probe = factory.open(name);
    probe.onupgradeneeded = () => probe.transaction?.abort(); // Deleted meanwhile: create nothing.
    probe.onerror = (event) => {
      event.preventDefault();
      report(null);
    };
    probe.onsuccess = () => {
      const found = probe.result.version;
      probe.result.close();
      report(found);
    };
  }

  #fail(error: unknown) {
    this.#error = error;
    const event = {
      type: 'error',
      target: this,
      preventDefault: () => {},
      stopPropagation: () => {},
    } as unknown as Event;
    this.onerror?.(event);
  }
}

/** `factory` with its `open` behind `gate` (and the check of newer databases). */
export function openThroughGate(
  factory: IDBFactory | undefined,
  gate: OpenGate = () => Promise.resolve(),
): IDBFactory | undefined {
  if (factory === undefined) return undefined;
  const gated = {
    open: (name: string, version?: number) =>
      new GatedOpenRequest(factory, name, version, gate) as unknown as IDBOpenDBRequest,
    deleteDatabase: (name: string) => factory.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => factory.cmp(a, b),
    ...(typeof factory.databases === 'function' ? { databases: () => factory.databases() } : {}),
  };
  return gated as IDBFactory;
}

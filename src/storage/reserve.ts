/**
 * The emergency reserve: a file of `storage.reserveBytes` bytes in the origin private file
 * system (`navigator.storage.getDirectory()`), held while there is room and removed when
 * IndexedDB refuses a local write, so that the write lands.
 *
 * Why a file: in Chromium, deleting IndexedDB rows frees quota only once LevelDB compacts
 * (the deletion even adds tombstones and undo records first), so evicting records cannot
 * make a refused write fit at once; removing a file frees its bytes at once. The only
 * module that touches the file.
 */
import { within } from '../platform/clock.js';
import type { DirectoryHandleLike, StorageManagerLike } from '../platform/platform.js';

/** Bytes written per call (a zeroed chunk, reused). */
const CHUNK = 64 * 1024;

/**
 * How long one take() or release() may last before it counts as failed (a file system
 * that never answers must not keep the database shut, nor hold up the next call).
 */
const LIMIT_MS = 2000;

export class Reserve {
  readonly #manager: StorageManagerLike | undefined;
  readonly #name: string;
  readonly #bytes: number;
  /** Serializes take() and release() of this store. */
  #queue: Promise<unknown> = Promise.resolve();
  /** Set when a call did not answer in time: the file system is left alone from then on. */
  #stuck = false;

  /** `databaseName` names the file (one reserve per database). */
  constructor(manager: StorageManagerLike | undefined, databaseName: string, bytes: number) {
    this.#manager = manager;
    this.#name = `protocol-offline-reserve-${encodeURIComponent(databaseName)}`;
    this.#bytes = bytes;
  }

  #serial(task: () => Promise<boolean>): Promise<boolean> {
    if (this.#stuck) return Promise.resolve(false);
    const timedOut = Symbol('timed out');
    const result = within<boolean | typeof timedOut>(
      this.#queue.then(task),
      LIMIT_MS,
      timedOut,
    ).then((value) => {
      if (value !== timedOut) return value;
      this.#stuck = true;
      return false;
    });
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #directory(): Promise<DirectoryHandleLike | undefined> {
    // A missing or null method (some runtimes stub it with null) means no file system.
    if (this.#bytes === 0 || typeof this.#manager?.getDirectory !== 'function') return undefined;
    try {
      return await this.#manager.getDirectory();
    } catch {
      return undefined; // No file system here (a private window of some browsers).
    }
  }

  /**
   * Makes sure the file exists with its full size; resolves with whether it does. False
   * without a file system, with `reserveBytes: 0`, or when there is no room for it now.
   */
  take(): Promise<boolean> {
    return this.#serial(async () => {
      const directory = await this.#directory();
      if (directory === undefined) return false;
      try {
        const handle = await directory.getFileHandle(this.#name, { create: true });
        if ((await handle.getFile()).size >= this.#bytes) return true;
        const writable = await handle.createWritable();
        try {
          const chunk = new Uint8Array(Math.min(CHUNK, this.#bytes));
          for (let written = 0; written < this.#bytes; written += chunk.length) {
            await writable.write(chunk.subarray(0, Math.min(chunk.length, this.#bytes - written)));
          }
          await writable.close();
        } catch (error) {
          await writable.abort().catch(() => undefined);
          throw error;
        }
        return true;
      } catch {
        await directory.removeEntry(this.#name).catch(() => undefined);
        return false; // No room for it (or the file system refused): try after a later round.
      }
    });
  }

  /** Removes the file; resolves with whether it freed anything (false when it was gone). */
  release(): Promise<boolean> {
    return this.#serial(async () => {
      const directory = await this.#directory();
      if (directory === undefined) return false;
      try {
        const handle = await directory.getFileHandle(this.#name);
        const size = (await handle.getFile()).size;
        await directory.removeEntry(this.#name);
        return size > 0;
      } catch {
        return false; // Gone already (another tab released it).
      }
    });
  }
}

/**
 * The one storagemutated listener: each database's listeners hear its changes only, with
 * the tables they touched, and a change Dexie cannot describe reaches everyone.
 */
import { Dexie } from 'dexie';
import { afterEach, describe, expect, it } from 'vitest';
import { ALL_TABLES, onChange, touches, touchesKeys } from '../../src/storage/changes.js';

const stops: (() => void)[] = [];
/** Fires Dexie's event as a commit would (only the keys matter here). */
const fire = (parts: Record<string, unknown>) => Dexie.on.storagemutated.fire(parts as never);
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function listen(database: string) {
  const heard: string[][] = [];
  stops.push(onChange(database, (tables) => heard.push([...tables].sort())));
  return heard;
}

describe('changes of a database reach its own listeners only', () => {
  it('tells each database the tables that changed, and nothing of the others', () => {
    const one = listen('db-one');
    const other = listen('db-other');
    fire({
      'idb://db-one/conversations/': {},
      'idb://db-one/conversations/s': {},
      'idb://db-one/outbox/recordId': {},
    });
    expect(one).toEqual([['conversations', 'outbox']]);
    expect(other).toEqual([]);
  });

  it('reads a database name that holds slashes', () => {
    const heard = listen('protocol-offline:user/42');
    fire({ 'idb://protocol-offline:user/42/meta/': {} });
    expect(heard).toEqual([['meta']]);
  });

  it('tells everyone when Dexie cannot say what changed', () => {
    const heard: ReadonlySet<string>[] = [];
    stops.push(onChange('db-all', (tables) => heard.push(tables)));
    fire({ all: {} });
    expect(heard).toEqual([ALL_TABLES]);
    expect(touches(ALL_TABLES, ['outbox'])).toBe(true);
  });

  it('stops telling a listener once it stopped, and leaves Dexie’s event when none is left', () => {
    const heard = listen('db-stop');
    (stops.pop() as () => void)();
    fire({ 'idb://db-stop/meta/': {} });
    expect(heard).toEqual([]);
  });

  it('costs a store nothing for another database’s commit: no listener of it runs', () => {
    let calls = 0;
    for (let i = 0; i < 100; i++) stops.push(onChange(`db-many-${i}`, () => (calls += 1)));
    fire({ 'idb://db-many-7/conversations/': {} });
    expect(calls).toBe(1);
  });
});

describe('which keys a change wrote', () => {
  /** Commits `write` on a real database and returns the parts Dexie recorded for it. */
  async function partsOf(write: (db: Dexie) => Promise<unknown>) {
    const { IDBFactory, IDBKeyRange } = await import('fake-indexeddb');
    const db = new Dexie(`keys-${Math.random()}`, { indexedDB: new IDBFactory(), IDBKeyRange });
    db.version(1).stores({ meta: 'key' });
    await db.open();
    const seen: Record<string, unknown>[] = [];
    stops.push(onChange(db.name, (_tables, parts) => seen.push(parts)));
    await db.transaction('rw', db.table('meta'), () => write(db));
    db.close();
    return { name: db.name, parts: seen.at(-1) as Record<string, unknown> };
  }

  it('names a key written by a put, and not the other keys of its table', async () => {
    const { name, parts } = await partsOf((db) => db.table('meta').put({ key: 'walk', value: 1 }));
    expect(touchesKeys(parts, name, 'meta', ['walk'])).toBe(true);
    expect(touchesKeys(parts, name, 'meta', ['lastSyncedAt', 'lastFullSyncAt'])).toBe(false);
    expect(touchesKeys(parts, name, 'outbox', ['walk'])).toBe(false);
  });

  it('names every key inside a range a delete cleared', async () => {
    const { name, parts } = await partsOf((db) =>
      db.table('meta').where('key').startsWith('seen:').delete(),
    );
    expect(touchesKeys(parts, name, 'meta', ['seen:w1:0'])).toBe(true);
    expect(touchesKeys(parts, name, 'meta', ['lastSyncedAt'])).toBe(false);
  });

  it('reads the parts as another tab sends them (a structured clone, no RangeSet prototype)', async () => {
    const { name, parts } = await partsOf((db) =>
      db.table('meta').put({ key: 'lastSyncedAt', value: 5 }),
    );
    const cloned = structuredClone(parts);
    expect(touchesKeys(cloned, name, 'meta', ['lastSyncedAt'])).toBe(true);
    expect(touchesKeys(cloned, name, 'meta', ['walk'])).toBe(false);
  });

  it('counts every key when Dexie cannot say what changed', () => {
    expect(touchesKeys({ all: {} }, 'any', 'meta', ['lastSyncedAt'])).toBe(true);
  });
});

/**
 * How the processes of one node tell each other "I committed a change", without a query on every request.
 *
 * A small file beside the store (`<data-dir>/strongroom.changes`) holds one 8-byte counter per process of the
 * node (slot 0 the primary, 1..N the workers, the last one for offline commands). Every process maps the file
 * into memory, shared (MAP_SHARED, through the native addon: native/shared-memory.cc), so that all of them see
 * the same page-cache pages. A process bumps its own slot after each commit, before the write is acknowledged;
 * a cache copies the slots (a memory read of a few dozen bytes, no system call) before answering from memory,
 * and drops everything when any slot moved. So a write acknowledged by one worker is seen by the next request
 * on any worker of the node, for the cost of a memory load instead of a database round trip (SQLite's
 * `PRAGMA data_version` takes the WAL read lock; PostgreSQL would be a network round trip) or a file read.
 * Each slot only grows (a process's units of work run one at a time), so a stamp never repeats.
 */
import { closeSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { nativeAddon } from '../crypto/native.ts';

const SLOT_BYTES = 8;

export class ChangeBeacon {
  readonly #fd: number;
  readonly #slot: number;
  readonly #bytes: number;
  /** The file's slots, mapped shared: a store here is seen by every other process's next load. */
  readonly #slots: BigUint64Array;
  readonly #view: Uint8Array;

  /**
   * Opens the node's beacon file as process `slot` of `slots`. The primary creates (and empties) it at start,
   * before any worker runs; workers open it as it is.
   */
  constructor(path: string, options: { slot: number; slots: number; create: boolean }) {
    if (!(options.slot >= 0 && options.slot < options.slots)) throw new RangeError(`beacon slot ${options.slot} of ${options.slots}`);
    this.#slot = options.slot;
    this.#bytes = options.slots * SLOT_BYTES;
    this.#fd = openSync(path, options.create ? 'w+' : 'r+', 0o600);
    if (options.create) ftruncateSync(this.#fd, this.#bytes);
    const mapped = nativeAddon().mapShared(this.#fd, this.#bytes);
    this.#slots = new BigUint64Array(mapped);
    this.#view = new Uint8Array(mapped);
  }

  /** After every commit of this process, before the write is acknowledged. */
  signal(): void {
    // Only this process writes its slot; the atomic add keeps the 8-byte store whole for concurrent readers.
    Atomics.add(this.#slots, this.#slot, 1n);
  }

  /** A buffer for `read`, of the file's size. */
  stampBuffer(): Buffer {
    return Buffer.alloc(this.#bytes);
  }

  /** Reads every process's counter into `into`; two reads are equal only if nobody committed in between. */
  read(into: Buffer): void {
    into.set(this.#view);
  }

  close(): void {
    closeSync(this.#fd);
  }

  /**
   * The beacon of a node as an offline command (`strongroom jobs run`) joins it: the file's last slot, which a
   * serving node leaves to such commands. Undefined when no node has made the file. One command at a time is
   * expected (the job lease sees to it); two at once could write the same count, and the second commit would
   * then be seen only with the next one.
   */
  static openOfflineWriter(path: string): ChangeBeacon | undefined {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      return undefined;
    }
    const slots = size / SLOT_BYTES;
    if (!Number.isInteger(slots) || slots < 2) return undefined;
    return new ChangeBeacon(path, { slot: slots - 1, slots, create: false });
  }
}

/** The slots a serving node makes: the primary, each worker, and the last one for offline commands. */
export function beaconSlots(workers: number): number {
  return workers + 2;
}

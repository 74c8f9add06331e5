/**
 * Read-ahead for the capture file reader: a Worker reads the file's next chunks into a ring
 * of shared slots while the reader's thread decodes and analyses the chunk before, so that
 * the kernel's copy out of the page cache (about 40 ns of a 365-byte frame, half of reading
 * and decoding it) runs on another core. Private to `ffi/`. Used only when asked for
 * (`capture.read_ahead`): on 2 shared cores it sped up decoding alone but not a whole cold
 * analysis, whose V8 compiler and GC threads want the second core (README, Benchmarks).
 *
 * The Worker is a `node:worker_threads` one, unreferenced: a reader that is never closed does
 * not keep the program alive. Should the Worker fail to start or to open the file, the reader
 * never hands over and simply reads on its own.
 *
 * Protocol (single producer, single consumer, one `Int32Array` of control words):
 * - the worker opens the file, checks it is the reader's (device and inode), sets `state` to
 *   ready (or failed) and waits for `go`;
 * - the reader, on a later refill, writes the file offset to start at and sets `go`: until
 *   then it keeps reading on its own, so the worker's start-up never stalls it;
 * - the worker fills slot after slot (each `SLOT_BYTES`: `HEADROOM`, then `CHUNK` of data),
 *   setting `len[k]` then `full[k] = 1`; a chunk shorter than CHUNK is the last; an I/O
 *   error sets `len[k] = -1` and the message;
 * - the reader takes slot k when `full[k] = 1`, moves the unread tail of its current buffer
 *   into the slot's headroom (less than one record), and gives the previous slot back
 *   (`full = 0`).
 *
 * @module
 */

import { Worker } from "node:worker_threads";

/** Bytes of file data per slot. */
export const CHUNK = 1 << 20;
/** Room before each slot's data for the unread tail of the previous buffer (< one record). */
export const HEADROOM = 1 << 20;
/** Slots in the ring. */
export const SLOTS = 4;
/** Bytes of one slot: headroom, then data. */
export const SLOT_BYTES = HEADROOM + CHUNK;

/** Control word indexes. */
export const C_STATE = 0, C_GO = 1, C_ERRLEN = 2, C_FULL = 4, C_LEN = C_FULL + SLOTS;
/** Control words in all. */
export const CONTROL_WORDS = C_LEN + SLOTS;
/** `state` values. */
export const STATE_BOOTING = 0, STATE_READY = 1, STATE_FAILED = 2;
/** Bytes for the worker's error message. */
export const ERROR_BYTES = 512;

/** What the reader posts to start the worker. */
export interface ReadAheadStart {
  path: string;
  dev: number;
  ino: number;
  control: SharedArrayBuffer;
  /** `[start offset]` as a Float64, written before `go`. */
  offset: SharedArrayBuffer;
  data: SharedArrayBuffer;
  error: SharedArrayBuffer;
}

/** With `readAhead: "auto"`, files smaller than this are read without a Worker (its start-up would not pay). */
export const READ_AHEAD_MIN_BYTES = 16 << 20;

/** The reader's side of one read-ahead. */
export class ReadAhead {
  readonly #worker: Worker;
  readonly #ctl: Int32Array;
  readonly #offset: Float64Array;
  readonly #errorBytes: Uint8Array;
  /** Each slot's whole bytes (headroom and data), and a DataView of them. */
  readonly buffers: Uint8Array[] = [];
  readonly views: DataView[] = [];
  /** Slot to take next, and the one in use (-1: none yet). */
  #next = 0;
  #current = -1;
  #started = false;
  #closed = false;

  private constructor(worker: Worker, start: ReadAheadStart) {
    this.#worker = worker;
    this.#ctl = new Int32Array(start.control);
    this.#offset = new Float64Array(start.offset);
    this.#errorBytes = new Uint8Array(start.error);
    for (let k = 0; k < SLOTS; k++) {
      const b = new Uint8Array(start.data, k * SLOT_BYTES, SLOT_BYTES);
      this.buffers.push(b);
      this.views.push(new DataView(start.data, b.byteOffset, b.byteLength));
    }
  }

  /**
   * Starts a Worker on the regular file `path` (`info`: its metadata, from the reader's open
   * descriptor, which the Worker checks it opens too); null when Workers fail.
   */
  static start(path: string, info: Deno.FileInfo): ReadAhead | null {
    if (!info.isFile || info.dev === null || info.ino === null) return null;
    const start: ReadAheadStart = {
      path,
      dev: info.dev,
      ino: info.ino,
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
      offset: new SharedArrayBuffer(8),
      data: new SharedArrayBuffer(SLOTS * SLOT_BYTES),
      error: new SharedArrayBuffer(ERROR_BYTES),
    };
    let worker: Worker;
    try {
      worker = new Worker(new URL("./_read_ahead_worker.ts", import.meta.url), {
        workerData: start,
      });
      worker.unref();
      // A Worker that fails to load only leaves the reader reading on its own.
      worker.on("error", () => {});
    } catch {
      return null;
    }
    return new ReadAhead(worker, start);
  }

  /**
   * True once the worker can take over at `offset` (and it has been told to); false while it
   * is starting (the caller reads on its own meanwhile) or when it failed to open the file.
   */
  begin(offset: number): boolean {
    if (this.#started) return true;
    if (Atomics.load(this.#ctl, C_STATE) !== STATE_READY) return false;
    this.#offset[0] = offset;
    Atomics.store(this.#ctl, C_GO, 1);
    Atomics.notify(this.#ctl, C_GO);
    this.#started = true;
    return true;
  }

  /** Waits up to `timeoutMs` for the worker to be ready (or failed); true when ready. For tests. */
  waitReady(timeoutMs: number): boolean {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const state = Atomics.load(this.#ctl, C_STATE);
      if (state !== STATE_BOOTING) return state === STATE_READY;
      const left = end - performance.now();
      if (left <= 0) return false;
      Atomics.wait(this.#ctl, C_STATE, STATE_BOOTING, left);
    }
  }

  /** Whether the worker could not open the file (the caller keeps reading on its own). */
  get failed(): boolean {
    return Atomics.load(this.#ctl, C_STATE) === STATE_FAILED;
  }

  /**
   * Waits for the next slot and returns its index; its data is `buffers[k]` from HEADROOM,
   * `length(k)` bytes. The slot in use stays the caller's until {@link advance}.
   */
  take(): number {
    const k = this.#next;
    const ctl = this.#ctl;
    while (Atomics.load(ctl, C_FULL + k) === 0) Atomics.wait(ctl, C_FULL + k, 0);
    return k;
  }

  /** Gives the slot in use back to the worker and makes the slot just taken the one in use. */
  advance(): void {
    const ctl = this.#ctl;
    if (this.#current >= 0) {
      Atomics.store(ctl, C_FULL + this.#current, 0);
      Atomics.notify(ctl, C_FULL + this.#current);
    }
    this.#current = this.#next;
    this.#next = (this.#next + 1) % SLOTS;
  }

  /** Bytes of data in slot k (less than CHUNK: the last; -1: a read error, see `error`). */
  length(k: number): number {
    return Atomics.load(this.#ctl, C_LEN + k);
  }

  /** The worker's error message. */
  get error(): string {
    const n = Atomics.load(this.#ctl, C_ERRLEN);
    return new TextDecoder().decode(this.#errorBytes.slice(0, Math.max(0, n)));
  }

  /** Stops the worker. Slots handed out are no longer valid. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate().catch(() => {});
  }
}

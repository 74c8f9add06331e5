/**
 * The read-ahead Worker (see `_read_ahead.ts`): reads one capture file, chunk after chunk,
 * into the shared slots, and ends at the end of the file or on an error (which it hands to
 * the reader in the slot the reader waits on).
 *
 * @module
 */

import { workerData } from "node:worker_threads";
import {
  C_ERRLEN,
  C_FULL,
  C_GO,
  C_LEN,
  C_STATE,
  CHUNK,
  ERROR_BYTES,
  HEADROOM,
  type ReadAheadStart,
  SLOT_BYTES,
  SLOTS,
  STATE_FAILED,
  STATE_READY,
} from "./_read_ahead.ts";

function run(s: ReadAheadStart): void {
  const ctl = new Int32Array(s.control);
  const errorBytes = new Uint8Array(s.error);
  const fail = (e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
    errorBytes.set(bytes);
    Atomics.store(ctl, C_ERRLEN, bytes.length);
  };
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(s.path, { read: true });
    const info = file.statSync();
    if (info.dev !== s.dev || info.ino !== s.ino) {
      file.close();
      throw new Error(`${s.path} was replaced since it was opened`);
    }
  } catch (e) {
    fail(e);
    Atomics.store(ctl, C_STATE, STATE_FAILED);
    Atomics.notify(ctl, C_STATE);
    return;
  }
  Atomics.store(ctl, C_STATE, STATE_READY);
  Atomics.notify(ctl, C_STATE);
  while (Atomics.load(ctl, C_GO) === 0) Atomics.wait(ctl, C_GO, 0);
  let k = 0;
  try {
    file.seekSync(new Float64Array(s.offset)[0]!, Deno.SeekMode.Start);
    for (;; k = (k + 1) % SLOTS) {
      while (Atomics.load(ctl, C_FULL + k) !== 0) Atomics.wait(ctl, C_FULL + k, 1);
      const slot = new Uint8Array(s.data, k * SLOT_BYTES + HEADROOM, CHUNK);
      let got = 0;
      while (got < CHUNK) {
        const r = file.readSync(slot.subarray(got));
        if (r === null || r === 0) break;
        got += r;
      }
      Atomics.store(ctl, C_LEN + k, got);
      Atomics.store(ctl, C_FULL + k, 1);
      Atomics.notify(ctl, C_FULL + k);
      if (got < CHUNK) return;
    }
  } catch (e) {
    // The reader waits on slot k: hand it the error there.
    fail(e);
    Atomics.store(ctl, C_LEN + k, -1);
    Atomics.store(ctl, C_FULL + k, 1);
    Atomics.notify(ctl, C_FULL + k);
  } finally {
    file.close();
  }
}

run(workerData as ReadAheadStart);

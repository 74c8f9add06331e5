/**
 * Benchmark child: what reading a file with the read-ahead Worker adds to memory. Reads
 * CAPTURE once on one thread (so the reader's own code and buffer are already counted), then
 * once with the Worker, and prints the growth of peak RSS between the two as one JSON line.
 *
 * Usage: deno run --allow-all bench/_read_ahead_child.ts CAPTURE
 *
 * @module
 */

import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";

function status(field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(Deno.readTextFileSync("/proc/self/status"));
  return m ? Number(m[1]) * 1024 : 0;
}

function readAll(path: string, readAhead: boolean): boolean {
  const r = CaptureFileReader.open(path, { readAhead });
  const f = newFrame();
  while (r.next(f)) { /* every frame */ }
  const ahead = r.readingAhead;
  r.close();
  return ahead;
}

if (import.meta.main) {
  const path = Deno.args[0];
  if (path === undefined) throw new Error("usage: _read_ahead_child.ts CAPTURE");
  readAll(path, false);
  const before = status("VmHWM");
  const tookOver = readAll(path, true);
  console.log(JSON.stringify({ bytes: Math.max(0, status("VmHWM") - before), tookOver }));
}

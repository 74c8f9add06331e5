/**
 * Test helper, run inside a test namespace: captures on a device with LiveCapture until its
 * stdin closes, then prints one JSON object: the frames (hex) and the capture statistics.
 *
 * Usage: deno run --allow-all ffi/_live_helper.ts DEVICE [FILTER]
 *
 * @module
 */

import { LiveCapture, newFrame } from "./mod.ts";

const [device, filter] = Deno.args;
if (device === undefined) throw new Error("usage: _live_helper.ts DEVICE [FILTER]");
const cap = LiveCapture.open({ device, ...(filter ? { filter } : {}) });
const frames: { hex: string; caplen: number; len: number; tsSec: number; linkType: number }[] = [];
let stopped = false;
(async () => {
  for await (const _ of Deno.stdin.readable) { /* until EOF */ }
  stopped = true;
})();
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
const f = newFrame();
while (!stopped) {
  while (cap.next(f)) {
    frames.push({
      hex: Array.from(
        f.buf.subarray(f.offset, f.offset + f.caplen),
        (b) => b.toString(16).padStart(2, "0"),
      ).join(""),
      caplen: f.caplen,
      len: f.len,
      tsSec: f.tsSec,
      linkType: f.linkType,
    });
  }
  await cap.waitReadable(50);
}
while (cap.next(f)) { /* drain what is left, unrecorded */ }
const stats = cap.stats();
cap.close();
console.log(JSON.stringify({ frames, stats }));

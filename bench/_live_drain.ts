/**
 * Benchmark helper, run inside a test namespace: captures on DEVICE with LiveCapture until
 * stdin closes, then prints one JSON line: packets and bytes seen, time spent draining, CPU
 * time of this process, and libpcap's counters.
 *
 * Usage: deno run --allow-all bench/_live_drain.ts DEVICE [immediate|buffered]
 *
 * @module
 */

import { LiveCapture, newFrame } from "../ffi/mod.ts";

/** User + system CPU seconds of this process (from /proc/self/stat, 100 Hz ticks). */
export function cpuSeconds(pid: number | "self" = "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

if (import.meta.main) {
  const device = Deno.args[0];
  if (device === undefined) throw new Error("usage: _live_drain.ts DEVICE");
  const immediate = Deno.args[1] === "immediate";
  const cap = LiveCapture.open({
    device,
    promiscuous: true,
    immediate,
    timeoutMs: 10,
    bufferSize: 64 << 20,
  });
  let stopped = false;
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* until EOF */ }
    stopped = true;
  })();
  const f = newFrame();
  let packets = 0, bytes = 0, busyMs = 0, firstAt = 0, lastAt = 0;
  const cpu0 = cpuSeconds();
  await Deno.stdout.write(new TextEncoder().encode("ready\n"));
  while (!stopped) {
    if (cap.next(f)) {
      const t0 = performance.now();
      if (firstAt === 0) firstAt = t0;
      let n = 1;
      bytes += f.caplen;
      while (cap.next(f)) {
        n++;
        bytes += f.caplen;
      }
      packets += n;
      lastAt = performance.now();
      busyMs += lastAt - t0;
    }
    await cap.waitReadable(20);
  }
  const cpu = cpuSeconds() - cpu0;
  const stats = cap.stats();
  cap.close();
  console.log(JSON.stringify({
    packets,
    bytes,
    busySeconds: busyMs / 1000,
    spanSeconds: (lastAt - firstAt) / 1000,
    cpuSeconds: Math.round(cpu * 100) / 100,
    stats,
  }));
}

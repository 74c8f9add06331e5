/**
 * Benchmark helper, run inside a test namespace: captures on DEVICE with LiveCapture the way
 * the capture Worker does (drain, then wait in `poll` on this thread), until no packet has
 * come for IDLE_END_MS after the first one (or none came in NOTHING_MS), then prints one JSON
 * line: packets and bytes seen, time spent draining, CPU time of this process, and libpcap's
 * counters.
 *
 * Usage: deno run --allow-all bench/_live_drain.ts DEVICE [immediate|buffered]
 *
 * @module
 */

import { LiveCapture, newFrame } from "../ffi/mod.ts";

/** Quiet time after the last packet that ends the capture. */
const IDLE_END_MS = 1000;
/** Time after "ready" in which no packet at all ends the capture. */
const NOTHING_MS = 60_000;

/**
 * CPU seconds used so far by every thread of a process: the sum of the scheduler's
 * `se.sum_exec_runtime` (nanosecond accounting, printed in ms) over /proc/PID/task/N/sched.
 * /proc/PID/stat counts in 10 ms ticks, too coarse for a drain that takes 40 ms. Falls back
 * to those ticks where the kernel has no sched file.
 */
export function cpuSeconds(pid: number | "self" = "self"): number {
  let ms = 0, found = false;
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      let text: string;
      try {
        text = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/sched`);
      } catch {
        continue; // the thread ended meanwhile
      }
      const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(text);
      if (m) {
        ms += Number(m[1]);
        found = true;
      }
    }
  } catch { /* no task directory */ }
  if (found) return ms / 1000;
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
  const f = newFrame();
  let packets = 0, bytes = 0, busyMs = 0, firstAt = 0, lastAt = 0;
  const cpu0 = cpuSeconds();
  const readyAt = performance.now();
  await Deno.stdout.write(new TextEncoder().encode("ready\n"));
  for (;;) {
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
    const now = performance.now();
    if (firstAt > 0 ? now - lastAt > IDLE_END_MS : now - readyAt > NOTHING_MS) break;
    cap.waitReadableSync(20);
  }
  const cpu = cpuSeconds() - cpu0;
  const stats = cap.stats();
  cap.close();
  console.log(JSON.stringify({
    packets,
    bytes,
    busySeconds: busyMs / 1000,
    spanSeconds: (lastAt - firstAt) / 1000,
    cpuSeconds: Math.round(cpu * 10000) / 10000,
    stats,
  }));
}

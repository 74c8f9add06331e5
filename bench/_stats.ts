/**
 * Small helpers shared by the benchmark modules (kept apart from run.ts so that section
 * modules imported by run.ts do not import it back).
 *
 * @module
 */

import process from "node:process";

/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Times `fn` `runs` times after one warm-up; returns packets/s of each run. */
export function timeRuns(runs: number, fn: () => number): number[] {
  fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const n = fn();
    const s = (performance.now() - t0) / 1000;
    out.push(n / s);
  }
  return out;
}

/**
 * Like {@link timeRuns}, and also the CPU time of the whole process (every thread: a
 * read-ahead Worker's too) per packet of each timed run, in ns.
 */
export function timeRunsWithCpu(
  runs: number,
  fn: () => number,
): { rates: number[]; cpuNsPerPacket: number[] } {
  fn();
  const rates: number[] = [], cpuNsPerPacket: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const n = fn();
    const s = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    rates.push(n / s);
    cpuNsPerPacket.push(((c.user + c.system) * 1000) / n);
  }
  return { rates, cpuNsPerPacket };
}

/** The 1, 5 and 15 minute load averages (from /proc/loadavg), or null when unreadable. */
export function loadAverage(): [number, number, number] | null {
  try {
    const [a, b, c] = Deno.readTextFileSync("/proc/loadavg").split(" ").map(Number);
    return [a!, b!, c!];
  } catch {
    return null;
  }
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

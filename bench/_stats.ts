/**
 * Small helpers shared by the benchmark modules (kept apart from run.ts so that section
 * modules imported by run.ts do not import it back).
 *
 * @module
 */

import type { BenchContext, BenchResult } from "./run.ts";

/** Median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A result row: the median of `runs` (packets/s) and its ratio to tcpdump's rate in `ctx`
 * (null before tcpdump was timed).
 */
export function row(
  ctx: BenchContext,
  section: string,
  name: string,
  runs: number[],
  extra?: Record<string, unknown>,
): BenchResult {
  const pps = median(runs);
  return {
    section,
    name,
    packetsPerSec: pps,
    ratio: ctx.tcpdumpRate > 0 ? pps / ctx.tcpdumpRate : null,
    runs,
    ...(extra ? { extra } : {}),
  };
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

/**
 * Runs a benchmark child script (`deno run --allow-all`, optional V8 flags) and returns the
 * JSON of the last line it prints; throws with the end of its stderr when it fails.
 */
export async function runChild(
  script: URL,
  args: readonly string[],
  v8Flags: string | null = null,
): Promise<unknown> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      ...(v8Flags === null ? [] : [`--v8-flags=${v8Flags}`]),
      script.pathname,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
    throw new Error(`${script.pathname.split("/").pop()} exited ${out.code}: ${err}`);
  }
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

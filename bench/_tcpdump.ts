/**
 * tcpdump's raw read of a capture, `tcpdump -r FILE -w /dev/null`: the reference every
 * "× tcpdump" of `deno task bench` divides by.
 *
 * @module
 */

import { run } from "../tests/netns.ts";
import { evictFromPageCache } from "./_page_cache.ts";
import { median, row } from "./_stats.ts";
import type { BenchContext, BenchResult } from "./run.ts";

/**
 * Times `ctx.runs` reads of `ctx.capture` by tcpdump after one warm-up read (first evicting the
 * file from the page cache when `evict`): packets per second of each, wall clock including
 * process start.
 */
export async function tcpdumpRead(ctx: BenchContext, evict = ctx.evict): Promise<number[]> {
  const runs: number[] = [];
  if (evict) {
    const problem = await evictFromPageCache(ctx.capture);
    if (problem !== null) throw new Error(`${ctx.capture}: ${problem}`);
  }
  await run(["tcpdump", "-r", ctx.capture, "-w", "/dev/null"]); // warm the page cache
  for (let i = 0; i < ctx.runs; i++) {
    const t0 = performance.now();
    const r = await run(["tcpdump", "-r", ctx.capture, "-w", "/dev/null"]);
    const s = (performance.now() - t0) / 1000;
    if (r.code !== 0) throw new Error(`tcpdump -r failed: ${r.stderr.trim()}`);
    runs.push(ctx.packets / s);
  }
  return runs;
}

/**
 * Times tcpdump's read again (the file is warm) and makes it the reference for the rows that
 * follow, so that a section's ratios compare with a tcpdump timed seconds before them, not
 * before every other section: another tenant of a shared machine can slow either for a while.
 */
export async function retimeTcpdump(ctx: BenchContext, section: string): Promise<BenchResult> {
  const runs = await tcpdumpRead(ctx, false);
  ctx.tcpdumpRate = median(runs);
  return row(
    ctx,
    section,
    "tcpdump -r FILE -w /dev/null, timed again next to the rows below",
    runs,
  );
}

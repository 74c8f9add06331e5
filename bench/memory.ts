/**
 * The `memory` benchmark section: peak RSS of the Analyzer under a flood of spoofed sources,
 * and the worst-case memory bound computed from the default config.
 *
 * - Flood: `_memory_child.ts` in its own process (1 M TCP SYNs to one host, each from a
 *   new source; IPv4, then IPv6), once with Deno's default V8 flags (how `deno task start`
 *   and the compiled `pcap_ts` run today) and once with
 *   `--v8-flags=--max-old-space-size=128,--max-semi-space-size=4` (the flags
 *   flow/memory_test.ts runs with). Peak RSS is the child's VmHWM.
 * - Bound: every cap of the default config times the bytes one entry costs: flow table
 *   `[flow] max_flows` × `BYTES_PER_FLOW`; each detector's `max_keys` (`max_sources` for
 *   scan.trw) × its worst-case bytes per key, measured by `_per_key_child.ts` (V8 heap after
 *   a full GC); `[defrag] memory_cap`; `[response.suppress] max_keys` × bytes per entry; the
 *   ban manager's offence cap (`MAX_OFFENCES` in actions/ban_manager.ts) × bytes per record;
 *   the kernel capture buffer (`[capture] buffer_size_mb`, live only); the read-ahead Worker
 *   and its buffers (only with `capture.read_ahead`, off by default: the growth of peak RSS
 *   it causes, measured by `_read_ahead_child.ts`); plus the runtime's own RSS before the Analyzer exists
 *   (measured in the flood child).
 *
 * @module
 */

import { defaultConfig } from "../config/mod.ts";
import { BYTES_PER_FLOW } from "../flow/table.ts";
import { scanSections } from "../detect/config.ts";
import type { BenchContext, BenchResult, BenchSection } from "./run.ts";
import { mib, runChild } from "./_stats.ts";

/** V8 flags that bound the heap (as flow/memory_test.ts uses). */
export const BOUNDED_V8_FLAGS = "--max-old-space-size=128,--max-semi-space-size=4";

/** The target of the issue: peak RSS under 256 MB at 1 M spoofed sources. */
const TARGET_BYTES = 256 * 1024 * 1024;

/** Runs a child script of this folder (see `runChild`). */
function child(script: string, args: string[], v8: string | null): Promise<unknown> {
  return runChild(new URL(script, import.meta.url), args, v8);
}

interface FloodResult {
  family: number;
  packets: number;
  packetsPerSec: number;
  peakRss: number;
  peakRssSampled: number;
  rssStart: number;
  rssAfterConstruct: number;
  heapUsed: number;
  maxFlows: number;
  flows: number;
  flowsCreated: number;
  evictions: number;
  alerts: number;
  alertsByDetector: Record<string, number>;
  detectors: Record<string, { tracked: number; evictions: number; alerts: number }>;
}

/** The ban manager's offence cap, read from its source (a private constant). */
function maxOffences(): number | null {
  try {
    const src = Deno.readTextFileSync(new URL("../actions/ban_manager.ts", import.meta.url));
    const m = /const MAX_OFFENCES = ([\d_]+);/.exec(src);
    return m ? Number(m[1]!.replaceAll("_", "")) : null;
  } catch {
    return null;
  }
}

/**
 * The bytes per key a detector's config doc declares ("about 2.5 KB"), for when no
 * measurement is available; null when it declares none.
 */
function declaredBytesPerKey(name: string): number | null {
  const keys = scanSections[name]?.keys ?? {};
  for (const k of ["max_keys", "max_sources"]) {
    const m = /about ([\d.]+) KB/.exec(keys[k]?.doc ?? "");
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  return null;
}

/** One line of the bound: what, count × bytes each = total. */
export interface BoundPart {
  what: string;
  /** A word for the summary table. */
  short: string;
  count: number | null;
  bytesEach: number | null;
  bytes: number;
}

/** The worst-case bound of the default config, given measured per-key costs. */
export function memoryBound(
  perKey: Record<string, (number | null)[] | number | Record<string, number>>,
  runtimeBytes: number,
  readAheadBytes = 0,
): { parts: BoundPart[]; total: number; totalOffline: number } {
  const c = defaultConfig() as unknown as Record<string, Record<string, number | boolean>>;
  const parts: BoundPart[] = [];
  parts.push({
    what: "runtime (Deno, modules, before the Analyzer)",
    short: "runtime",
    count: null,
    bytesEach: null,
    bytes: runtimeBytes,
  });
  const flows = c.flow!.max_flows as number;
  parts.push({
    what: "flow table: [flow] max_flows × BYTES_PER_FLOW",
    short: "flows",
    count: flows,
    bytesEach: BYTES_PER_FLOW,
    bytes: flows * BYTES_PER_FLOW,
  });
  for (const [name, costs] of Object.entries(perKey)) {
    if (!name.startsWith("scan.")) continue;
    const sec = c[name];
    if (sec === undefined || sec.enabled === false) continue;
    const keys = (name === "scan.trw" ? sec.max_sources : sec.max_keys) as number;
    const list = costs as (number | null)[];
    const keysAtCap = (name === "scan.trw" ? sec.max_sources : sec.max_keys) as number;
    // Preallocated state (typed arrays made at construction) per key, when there is any.
    const built = ((perKey.constructed as Record<string, number> | undefined)?.[name] ?? 0) /
      keysAtCap;
    const measured = list.every((x) => x !== null) || built >= 100;
    const declared = declaredBytesPerKey(name) ?? 0;
    const filled = list.every((x) => x !== null)
      ? list.reduce<number>((a, b) => a + b!, 0)
      : built >= 100
      ? 0
      : list.reduce<number>((a, b) => a + (b ?? declared), 0);
    const each = Math.round(Math.max(filled, built));
    const windows = list.length;
    parts.push({
      what: `[${name}] ${name === "scan.trw" ? "max_sources" : "max_keys"}${
        windows > 1 ? ` (× ${windows} windows)` : ""
      } × bytes/key${measured ? "" : " (declared in its doc, not measured)"}`,
      short: name.slice(5),
      count: keys,
      bytesEach: each,
      bytes: keys * each,
    });
  }
  parts.push({
    what: "[defrag] memory_cap",
    short: "defrag",
    count: null,
    bytesEach: null,
    bytes: c.defrag!.memory_cap as number,
  });
  const sk = c["response.suppress"]!.max_keys as number;
  const se = perKey.suppress as number;
  parts.push({
    what: "[response.suppress] max_keys × bytes/entry",
    short: "suppress",
    count: sk,
    bytesEach: se,
    bytes: sk * se,
  });
  const mo = maxOffences();
  const oe = perKey.offence as number;
  if (mo !== null) {
    parts.push({
      what: "ban manager MAX_OFFENCES × bytes/record",
      short: "offences",
      count: mo,
      bytesEach: oe,
      bytes: mo * oe,
    });
  }
  const common = parts.reduce((a, p) => a + p.bytes, 0);
  // Only with capture.read_ahead (off by default), reading a file of 16 MiB or more.
  const readAhead = c.capture!.read_ahead === true;
  parts.push({
    what: `read-ahead Worker and its shared buffers (capture.read_ahead = true only${
      readAhead ? "" : "; not in the totals"
    })`,
    short: "read-ahead (optional)",
    count: null,
    bytesEach: null,
    bytes: readAheadBytes,
  });
  const buf = (c.capture!.buffer_size_mb as number) * 1048576;
  parts.push({
    what: "[capture] buffer_size_mb (live capture only)",
    short: "capture buffer",
    count: null,
    bytesEach: null,
    bytes: buf,
  });
  return { parts, total: common + buf, totalOffline: common + (readAhead ? readAheadBytes : 0) };
}

/** `memory`: see the module doc. */
export const memorySection: BenchSection = {
  name: "memory",
  async run(ctx: BenchContext) {
    const results: BenchResult[] = [];
    const variants: [string, string | null][] = [
      ["default V8 flags", null],
      [BOUNDED_V8_FLAGS.replace(/--max-/g, "").replace(",", " "), BOUNDED_V8_FLAGS],
    ];
    let runtime = 0;
    for (const family of [4, 6]) {
      for (const [label, v8] of variants) {
        const r = await child(
          "./_memory_child.ts",
          [String(family), String(ctx.memoryPackets)],
          v8,
        ) as FloodResult;
        runtime = Math.max(runtime, r.rssStart);
        const det = Object.entries(r.detectors)
          .filter(([, d]) => d.tracked > 0 || d.evictions > 0)
          .map(([n, d]) => `${n.slice(5)} ${d.tracked}/-${d.evictions}`)
          .join(", ");
        const verdict = r.peakRss < TARGET_BYTES ? "under" : "OVER";
        results.push({
          section: "memory",
          name: `${r.packets / 1e6} M spoofed IPv${family} SYN sources, ${label}`,
          packetsPerSec: r.packetsPerSec,
          ratio: null,
          runs: [r.packetsPerSec],
          summary:
            `peak RSS ${mib(r.peakRss)} (${verdict} 256 MiB); flows ${r.flows}/${r.maxFlows}, ` +
            `evicted ${r.evictions}; detector keys/-evicted: ${det}; alerts ${r.alerts}`,
          extra: { v8Flags: v8 ?? "(none)", ...r },
        });
      }
    }
    const perKey = await child("./_per_key_child.ts", [], "--expose-gc") as Record<
      string,
      (number | null)[] | number | Record<string, number>
    >;
    const readAhead = await child("./_read_ahead_child.ts", [ctx.capture], null) as {
      bytes: number;
    };
    const bound = memoryBound(perKey, runtime, readAhead.bytes);
    results.push({
      section: "memory",
      name: "worst-case bound of the default config (caps × bytes each)",
      packetsPerSec: null,
      ratio: null,
      runs: [],
      summary: `${mib(bound.totalOffline)} offline, ${mib(bound.total)} live; ` +
        bound.parts.map((p) => `${p.short} ${(p.bytes / 1048576).toFixed(1)}`).join(", ") +
        " (MiB)",
      extra: {
        perKeyBytes: perKey,
        parts: bound.parts,
        total: bound.total,
        totalOffline: bound.totalOffline,
      },
      note: "live state only: garbage V8 has not collected comes on top (see the flood rows)",
    });
    return results;
  },
};

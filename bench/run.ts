/**
 * Benchmarks of the capture source layer, each timed against `tcpdump -r FILE -w /dev/null`
 * on the same file in the same run (DESIGN.md, Speed).
 *
 * Usage: deno task bench [--runs N] [--capture PATH] [--only NAME,NAME] [--live-packets N]
 *                        [--memory-packets N] [--keep-page-cache]
 *
 * Before tcpdump's warm-up read, each capture is evicted from the page cache, so that every
 * run times it as read from disk whatever its history (bench/_page_cache.ts);
 * `--keep-page-cache` times it as found. The `page-cache-4k` section times a copy in the
 * other state, as `tcpdump -w` leaves a file it wrote.
 *
 * Sections are entries of {@link sections}: a name and an async function that gets the
 * shared {@link BenchContext} and returns result rows. Add a section by pushing to
 * `sections` or with `registerSection()`; sections in other modules (bench/pipeline.ts,
 * bench/memory.ts) export a {@link BenchSection} that this file registers. A section marked
 * `optIn` runs only when named in `--only`. Prints a summary table and writes
 * bench/out/results.json.
 *
 * @module
 */

import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { libpcapVersion, openOfflineWithLibpcap } from "../ffi/libpcap.ts";
import { OfflineFilter } from "../ffi/filter.ts";
import { PcapWriter } from "../ffi/pcap_writer.ts";
import { DEFAULT_CAPTURE_PATH, DEFAULT_PACKETS, generateCapture } from "../scripts/gen_capture.ts";
import { createTestNet, run } from "../tests/netns.ts";
import type { Frame } from "../decode/packet.ts";
import { cpuSeconds } from "./_live_drain.ts";
import { loadAverage, median, row, timeRuns } from "./_stats.ts";
import { fullPipelineSection, passInChild, pipelineDetectorsSection } from "./pipeline.ts";
import { memorySection } from "./memory.ts";
import { copyIn4KiBWrites } from "./_page_cache.ts";
import { retimeTcpdump, tcpdumpRead } from "./_tcpdump.ts";

/** What every section gets. */
export interface BenchContext {
  /** The generated capture. */
  capture: string;
  /** Packets in it (counted once by the TS reader). */
  packets: number;
  /** Timed runs per measurement (median reported). */
  runs: number;
  /** tcpdump's raw read rate (packets/s) in this run: the reference for ratios. */
  tcpdumpRate: number;
  /** Options from the command line. */
  livePackets: number;
  /** Packets (= distinct spoofed sources) of the memory flood. */
  memoryPackets: number;
  /** Output folder (git-ignored). */
  outDir: string;
  /**
   * Whether files are evicted from the page cache before their warm-up read, so that they
   * are timed as read from disk (see bench/_page_cache.ts); false with `--keep-page-cache`.
   */
  evict: boolean;
}

/** One row of the results table. */
export interface BenchResult {
  section: string;
  /** What was measured. */
  name: string;
  /** Median packets per second, or null when not applicable. */
  packetsPerSec: number | null;
  /** packetsPerSec / tcpdump's raw read rate, or null. */
  ratio: number | null;
  /** Packets per second of every timed run. */
  runs: number[];
  /** Other figures (drops, packets received ...). */
  extra?: Record<string, unknown>;
  /** Why a section was skipped or what to know about it. */
  note?: string;
  /** The row's key figures in a few words, for the summary table (default: every run). */
  summary?: string;
}

/** A benchmark section. */
export interface BenchSection {
  name: string;
  /** Runs only when named in `--only` (slow or diagnostic sections). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** The registry, run in order. */
export const sections: BenchSection[] = [];

/** Adds a section to the registry. */
export function registerSection(section: BenchSection): void {
  sections.push(section);
}

export { median, timeRuns };

// --- sections ------------------------------------------------------------------------------

registerSection({
  name: "tcpdump",
  async run(ctx) {
    const runs = await tcpdumpRead(ctx);
    ctx.tcpdumpRate = median(runs);
    return [row(ctx, "tcpdump", "tcpdump -r FILE -w /dev/null (wall, incl. process start)", runs)];
  },
});

/** The reader alone, on this thread (its own speed: a read-ahead Worker only pays with work to overlap). */
function readAllTs(path: string, f: Frame): number {
  const r = CaptureFileReader.open(path, { readAhead: false });
  let n = 0, bytes = 0;
  while (r.next(f)) {
    n++;
    bytes += f.caplen;
  }
  r.close();
  if (r.error !== null) throw new Error(r.error);
  if (bytes < 0) throw new Error("unreachable");
  return n;
}

registerSection({
  name: "ts-reader",
  run(ctx) {
    const f = newFrame();
    return Promise.resolve([
      row(
        ctx,
        "ts-reader",
        "TS reader (CaptureFileReader.next), one thread",
        timeRuns(ctx.runs, () => readAllTs(ctx.capture, f)),
      ),
    ]);
  },
});

registerSection({
  name: "ts-reader-pcapng",
  async run(ctx) {
    // The same packets as pcapng (editcap from Wireshark's tools), read by the TS reader, with
    // tcpdump's raw read of that file as its reference.
    const ng = `${ctx.outDir}/mixed.pcapng`;
    const base = { section: "ts-reader-pcapng", packetsPerSec: null, ratio: null, runs: [] };
    try {
      if (Deno.statSync(ng).mtime! < Deno.statSync(ctx.capture).mtime!) throw new Error("stale");
    } catch {
      const r = await run(["editcap", "-F", "pcapng", ctx.capture, ng]).catch(() => null);
      if (r === null || r.code !== 0) {
        return [{
          ...base,
          name: "TS reader on pcapng",
          note: "skipped: editcap failed or missing",
        }];
      }
    }
    const tdRuns = await tcpdumpRead({ ...ctx, capture: ng });
    const f = newFrame();
    const runs = timeRuns(ctx.runs, () => readAllTs(ng, f));
    const td = median(tdRuns);
    return [
      row(ctx, "ts-reader-pcapng", "tcpdump -r FILE.pcapng -w /dev/null", tdRuns),
      {
        ...row(
          ctx,
          "ts-reader-pcapng",
          "TS reader on the same packets as pcapng, one thread",
          runs,
        ),
        ratio: median(runs) / td,
        note: "ratio to tcpdump's read of the pcapng file",
      },
    ];
  },
});

registerSection({
  name: "ts-reader-decode",
  async run(ctx) {
    const rows: BenchResult[] = [await retimeTcpdump(ctx, "ts-reader-decode")];
    // Each in a process of its own: see bench/_pass_child.ts.
    for (const readAhead of [false, true]) {
      const r = await passInChild("decode", readAhead, ctx.runs, ctx.capture);
      const cpu = median(r.cpuNsPerPacket);
      rows.push({
        ...row(
          ctx,
          "ts-reader-decode",
          readAhead
            ? "TS reader + decodeFrame, read-ahead Worker (capture.read_ahead = true)"
            : "TS reader + decodeFrame (one thread, the default)",
          r.rates,
          {
            layersSeen: r.layersSeen,
            cpuNsPerPacket: r.cpuNsPerPacket,
            readAheadTookOver: r.readAheadTookOver,
          },
        ),
        summary: `${(1e9 / median(r.rates)).toFixed(0)} ns/pkt; CPU ${cpu.toFixed(0)} ns/pkt${
          readAhead ? " (both threads)" : ""
        }${readAhead && !r.readAheadTookOver ? "; read-ahead did not take over in every run" : ""}`,
      });
    }
    return rows;
  },
});

registerSection({
  name: "page-cache-4k",
  async run(ctx) {
    // The capture as `tcpdump -w` leaves it while it stays cached: written in 4 KiB pieces,
    // so in 4 KiB pages (bench/_page_cache.ts). tcpdump and the reader + decode on that copy,
    // the ratio against tcpdump's read of the copy; the copy is deleted afterwards.
    const copy = `${ctx.outDir}/mixed-4k.pcap`;
    try {
      copyIn4KiBWrites(ctx.capture, copy);
      const td = await tcpdumpRead({ ...ctx, capture: copy }, false);
      const r = await passInChild("decode", false, ctx.runs, copy);
      const what = "FILE cached as written in 4 KiB pieces (as tcpdump -w leaves it)";
      return [
        row(ctx, "page-cache-4k", `tcpdump -r FILE -w /dev/null, ${what}`, td),
        {
          ...row(
            ctx,
            "page-cache-4k",
            "TS reader + decodeFrame (one thread), the same FILE",
            r.rates,
            {
              cpuNsPerPacket: r.cpuNsPerPacket,
            },
          ),
          ratio: median(r.rates) / median(td),
          summary: `${(1e9 / median(r.rates)).toFixed(0)} ns/pkt; ratio to tcpdump's read of ` +
            `this FILE (${(1e9 / median(td)).toFixed(0)} ns/pkt)`,
        },
      ];
    } finally {
      await Deno.remove(copy).catch(() => {});
    }
  },
});

registerSection({
  name: "libpcap-fast-path",
  run(ctx) {
    const f = newFrame();
    const runs = timeRuns(ctx.runs, () => {
      const h = openOfflineWithLibpcap(ctx.capture, "micro");
      let n = 0;
      while (h.next(f)) n++;
      const error = h.error;
      h.close();
      if (error !== null) throw new Error(error);
      return n;
    });
    return Promise.resolve([
      row(
        ctx,
        "libpcap-fast-path",
        "libpcap pcap_next_ex, buffers viewed in place (BigInt u64 fast path)",
        runs,
      ),
    ]);
  },
});

registerSection({
  name: "ts-reader-filter",
  run(ctx) {
    const f = newFrame();
    const expr = "tcp port 80 or udp port 53";
    let passed = 0;
    const runs = timeRuns(ctx.runs, () => {
      const r = CaptureFileReader.open(ctx.capture, { readAhead: false });
      const filter = new OfflineFilter(expr, r.linkType);
      let n = 0;
      passed = 0;
      while (r.next(f)) {
        if (filter.matches(f)) passed++;
        n++;
      }
      filter.close();
      r.close();
      return n;
    });
    return Promise.resolve([
      row(ctx, "ts-reader-filter", `TS reader + OfflineFilter "${expr}", one thread`, runs, {
        passed,
      }),
    ]);
  },
});

/**
 * Times tcpreplay sends the slice in one run: a drain costs a few tens of ms of CPU, so a
 * longer run measures it more steadily.
 */
const LIVE_LOOPS = 3;

/** Test net id of the live-drain section (ids 120-129 are the benchmark's). */
const LIVE_NET_ID = 120;

/** Writes the first `count` packets of the capture to `path`. */
function writeSlice(src: string, path: string, count: number): number {
  const r = CaptureFileReader.open(src);
  const w = PcapWriter.create(path, { linkType: r.linkType });
  const f = newFrame();
  let n = 0;
  while (n < count && r.next(f)) {
    w.write(f);
    n++;
  }
  w.close();
  r.close();
  return n;
}

interface DrainReport {
  packets: number;
  bytes: number;
  busySeconds: number;
  spanSeconds: number;
  cpuSeconds: number;
  stats: { received: number; dropped: number; ifDropped: number };
}

registerSection({
  name: "live-drain",
  async run(ctx) {
    const base = {
      section: "live-drain",
      packetsPerSec: null,
      ratio: null,
      runs: [] as number[],
    };
    if (Deno.uid() !== 0) return [{ ...base, name: "live drain", note: "skipped: needs root" }];
    const tcpreplay = (await run(["tcpreplay", "--version"]).catch(() => ({ code: 127 }))).code;
    if (tcpreplay !== 0) {
      return [{
        ...base,
        name: "live drain",
        note: "skipped: tcpreplay is not installed (apt-get install tcpreplay)",
      }];
    }
    const slice = `${ctx.outDir}/live_slice.pcap`;
    const sliceCount = writeSlice(ctx.capture, slice, ctx.livePackets);
    const net = await createTestNet(LIVE_NET_ID);
    const results: BenchResult[] = [];
    try {
      // Drop nothing on the sending side: raise the veth queue.
      await net.run(net.nsA, ["ip", "link", "set", net.ifA, "txqueuelen", "10000"]);
      const replay = async () => {
        const r = await net.run(net.nsA, [
          "tcpreplay",
          "--topspeed",
          `--loop=${LIVE_LOOPS}`,
          "-q",
          "-i",
          net.ifA,
          slice,
        ]);
        const m = /Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(r.stdout);
        const sent = /Actual: (\d+) packets/.exec(r.stdout);
        return { pps: m ? Number(m[1]) : NaN, sent: sent ? Number(sent[1]) : NaN, out: r };
      };
      const liveRuns = Math.max(1, Math.min(ctx.runs, 3));
      const helper = new URL("./_live_drain.ts", import.meta.url).pathname;
      const readUntil = async (
        rd: ReadableStreamDefaultReader<Uint8Array>,
        text: string | null,
        start = "",
      ) => {
        let out = start;
        while (text === null || !out.includes(text)) {
          const { value, done } = await rd.read();
          if (done) break;
          out += new TextDecoder().decode(value);
        }
        return out;
      };
      /** One replay captured by pcap_ts's LiveCapture. */
      const oursOnce = async (mode: "immediate" | "buffered") => {
        const child = net.spawn(net.nsB, ["deno", "run", "--allow-all", helper, net.ifB, mode], {
          stdout: "piped",
          stderr: "piped",
        });
        const rd = child.stdout.getReader();
        let out = await readUntil(rd, "ready\n");
        const sent = await replay();
        // The helper ends by itself once the link has been quiet for a second.
        out = await readUntil(rd, null, out);
        await child.status;
        const rep = JSON.parse(out.slice(out.indexOf("ready\n") + 6)) as DrainReport;
        return {
          pps: rep.packets / Math.max(rep.cpuSeconds, 1e-4),
          extra: {
            sent: sent.sent,
            senderPps: Math.round(sent.pps),
            received: rep.packets,
            dropped: rep.stats.dropped,
            ifDropped: rep.stats.ifDropped,
            cpuSeconds: rep.cpuSeconds,
            busyDrainPps: Math.round(rep.packets / Math.max(rep.busySeconds, 1e-6)),
            wallPps: Math.round(rep.packets / Math.max(rep.spanSeconds, 1e-6)),
          },
        };
      };
      /** One replay captured by tcpdump. */
      const tcpdumpOnce = async (mode: "immediate" | "buffered") => {
        const td = net.spawn(net.nsB, [
          "tcpdump",
          "-i",
          net.ifB,
          "-w",
          "/dev/null",
          "-B",
          String(64 << 10),
          ...(mode === "immediate" ? ["--immediate-mode"] : []),
        ]);
        const errReader = td.stderr.getReader();
        let err = await readUntil(errReader, "listening on");
        const cpuBefore = cpuSeconds(td.pid);
        const sent = await replay();
        await new Promise((ok) => setTimeout(ok, mode === "immediate" ? 500 : 1500));
        const cpu = cpuSeconds(td.pid) - cpuBefore;
        td.kill("SIGINT");
        err = await readUntil(errReader, null, err);
        await td.status;
        const captured = Number(/(\d+) packets? captured/.exec(err)?.[1] ?? NaN);
        const dropped = Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? NaN);
        return {
          pps: captured / Math.max(cpu, 1e-4),
          extra: {
            sent: sent.sent,
            senderPps: Math.round(sent.pps),
            received: captured,
            dropped,
            cpuSeconds: Math.round(cpu * 10000) / 10000,
          },
        };
      };
      for (const mode of ["buffered", "immediate"] as const) {
        const ours: number[] = [], oursExtra: Record<string, unknown>[] = [];
        const theirs: number[] = [], theirsExtra: Record<string, unknown>[] = [];
        for (let i = 0; i < liveRuns; i++) {
          const o = await oursOnce(mode);
          ours.push(o.pps);
          oursExtra.push(o.extra);
          const t = await tcpdumpOnce(mode);
          theirs.push(t.pps);
          theirsExtra.push(t.extra);
        }
        const oursMedian = median(ours), theirsMedian = median(theirs);
        const how = mode === "immediate"
          ? "immediate mode"
          : "buffered (LiveCapture timeout 10 ms, tcpdump default 1 s)";
        results.push({
          section: "live-drain",
          name: `LiveCapture drain, ${how}; pkts / CPU s`,
          packetsPerSec: oursMedian,
          ratio: theirsMedian > 0 ? oursMedian / theirsMedian : null,
          runs: ours,
          extra: {
            ratioIs: "vs tcpdump's drain in the same mode and run",
            traffic:
              `${sliceCount} pkts x ${LIVE_LOOPS} by tcpreplay --topspeed --loop=${LIVE_LOOPS}`,
            runs: oursExtra,
          },
        });
        results.push({
          section: "live-drain",
          name: `tcpdump -i drain, ${mode}; pkts / CPU s`,
          packetsPerSec: theirsMedian,
          ratio: 1,
          runs: theirs,
          extra: { runs: theirsExtra },
        });
      }
    } finally {
      await net.close();
    }
    return results;
  },
});

registerSection(fullPipelineSection);
registerSection(pipelineDetectorsSection);
registerSection(memorySection);

// --- main ----------------------------------------------------------------------------------

function fmtRate(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return "-";
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : `${(x / 1e3).toFixed(0)} k`;
}

function printTable(results: BenchResult[]): void {
  const lines = [["section", "measure", "packets/s", "× tcpdump", "figures"]];
  for (const r of results) {
    lines.push([
      r.section,
      r.name,
      fmtRate(r.packetsPerSec),
      r.ratio === null ? "-" : r.ratio.toFixed(2),
      [
        r.summary ?? (r.runs.length > 1 ? `runs ${r.runs.map((x) => fmtRate(x)).join(", ")}` : ""),
        r.note ?? "",
      ].filter((x) => x).join("; "),
    ]);
  }
  const widths = lines[0]!.slice(0, 4).map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => j < 4 ? c.padEnd(widths[j]!) : c).join("  "));
    if (i === 0) console.log(widths.map((w) => "-".repeat(w)).join("  ") + "  -------");
  }
}

async function main(): Promise<void> {
  const args = [...Deno.args];
  let runs = 5, capture = DEFAULT_CAPTURE_PATH, only: string[] | null = null, livePackets = 500_000;
  let memoryPackets = 1_000_000, evict = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) {
        console.error(`Option ${a} needs a value`);
        Deno.exit(2);
      }
      return v;
    };
    if (a === "--runs") runs = Number(value());
    else if (a === "--capture") capture = value();
    else if (a === "--only") only = value().split(",");
    else if (a === "--live-packets") livePackets = Number(value());
    else if (a === "--memory-packets") memoryPackets = Number(value());
    else if (a === "--keep-page-cache") evict = false;
    else {
      console.error(
        `Unknown option "${a}": usage: bench/run.ts [--runs N] [--capture PATH] [--only a,b] ` +
          "[--live-packets N] [--memory-packets N] [--keep-page-cache]",
      );
      Deno.exit(2);
    }
  }
  const outDir = "bench/out";
  Deno.mkdirSync(outDir, { recursive: true });
  try {
    Deno.statSync(capture);
  } catch {
    console.log(`generating ${capture} (${DEFAULT_PACKETS} packets) ...`);
    generateCapture(capture, DEFAULT_PACKETS);
  }
  const packets = readAllTs(capture, newFrame());
  const ctx: BenchContext = {
    capture,
    packets,
    runs,
    tcpdumpRate: 0,
    livePackets,
    memoryPackets,
    outDir,
    evict,
  };
  const started = performance.now();
  const loadBefore = loadAverage();
  console.log(
    `capture ${capture}: ${packets} packets, ${
      (Deno.statSync(capture).size / 1e6).toFixed(0)
    } MB; ` +
      `${runs} runs each; Deno ${Deno.version.deno}; ${libpcapVersion()}; ` +
      (evict
        ? "page cache: each capture evicted and read back before timing (as read from disk)"
        : "page cache: as found (--keep-page-cache)"),
  );
  const results: BenchResult[] = [];
  for (const s of sections) {
    if (s.name !== "tcpdump" && (only !== null ? !only.includes(s.name) : s.optIn === true)) {
      continue;
    }
    try {
      results.push(...await s.run(ctx));
    } catch (e) {
      results.push({
        section: s.name,
        name: s.name,
        packetsPerSec: null,
        ratio: null,
        runs: [],
        note: `failed: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }
  const loadAfter = loadAverage();
  const elapsed = (performance.now() - started) / 1000;
  printTable(results);
  const fmtLoad = (l: number[] | null) => l === null ? "?" : l.map((x) => x.toFixed(2)).join(" ");
  console.log(
    `${elapsed.toFixed(0)} s; load average (1/5/15 min) before ${fmtLoad(loadBefore)}, ` +
      `after ${fmtLoad(loadAfter)}; ${navigator.hardwareConcurrency} cores`,
  );
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  const json = {
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    libpcap: libpcapVersion(),
    cpu,
    cores: navigator.hardwareConcurrency,
    capture: { path: capture, packets, bytes: Deno.statSync(capture).size },
    runs,
    elapsedSeconds: elapsed,
    loadAverage: { before: loadBefore, after: loadAfter },
    results,
  };
  Deno.writeTextFileSync(`${outDir}/results.json`, JSON.stringify(json, null, 2) + "\n");
  console.log(`wrote ${outDir}/results.json`);
}

if (import.meta.main) await main();

/**
 * Child process of the `memory` benchmark section: the Analyzer (default config) fed TCP SYNs
 * to one host from N distinct spoofed sources, then one JSON line of results on stdout.
 * Run on its own so that its peak RSS (VmHWM) is the Analyzer's and nothing else's.
 *
 * Frames are real Ethernet + IPv4/IPv6 + TCP bytes written into one reused buffer (no
 * capture file, no allocation per packet): source address i is a bijection of i (distinct
 * for every i, spread over the address space), source port and destination port
 * (1-1024) pseudo-random, destination 10.0.0.1 / fd00::1, 100,000 packets per second of
 * capture time. Nothing ever answers, so every SYN becomes an unanswered attempt after
 * `[flow] unanswered_timeout`.
 *
 * Usage: deno run --allow-read bench/_memory_child.ts 4|6 PACKETS
 *
 * @module
 */

import { Analyzer } from "../pipeline.ts";
import { defaultConfig } from "../config/mod.ts";
import { LinkType } from "../decode/link_type.ts";
import type { Frame } from "../decode/packet.ts";

/** VmHWM and VmRSS of this process, in bytes. */
function procStatus(): { hwm: number; rss: number } {
  const t = Deno.readTextFileSync("/proc/self/status");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(t)?.[1] ?? NaN);
  return { hwm: kb("VmHWM") * 1024, rss: kb("VmRSS") * 1024 };
}

function checksum(b: Uint8Array, start: number, end: number): number {
  let s = 0;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return (~s) & 0xffff;
}

/** Runs the flood; returns the figures. */
export function flood(family: 4 | 6, packets: number): Record<string, unknown> {
  const start = procStatus();
  const rssStart = Deno.memoryUsage().rss;
  let alerts = 0;
  const byDetector: Record<string, number> = {};
  const config = defaultConfig();
  const analyzer = new Analyzer({
    config,
    localAddresses: [],
    onAlert: (a) => {
      alerts++;
      byDetector[a.detector] = (byDetector[a.detector] ?? 0) + 1;
    },
    dump: null,
  });
  const rssAfterConstruct = Deno.memoryUsage().rss;

  const ipLen = family === 4 ? 20 : 40;
  const len = Math.max(60, 14 + ipLen + 20);
  const buf = new Uint8Array(len);
  const v = new DataView(buf.buffer);
  buf.set([0x02, 0, 0, 0, 0, 1], 0); // destination MAC
  buf.set([0x02, 0, 0, 0, 0, 2], 6);
  v.setUint16(12, family === 4 ? 0x0800 : 0x86dd);
  const ip = 14, tcp = 14 + ipLen;
  if (family === 4) {
    buf[ip] = 0x45;
    v.setUint16(ip + 2, 40);
    buf[ip + 8] = 64;
    buf[ip + 9] = 6;
    v.setUint32(ip + 16, 0x0a000001);
  } else {
    v.setUint32(ip, 0x60000000);
    v.setUint16(ip + 4, 20);
    buf[ip + 6] = 6;
    buf[ip + 7] = 64;
    buf.set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], ip + 24);
    v.setUint32(ip + 8, 0x20010db8); // sources in 2001:db8::/32, low 96 bits varied
  }
  buf[tcp + 12] = 0x50;
  buf[tcp + 13] = 0x02; // SYN
  v.setUint16(tcp + 14, 64240);
  const frame: Frame = {
    buf,
    offset: 0,
    caplen: len,
    len,
    tsSec: 0,
    tsNsec: 0,
    linkType: LinkType.ethernet,
  };
  let x = 0x12345678;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  let peakSampled = rssAfterConstruct;
  const t0 = performance.now();
  const startSec = 1_800_000_000;
  for (let i = 0; i < packets; i++) {
    // A bijection of i over 2^31 (odd multiplier), moved off 0.0.0.0/8: distinct sources.
    const src = ((Math.imul(i, 0x9e3779b1) & 0x7fffffff) + 0x01000000) >>> 0;
    if (family === 4) {
      v.setUint32(ip + 12, src);
      v.setUint16(ip + 10, 0);
      v.setUint16(ip + 10, checksum(buf, ip, ip + 20));
    } else {
      v.setUint32(ip + 12, rand());
      v.setUint32(ip + 16, i);
      v.setUint32(ip + 20, src);
    }
    v.setUint16(tcp, 1024 + (rand() % 64000));
    v.setUint16(tcp + 2, 1 + (rand() % 1024));
    v.setUint32(tcp + 4, rand());
    const ns = i * 10_000; // 100,000 packets per second of capture time
    frame.tsSec = startSec + Math.floor(ns / 1e9);
    frame.tsNsec = ns % 1e9;
    analyzer.onFrame(frame);
    if ((i & 0x3fff) === 0) peakSampled = Math.max(peakSampled, Deno.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  // Let every attempt time out, as a live capture's timer would.
  analyzer.tick(startSec + packets / 100_000 + 10);
  peakSampled = Math.max(peakSampled, Deno.memoryUsage().rss);
  const s = analyzer.stats();
  const end = procStatus();
  const detectors: Record<string, { tracked: number; evictions: number; alerts: number }> = s
    .engine.detectors;
  return {
    family,
    packets,
    seconds,
    packetsPerSec: packets / seconds,
    peakRss: end.hwm,
    peakRssSampled: peakSampled,
    rssStart: start.rss,
    rssAfterConstruct,
    rssStartMemoryUsage: rssStart,
    rssEnd: end.rss,
    heapUsed: Deno.memoryUsage().heapUsed,
    maxFlows: config.flow.max_flows,
    flows: s.engine.flows,
    flowsCreated: s.engine.flowsCreated,
    evictions: s.engine.evictions,
    flowTimeouts: s.engine.flowTimeouts,
    alerts,
    alertsByDetector: byDetector,
    anomalies: s.anomalies,
    detectors,
  };
}

if (import.meta.main) {
  const family = Number(Deno.args[0] ?? "4");
  const packets = Number(Deno.args[1] ?? "1000000");
  if ((family !== 4 && family !== 6) || !Number.isInteger(packets) || packets < 1) {
    console.error("usage: _memory_child.ts 4|6 PACKETS");
    Deno.exit(2);
  }
  console.log(JSON.stringify(flood(family, packets)));
}

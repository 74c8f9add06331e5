/**
 * Speed of the whole Engine (default config) on scan-heavy traffic where every probe makes
 * new detector state, each run from empty state (a fresh Engine; only the packet loop is
 * timed). Prints one line per workload: median packets/s over the runs, and each run.
 *   deno run -A detect/_scan_bench.ts [probes=1000000] [runs=7]
 *
 * Workloads (random spoofed IPv4 sources, target 10.0.0.1 = this host):
 * - `syn-rst`: SYN to a random port, answered by RST (refused at once): new flow, new
 *   `scan.trw`, `scan.port` and `scan.host` keys per probe (2 packets a probe).
 * - `flood`: flow/_memory_flood.ts's mix, one packet a probe: unanswered SYN, NULL probe,
 *   UDP datagram, ICMP echo request, ARP who-has.
 *
 * @module
 */

import { LayerBit, Packet, TcpFlag } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { Engine } from "./engine.ts";
import { fillFloodProbe } from "../flow/_flood.ts";

const PROBES = Number(Deno.args[0] ?? "1000000");
const RUNS = Number(Deno.args[1] ?? "7");
const LOCAL = 0x0a000001;

function newEngine(): Engine {
  return new Engine({
    flow: defaultFlowConfig,
    allowlist: [],
    localAddresses: ["10.0.0.1"],
    emit: () => {},
  });
}

let x = 0x12345678;
const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);

function tcp4(
  p: Packet,
  ts: number,
  src: number,
  sport: number,
  dst: number,
  dport: number,
  flags: number,
) {
  p.ts = ts;
  p.len = 60;
  p.layers = LayerBit.ethernet | LayerBit.ipv4 | LayerBit.tcp;
  p.ip.version = 4;
  p.ip.protocol = 6;
  p.ip.src[0] = src;
  p.ip.dst[0] = dst;
  p.tcp.srcPort = sport;
  p.tcp.dstPort = dport;
  p.tcp.flags = flags;
  p.payloadLen = 0;
}

/** Returns packets fed. */
function synRst(e: Engine, p: Packet): number {
  for (let i = 0; i < PROBES; i++) {
    const ts = 1_000 + i * 0.00001;
    const src = rand() | 0x01000000, sport = rand() & 0xffff, dport = rand() & 0x3ff;
    tcp4(p, ts, src, sport, LOCAL, dport, TcpFlag.syn);
    e.onPacket(p);
    tcp4(p, ts, LOCAL, dport, src, sport, TcpFlag.rst | TcpFlag.ack);
    e.onPacket(p);
  }
  return PROBES * 2;
}

function flood(e: Engine, p: Packet): number {
  for (let i = 0; i < PROBES; i++) {
    fillFloodProbe(p, i, 1_000 + i * 0.00001, rand() | 0x01000000, LOCAL, rand);
    e.onPacket(p);
  }
  return PROBES;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

for (const [name, fn] of [["syn-rst", synRst], ["flood", flood]] as const) {
  const rates: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    const e = newEngine(), p = new Packet();
    const t0 = performance.now();
    const n = fn(e, p);
    const s = (performance.now() - t0) / 1000;
    if (r > 0) rates.push(n / s); // run 0 warms up the JIT
  }
  console.log(
    `${name}: median ${(median(rates) / 1e6).toFixed(2)} M packets/s (runs ${
      rates.map((v) => (v / 1e6).toFixed(2)).join(" ")
    })`,
  );
}

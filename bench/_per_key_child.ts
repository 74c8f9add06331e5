/**
 * Child process of the `memory` benchmark section (run with `--v8-flags=--expose-gc`): the
 * V8 heap bytes that one tracked key of each bounded structure costs at its worst (IPv6
 * addresses, every distinct-item set filled to its threshold, full samples), measured as the
 * heap growth after a full GC divided by the keys held. Prints one JSON object on stdout:
 * `{ "scan.port": [bytesPerKey, ...], ..., "suppress": b, "offence": b, "constructed": {...} }`
 * (two numbers for a detector that keeps two windows; `constructed`: bytes each detector
 * allocates when created, which is its whole state when it preallocates typed arrays).
 *
 * The windowed detectors are measured through their shared `ScanWindow` (detect/_scan_window.ts,
 * an internal module: when it is gone, their figures are null and bench/memory.ts falls back
 * to the cost their config docs declare); `scan.trw` through the detector itself, fed
 * attempts from a one-flow stand-in for the flow table;
 * `[response.suppress]` through the real {@link Suppressor}; the ban manager's offence
 * records (a private `Map<ip, {count, last}>`) by the same structure.
 *
 * @module
 */

import { defaultConfig } from "../config/mod.ts";
import { trwDetector } from "../detect/trw.ts";
import { scanDetectors } from "../detect/config.ts";
import { sectionDefaults } from "../config/spec.ts";
import { Suppressor } from "../actions/suppress.ts";
import { scanAlert } from "../detect/_alert.ts";
import { Outcome } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
/** V8 heap in use plus external memory (typed arrays), after a full GC. */
function heap(): number {
  gc!();
  gc!();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

const KEYS = 2000;
const words = new Uint32Array([0x20010db8, 0x11112222, 0x33334444, 0x55556666]);

// deno-lint-ignore no-explicit-any
type Any = any;
/** An internal module of detect/ when it exists (a non-literal specifier: no type dependency). */
async function optional(specifier: string): Promise<Any> {
  try {
    return await import(specifier);
  } catch {
    return null;
  }
}
const scanWindowModule = await optional("../detect/_scan_window.ts");
const windowCounterModule = await optional("../detect/_window_counter.ts");
const itemListsModule = await optional("../detect/_item_lists.ts");

/**
 * Worst-case bytes per key of one windowed count at `threshold`: KEYS IPv6 keys, each
 * filled to the threshold with labelled items (and, for scan.distributed, 64 ports beside).
 */
function scanWindowBytes(threshold: number, portSet: boolean): number | null {
  if (windowCounterModule !== null) return windowCounterBytes(threshold, portSet);
  if (scanWindowModule === null) return null;
  const { ScanWindow, sampleAddress } = scanWindowModule;
  const h0 = heap();
  const w = new ScanWindow(300, threshold, KEYS * 2);
  const extra = new WeakMap<object, Set<number>>();
  for (let k = 0; k < KEYS; k++) {
    for (let j = 0; j < threshold; j++) {
      const s = w.observe(4294967296 + k * 1000003, 1, 3 * 4294967296 + j * 7777 + k);
      words[3] = j * 65537 + k;
      if (s.added) sampleAddress(s, 6, words, 0);
      if (portSet) {
        // scan.distributed keeps a Set of up to 64 ports per target beside the window.
        let p = extra.get(s);
        if (p === undefined) extra.set(s, p = new Set());
        for (let q = 0; q < 64; q++) p.add(q * 1000 + 1);
      }
    }
  }
  const b = (heap() - h0) / KEYS;
  if (w.states.size !== KEYS) throw new Error("keys lost");
  if (portSet && extra.get(w.states.get(4294967296, 1)!)?.size !== 64) {
    throw new Error("ports lost");
  }
  return Math.round(b);
}

/** {@link scanWindowBytes} for the typed-array WindowCounter (capacity KEYS, all filled). */
function windowCounterBytes(threshold: number, portSet: boolean): number | null {
  const { WindowCounter } = windowCounterModule;
  const h0 = heap();
  // Labels and tallies on: the most any detector asks for.
  const w = new WindowCounter(300, threshold, KEYS, { labels: true, tallies: 5 });
  const ports = portSet && itemListsModule !== null ? new itemListsModule.ItemLists(KEYS) : null;
  for (let k = 0; k < KEYS; k++) {
    for (let j = 0; j < threshold; j++) {
      const slot = w.observe(4294967296 + k * 1000003, 1, 3 * 4294967296 + j * 7777 + k);
      words[3] = j * 65537 + k;
      if (w.wasAdded(slot)) w.label(slot, 6, words, 0, j);
      if (ports !== null && j === 0) {
        for (let q = 0; q < 64; q++) ports.push(slot, q * 1000 + 1);
      }
    }
  }
  const b = (heap() - h0) / KEYS;
  if (w.size !== KEYS || (ports !== null && ports.count(0) !== 64)) return null;
  return Math.round(b);
}

/** scan.trw: KEYS IPv6 sources with max_contacts answered first contacts each. */
function trwBytes(maxContacts: number): number | null {
  const cfg = (defaultConfig() as unknown as Record<string, Record<string, unknown>>)["scan.trw"]!;
  const t = {
    proto: new Uint8Array([6]),
    family: new Uint8Array([6]),
    addrI: new Uint32Array(4),
    addrR: new Uint32Array(4),
    portI: new Uint16Array(1),
    portR: new Uint16Array(1),
  } as unknown as FlowTable;
  const h0 = heap();
  const values = { ...cfg, max_sources: KEYS } as unknown as Parameters<
    typeof trwDetector.create
  >[0];
  const d = trwDetector.create(values, () => {}, {
    direction: () => "transit",
  });
  for (let k = 0; k < KEYS; k++) {
    t.addrI.set([0x20010db8, 0x1, k, 0x77]);
    for (let j = 0; j < maxContacts; j++) {
      t.addrR.set([0x20010db8, 0x2, j, k]);
      t.portR[0] = 1 + j;
      d.onAttempt!(t, 0, Outcome.answered, 1 + j * 0.001);
    }
  }
  const b = (heap() - h0) / KEYS;
  // Typed-array state (external memory) or a changed detector: no figure.
  if (d.stats!().tracked !== KEYS || b < 100) return null;
  return Math.round(b);
}

/** `[response.suppress]`: KEYS remembered (detector, offender, target) triples, IPv6. */
function suppressBytes(): number {
  const h0 = heap();
  const s = new Suppressor({ intervalS: 300, maxKeys: KEYS * 2 });
  for (let k = 0; k < KEYS; k++) {
    const src = `2001:db8:aaaa:bbbb:cccc:dddd:${(k >>> 16).toString(16)}:${
      (k & 0xffff).toString(16)
    }`;
    s.check(
      scanAlert({
        ts: 1,
        detector: "scan.port",
        severity: 2,
        signatureId: 1000102,
        signature: `TCP port scan of 2001:db8::1 by ${src}`,
        srcIp: src,
        destIp: "2001:db8::1",
        destPort: null,
        proto: "TCP",
        direction: "inbound",
        spoofable: true,
        evidence: {},
      }),
      1,
    );
  }
  const b = (heap() - h0) / KEYS;
  if (s.size !== KEYS) throw new Error("suppress keys lost");
  return Math.round(b);
}

/** Ban manager offence records: Map<IPv6 text, {count, last}>. */
function offenceBytes(): number {
  const h0 = heap();
  const m = new Map<string, { count: number; last: number }>();
  for (let k = 0; k < KEYS * 10; k++) {
    const ip = `2001:db8:aaaa:bbbb:cccc:dddd:${(k >>> 16).toString(16)}:${
      (k & 0xffff).toString(16)
    }`;
    m.set(ip, { count: 1, last: 1.8e9 + k });
  }
  const b = (heap() - h0) / (KEYS * 10);
  if (m.size !== KEYS * 10) throw new Error("offences lost");
  return Math.round(b);
}

/**
 * Memory each detector allocates when created with its defaults (preallocated state, as a
 * typed-array design has), in bytes.
 */
function constructedBytes(): Record<string, number> {
  const out: Record<string, number> = {};
  const keep: unknown[] = [];
  for (const def of scanDetectors) {
    const h0 = heap();
    keep.push(def.create(sectionDefaults(def.defaults), () => {}, { direction: () => "transit" }));
    out[def.name] = Math.max(0, Math.round(heap() - h0));
  }
  if (keep.length !== scanDetectors.length) throw new Error("unreachable");
  return out;
}

if (import.meta.main) {
  const c = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
  const n = (section: string, key: string) => Number(c[section]![key]);
  const out: Record<string, (number | null)[] | number | Record<string, number>> = {
    "scan.trw": [trwBytes(n("scan.trw", "max_contacts"))],
    "scan.port": [scanWindowBytes(n("scan.port", "ports"), false)],
    "scan.host": [scanWindowBytes(n("scan.host", "hosts"), false)],
    "scan.distributed": [scanWindowBytes(n("scan.distributed", "sources"), true)],
    "scan.stealth": [
      scanWindowBytes(n("scan.stealth", "probes"), false),
      scanWindowBytes(n("scan.stealth", "weak_probes"), false),
    ],
    "scan.udp": [
      scanWindowBytes(n("scan.udp", "refused_ports"), false),
      scanWindowBytes(n("scan.udp", "failed_ports"), false),
    ],
    "scan.icmp_sweep": [scanWindowBytes(n("scan.icmp_sweep", "hosts"), false)],
    "scan.arp_sweep": [scanWindowBytes(n("scan.arp_sweep", "targets"), false)],
    suppress: suppressBytes(),
    offence: offenceBytes(),
    constructed: constructedBytes(),
  };
  console.log(JSON.stringify(out));
}

/**
 * Flood script for flow/memory_test.ts: feeds the whole Engine (default config) packets from
 * N distinct random spoofed sources (unanswered SYNs, NULL probes, UDP, ICMP echo requests,
 * ARP who-has) at 100 k packets/s of capture time, then prints one JSON line of results.
 * Run as its own process so that RSS measures the engine, not the test runner:
 *   deno run --v8-flags=--max-old-space-size=128,--max-semi-space-size=4 \
 *     flow/_memory_flood.ts 1000000
 *
 * @module
 */

import { Packet } from "../decode/packet.ts";
import { fillFloodProbe } from "./_flood.ts";
import { defaultFlowConfig } from "./config.ts";
import { BYTES_PER_FLOW } from "./table.ts";
import { Engine } from "../detect/engine.ts";

const SOURCES = Number(Deno.args[0] ?? "300000");
const MB = 1024 * 1024;
{
  const rss0 = Deno.memoryUsage().rss;
  let alerts = 0;
  const engine = new Engine({
    flow: defaultFlowConfig,
    allowlist: [],
    localAddresses: ["10.0.0.1"],
    emit: () => alerts++,
  });
  const rssTable = Deno.memoryUsage().rss;
  const p = new Packet();
  let peak = rssTable;
  let x = 0x12345678;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < SOURCES; i++) {
    const ts = 1_000 + i * 0.00001; // 100 k packets/s of capture time
    fillFloodProbe(p, i, ts, rand() | 0x01000000, 0x0a000001, rand);
    engine.onPacket(p);
    if ((i & 0xffff) === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  engine.tick(1_000 + SOURCES * 0.00001 + 10);
  peak = Math.max(peak, Deno.memoryUsage().rss);
  const s = engine.stats();
  const tableMb = (defaultFlowConfig.max_flows * BYTES_PER_FLOW) / MB;
  console.error(
    `sources ${SOURCES}: flows ${s.flows} (evicted ${s.evictions}), RSS start ${
      (rss0 / MB).toFixed(0)
    } MB, after table ${(rssTable / MB).toFixed(0)} MB (computed ${tableMb.toFixed(0)} MB), ` +
      `peak ${(peak / MB).toFixed(0)} MB; detector keys ${
        Object.entries(s.detectors).map(([n, d]) => `${n}=${d.tracked}/-${d.evictions}`).join(" ")
      }; alerts ${alerts}`,
  );
  console.log(JSON.stringify({
    sources: SOURCES,
    peakRss: peak,
    rssStart: rss0,
    rssAfterTable: rssTable,
    flows: s.flows,
    evictions: s.evictions,
    maxFlows: defaultFlowConfig.max_flows,
    detectors: s.detectors,
  }));
}

/**
 * Allocation probe run by engine tests under `--v8-flags=--trace-gc`: feeds the engine
 * 1 M ordinary packets between two marker lines; any per-packet allocation shows up as
 * scavenges (young-generation collections) between the markers.
 *
 * @module
 */

import { Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { tcp, udp } from "../flow/_packet_builder.ts";
import { Engine } from "./engine.ts";

const e = new Engine({
  flow: { ...defaultFlowConfig, max_flows: 8192 },
  allowlist: ["192.0.2.0/24"],
  localAddresses: ["10.0.0.2"],
  emit: () => {},
});
const p = new Packet();
e.onPacket(tcp(p, 0, "10.0.0.1", 40000, "10.0.0.2", 443, "S"));
e.onPacket(tcp(p, 0, "10.0.0.2", 443, "10.0.0.1", 40000, "SA"));
e.onPacket(udp(p, 0, "10.0.0.1", 5353, "10.0.0.2", 53));
const kinds = [
  tcp(new Packet(), 0, "10.0.0.1", 40000, "10.0.0.2", 443, "A"),
  tcp(new Packet(), 0, "10.0.0.2", 443, "10.0.0.1", 40000, "PA"),
  udp(new Packet(), 0, "10.0.0.2", 53, "10.0.0.1", 5353),
  udp(new Packet(), 0, "10.0.0.1", 5353, "10.0.0.2", 53),
];
const n = Number(Deno.args[0] ?? "1000000");
const run = (count: number, t0: number) => {
  for (let i = 0; i < count; i++) {
    const k = kinds[i & 3]!;
    k.ts = t0 + i * 1e-7; // the clock moves (housekeeping runs every second of it)
    e.onPacket(k);
  }
};
run(n, 1); // warm up: JIT compiles the hot path
console.log("MARK start");
run(n, 2);
console.log("MARK end");

// Windowed scan detectors and the engine's allowlist/direction, on hand-built packets
// (flow/_packet_builder.ts).
import assert from "node:assert/strict";
import { Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { arp, icmp, icmpError, tcp, tcpFlags, udp } from "../flow/_packet_builder.ts";
import type { Alert } from "./alert.ts";
import { Engine, type EngineOptions } from "./engine.ts";
import { STEALTH_KINDS, stealthKind } from "./stealth_scan.ts";

function engine(
  alerts: Alert[],
  opts: Partial<EngineOptions> = {},
): Engine {
  return new Engine({
    flow: { ...defaultFlowConfig, max_flows: 8192 },
    allowlist: [],
    localAddresses: [],
    emit: (a) => alerts.push(a),
    ...opts,
  });
}

const none = (alerts: Alert[]) => assert.deepEqual(alerts.map((a) => a.signature), []);
const only = (alerts: Alert[], name: string) => alerts.filter((a) => a.detector === name);

Deno.test("scan.port alerts at the 20th distinct refused port of one host, once", () => {
  const alerts: Alert[] = [], p = new Packet();
  // TRW off, so that this counts scan.port alone.
  const e = engine(alerts, { detectors: { "scan.trw": { enabled: false } } });
  for (let i = 0; i < 19; i++) {
    e.onPacket(tcp(p, 1 + i, "10.0.0.1", 50000, "10.0.0.2", 1000 - i, "S"));
    e.onPacket(tcp(p, 1 + i, "10.0.0.2", 1000 - i, "10.0.0.1", 50000, "RA"));
  }
  assert.equal(alerts.length, 0);
  e.onPacket(tcp(p, 30, "10.0.0.1", 50000, "10.0.0.2", 22, "S"));
  e.onPacket(tcp(p, 30, "10.0.0.2", 22, "10.0.0.1", 50000, "RA"));
  assert.equal(alerts.length, 1);
  const a = alerts[0]!;
  assert.equal(a.detector, "scan.port");
  assert.equal(a.offender, "10.0.0.1");
  assert.equal(a.destIp, "10.0.0.2");
  assert.equal(a.direction, "transit");
  assert.equal(a.evidence.distinct_ports, 20);
  assert.deepEqual(
    a.evidence.ports,
    [
      22,
      982,
      983,
      984,
      985,
      986,
      987,
      988,
      989,
      990,
      991,
      992,
      993,
      994,
      995,
      996,
      997,
      998,
      999,
      1000,
    ],
  );
  assert.equal(a.evidence.refused, 20);
  for (let i = 0; i < 50; i++) {
    e.onPacket(tcp(p, 31 + i, "10.0.0.1", 50001, "10.0.0.2", 2000 + i, "S"));
    e.onPacket(tcp(p, 31 + i, "10.0.0.2", 2000 + i, "10.0.0.1", 50001, "RA"));
  }
  assert.equal(alerts.length, 1);
});

Deno.test("scan.port ignores answered connections (FTP passive data ports)", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 100; i++) {
    e.onPacket(tcp(p, 1 + i, "10.0.0.1", 50000 + i, "10.0.0.2", 30000 + i, "S"));
    e.onPacket(tcp(p, 1 + i, "10.0.0.2", 30000 + i, "10.0.0.1", 50000 + i, "SA"));
    e.onPacket(tcp(p, 1 + i, "10.0.0.1", 50000 + i, "10.0.0.2", 30000 + i, "A"));
  }
  none(alerts);
});

Deno.test("scan.port restarts its count when the window passes without an alert", () => {
  const alerts: Alert[] = [], p = new Packet();
  const e = engine(alerts, {
    detectors: { "scan.trw": { enabled: false }, "scan.port": { window: 10, ports: 5 } },
  });
  // 4 ports, a gap of 11 s (> window: state forgotten), 4 more: never 5 in one window.
  for (const [ts, port] of [[0, 1], [1, 2], [2, 3], [3, 4], [14, 5], [15, 6], [16, 7], [17, 8]]) {
    e.onPacket(tcp(p, ts!, "10.0.0.1", 50000, "10.0.0.2", port!, "S"));
    e.onPacket(tcp(p, ts!, "10.0.0.2", port!, "10.0.0.1", 50000, "RA"));
  }
  assert.equal(alerts.length, 0);
  e.onPacket(tcp(p, 18, "10.0.0.1", 50000, "10.0.0.2", 9, "S"));
  e.onPacket(tcp(p, 18, "10.0.0.2", 9, "10.0.0.1", 50000, "RA"));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.evidence.first, 14);
});

Deno.test("scan.host alerts on one port swept across 20 hosts with unanswered SYNs", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 1; i <= 20; i++) {
    e.onPacket(tcp(p, i * 0.1, "fd00::1", 40000, `fd00::1:${i}`, 22, "S"));
  }
  e.tick(10);
  const h = only(alerts, "scan.host");
  assert.equal(h.length, 1);
  assert.equal(h[0]!.offender, "fd00::1");
  assert.equal(h[0]!.destPort, 22);
  assert.equal(h[0]!.evidence.distinct_hosts, 20);
  assert.equal((h[0]!.evidence.hosts as string[])[0], "fd00::1:1");
  // TRW flags it too (20 failed first contacts); the host sweep is its own alert.
  assert.equal(only(alerts, "scan.trw").length, 1);
});

Deno.test("scan.distributed alerts when 50 sources fail on 5+ ports of one host", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 1; i <= 50; i++) {
    const port = 100 + (i % 7);
    e.onPacket(tcp(p, i * 0.1, `10.9.${i}.1`, 40000, "10.0.0.2", port, "S"));
    e.onPacket(tcp(p, i * 0.1, "10.0.0.2", port, `10.9.${i}.1`, 40000, "RA"));
  }
  const d = only(alerts, "scan.distributed");
  assert.equal(d.length, 1);
  assert.equal(d[0]!.destIp, "10.0.0.2");
  assert.equal(d[0]!.offender, "10.9.50.1");
  assert.equal(d[0]!.evidence.distinct_sources, 50);
  assert.equal(d[0]!.spoofable, true);
  assert.deepEqual(only(alerts, "scan.trw"), []); // one failure per source
});

Deno.test("stealthKind() names the flag combinations", () => {
  const k = (flags: string, startsFlow = true, payload = 0) =>
    STEALTH_KINDS[stealthKind(tcpFlags(flags), startsFlow, payload)] ?? "none";
  assert.equal(k(""), "null");
  assert.equal(k("F"), "fin");
  assert.equal(k("FPU"), "xmas");
  assert.equal(k("SF"), "syn_fin");
  assert.equal(k("SR"), "syn_rst");
  assert.equal(k("FA"), "maimon");
  assert.equal(k("A"), "ack");
  assert.equal(k("A", true, 100), "none"); // mid-stream data
  assert.equal(k("FA", false), "none"); // ordinary close
  assert.equal(k("A", false), "none");
  assert.equal(k("S"), "none");
  assert.equal(k("SA"), "none");
  assert.equal(k("R"), "none");
  assert.equal(k("PA"), "none");
  assert.equal(k("SEC"), "none"); // ECN SYN
  assert.equal(k("F", false), "fin"); // strong kinds count on known flows too
});

for (
  const [flags, kind] of [["", "null"], ["F", "fin"], ["FPU", "xmas"], ["SF", "syn_fin"]] as const
) {
  Deno.test(`scan.stealth alerts on the 3rd ${kind.toUpperCase()} probe, spoofable`, () => {
    const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
    for (let i = 0; i < 3; i++) {
      e.onPacket(tcp(p, i, "10.0.0.1", 33333, "10.0.0.2", 80 + i, flags));
    }
    const s = only(alerts, "scan.stealth");
    assert.equal(s.length, 1);
    assert.equal(s[0]!.spoofable, true);
    assert.equal(s[0]!.offender, "10.0.0.1");
    assert.deepEqual(s[0]!.evidence.kinds, { [kind]: 3 });
    assert.deepEqual(s[0]!.evidence.targets, ["10.0.0.2:80", "10.0.0.2:81", "10.0.0.2:82"]);
  });
}

Deno.test("scan.stealth needs 10 ports for flow-less ACK probes; established ACKs never count", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  // A real connection: ACKs on a known flow.
  e.onPacket(tcp(p, 0, "10.0.0.1", 40000, "10.0.0.2", 80, "S"));
  e.onPacket(tcp(p, 0, "10.0.0.2", 80, "10.0.0.1", 40000, "SA"));
  for (let i = 0; i < 50; i++) e.onPacket(tcp(p, 0, "10.0.0.1", 40000, "10.0.0.2", 80, "A"));
  for (let i = 0; i < 9; i++) e.onPacket(tcp(p, 1, "10.0.0.1", 55555, "10.0.0.2", 100 + i, "A"));
  assert.deepEqual(only(alerts, "scan.stealth"), []);
  e.onPacket(tcp(p, 1, "10.0.0.1", 55555, "10.0.0.2", 200, "A"));
  assert.equal(only(alerts, "scan.stealth").length, 1);
  assert.deepEqual(only(alerts, "scan.stealth")[0]!.evidence.kinds, { ack: 10 });
});

Deno.test("scan.udp alerts on 10 ICMP port unreachables from one host", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 10; i++) {
    e.onPacket(udp(p, i, "10.0.0.1", 44444, "10.0.0.2", 1000 + i));
    e.onPacket(
      icmpError(p, i, "10.0.0.2", "10.0.0.1", 3, 3, 17, "10.0.0.1", 44444, "10.0.0.2", 1000 + i),
    );
  }
  const u = only(alerts, "scan.udp");
  assert.equal(u.length, 1);
  assert.equal(u[0]!.evidence.rule, "icmp_port_unreachable");
  assert.equal(u[0]!.evidence.refused, 10);
  assert.equal(u[0]!.destIp, "10.0.0.2");
});

Deno.test("scan.udp alerts on 40 unanswered UDP ports of one host, not on 39", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 39; i++) {
    e.onPacket(udp(p, i * 0.01, "10.0.0.1", 44444, "10.0.0.2", 1000 + i));
  }
  e.tick(10);
  assert.deepEqual(only(alerts, "scan.udp"), []);
  e.onPacket(udp(p, 11, "10.0.0.1", 44444, "10.0.0.2", 5000));
  e.tick(20);
  assert.equal(only(alerts, "scan.udp").length, 1);
  assert.equal(only(alerts, "scan.udp")[0]!.evidence.rule, "refused_or_unanswered");
});

Deno.test("scan.udp ignores answered UDP (DNS to many resolver ports is answered)", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 100; i++) {
    e.onPacket(udp(p, i * 0.01, "10.0.0.1", 44444, "10.0.0.2", 1000 + i));
    e.onPacket(udp(p, i * 0.01, "10.0.0.2", 1000 + i, "10.0.0.1", 44444));
  }
  e.tick(10);
  none(alerts);
});

Deno.test("scan.icmp_sweep alerts on echo requests to 12 hosts (IPv6 too)", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 1; i <= 11; i++) e.onPacket(icmp(p, i * 0.1, "fd00::9", `fd00::${i}`, 128, 0, 7, 1));
  none(alerts);
  // Replies and repeats to the same host add nothing.
  e.onPacket(icmp(p, 1.2, "fd00::1", "fd00::9", 129, 0, 7, 1));
  e.onPacket(icmp(p, 1.3, "fd00::9", "fd00::1", 128, 0, 7, 2));
  none(alerts);
  e.onPacket(icmp(p, 1.4, "fd00::9", "fd00::c", 128, 0, 7, 1));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.detector, "scan.icmp_sweep");
  assert.equal(alerts[0]!.proto, "IPv6-ICMP");
  assert.equal(alerts[0]!.evidence.distinct_hosts, 12);
});

Deno.test("scan.arp_sweep alerts on who-has for 30 addresses, ignoring gratuitous ARP", () => {
  const alerts: Alert[] = [], p = new Packet(), e = engine(alerts);
  for (let i = 0; i < 100; i++) e.onPacket(arp(p, i * 0.01, "192.168.1.7", "192.168.1.7"));
  for (let i = 1; i < 30; i++) {
    e.onPacket(arp(p, 2 + i * 0.01, "192.168.1.7", `192.168.1.${i + 10}`));
  }
  none(alerts);
  e.onPacket(arp(p, 3, "192.168.1.7", "192.168.1.200"));
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.offender, "192.168.1.7");
  assert.equal(alerts[0]!.proto, "ARP");
  assert.equal(alerts[0]!.evidence.sender_mac, "02:00:00:00:00:07");
});

Deno.test("Engine never counts allowlisted sources or destinations", () => {
  const alerts: Alert[] = [], p = new Packet();
  const e = engine(alerts, { allowlist: ["10.0.0.0/24", "fd00:1::/32", "192.168.1.7"] });
  for (let i = 0; i < 50; i++) {
    e.onPacket(tcp(p, i, "10.0.0.1", 50000, "10.5.0.2", 1000 + i, "S")); // source allowlisted
    e.onPacket(tcp(p, i, "10.5.0.1", 50000, "10.0.0.99", 1000 + i, "S")); // destination
    e.onPacket(tcp(p, i, "fd00:1::5", 50000, "fd00:2::1", 1000 + i, "")); // IPv6 NULL probes
    e.onPacket(arp(p, i, "192.168.1.7", `192.168.1.${i + 10}`));
  }
  e.tick(100);
  none(alerts);
  assert.ok(e.stats().allowlisted >= 150);
});

Deno.test("Engine names directions from the local addresses", () => {
  const alerts: Alert[] = [], p = new Packet();
  const e = engine(alerts, { localAddresses: ["10.0.0.2", "fd00::2"] });
  for (let i = 0; i < 3; i++) e.onPacket(tcp(p, i, "10.0.0.1", 1, "10.0.0.2", 80 + i, ""));
  for (let i = 0; i < 3; i++) e.onPacket(tcp(p, i, "fd00::2", 1, "fd00::3", 80 + i, "F"));
  assert.deepEqual(alerts.map((a) => `${a.offender} ${a.direction}`), [
    "10.0.0.1 inbound",
    "fd00::2 outbound",
  ]);
});

Deno.test("Engine.onPacket allocates nothing for ordinary established traffic", async () => {
  // detect/_alloc_probe.ts feeds 2 × 3 M TCP and UDP packets of known flows to an engine,
  // under --trace-gc. Any per-packet allocation (even one 16-byte heap number, which is what
  // passing a float to a non-inlined function costs) shows as dozens of scavenges (seen:
  // 47 before the fix); allocation-free processing shows at most a couple from start-up.
  // (Comparing heap sizes cannot fail: scavenges free such garbage at once.)
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--trace-gc",
      new URL("./_alloc_probe.ts", import.meta.url).pathname,
      "3000000",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.ok(text.includes("MARK end"));
  const scavenges = text.split("\n").filter((l) => l.includes("Scavenge")).length;
  assert.ok(scavenges <= 3, `${scavenges} scavenges over 6 M packets:\n${text}`);
});

/**
 * End to end, live: pcap_ts captures on a veth inside namespace A while real nmap in
 * namespace B scans it. Each scan type must be detected by the right detector, naming B as
 * the scanner; ordinary HTTP traffic must raise nothing. Prints after how many probes each
 * scan was detected (from the alert's own evidence).
 *
 * Traffic stays inside the two namespaces this test creates (10.200.1.0/24, fd00:200:1::/64,
 * and 10.201.1.0/24 routed to A for the ping sweep).
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createTestNet, netnsUnavailable, type TestNet } from "./netns.ts";
import { type PcapTsProcess, startPcapTs } from "./_pcap_ts_process.ts";

const NET_ID = 1;
const skip = await netnsUnavailable() ??
  ((await new Deno.Command("nmap", { args: ["--version"] }).output().catch(() => null))
    ? null
    : "nmap is not installed (apt-get install nmap)");
if (skip) console.log(`live_scan_test skipped: ${skip}`);

interface ScanCase {
  name: string;
  /** nmap arguments (the target is added unless the case gives its own). */
  nmap: (net: TestNet) => string[];
  /** Any of these detectors counts as detection. */
  detectors: string[];
}

const CASES: ScanCase[] = [
  {
    name: "SYN (-sS)",
    nmap: (n) => ["-sS", "-p", "1-1000", n.ipA],
    detectors: ["scan.trw", "scan.port"],
  },
  {
    name: "connect (-sT)",
    nmap: (n) => ["-sT", "-p", "1-1000", n.ipA],
    detectors: ["scan.trw", "scan.port"],
  },
  { name: "FIN (-sF)", nmap: (n) => ["-sF", "-p", "1-1000", n.ipA], detectors: ["scan.stealth"] },
  { name: "NULL (-sN)", nmap: (n) => ["-sN", "-p", "1-1000", n.ipA], detectors: ["scan.stealth"] },
  { name: "XMAS (-sX)", nmap: (n) => ["-sX", "-p", "1-1000", n.ipA], detectors: ["scan.stealth"] },
  {
    name: "UDP (-sU)",
    nmap: (n) => ["-sU", "-p", "1-200", n.ipA],
    detectors: ["scan.udp", "scan.trw"],
  },
  {
    name: "SYN over IPv6 (-6 -sS)",
    nmap: (n) => ["-6", "-sS", "-p", "1-1000", n.ip6A],
    detectors: ["scan.trw", "scan.port"],
  },
  {
    name: "ARP sweep (-sn)",
    nmap: (n) => ["-sn", `10.200.${n.id}.0/26`],
    detectors: ["scan.arp_sweep"],
  },
  {
    name: "ping sweep (-sn -PE, routed)",
    nmap: (n) => ["-sn", "-PE", "--send-ip", `10.201.${n.id}.0/27`],
    detectors: ["scan.icmp_sweep"],
  },
];

const CONFIG = `
[response]
dry_run = true
state_file = "STATE"
[notify.desktop]
enabled = false
[output]
stats_interval = "2s"
`;

function configFile(): string {
  const dir = Deno.makeTempDirSync({ prefix: "pcap_ts_live_" });
  const path = `${dir}/pcap_ts.toml`;
  Deno.writeTextFileSync(path, CONFIG.replace("STATE", `${dir}/state.json`));
  return path;
}

async function startOn(net: TestNet, config: string): Promise<PcapTsProcess> {
  const p = startPcapTs({ net, ns: net.nsA, args: ["-i", net.ifA, "-c", config] });
  await p.waitForStderr(/capturing on/, 20_000);
  return p;
}

const alertsOf = (p: PcapTsProcess) => p.eve().filter((e) => e.event_type === "alert");
const offenderOf = (e: Record<string, unknown>) => (e.pcap_ts as { offender: string }).offender;
const detectorOf = (e: Record<string, unknown>) => (e.pcap_ts as { detector: string }).detector;

Deno.test({
  name: "pcap_ts detects real nmap scans live in a namespace, naming the scanner",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID);
    const config = configFile();
    const rows: string[] = [];
    try {
      await net.must(net.nsA, [
        "sysctl",
        "-qw",
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0",
      ]);
      await net.must(net.nsB, ["ip", "route", "add", `10.201.${net.id}.0/24`, "via", net.ipA]);
      for (const c of CASES) {
        const p = await startOn(net, config);
        try {
          const r = await net.run(net.nsB, [
            "nmap",
            "-n",
            "-T4",
            "--max-retries",
            "1",
            // Port scans skip host discovery; for sweeps, discovery is the scan.
            ...(c.nmap(net).includes("-sn") ? [] : ["-Pn"]),
            ...c.nmap(net),
          ]);
          assertEquals(r.code, 0, `nmap ${c.name} failed: ${r.stderr}`);
          const scanner = c.name.includes("IPv6") ? net.ip6B : net.ipB;
          const hit = await p.waitForEve(
            (e) =>
              e.event_type === "alert" && c.detectors.includes(detectorOf(e)) &&
              offenderOf(e) === scanner,
            10_000,
          ).catch((e) => {
            throw new Error(
              `${c.name} not detected; nmap said:\n${r.stdout}\n(detected so far:\n${
                rows.join("\n")
              })\n${e.message}`,
            );
          });
          const ev = (hit.pcap_ts as { evidence: Record<string, unknown> }).evidence;
          const probes = ev.first_contacts ?? ev.probes ?? ev.requests ?? ev.targets ?? "?";
          rows.push(`${c.name.padEnd(30)} ${detectorOf(hit).padEnd(16)} after ${probes} probes`);
          assertEquals((hit.alert as { category: string }).category, "scan");
        } finally {
          assertEquals(await p.stop(), 0, `pcap_ts exit status; stderr:\n${p.stderr.join("\n")}`);
        }
        assert(
          p.stderr.some((l) => /packets captured, \d+ dropped by the kernel/.test(l)),
          "capture statistics printed at the end",
        );
      }
      console.log("scan type                      detector         detected\n" + rows.join("\n"));
    } finally {
      await net.close();
    }
  },
});

Deno.test({
  name: "pcap_ts raises no alert for ordinary HTTP traffic live in a namespace",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID + 1);
    const config = configFile();
    const dir = Deno.makeTempDirSync();
    Deno.writeTextFileSync(`${dir}/index.html`, "<html>hello</html>");
    Deno.writeTextFileSync(`${dir}/about.html`, "<html>about</html>");
    const server = net.spawn(net.nsA, [
      "python3",
      "-m",
      "http.server",
      "-b",
      net.ipA,
      "8080",
      "-d",
      dir,
    ], {
      stdout: "null",
      stderr: "null",
    });
    const p = await startOn(net, config);
    try {
      for (let i = 0; i < 20; i++) {
        const r = await net.run(net.nsB, [
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--retry",
          "3",
          "--retry-connrefused",
          `http://${net.ipA}:8080/${["", "about.html"][i % 2]}`,
        ]);
        assertEquals(r.stdout, "200", `curl ${i}: ${r.stderr}`);
      }
      // Periodic stats events arrive (stats_interval 2 s) and count the HTTP packets.
      await p.waitForEve(
        (e) => e.event_type === "stats" && (e.stats as { packets: number }).packets >= 20 * 6,
        10_000,
      );
    } finally {
      await p.stop();
      server.kill();
      await server.status;
      await net.close();
    }
    assertEquals(alertsOf(p).map((e) => (e.alert as { signature: string }).signature), []);
  },
});

Deno.test({
  name: "pcap_ts --dump=json prints every live packet as one JSON object, --dump=text as one line",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const net = await createTestNet(NET_ID + 2);
    const config = configFile();
    try {
      for (const format of ["json", "text"] as const) {
        const p = startPcapTs({
          net,
          ns: net.nsA,
          args: ["-i", net.ifA, "-c", config, "-f", "icmp", `--dump=${format}`],
          captureStdout: true,
        });
        try {
          await p.waitForStderr(/capturing on .* with filter "icmp"/, 20_000);
          const ping = await net.run(net.nsB, ["ping", "-c", "3", "-i", "0.2", "-W", "1", net.ipA]);
          assertEquals(ping.code, 0, ping.stderr);
          await new Promise((ok) => setTimeout(ok, 500));
        } finally {
          assertEquals(await p.stop(), 0, p.stderr.join("\n"));
        }
        const lines = p.stdout.filter((l) => l !== "");
        // The BPF filter passes the 3 echo requests and 3 replies, nothing else (no ARP).
        assertEquals(lines.length, 6, lines.join("\n"));
        if (format === "json") {
          const objs = lines.map((l) => JSON.parse(l));
          assertEquals(objs.map((o) => [o.ip.src, o.icmp.type]), [
            [net.ipB, 8],
            [net.ipA, 0],
            [net.ipB, 8],
            [net.ipA, 0],
            [net.ipB, 8],
            [net.ipA, 0],
          ]);
          assertEquals(objs[0].link, "ethernet");
          assertEquals(objs[0].payload_len, 56);
        } else {
          assert(lines[0]!.includes(`${net.ipB} > ${net.ipA}`), lines[0]);
          assert(/echo request/.test(lines[0]!), lines[0]);
          assert(/echo reply/.test(lines[1]!), lines[1]);
        }
      }
    } finally {
      await net.close();
    }
  },
});

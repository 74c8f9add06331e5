// Real nmap scans between two test namespaces (tests/netns.ts, id 27): namespace a
// (10.200.27.1, fd00:200:27::1) scans namespace b (10.200.27.2, fd00:200:27::2). Each scan is
// recorded with tcpdump inside b, and the recording is analysed offline through
// CaptureFileReader + decodeFrame + Engine with b's addresses as the local addresses. The
// test asserts the right detector names the right scanner and prints after how many scanner
// packets (probes) each detector fired. Ordinary traffic (curl against python3 -m
// http.server in b) must raise nothing. Needs root, nmap, tcpdump, curl and python3.
import assert from "node:assert/strict";
import { createTestNet, netnsUnavailable, type TestNet } from "./netns.ts";
import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { decodeFrame } from "../decode/frame.ts";
import { LayerBit, Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { parseIp } from "../flow/address.ts";
import { Engine } from "../detect/engine.ts";
import type { Alert } from "../detect/alert.ts";

const NET_ID = 27;

async function missingTools(): Promise<string | null> {
  const why = await netnsUnavailable();
  if (why) return why;
  for (const tool of ["nmap", "tcpdump", "curl", "python3"]) {
    const r = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`] }).output();
    if (r.code !== 0) return `${tool} is not installed`;
  }
  return null;
}

const skip = await missingTools();

/** Starts tcpdump in namespace b writing to `file`; resolves once it is listening. */
async function startCapture(net: TestNet, file: string) {
  const child = net.spawn(
    net.nsB,
    ["tcpdump", "-i", net.ifB, "--immediate-mode", "-U", "-n", "-s", "256", "-w", file],
    {
      stdout: "null",
      stderr: "piped",
    },
  );
  const reader = child.stderr.getReader();
  let text = "";
  const dec = new TextDecoder();
  while (!text.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump did not start: ${text}`);
    text += dec.decode(value);
  }
  return {
    async stop() {
      await new Promise((ok) => setTimeout(ok, 300)); // last replies
      child.kill("SIGINT");
      // Drain stderr so the process can exit.
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
      await child.status;
    },
  };
}

interface Detection {
  detector: string;
  offender: string;
  /** Packets sent by the scanner up to the alert. */
  probes: number;
  alert: Alert;
}

/** Analyses a capture as namespace b would: counts the scanner's packets up to each alert. */
function analyse(file: string, scanner: string, local: string[]) {
  const sw = new Uint32Array(4);
  const fam = parseIp(scanner, sw);
  const detections: Detection[] = [];
  let scannerPackets = 0;
  const engine = new Engine({
    flow: { ...defaultFlowConfig, max_flows: 65_536 },
    allowlist: [],
    localAddresses: local,
    emit: (a) =>
      detections.push({
        detector: a.detector,
        offender: a.offender,
        probes: scannerPackets,
        alert: a,
      }),
  });
  const reader = CaptureFileReader.open(file);
  const frame = newFrame(), pkt = new Packet();
  let last = 0;
  try {
    while (reader.next(frame)) {
      decodeFrame(frame, pkt);
      const L = pkt.layers;
      const fromScanner = (L & LayerBit.arp) !== 0
        ? fam === 4 && pkt.arp.senderIp === sw[0]
        : (L & (fam === 4 ? LayerBit.ipv4 : LayerBit.ipv6)) !== 0 &&
          pkt.ip.src[0] === sw[0] && pkt.ip.src[1] === sw[1] && pkt.ip.src[2] === sw[2] &&
          pkt.ip.src[3] === sw[3];
      if (fromScanner) scannerPackets++;
      engine.onPacket(pkt);
      last = pkt.ts;
    }
  } finally {
    reader.close();
  }
  engine.tick(last + defaultFlowConfig.unanswered_timeout);
  engine.finish();
  return { detections, scannerPackets };
}

interface ScanCase {
  name: string;
  /** nmap arguments after `nmap -n`, with TARGET4/TARGET6/NET4 placeholders. */
  args: string[];
  v6?: boolean;
  /** Detectors that must fire, naming the scanner. */
  expect: string[];
  /** Expected alert direction (default inbound: b is scanned). */
  direction?: string;
}

const CASES: ScanCase[] = [
  {
    name: "-sS",
    args: ["-sS", "-Pn", "-T4", "-p", "1-1000", "TARGET4"],
    expect: ["scan.trw", "scan.port"],
  },
  {
    name: "-sT",
    args: ["-sT", "-Pn", "-T4", "-p", "1-1000", "TARGET4"],
    expect: ["scan.trw", "scan.port"],
  },
  { name: "-sF", args: ["-sF", "-Pn", "-T4", "-p", "1-1000", "TARGET4"], expect: ["scan.stealth"] },
  { name: "-sN", args: ["-sN", "-Pn", "-T4", "-p", "1-1000", "TARGET4"], expect: ["scan.stealth"] },
  { name: "-sX", args: ["-sX", "-Pn", "-T4", "-p", "1-1000", "TARGET4"], expect: ["scan.stealth"] },
  { name: "-sA", args: ["-sA", "-Pn", "-T4", "-p", "1-1000", "TARGET4"], expect: ["scan.stealth"] },
  { name: "-sM", args: ["-sM", "-Pn", "-T4", "-p", "1-1000", "TARGET4"], expect: ["scan.stealth"] },
  { name: "-sU", args: ["-sU", "-Pn", "-T4", "-p", "1-200", "TARGET4"], expect: ["scan.udp"] },
  { name: "-sn /24 (ARP)", args: ["-sn", "-T4", "NET4"], expect: ["scan.arp_sweep"] },
  {
    name: "-sn -PE routed /27 (ICMP)",
    args: ["-sn", "-PE", "--send-ip", "-T4", "10.201.27.0/27"],
    expect: ["scan.icmp_sweep"],
    direction: "transit", // the swept range is behind b, not b itself
  },
  {
    name: "-6 -sS",
    args: ["-6", "-sS", "-Pn", "-T4", "-p", "1-1000", "TARGET6"],
    v6: true,
    expect: ["scan.trw", "scan.port"],
  },
  {
    name: "-6 -sX",
    args: ["-6", "-sX", "-Pn", "-T4", "-p", "1-1000", "TARGET6"],
    v6: true,
    expect: ["scan.stealth"],
  },
  {
    name: "-6 -sU",
    args: ["-6", "-sU", "-Pn", "-T4", "-p", "1-200", "TARGET6"],
    v6: true,
    expect: ["scan.udp"],
  },
];

Deno.test({
  name: "Engine detects real nmap scans between namespaces, and not ordinary HTTP",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const net = await createTestNet(NET_ID);
    const dir = await Deno.makeTempDir({ prefix: "pcap_ts_scan_nmap_" });
    const table: string[] = [];
    try {
      await net.must(net.nsB, [
        "sysctl",
        "-qw",
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv6.icmp.ratelimit=0",
      ]);
      // A routed range behind b (b does not forward): echo requests to it reach b's wire.
      await net.must(net.nsA, ["ip", "route", "add", "10.201.27.0/24", "via", net.ipB]);
      const local = [net.ipB, net.ip6B];

      // SCAN_NMAP_CASES="-sS,-sU" runs only those cases (by name).
      const only = Deno.env.get("SCAN_NMAP_CASES")?.split(",");
      for (const c of CASES.filter((c) => !only || only.includes(c.name))) {
        await t.step(`nmap ${c.name}`, async () => {
          const file = `${dir}/${c.name.replace(/[^a-zA-Z0-9]+/g, "_")}.pcap`;
          const cap = await startCapture(net, file);
          const args = c.args.map((a) =>
            a === "TARGET4"
              ? net.ipB
              : a === "TARGET6"
              ? net.ip6B
              : a === "NET4"
              ? `10.200.${NET_ID}.0/24`
              : a
          );
          const r = await net.run(net.nsA, ["nmap", "-n", ...args]);
          await cap.stop();
          assert.equal(r.code, 0, r.stderr);
          const scanner = c.v6 ? net.ip6A : net.ipA;
          const { detections, scannerPackets } = analyse(file, scanner, local);
          for (const d of detections) {
            table.push(
              `${c.name.padEnd(26)} ${d.detector.padEnd(17)} ${d.offender.padEnd(18)} ` +
                `after ${String(d.probes).padStart(5)} of ${
                  String(scannerPackets).padStart(5)
                } probes`,
            );
          }
          for (const want of c.expect) {
            const hit = detections.find((d) => d.detector === want);
            assert.ok(
              hit,
              `${c.name}: no ${want} alert; got ${
                JSON.stringify(detections.map((d) => d.detector))
              }`,
            );
            assert.equal(hit.offender, scanner);
            // The ARP sweep of the subnet includes b: inbound too.
            assert.equal(hit.alert.direction, c.direction ?? "inbound");
          }
          for (const d of detections) {
            assert.equal(d.offender, scanner, `${d.detector} names ${d.offender}`);
          }
        });
      }

      await t.step("ordinary HTTP (curl of a few pages) raises no alert", async () => {
        await Deno.writeTextFile(`${dir}/index.html`, "<html>hello</html>\n");
        await Deno.writeTextFile(`${dir}/a.txt`, "a\n".repeat(1000));
        const server = net.spawn(net.nsB, [
          "python3",
          "-m",
          "http.server",
          "8000",
          "--bind",
          "::",
          "--directory",
          dir,
        ], {
          stdout: "null",
          stderr: "null",
        });
        try {
          // Wait until the server answers on both families.
          let ready = false;
          for (let i = 0; i < 100 && !ready; i++) {
            const r4 = await net.run(net.nsA, [
              "curl",
              "-s",
              "-o",
              "/dev/null",
              `http://${net.ipB}:8000/`,
            ]);
            const r6 = await net.run(net.nsA, [
              "curl",
              "-s",
              "-o",
              "/dev/null",
              `http://[${net.ip6B}]:8000/`,
            ]);
            ready = r4.code === 0 && r6.code === 0;
            if (!ready) await new Promise((ok) => setTimeout(ok, 100));
          }
          const ss = await net.run(net.nsB, ["ss", "-ltnp"]);
          assert.ok(ready, `http.server not reachable on both families:\n${ss.stdout}`);
          const file = `${dir}/http.pcap`;
          const cap = await startCapture(net, file);
          for (const path of ["/", "/a.txt", "/index.html", "/missing", "/"]) {
            await net.must(net.nsA, [
              "curl",
              "-s",
              "-o",
              "/dev/null",
              `http://${net.ipB}:8000${path}`,
            ]);
            await net.must(net.nsA, [
              "curl",
              "-s",
              "-o",
              "/dev/null",
              `http://[${net.ip6B}]:8000${path}`,
            ]);
          }
          await net.must(net.nsA, ["ping", "-c", "3", "-i", "0.2", net.ipB]);
          await cap.stop();
          const { detections, scannerPackets } = analyse(file, net.ipA, local);
          assert.ok(
            scannerPackets > 20,
            `only ${scannerPackets} packets from ${net.ipA} in ${Deno.statSync(file).size} bytes`,
          );
          assert.deepEqual(detections.map((d) => `${d.detector} ${d.offender}`), []);
        } finally {
          server.kill("SIGTERM");
          await server.status;
        }
      });
    } finally {
      console.log(
        `\nscan                       detector          scanner            probes to detection\n${
          table.join("\n")
        }`,
      );
      await net.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Scan detection over the shared capture corpus (/work/shared/corpus, see its MANIFEST.tsv):
// every capture goes through CaptureFileReader + decodeFrame + Engine with default config,
// no local addresses (offline: every source judged alike) and no allowlist.
//  - the three scan captures must raise the right scan.* alert naming the right scanner;
//  - every benign/ capture must raise no scan alert (chrome, teams and iphone are the traps:
//    many flows to many hosts; their contacts are answered, which TRW counts as successes);
//  - every other detection/ capture (attacks that are not scans) must raise no scan alert,
//    except the justified ones listed in EXPECTED_EXCEPTIONS.
import assert from "node:assert/strict";
import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { decodeFrame } from "../decode/frame.ts";
import { Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { Engine } from "../detect/engine.ts";
import type { Alert } from "../detect/alert.ts";

const CORPUS = "/work/shared/corpus";

function analyse(path: string): { alerts: Alert[]; packets: number } {
  const alerts: Alert[] = [];
  const engine = new Engine({
    flow: { ...defaultFlowConfig, max_flows: 65_536 },
    allowlist: [],
    localAddresses: [],
    emit: (a) => alerts.push(a),
  });
  const reader = CaptureFileReader.open(path);
  const frame = newFrame();
  const pkt = new Packet();
  let packets = 0;
  let last = 0;
  try {
    while (reader.next(frame)) {
      decodeFrame(frame, pkt);
      engine.onPacket(pkt);
      last = pkt.ts;
      packets++;
    }
  } finally {
    reader.close();
  }
  // Let attempts still waiting at the end of the capture resolve (as a live run would
  // a few seconds later), then end every flow.
  engine.tick(last + defaultFlowConfig.unanswered_timeout);
  engine.finish();
  return { alerts, packets };
}

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory && !e.name.endsWith(".baselines")) out.push(...captures(p));
    else if (e.isFile && /\.(pcap|pcapng)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

function summary(alerts: Alert[]): string[] {
  return alerts.map((a) => `${a.detector} offender=${a.offender} ${a.signature}`);
}

const corpusMissing = (() => {
  try {
    Deno.statSync(`${CORPUS}/MANIFEST.tsv`);
    return false;
  } catch {
    return true;
  }
})();

Deno.test({
  name: "Engine flags the nmap SYN scan in synscan.pcap as 172.16.0.8 (scan.trw and scan.port)",
  ignore: corpusMissing,
  fn() {
    const { alerts } = analyse(`${CORPUS}/detection/ndpi/synscan.pcap`);
    const scan = alerts.filter((a) => a.detector.startsWith("scan."));
    assert.ok(scan.length > 0, "no scan alert");
    for (const a of scan) assert.equal(a.offender, "172.16.0.8", summary(scan).join("\n"));
    const detectors = new Set(scan.map((a) => a.detector));
    assert.ok(detectors.has("scan.trw"), summary(scan).join("\n"));
    assert.ok(detectors.has("scan.port"), summary(scan).join("\n"));
    const trw = scan.find((a) => a.detector === "scan.trw")!;
    // 4 failures in a row: ln 4 × 4 = 5.545 ≥ ln 99 = 4.595 (see detect/trw_test.ts).
    assert.ok((trw.evidence.log_likelihood as number) >= Math.log(99));
    const port = scan.find((a) => a.detector === "scan.port")!;
    assert.equal(port.destIp, "64.13.134.52");
    assert.equal(port.evidence.distinct_ports, 20);
  },
});

Deno.test({
  name: "Engine flags the ICMP sweep in test12-icmp-portscan.pcap as 192.168.1.109",
  ignore: corpusMissing,
  fn() {
    const { alerts } = analyse(`${CORPUS}/detection/slips/test12-icmp-portscan.pcap`);
    assert.deepEqual(
      summary(alerts).map((s) => s.split(" ").slice(0, 2).join(" ")),
      ["scan.icmp_sweep offender=192.168.1.109"],
      summary(alerts).join("\n"),
    );
  },
});

Deno.test({
  name: "Engine flags the ARP scan in test8-malicious.pcap as 192.168.1.247",
  ignore: corpusMissing,
  fn() {
    const { alerts } = analyse(`${CORPUS}/detection/slips/test8-malicious.pcap`);
    assert.deepEqual(
      summary(alerts).map((s) => s.split(" ").slice(0, 2).join(" ")),
      ["scan.arp_sweep offender=192.168.1.247"],
      summary(alerts).join("\n"),
    );
  },
});

/** Non-scan captures that do raise a scan alert, with the reason it is justified. */
const EXPECTED_EXCEPTIONS: Record<string, { detector: string; offender: string; why: string }> = {};

const SCAN_CAPTURES = new Set([
  "detection/ndpi/synscan.pcap",
  "detection/slips/test12-icmp-portscan.pcap",
  "detection/slips/test8-malicious.pcap",
]);

for (const group of ["benign", "detection"]) {
  Deno.test({
    name: `Engine raises no scan alert on the ${group}/ captures that are not scans`,
    ignore: corpusMissing,
    fn() {
      const problems: string[] = [];
      let files = 0;
      for (const path of captures(`${CORPUS}/${group}`)) {
        const rel = path.slice(CORPUS.length + 1);
        if (SCAN_CAPTURES.has(rel)) continue;
        files++;
        const { alerts } = analyse(path);
        const exc = EXPECTED_EXCEPTIONS[rel];
        for (const a of alerts) {
          if (!a.detector.startsWith("scan.")) continue;
          if (exc && exc.detector === a.detector && exc.offender === a.offender) continue;
          problems.push(`${rel}: ${summary([a])[0]} ${JSON.stringify(a.evidence)}`);
        }
      }
      assert.ok(files > 5, `only ${files} captures found`);
      assert.deepEqual(problems, []);
    },
  });
}

/**
 * The whole program on third-party captures (../shared/corpus, see its MANIFEST.tsv):
 * `pcap_ts --read FILE --eve OUT` through the real entry point. Scan captures raise the right
 * `scan.*` alert naming the scanner the manifest names; benign captures raise no alert at all.
 */

import assert from "node:assert/strict";
import { main } from "../main.ts";

const CORPUS = new URL("../../shared/corpus/", import.meta.url).pathname;

/** Scan captures: the manifest's scanner, and the detectors any of which is a right answer. */
const SCANS = [
  // nmap SYN scan from 172.16.0.8 against scanme.nmap.org, ~1000 ports.
  {
    file: "detection/ndpi/synscan.pcap",
    scanner: "172.16.0.8",
    detectors: ["scan.trw", "scan.port"],
  },
  // ICMP echo sweep of 192.168.1.0/24 from 192.168.1.109.
  {
    file: "detection/slips/test12-icmp-portscan.pcap",
    scanner: "192.168.1.109",
    detectors: ["scan.icmp_sweep"],
  },
  // ARP scan of 192.168.1.0/24 by 192.168.1.247.
  {
    file: "detection/slips/test8-malicious.pcap",
    scanner: "192.168.1.247",
    detectors: ["scan.arp_sweep"],
  },
];

function benignCaptures(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(`${CORPUS}${dir}`)) {
      if (e.isDirectory) walk(`${dir}${e.name}/`);
      else if (/\.(pcap|pcapng)$/.test(e.name)) out.push(`${dir}${e.name}`);
    }
  };
  walk("benign/");
  return out.sort();
}

let available = true;
try {
  Deno.statSync(CORPUS);
} catch {
  available = false;
  console.log(`pipeline_corpus_test: no corpus at ${CORPUS}`);
}

const dir = available ? Deno.makeTempDirSync({ prefix: "pcap_ts_pipeline_" }) : "";
const config = `${dir}/quiet.toml`;
if (available) {
  Deno.writeTextFileSync(
    config,
    `[output]\nconsole = false\n[notify.desktop]\nenabled = false\n[response]\nstate_file = "${dir}/state.json"\n`,
  );
}

async function alertsOf(file: string): Promise<Record<string, unknown>[]> {
  const eve = `${dir}/${file.replaceAll("/", "_")}.eve.json`;
  // The EVE file is appended to: start each run with none.
  try {
    Deno.removeSync(eve);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const code = await main(["--read", `${CORPUS}${file}`, "-c", config, "--eve", eve]);
  assert.equal(code, 0, `${file}: exit status`);
  return Deno.readTextFileSync(eve).split("\n").filter((l) => l !== "")
    .map((l) => JSON.parse(l)).filter((e) => e.event_type === "alert");
}

for (const s of SCANS) {
  Deno.test({
    name: `pcap_ts --read ${s.file} names ${s.scanner} in a ${s.detectors.join(" or ")} alert`,
    ignore: !available,
    sanitizeResources: false,
    async fn() {
      const alerts = await alertsOf(s.file);
      const hits = alerts.filter((a) =>
        s.detectors.includes((a.pcap_ts as { detector: string }).detector) &&
        (a.pcap_ts as { offender: string }).offender === s.scanner
      );
      assert.ok(hits.length > 0, `alerts were: ${JSON.stringify(alerts)}`);
      for (const a of alerts) {
        assert.equal((a.alert as { category: string }).category, "scan");
        assert.equal(
          (a.pcap_ts as { offender: string }).offender,
          s.scanner,
          "no one else is blamed",
        );
      }
    },
  });
}

Deno.test({
  name: "pcap_ts --read raises no alert on any benign corpus capture",
  ignore: !available,
  sanitizeResources: false,
  async fn() {
    const files = benignCaptures();
    assert.ok(files.length >= 10, `benign captures found: ${files.length}`);
    const noisy: string[] = [];
    for (const f of files) {
      const alerts = await alertsOf(f);
      if (alerts.length > 0) {
        noisy.push(
          `${f}: ${alerts.map((a) => (a.alert as { signature: string }).signature).join("; ")}`,
        );
      }
    }
    assert.deepEqual(noisy, []);
  },
});

/** A mid-stream TCP ACK frame (Ethernet, IPv4) of `size` bytes from 10.9.0.1:443 to 10.9.0.2:50000. */
function paddingFrame(size: number, seq: number): Uint8Array {
  const f = new Uint8Array(size);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, size - 14);
  f[22] = 64;
  f[23] = 6;
  f.set([10, 9, 0, 1, 10, 9, 0, 2], 26);
  v.setUint16(34, 443);
  v.setUint16(36, 50000);
  v.setUint32(38, seq >>> 0);
  v.setUint32(42, 1);
  f[46] = 0x50;
  f[47] = 0x10; // ACK
  v.setUint16(48, 65535);
  return f;
}

Deno.test({
  name:
    "pcap_ts --read with capture.read_ahead of a capture over 16 MiB gives the alerts of its packets",
  ignore: !available,
  sanitizeResources: false,
  async fn() {
    const { CaptureFileReader, newFrame } = await import("../ffi/file_reader.ts");
    const { PcapWriter } = await import("../ffi/pcap_writer.ts");
    const file = "detection/ndpi/synscan.pcap";
    const src = CaptureFileReader.open(`${CORPUS}${file}`);
    const big = `${dir}/big.pcap`;
    const w = PcapWriter.create(big, { linkType: src.linkType });
    const f = newFrame();
    assert.ok(src.next(f));
    // 60,000 frames (about 21 MB) of one established connection first, ending before the scan.
    const start = f.tsSec - 120;
    for (let i = 0; i < 60_000; i++) {
      w.writeRecord(
        start + Math.floor(i / 1000),
        (i % 1000) * 1_000_000,
        paddingFrame(350, i * 296),
      );
    }
    let scanFrames = 0;
    do {
      w.writeRecord(f.tsSec, f.tsNsec, f.buf.subarray(f.offset, f.offset + f.caplen), f.len);
      scanFrames++;
    } while (src.next(f));
    w.close();
    src.close();
    assert.ok(Deno.statSync(big).size > 16 << 20);
    const key = (a: Record<string, unknown>) => {
      const p = a.pcap_ts as { detector: string; offender: string };
      return `${p.detector} ${p.offender} ${(a.alert as { signature: string }).signature}`;
    };
    const alone = (await alertsOf(file)).map(key).sort();
    const eve = `${dir}/big.eve.json`;
    const aheadConfig = `${dir}/read_ahead.toml`;
    Deno.writeTextFileSync(
      aheadConfig,
      `[capture]\nread_ahead = true\n${Deno.readTextFileSync(config)}`,
    );
    assert.equal(await main(["--read", big, "-c", aheadConfig, "--eve", eve]), 0);
    const events = Deno.readTextFileSync(eve).split("\n").filter((l) => l !== "")
      .map((l) => JSON.parse(l));
    const withPadding = events.filter((e) => e.event_type === "alert").map(key).sort();
    assert.ok(alone.length > 0);
    assert.deepEqual(withPadding, alone);
    const stats = events.filter((e) => e.event_type === "stats").at(-1);
    assert.equal(stats?.stats?.packets ?? stats?.stats?.capture?.packets, 60_000 + scanFrames);
  },
});

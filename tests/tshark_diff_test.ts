/**
 * Differential test of the decode layer against Wireshark's tshark.
 *
 * Every capture under /work/shared/corpus that tshark reads is decoded by tshark (outermost
 * occurrence of each field, no reassembly, raw sequence numbers) and by pcap_ts
 * (`CaptureFileReader` + `decodeFrame`); the two are compared field by field. Differences
 * that have a known, justified cause are listed in {@link KNOWN_DIFFERENCES} and counted
 * apart; everything else counts against agreement, which must stay at or above 99.9 %.
 *
 * tshark's output is cached under the system temp folder (keyed by path, size and mtime) so
 * that reruns take seconds. Set PCAP_TS_DIFF_VERBOSE=1 to print every unexplained difference, 2 to also print
 * the frames that known differences explain.
 *
 * Skipped when tshark or the corpus is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import {
  decodeFrame,
  ipToString,
  ipv4Options,
  LayerBit,
  Packet,
  packetToJson,
  packetToText,
  problemName,
} from "../decode/mod.ts";

const CORPUS = "/work/shared/corpus";
const CACHE_DIR = `${Deno.env.get("TMPDIR") ?? "/tmp"}/pcap_ts_tshark_cache`;
const VERBOSE = (Deno.env.get("PCAP_TS_DIFF_VERBOSE") ?? "") >= "1";
/** PCAP_TS_DIFF_VERBOSE=2 also prints each frame a known difference explains. */
const VERBOSE_KNOWN = Deno.env.get("PCAP_TS_DIFF_VERBOSE") === "2";
const REQUIRED_AGREEMENT = 0.999;

/** tshark fields, in output order. */
const FIELDS = [
  "frame.number",
  "frame.protocols",
  "ip.version",
  "ip.src",
  "ip.dst",
  "ipv6.src",
  "ipv6.dst",
  "ip.proto",
  "ipv6.nxt",
  "tcp.srcport",
  "tcp.dstport",
  "udp.srcport",
  "udp.dstport",
  "tcp.flags",
  "tcp.seq_raw",
  "tcp.ack_raw",
  "ip.len",
  "ipv6.plen",
  "tcp.len",
  "udp.length",
  "icmp.type",
  "icmp.code",
  "icmpv6.type",
  "icmpv6.code",
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string>;

/** Fields compared (each a column of the agreement table). */
const COMPARED = [
  "ip_version",
  "src",
  "dst",
  "proto",
  "src_port",
  "dst_port",
  "tcp_flags",
  "tcp_seq",
  "tcp_ack",
  "ip_len",
  "tcp_len",
  "udp_len",
  "icmp_type",
  "icmp_code",
] as const;
type Compared = (typeof COMPARED)[number];
type View = Record<Compared, string>;

const TSHARK_ARGS = [
  "-n",
  "-T",
  "fields",
  "-E",
  "occurrence=f",
  "-E",
  "separator=/t",
  "-o",
  "tcp.relative_sequence_numbers:false",
  "-o",
  "tcp.analyze_sequence_numbers:false",
  "-o",
  "ip.defragment:false",
  "-o",
  "ipv6.defragment:false",
  ...FIELDS.flatMap((f) => ["-e", f]),
];

/**
 * Differences with a known cause. Each rule sees the frame as pcap_ts decoded it and tshark's
 * protocol stack; the first that matches explains the frame's differences.
 */
const KNOWN_DIFFERENCES: {
  name: string;
  why: string;
  matches: (pkt: Packet, protocols: string[]) => boolean;
}[] = [
  {
    name: "unsupported_link_type",
    why: "tshark decodes link types pcap_ts does not (PPP, Frame Relay, NFLOG, SLIP, ...)",
    matches: (pkt) => pkt.problem !== null && problemName(pkt.problem) === "link.invalid_type",
  },
  {
    name: "encapsulation_before_ip",
    why: "tshark finds IP inside encapsulations that pcap_ts leaves as payload " +
      "(MPLS, LLC/SNAP, E-Tag, ...): the protocols before tshark's first IP layer are not all ones pcap_ts decodes",
    matches: (_pkt, protocols) => {
      for (const p of protocols) {
        if (p === "ip" || p === "ipv6") return false;
        if (!LINK_PROTOCOLS_DECODED.has(p)) return true;
      }
      return false;
    },
  },
  {
    name: "tshark_decodes_inside_tunnel",
    why: "the outermost TCP/UDP that tshark reports belongs to a tunnelled datagram " +
      "(IP-in-IP, GRE, VXLAN, Geneve, Teredo ...) or to an IPv6 header behind extension headers pcap_ts does not walk",
    matches: (pkt, protocols) => {
      const first = protocols.findIndex((p) => p === "ip" || p === "ipv6");
      if (first < 0) return false;
      const rest = protocols.slice(first + 1);
      const inner = rest.findIndex((p) => p === "ip" || p === "ipv6");
      const l4 = rest.findIndex((p) =>
        p === "tcp" || p === "udp" || p === "icmp" || p === "icmpv6"
      );
      return pkt.problem === null && inner >= 0 && (l4 < 0 || inner < l4) &&
        (pkt.layers & (LayerBit.tcp | LayerBit.udp | LayerBit.icmpv4 | LayerBit.icmpv6)) === 0;
    },
  },
  {
    name: "ipv4_total_length_zero",
    why: "an IPv4 total length of 0 (segmentation offload, BIG TCP): tshark reports the length " +
      "it presumes from the frame, pcap_ts the header field (0), decoding up to the captured length",
    matches: (pkt) => (pkt.layers & LayerBit.ipv4) !== 0 && pkt.ip.totalLen === 0,
  },
  {
    name: "short_first_fragment",
    why: "a first IP fragment too short for the whole transport header: pcap_ts skips the " +
      "transport layer by design, tshark shows the part it has",
    matches: (pkt) =>
      (pkt.layers & LayerBit.fragment) !== 0 &&
      (pkt.layers & (LayerBit.tcp | LayerBit.udp | LayerBit.icmpv4 | LayerBit.icmpv6)) === 0,
  },
  {
    name: "ipv4_source_route",
    why: "with a loose/strict source route option tshark reports the route's final hop as " +
      "ip.dst; pcap_ts reports the header's destination field",
    matches: (pkt) =>
      (pkt.layers & LayerBit.ipv4) !== 0 &&
      ipv4Options(pkt).some((o) => o.type === 131 || o.type === 137),
  },
  {
    name: "malformed_frame",
    why:
      "pcap_ts reports a decode problem (truncated or invalid header) and stops at that layer; " +
      "tshark shows the fields it could read from the broken header",
    matches: (pkt) => pkt.problem !== null,
  },
];

/** tshark protocol names of the layers pcap_ts decodes before IP. */
const LINK_PROTOCOLS_DECODED = new Set([
  "eth",
  "ethertype",
  "vlan",
  "ieee8021ad",
  "sll",
  "null",
  "loop",
  "raw",
  "pppoes",
  "ppp",
]);

function tsharkAvailable(): boolean {
  try {
    return new Deno.Command("tshark", { args: ["-v"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

function listCaptures(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...listCaptures(path));
    else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(path);
  }
  return out.sort();
}

/** tshark's rows for a capture, or null when tshark cannot read it. */
async function tsharkRows(path: string): Promise<Row[] | null> {
  const st = Deno.statSync(path);
  let argsHash = 0;
  for (const ch of TSHARK_ARGS.join(" ")) argsHash = (argsHash * 31 + ch.charCodeAt(0)) >>> 0;
  const key = `${path.replaceAll("/", "_")}_${st.size}_${st.mtime?.getTime() ?? 0}_${
    argsHash.toString(16)
  }.tsv`;
  const cached = `${CACHE_DIR}/${key}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(cached);
  } catch {
    const res = await new Deno.Command("tshark", {
      args: ["-r", path, ...TSHARK_ARGS],
      stdout: "piped",
      stderr: "piped",
    }).output();
    text = new TextDecoder().decode(res.stdout);
    const err = new TextDecoder().decode(res.stderr);
    // tshark exits 2 on a file that ends in the middle of a record but still prints the rest.
    if (text.length === 0 && /isn't a capture file|unknown file format|not a capture/i.test(err)) {
      text = "#unreadable\n";
    }
    Deno.mkdirSync(CACHE_DIR, { recursive: true });
    Deno.writeTextFileSync(cached, text);
  }
  if (text.startsWith("#unreadable")) return null;
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const cols = line.split("\t");
    const row = {} as Row;
    FIELDS.forEach((f, i) => (row[f] = cols[i] ?? ""));
    rows.push(row);
  }
  return rows;
}

/** tshark's row as the compared view. */
function tsharkView(r: Row): View {
  const v6 = r["ip.version"] === "" && r["ipv6.src"] !== "";
  // tshark's ip.version is taken from ipv4 only; a frame whose first IP layer is IPv6 leaves
  // it empty (or holds an inner IPv4's version): use the first IP layer of frame.protocols.
  const protocols = r["frame.protocols"].split(":");
  const firstIp = protocols.find((p) => p === "ip" || p === "ipv6");
  const isV6 = firstIp === "ipv6" || (firstIp === undefined && v6);
  const isV4 = firstIp === "ip";
  // The outermost transport layer in tshark's stack: a TCP inside a UDP tunnel (VXLAN,
  // Geneve, Teredo) is the frame's first tcp, but not the one pcap_ts compares with.
  const afterIp = firstIp === undefined ? [] : protocols.slice(protocols.indexOf(firstIp) + 1);
  const l4 = afterIp.find((p) =>
    p === "tcp" || p === "udp" || p === "icmp" || p === "icmpv6" || p === "ip" || p === "ipv6"
  );
  const useTcp = l4 === "tcp" || ((l4 === "icmp" || l4 === "icmpv6") && r["tcp.srcport"] !== "");
  const useUdp = l4 === "udp" || ((l4 === "icmp" || l4 === "icmpv6") && r["udp.srcport"] !== "");
  const flags = r["tcp.flags"] === "" ? "" : String(parseInt(r["tcp.flags"], 16) & 0xff);
  return {
    ip_version: isV4 ? "4" : isV6 ? "6" : "",
    src: isV4 ? r["ip.src"] : isV6 ? r["ipv6.src"] : "",
    dst: isV4 ? r["ip.dst"] : isV6 ? r["ipv6.dst"] : "",
    proto: isV4 ? r["ip.proto"] : isV6 ? r["ipv6.nxt"] : "",
    src_port: useTcp ? r["tcp.srcport"] : useUdp ? r["udp.srcport"] : "",
    dst_port: useTcp ? r["tcp.dstport"] : useUdp ? r["udp.dstport"] : "",
    tcp_flags: useTcp ? flags : "",
    tcp_seq: useTcp ? r["tcp.seq_raw"] : "",
    tcp_ack: useTcp ? r["tcp.ack_raw"] : "",
    ip_len: isV4 ? r["ip.len"] : isV6 ? r["ipv6.plen"] : "",
    tcp_len: useTcp ? r["tcp.len"] : "",
    udp_len: useUdp ? r["udp.length"] : "",
    icmp_type: l4 === "icmp" ? r["icmp.type"] : l4 === "icmpv6" ? r["icmpv6.type"] : "",
    icmp_code: l4 === "icmp" ? r["icmp.code"] : l4 === "icmpv6" ? r["icmpv6.code"] : "",
  };
}

/** pcap_ts's decoded packet as the compared view (outermost layers). */
function ourView(pkt: Packet, tsharkProtocols: string[]): View {
  const L = pkt.layers;
  const ip = (L & (LayerBit.ipv4 | LayerBit.ipv6)) !== 0;
  const tcp = (L & LayerBit.tcp) !== 0;
  const udp = (L & LayerBit.udp) !== 0;
  const icmp = (L & (LayerBit.icmpv4 | LayerBit.icmpv6)) !== 0;
  const v: View = {
    ip_version: ip ? String(pkt.ip.version) : "",
    src: ip ? ipToString(pkt.ip.version, pkt.ip.src) : "",
    dst: ip ? ipToString(pkt.ip.version, pkt.ip.dst) : "",
    // IPv6: the fixed header's next-header field (tshark's ipv6.nxt), not the upper protocol.
    proto: ip ? String(pkt.ip.version === 4 ? pkt.ip.protocol : pkt.buf[pkt.l3Offset + 6]) : "",
    src_port: tcp ? String(pkt.tcp.srcPort) : udp ? String(pkt.udp.srcPort) : "",
    dst_port: tcp ? String(pkt.tcp.dstPort) : udp ? String(pkt.udp.dstPort) : "",
    tcp_flags: tcp ? String(pkt.tcp.flags) : "",
    tcp_seq: tcp ? String(pkt.tcp.seq) : "",
    tcp_ack: tcp ? String(pkt.tcp.ack) : "",
    ip_len: ip ? String(pkt.ip.version === 4 ? pkt.ip.totalLen : pkt.ip.totalLen - 40) : "",
    // The TCP segment length as the headers give it (tshark's tcp.len), which is the
    // payload length unless the capture was cut short by the snap length.
    tcp_len: tcp ? tcpSegmentLen(pkt) : "",
    udp_len: udp ? String(pkt.udp.length) : "",
    icmp_type: icmp ? String(pkt.icmp.type) : "",
    icmp_code: icmp ? String(pkt.icmp.code) : "",
  };
  // tshark reports the TCP/UDP header quoted in an ICMP error as the frame's first tcp/udp.
  if ((L & LayerBit.icmpQuote) !== 0 && !tcp && !udp) {
    const q = pkt.icmp.quoted;
    if (
      (q.protocol === 6 || q.protocol === 17) &&
      tsharkProtocols.includes(q.protocol === 6 ? "tcp" : "udp")
    ) {
      v.src_port = String(q.srcPort);
      v.dst_port = String(q.dstPort);
    }
  }
  return v;
}

function tcpSegmentLen(pkt: Packet): string {
  // A first fragment holds only part of the segment: tshark gives no tcp.len for it.
  if ((pkt.layers & LayerBit.fragment) !== 0) return "";
  const ip = pkt.ip;
  // Like tshark, bound the datagram by the frame's length on the wire; a length field of 0
  // (segmentation offload, jumbograms) means "the whole frame".
  const zero = ip.version === 4 ? ip.totalLen === 0 : ip.totalLen === 40;
  let ipEnd = pkt.l3Offset + ip.totalLen;
  if (zero || ipEnd > pkt.offset + pkt.len) ipEnd = pkt.offset + pkt.len;
  return String(ipEnd - pkt.l4Offset - pkt.tcp.headerLen);
}

/**
 * Fields tshark leaves out of the comparison on frames where its value cannot be compared:
 * TCP/UDP fields of an ICMP error's quote are compared as ports only.
 */
function normalise(t: View, ours: View, pkt: Packet): void {
  if ((pkt.layers & LayerBit.icmpQuote) !== 0 && (pkt.layers & LayerBit.tcp) === 0) {
    t.tcp_flags = ours.tcp_flags;
    t.tcp_seq = ours.tcp_seq;
    t.tcp_ack = ours.tcp_ack;
    t.tcp_len = ours.tcp_len;
    t.udp_len = ours.udp_len;
  }
}

Deno.test({
  name: "decodeFrame() agrees with tshark on every corpus capture",
  ignore: !tsharkAvailable() || !(() => {
    try {
      return Deno.statSync(CORPUS).isDirectory;
    } catch {
      return false;
    }
  })(),
  async fn() {
    const agree: Record<string, number> = {};
    const total: Record<string, number> = {};
    for (const c of COMPARED) agree[c] = total[c] = 0;
    const known = new Map<string, number>();
    const unexplained: string[] = [];
    let files = 0, framesCompared = 0, framesKnown = 0, countMismatch = 0;
    let rawAgree = 0, rawTotal = 0, dumped = 0;
    const unreadable: string[] = [];
    const pkt = new Packet();
    const frame = newFrame();
    for (const path of listCaptures(CORPUS)) {
      const rows = await tsharkRows(path);
      if (rows === null) {
        unreadable.push(path);
        continue;
      }
      let reader: CaptureFileReader;
      try {
        reader = CaptureFileReader.open(path);
      } catch (e) {
        unexplained.push(`${path}: pcap_ts cannot open a file tshark reads: ${e}`);
        continue;
      }
      files++;
      let n = 0;
      try {
        while (reader.next(frame)) {
          const row = rows[n++];
          if (row === undefined) continue;
          decodeFrame(frame, pkt);
          // The dumps must hold up on every real frame too, malformed ones included.
          dumped += JSON.stringify(packetToJson(pkt)).length > 0 && packetToText(pkt) !== ""
            ? 1
            : 0;
          const protocols = row["frame.protocols"].split(":");
          const t = tsharkView(row);
          const ours = ourView(pkt, protocols);
          normalise(t, ours, pkt);
          const diff = COMPARED.filter((c) => t[c] !== ours[c]);
          rawTotal += COMPARED.length;
          rawAgree += COMPARED.length - diff.length;
          if (diff.length > 0) {
            const rule = KNOWN_DIFFERENCES.find((k) => k.matches(pkt, protocols));
            if (rule !== undefined) {
              known.set(rule.name, (known.get(rule.name) ?? 0) + 1);
              if (VERBOSE_KNOWN) {
                const d = diff.map((c) => `${c} tshark=${t[c]} ours=${ours[c]}`).join(", ");
                console.log(
                  `    known ${rule.name}: ${path.slice(CORPUS.length + 1)}#${n} ` +
                    `[${row["frame.protocols"]}] ${d} ${
                      pkt.problem ? problemName(pkt.problem) : ""
                    }`,
                );
              }
              framesKnown++;
              continue;
            }
            const detail = diff.map((c) => `${c} tshark=${t[c]} ours=${ours[c]}`).join(", ");
            unexplained.push(
              `${path.slice(CORPUS.length + 1)}#${n} [${row["frame.protocols"]}] ${detail}`,
            );
          }
          framesCompared++;
          for (const c of COMPARED) {
            total[c]!++;
            if (t[c] === ours[c]) agree[c]!++;
          }
        }
      } finally {
        reader.close();
      }
      if (n !== rows.length) {
        countMismatch++;
        unexplained.push(
          `${path}: frame count tshark=${rows.length} pcap_ts=${n} (reader error: ${reader.error})`,
        );
      }
    }
    let agreeAll = 0, totalAll = 0;
    console.log(
      `\ntshark differential: ${files} captures, ${framesCompared} frames compared, ` +
        `${framesKnown} frames with known differences, ${unreadable.length} captures tshark cannot read, ` +
        `${countMismatch} captures with a different frame count`,
    );
    for (const c of COMPARED) {
      agreeAll += agree[c]!;
      totalAll += total[c]!;
      const pct = (100 * agree[c]! / Math.max(1, total[c]!)).toFixed(3);
      console.log(`  ${c.padEnd(11)} ${pct}% (${agree[c]}/${total[c]})`);
    }
    const overall = agreeAll / Math.max(1, totalAll);
    console.log(`  overall     ${(100 * overall).toFixed(3)}% (${agreeAll}/${totalAll})`);
    console.log(
      `  raw (known differences counted as disagreement): ${
        (100 * rawAgree / Math.max(1, rawTotal)).toFixed(3)
      }% (${rawAgree}/${rawTotal})`,
    );
    for (const k of KNOWN_DIFFERENCES) {
      console.log(`  known: ${k.name}: ${known.get(k.name) ?? 0} frames (${k.why})`);
    }
    console.log(`  unexplained differences: ${unexplained.length}`);
    for (const u of unexplained.slice(0, VERBOSE ? unexplained.length : 20)) {
      console.log(`    ${u}`);
    }
    assert.ok(framesCompared > 10000, "the corpus should give thousands of frames");
    assert.equal(dumped, framesCompared + framesKnown, "every frame dumps as JSON and text");
    assert.ok(countMismatch === 0, "pcap_ts and tshark must see the same number of frames");
    assert.ok(
      overall >= REQUIRED_AGREEMENT,
      `field agreement ${(100 * overall).toFixed(3)}% is below ${100 * REQUIRED_AGREEMENT}%`,
    );
  },
});

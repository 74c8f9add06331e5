import { assert, assertEquals, assertMatch, assertThrows } from "./_assert.ts";
import { OfflineFilter } from "./filter.ts";
import { PcapError } from "./libpcap.ts";
import { CaptureFileReader, newFrame } from "./file_reader.ts";
import { PcapWriter } from "./pcap_writer.ts";
import type { Frame } from "../decode/packet.ts";

// Hand-built: IPv4/UDP 10.0.0.1:5353 -> 10.0.0.2:53, 4 bytes of payload, checksums zero.
const IPV4_UDP = new Uint8Array([
  0x45,
  0,
  0,
  32,
  0,
  1,
  0,
  0,
  64,
  17,
  0,
  0,
  10,
  0,
  0,
  1,
  10,
  0,
  0,
  2, // IPv4
  0x14,
  0xe9,
  0,
  53,
  0,
  12,
  0,
  0, // UDP
  1,
  2,
  3,
  4,
]);
const ETHERNET = new Uint8Array([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);

function frameOf(bytes: Uint8Array, linkType: number, at: number): Frame {
  // Place the frame at an offset inside a larger buffer, as the file reader hands them.
  const buf = new Uint8Array(at + bytes.length + 16).fill(0xee);
  buf.set(bytes, at);
  return {
    buf,
    offset: at,
    caplen: bytes.length,
    len: bytes.length,
    tsSec: 1,
    tsNsec: 0,
    linkType,
  };
}

const ethFrame = frameOf(new Uint8Array([...ETHERNET, ...IPV4_UDP]), 1, 101);
const rawFrame = frameOf(IPV4_UDP, 12, 7);

Deno.test("OfflineFilter applies one expression to frames of several link types", () => {
  const f = new OfflineFilter("udp dst port 53", 1);
  assertEquals([f.matches(ethFrame), f.matches(rawFrame)], [true, true]);
  f.close();
  const g = new OfflineFilter("udp dst port 54", 1);
  assertEquals([g.matches(ethFrame), g.matches(rawFrame)], [false, false]);
  g.close();
});

Deno.test("OfflineFilter passes no frame of a link type the expression does not fit", () => {
  const f = new OfflineFilter("ether src 02:00:00:00:00:01", 1);
  assertEquals(f.matches(ethFrame), true);
  assertEquals(f.matches(rawFrame), false);
  assert(f.unusable.has(12));
  assertMatch(f.unusable.get(12)!, /^Invalid capture filter "ether src 02:00:00:00:00:01": /);
  f.close();
});

Deno.test("OfflineFilter sees only the frame's captured bytes", () => {
  // caplen cut before the UDP header: "udp dst port 53" cannot match.
  const cut: Frame = { ...ethFrame, caplen: 14 + 20 };
  const f = new OfflineFilter("udp dst port 53", 1);
  assertEquals(f.matches(cut), false);
  f.close();
});

Deno.test("OfflineFilter names an expression that does not compile", () => {
  const e = assertThrows(() => new OfflineFilter("port 99999999", 1), PcapError);
  assertMatch(e.message, /^Invalid capture filter "port 99999999": .*port/);
});

Deno.test("OfflineFilter judges frames in place in a capture file reader's buffer", () => {
  // Hand-built: Ethernet frames alternating UDP port 53 and port 54, some 3 MiB of them so that
  // the reader hands frames from its buffer at many offsets.
  const dns = new Uint8Array([...ETHERNET, ...IPV4_UDP]);
  const other = dns.slice();
  other[14 + 20 + 3] = 54;
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  const w = PcapWriter.create(path, { linkType: 1 });
  const packets = 60000;
  for (let i = 0; i < packets; i++) w.writeRecord(i, 0, i % 3 === 0 ? dns : other);
  w.close();
  try {
    const r = CaptureFileReader.open(path);
    const f = new OfflineFilter("udp dst port 53", r.linkType);
    const frame = newFrame();
    let passed = 0, misjudged = 0;
    while (r.next(frame)) {
      if (f.matches(frame)) passed++;
      if (f.matches(frame) !== (frame.tsSec % 3 === 0)) misjudged++;
    }
    r.close();
    f.close();
    assertEquals([passed, misjudged, r.error], [packets / 3, 0, null]);
  } finally {
    Deno.removeSync(path);
  }
});

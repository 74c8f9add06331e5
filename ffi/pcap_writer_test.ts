import { assertEquals } from "./_assert.ts";
import { PcapWriter } from "./pcap_writer.ts";
import { CaptureFileReader, newFrame } from "./file_reader.ts";
import { openOfflineWithLibpcap } from "./libpcap.ts";

// Hand-built frames.
const frames = [
  { sec: 1700000000, nsec: 1_000, data: new Uint8Array(60).fill(0xab), len: 60 },
  { sec: 1700000001, nsec: 999_999_000, data: new Uint8Array(1514).fill(7), len: 1514 },
  { sec: 1700000002, nsec: 0, data: new Uint8Array(100).fill(1), len: 4000 },
];

for (const nanosecond of [false, true]) {
  Deno.test(`PcapWriter output (${nanosecond ? "ns" : "µs"}) reads back the same in libpcap and the TS reader`, () => {
    const path = Deno.makeTempFileSync({ suffix: ".pcap" });
    const w = PcapWriter.create(path, { linkType: 1, snaplen: 1000, nanosecond });
    for (const f of frames) w.writeRecord(f.sec, f.nsec, f.data, f.len);
    w.close();
    const want = frames.map((f) => [f.sec, f.nsec, Math.min(f.data.length, 1000), f.len]);
    const r = CaptureFileReader.open(path), h = openOfflineWithLibpcap(path);
    const a = newFrame(), b = newFrame();
    const got: number[][] = [], gotLib: number[][] = [];
    while (r.next(a)) got.push([a.tsSec, a.tsNsec, a.caplen, a.len]);
    while (h.next(b)) gotLib.push([b.tsSec, b.tsNsec, b.caplen, b.len]);
    assertEquals(r.error, null);
    assertEquals(h.error, null);
    assertEquals(got, want);
    assertEquals(gotLib, want);
    assertEquals(r.snaplen, 1000);
    r.close();
    h.close();
    Deno.removeSync(path);
  });
}

import { assert, assertEquals } from "./_assert.ts";
import { PcapWriter } from "./pcap_writer.ts";
import { newFrame } from "./file_reader.ts";
import { openOfflineWithLibpcap } from "./libpcap.ts";

/** Frames of growing size with distinct bytes, so that a stale or short view shows. */
function writeGrowing(path: string, count: number): Uint8Array[] {
  const w = PcapWriter.create(path, { linkType: 1, snaplen: 65535 });
  const sent: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(60 + i * 97);
    for (let j = 0; j < data.length; j++) data[j] = (i * 31 + j) & 0xff;
    w.writeRecord(1700000000 + i, i * 1000, data, data.length);
    sent.push(data);
  }
  w.close();
  return sent;
}

for (const maxRemaps of [0, 64]) {
  const mode = maxRemaps === 0 ? "copying every packet" : "viewing libpcap's buffers in place";
  Deno.test(`PcapHandle ${mode} gives every packet's exact bytes and header`, () => {
    const path = Deno.makeTempFileSync({ suffix: ".pcap" });
    try {
      const sent = writeGrowing(path, 200);
      const h = openOfflineWithLibpcap(path, "nano", maxRemaps);
      const f = newFrame();
      let n = 0;
      while (h.next(f)) {
        const want = sent[n]!;
        assertEquals(f.caplen, want.length, `caplen of packet ${n}`);
        assertEquals(f.len, want.length);
        assertEquals(f.tsSec, 1700000000 + n);
        assertEquals(f.tsNsec, n * 1000);
        assertEquals(f.buf.subarray(f.offset, f.offset + f.caplen), want, `bytes of packet ${n}`);
        n++;
      }
      assertEquals(h.error, null);
      assert(h.ended, "end of file reached");
      assertEquals(n, sent.length);
      assertEquals(h.copying, maxRemaps === 0);
      h.close();
      assertEquals(h.next(f), false, "next() after close() reads nothing");
    } finally {
      Deno.removeSync(path);
    }
  });
}

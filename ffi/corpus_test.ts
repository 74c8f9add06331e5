/**
 * Differential test: for every capture under the shared corpus, the TypeScript reader yields
 * exactly the frames that libpcap's pcap_open_offline + pcap_next_ex yield (count, timestamps
 * to the nanosecond, caplen, len, bytes, link type). Where libpcap refuses a file or stops
 * with an error, the frames it did give must match, and the TS reader must not crash.
 *
 * The corpus is read in place (PCAP_TS_CORPUS or /work/shared/corpus); never copied.
 */
import { assert, assertEquals } from "./_assert.ts";
import { CaptureFileError, CaptureFileReader, newFrame } from "./file_reader.ts";
import { openOfflineWithLibpcap, PcapError, type PcapHandle } from "./libpcap.ts";

const CORPUS = Deno.env.get("PCAP_TS_CORPUS") ?? "/work/shared/corpus";
const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp|dump|trace)$/i;

function findCaptures(dir: string, out: string[] = []): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) findCaptures(p, out);
    else if (e.isFile && CAPTURE_NAME.test(e.name)) out.push(p);
  }
  return out;
}

const captures = findCaptures(CORPUS);

/**
 * libpcap's timestamp precision to compare with: a microsecond pcap file is read at its own
 * precision, so that libpcap's raw (possibly out-of-range) fraction is seen unscaled;
 * nanosecond pcap and pcapng files at nanoseconds.
 */
function nativePrecision(path: string): "micro" | "nano" {
  const head = new Uint8Array(4);
  const f = Deno.openSync(path);
  try {
    f.readSync(head);
  } finally {
    f.close();
  }
  const v = new DataView(head.buffer);
  const microMagic = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, false) === 0xa1b2c3d4 ||
    v.getUint32(0, true) === 0xa1b2cd34 || v.getUint32(0, false) === 0xa1b2cd34;
  return microMagic ? "micro" : "nano";
}

Deno.test({
  name: "CaptureFileReader gives the same frames as libpcap on every corpus capture",
  ignore: captures.length === 0,
  fn() {
    const refusedByLibpcap: string[] = [];
    const stoppedByLibpcap: string[] = [];
    const endedEarlyTs: string[] = [];
    let files = 0, frames = 0;
    const a = newFrame(), b = newFrame();
    for (const path of captures) {
      let lib: PcapHandle;
      try {
        lib = openOfflineWithLibpcap(path, nativePrecision(path));
      } catch (e) {
        if (!(e instanceof PcapError)) throw e;
        refusedByLibpcap.push(`${path}: ${e.message}`);
        // The TS reader must either refuse it too, with a CaptureFileError, or read it.
        try {
          const r = CaptureFileReader.open(path);
          while (r.next(a)) { /* must not throw */ }
          r.close();
        } catch (e2) {
          assert(e2 instanceof CaptureFileError, `${path}: ${e2}`);
        }
        continue;
      }
      files++;
      const ts = CaptureFileReader.open(path);
      assertEquals(ts.linkType, lib.linkType, `${path}: link type`);
      let n = 0;
      for (;;) {
        const gotLib = lib.next(b);
        if (!gotLib) {
          if (lib.error !== null) {
            stoppedByLibpcap.push(`${path}: after ${n} frames: ${lib.error}`);
          } else {
            // libpcap reached the end: so must the TS reader, without an error.
            assertEquals(
              ts.next(a),
              false,
              `${path}: TS reader has more frames than libpcap (${n})`,
            );
            assertEquals(ts.error, null, `${path}: TS reader error`);
          }
          break;
        }
        const gotTs = ts.next(a);
        assert(gotTs, `${path}: TS reader stopped at frame ${n} (${ts.error}), libpcap did not`);
        const where = `${path} frame ${n}`;
        // libpcap passes an out-of-range fraction of a second through; the TS reader carries
        // it into the seconds (Frame.tsNsec stays below 1e9).
        if (b.tsNsec >= 1e9) {
          b.tsSec += Math.floor(b.tsNsec / 1e9);
          b.tsNsec %= 1e9;
        }
        assertEquals(
          [a.tsSec, a.tsNsec, a.caplen, a.len, a.linkType],
          [b.tsSec, b.tsNsec, b.caplen, b.len, b.linkType],
          where,
        );
        const x = a.buf.subarray(a.offset, a.offset + a.caplen);
        const y = b.buf.subarray(b.offset, b.offset + b.caplen);
        for (let i = 0; i < x.length; i++) {
          if (x[i] !== y[i]) assert(false, `${where}: byte ${i} differs`);
        }
        n++;
      }
      if (ts.error !== null) endedEarlyTs.push(`${path}: ${ts.error}`);
      frames += n;
      ts.close();
      lib.close();
    }
    console.log(
      `compared ${files} of ${captures.length} captures, ${frames} frames` +
        (refusedByLibpcap.length ? `\nlibpcap refused:\n  ${refusedByLibpcap.join("\n  ")}` : "") +
        (stoppedByLibpcap.length
          ? `\nlibpcap stopped with an error (frames before it matched):\n  ${
            stoppedByLibpcap.join("\n  ")
          }`
          : "") +
        (endedEarlyTs.length ? `\nTS reader errors:\n  ${endedEarlyTs.join("\n  ")}` : ""),
    );
    assert(files > 0, "no corpus capture was compared");
  },
});

/** Compares the TS reader with libpcap on one file; returns the frame count. */
function compareWithLibpcap(path: string): number {
  const ts = CaptureFileReader.open(path);
  const lib = openOfflineWithLibpcap(path, nativePrecision(path));
  const a = newFrame(), b = newFrame();
  let n = 0;
  while (lib.next(b)) {
    assert(ts.next(a), `${path}: TS reader stopped at frame ${n}: ${ts.error}`);
    assertEquals(
      [a.tsSec, a.tsNsec, a.caplen, a.len, a.linkType],
      [b.tsSec, b.tsNsec, b.caplen, b.len, b.linkType],
      `${path} frame ${n}`,
    );
    const x = a.buf.subarray(a.offset, a.offset + a.caplen);
    const y = b.buf.subarray(b.offset, b.offset + b.caplen);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) assert(false, `frame ${n} byte ${i}`);
    n++;
  }
  assertEquals(lib.error, null);
  assertEquals(ts.next(a), false);
  assertEquals(ts.error, null);
  ts.close();
  lib.close();
  return n;
}

Deno.test({
  name: "CaptureFileReader matches libpcap on a generated capture in editcap's pcap variants",
  ignore: (await new Deno.Command("editcap", { args: ["-h"], stdout: "null", stderr: "null" })
    .output().then((o) => o.code, () => 1)) !== 0,
  async fn() {
    const { generateCapture } = await import("../scripts/gen_capture.ts");
    const dir = Deno.makeTempDirSync();
    try {
      const pcap = `${dir}/gen.pcap`;
      generateCapture(pcap, 30000); // about 11 MB: many 1 MiB buffer boundaries
      assertEquals(compareWithLibpcap(pcap), 30000);
      // pcapng; nanosecond pcap; Kuznetsov's modified pcap (24-byte record headers). Not the
      // RedHat 6.1 and SuSE 6.3 variants: libpcap cannot read them (their magic numbers do not
      // tell their record header sizes), and neither can this reader.
      for (const format of ["pcapng", "nsecpcap", "modpcap"]) {
        const out = `${dir}/gen.${format}`;
        const r = await new Deno.Command("editcap", {
          args: ["-F", format, pcap, out],
          stderr: "piped",
        }).output();
        assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
        assertEquals(compareWithLibpcap(out), 30000, format);
      }
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

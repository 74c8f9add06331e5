import { assert, assertEquals, assertThrows } from "./_assert.ts";
import fc from "fast-check";
import { CaptureFileError, CaptureFileReader, MAX_CAPLEN, newFrame } from "./file_reader.ts";
import { PcapWriter } from "./pcap_writer.ts";
import { OfflineFilter } from "./filter.ts";
import type { Frame } from "../decode/packet.ts";

// All fixtures here are hand-built by the helpers below.

function tmpFile(bytes: Uint8Array): string {
  const path = Deno.makeTempFileSync({ suffix: ".cap" });
  Deno.writeFileSync(path, bytes);
  return path;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A pcap global header. */
function pcapHeader(
  opts: { le?: boolean; magic?: number; snaplen?: number; linkType?: number; minor?: number } = {},
): Uint8Array {
  const le = opts.le ?? true;
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, opts.magic ?? 0xa1b2c3d4, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, opts.minor ?? 4, le);
  v.setUint32(16, opts.snaplen ?? 65535, le);
  v.setUint32(20, opts.linkType ?? 1, le);
  return h;
}

/** A pcap record: header and data. */
function pcapRecord(
  sec: number,
  frac: number,
  data: Uint8Array,
  opts: { le?: boolean; caplen?: number; len?: number } = {},
): Uint8Array {
  const le = opts.le ?? true;
  const r = new Uint8Array(16 + data.length);
  const v = new DataView(r.buffer);
  v.setUint32(0, sec, le);
  v.setUint32(4, frac, le);
  v.setUint32(8, opts.caplen ?? data.length, le);
  v.setUint32(12, opts.len ?? data.length, le);
  r.set(data, 16);
  return r;
}

/** A pcapng block with the given type and body (padded to 4 bytes). */
function block(type: number, body: Uint8Array, le = true): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, len, le);
  b.set(body, 8);
  v.setUint32(len - 4, len, le);
  return b;
}

function bytesOf(n: number, f: (v: DataView) => void): Uint8Array {
  const b = new Uint8Array(n);
  f(new DataView(b.buffer));
  return b;
}

function shb(le = true): Uint8Array {
  return block(
    0x0a0d0d0a,
    bytesOf(16, (v) => {
      v.setUint32(0, 0x1a2b3c4d, le);
      v.setUint16(4, 1, le);
      v.setUint16(6, 0, le);
      v.setInt32(8, -1, le);
      v.setInt32(12, -1, le);
    }),
    le,
  );
}

/** IDB; `tsresol` byte and `tsoffset` seconds as options when given. */
function idb(
  linkType: number,
  snaplen: number,
  opts: { le?: boolean; tsresol?: number; tsoffset?: number } = {},
): Uint8Array {
  const le = opts.le ?? true;
  const parts: Uint8Array[] = [bytesOf(8, (v) => {
    v.setUint16(0, linkType, le);
    v.setUint32(4, snaplen, le);
  })];
  if (opts.tsresol !== undefined) {
    parts.push(bytesOf(8, (v) => {
      v.setUint16(0, 9, le);
      v.setUint16(2, 1, le);
      v.setUint8(4, opts.tsresol!);
    }));
  }
  if (opts.tsoffset !== undefined) {
    parts.push(bytesOf(12, (v) => {
      v.setUint16(0, 14, le);
      v.setUint16(2, 8, le);
      v.setBigInt64(4, BigInt(opts.tsoffset!), le);
    }));
  }
  parts.push(new Uint8Array(4)); // opt_endofopt
  return block(1, concat(...parts), le);
}

function epb(ifId: number, ts: bigint, data: Uint8Array, le = true, wireLen?: number): Uint8Array {
  return block(
    6,
    concat(
      bytesOf(20, (v) => {
        v.setUint32(0, ifId, le);
        v.setUint32(4, Number(ts >> 32n), le);
        v.setUint32(8, Number(ts & 0xffffffffn), le);
        v.setUint32(12, data.length, le);
        v.setUint32(16, wireLen ?? data.length, le);
      }),
      data,
    ),
    le,
  );
}

function spb(data: Uint8Array, wireLen: number, le = true): Uint8Array {
  return block(3, concat(bytesOf(4, (v) => v.setUint32(0, wireLen, le)), data), le);
}

function obsoletePb(ifId: number, ts: bigint, data: Uint8Array, le = true): Uint8Array {
  return block(
    2,
    concat(
      bytesOf(20, (v) => {
        v.setUint16(0, ifId, le);
        v.setUint32(4, Number(ts >> 32n), le);
        v.setUint32(8, Number(ts & 0xffffffffn), le);
        v.setUint32(12, data.length, le);
        v.setUint32(16, data.length, le);
      }),
      data,
    ),
    le,
  );
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

interface Seen {
  tsSec: number;
  tsNsec: number;
  caplen: number;
  len: number;
  linkType: number;
  bytes: number[];
}

/** What a test compares of a frame (its bytes copied out). */
function seen(f: Frame): Seen {
  return {
    tsSec: f.tsSec,
    tsNsec: f.tsNsec,
    caplen: f.caplen,
    len: f.len,
    linkType: f.linkType,
    bytes: Array.from(f.buf.subarray(f.offset, f.offset + f.caplen)),
  };
}

function readAll(
  path: string,
): { frames: Seen[]; error: string | null; reader: CaptureFileReader } {
  const r = CaptureFileReader.open(path);
  const f: Frame = newFrame();
  const frames: Seen[] = [];
  while (r.next(f)) frames.push(seen(f));
  r.close();
  return { frames, error: r.error, reader: r };
}

// pcap

Deno.test("CaptureFileReader reads little-endian microsecond pcap", () => {
  const path = tmpFile(concat(
    pcapHeader({ linkType: 1 }),
    pcapRecord(1700000000, 123456, pattern(60, 1)),
    pcapRecord(1700000001, 999999, pattern(42, 2), { len: 1514 }),
  ));
  const { frames, error, reader } = readAll(path);
  assertEquals(reader.format, "pcap");
  assertEquals(reader.linkType, 1);
  assertEquals(error, null);
  assertEquals(frames, [
    {
      tsSec: 1700000000,
      tsNsec: 123456000,
      caplen: 60,
      len: 60,
      linkType: 1,
      bytes: Array.from(pattern(60, 1)),
    },
    {
      tsSec: 1700000001,
      tsNsec: 999999000,
      caplen: 42,
      len: 1514,
      linkType: 1,
      bytes: Array.from(pattern(42, 2)),
    },
  ]);
});

Deno.test("CaptureFileReader reads big-endian nanosecond pcap and maps LINKTYPE_RAW to DLT_RAW", () => {
  const path = tmpFile(concat(
    pcapHeader({ le: false, magic: 0xa1b23c4d, linkType: 101 }),
    pcapRecord(5, 987654321, pattern(20, 3), { le: false }),
  ));
  const { frames, error, reader } = readAll(path);
  assertEquals(reader.linkType, 12);
  assertEquals(error, null);
  assertEquals(frames.length, 1);
  assertEquals(frames[0]!.tsNsec, 987654321);
  assertEquals(frames[0]!.linkType, 12);
  assertEquals(frames[0]!.bytes, Array.from(pattern(20, 3)));
});

Deno.test("CaptureFileReader reports a truncated record header with its byte offset", () => {
  const path = tmpFile(concat(
    pcapHeader(),
    pcapRecord(1, 0, pattern(10, 1)),
    new Uint8Array(7),
  ));
  const { frames, error } = readAll(path);
  assertEquals(frames.length, 1);
  assertEquals(
    error,
    "truncated pcap record header at byte 50: 16 bytes needed, 7 left in the file",
  );
});

Deno.test("CaptureFileReader reports truncated frame data with its byte offset", () => {
  const full = concat(
    pcapHeader(),
    pcapRecord(1, 0, pattern(10, 1)),
    pcapRecord(2, 0, pattern(100, 2)),
  );
  const path = tmpFile(full.subarray(0, full.length - 30));
  const { frames, error } = readAll(path);
  assertEquals(frames.length, 1);
  assertEquals(
    error,
    "truncated record at byte 50: 100 bytes of frame data expected, 70 left in the file",
  );
});

Deno.test("CaptureFileReader cuts records above the snaplen as libpcap does, and rejects absurd ones", () => {
  const above = tmpFile(concat(
    pcapHeader({ snaplen: 64 }),
    pcapRecord(1, 0, pattern(70, 1)),
    pcapRecord(2, 0, pattern(10, 2)),
  ));
  const a = readAll(above);
  assertEquals(a.error, null);
  assertEquals(a.frames.map((f) => [f.tsSec, f.caplen, f.len]), [[1, 64, 70], [2, 10, 10]]);
  assertEquals(a.frames[0]!.bytes, Array.from(pattern(70, 1).subarray(0, 64)));
  const absurd = tmpFile(concat(
    pcapHeader({ snaplen: 0 }),
    pcapRecord(1, 0, pattern(4, 1), { caplen: 0x7fffffff }),
  ));
  const b = readAll(absurd);
  assertEquals(b.frames.length, 0);
  assertEquals(
    b.error,
    "corrupt pcap record at byte 24: captured length 2147483647 is above the maximum of 262144",
  );
});

Deno.test("CaptureFileReader swaps caplen and len of pcap 2.2 files as libpcap does", () => {
  const path = tmpFile(concat(
    pcapHeader({ minor: 2 }),
    pcapRecord(1, 0, pattern(8, 1), { caplen: 100, len: 8 }),
  ));
  const { frames, error } = readAll(path);
  assertEquals(error, null);
  assertEquals([frames[0]!.caplen, frames[0]!.len], [8, 100]);
});

Deno.test("CaptureFileReader hands frames straddling its 1 MiB buffer intact", () => {
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  const w = PcapWriter.create(path, { snaplen: 262144 });
  const sizes: number[] = [];
  let total = 0;
  for (let i = 0; total < 5 * (1 << 20); i++) {
    // Sizes from 0 to 70000 bytes, some well past a quarter of the buffer.
    const n = (i * 7919) % 70001;
    sizes.push(n);
    total += n + 16;
    w.writeRecord(i, i * 1000, pattern(n, i));
  }
  w.close();
  const r = CaptureFileReader.open(path);
  const f = newFrame();
  let i = 0;
  while (r.next(f)) {
    assertEquals(f.caplen, sizes[i]);
    assertEquals(f.tsSec, i);
    const want = pattern(sizes[i]!, i);
    const got = f.buf.subarray(f.offset, f.offset + f.caplen);
    assert(got.every((b, j) => b === want[j]), `frame ${i} bytes differ`);
    assert(f.buf === r.buffer, "frames are views into the reader's buffer");
    i++;
  }
  assertEquals(r.error, null);
  assertEquals(i, sizes.length);
  r.close();
  Deno.removeSync(path);
});

// pcapng

Deno.test("CaptureFileReader reads pcapng with if_tsresol, if_tsoffset, EPB, SPB and obsolete PB", () => {
  const path = tmpFile(concat(
    shb(),
    idb(1, 0, { tsresol: 9 }), // interface 0: Ethernet, nanoseconds
    block(0x0bad, new Uint8Array(10)), // unknown block: skipped
    idb(101, 128, { tsresol: 0x80 | 10, tsoffset: 100 }), // interface 1: raw IP, 2^-10 s, +100 s
    epb(0, 1700000000_123456789n, pattern(60, 1), true, 1000),
    epb(1, (5n << 10n) | 512n, pattern(30, 2)),
    spb(pattern(40, 3), 40),
    obsoletePb(0, 1700000001_000000001n, pattern(50, 4)),
  ));
  const { frames, error, reader } = readAll(path);
  assertEquals(reader.format, "pcapng");
  assertEquals(reader.linkType, 1);
  assertEquals(error, null);
  assertEquals(frames.map((f) => [f.tsSec, f.tsNsec, f.caplen, f.len, f.linkType]), [
    [1700000000, 123456789, 60, 1000, 1],
    [105, 500000000, 30, 30, 12],
    [0, 0, 40, 40, 1],
    [1700000001, 1, 50, 50, 1],
  ]);
  assertEquals(frames[2]!.bytes, Array.from(pattern(40, 3)));
});

Deno.test("CaptureFileReader reads a second pcapng section of the other byte order", () => {
  const path = tmpFile(concat(
    shb(true),
    idb(1, 65535),
    epb(0, 1_000001n, pattern(20, 1)),
    shb(false),
    idb(113, 65535, { le: false }),
    epb(0, 2_000002n, pattern(21, 2), false),
  ));
  const { frames, error } = readAll(path);
  assertEquals(error, null);
  assertEquals(frames.map((f) => [f.tsSec, f.tsNsec, f.linkType, f.caplen]), [
    [1, 1000, 1, 20],
    [2, 2000, 113, 21],
  ]);
});

Deno.test("CaptureFileReader reports pcapng packets on an undeclared interface and bad blocks", () => {
  const noIdb = readAll(tmpFile(concat(shb(), idb(1, 0), epb(3, 0n, pattern(4, 1)))));
  assertEquals(noIdb.frames.length, 0);
  assertEquals(
    noIdb.error,
    "corrupt packet block at byte 52: interface 3 has no interface description block",
  );
  const badLen = new Uint8Array(concat(shb(), idb(1, 0), epb(0, 0n, pattern(4, 1))));
  new DataView(badLen.buffer).setUint32(52 + 4, 13, true);
  assertEquals(
    readAll(tmpFile(badLen)).error,
    "corrupt pcapng block at byte 52: bad block length 13",
  );
  const capTooBig = new Uint8Array(concat(shb(), idb(1, 0), epb(0, 0n, pattern(4, 1))));
  new DataView(capTooBig.buffer).setUint32(52 + 20, 400, true);
  assertEquals(
    readAll(tmpFile(capTooBig)).error,
    "corrupt enhanced packet block at byte 52: captured length 400 exceeds the block",
  );
  const full = concat(shb(), idb(1, 0), epb(0, 0n, pattern(40, 1)));
  const cut = readAll(tmpFile(full.subarray(0, full.length - 8)));
  assertEquals(
    cut.error,
    "truncated packet block at byte 52: 72 bytes needed, 64 left in the file",
  );
});

// Opening

Deno.test("CaptureFileReader.open() names the file and the problem", () => {
  const missing = "/nonexistent/dir/x.pcap";
  const e1 = assertThrows(() => CaptureFileReader.open(missing), CaptureFileError);
  assertEquals(e1.message, `Cannot open capture file "${missing}": no such file`);
  assertEquals(e1.name, "CaptureFileError");
  assert(e1.cause instanceof Deno.errors.NotFound);
  const empty = tmpFile(new Uint8Array(0));
  assertEquals(
    assertThrows(() => CaptureFileReader.open(empty), CaptureFileError).message,
    `Cannot read capture file "${empty}": the file is empty`,
  );
  const text = tmpFile(new TextEncoder().encode("hello world"));
  assertEquals(
    assertThrows(() => CaptureFileReader.open(text), CaptureFileError).message,
    `Cannot read capture file "${text}": not a pcap or pcapng file (first bytes 68 65 6c 6c; expected a pcap magic a1b2c3d4/a1b23c4d in either byte order, or pcapng 0a 0d 0d 0a)`,
  );
  const short = tmpFile(pcapHeader().subarray(0, 10));
  assertEquals(
    assertThrows(() => CaptureFileReader.open(short), CaptureFileError).message,
    `Cannot read capture file "${short}": truncated pcap file header: 10 of 24 bytes`,
  );
  const dir = Deno.makeTempDirSync();
  assertThrows(() => CaptureFileReader.open(dir), CaptureFileError);
});

// Garbage

Deno.test("CaptureFileReader never throws from next() on random bytes after a valid header", () => {
  const f = newFrame();
  fc.assert(
    fc.property(
      fc.constantFrom<"pcap-le" | "pcap-be" | "pcapng">("pcap-le", "pcap-be", "pcapng"),
      fc.uint8Array({ maxLength: 3000 }),
      (kind, tail) => {
        const head = kind === "pcapng"
          ? concat(shb(), idb(1, 0))
          : pcapHeader({ le: kind === "pcap-le", snaplen: 0 });
        const path = tmpFile(concat(head, tail));
        try {
          const r = CaptureFileReader.open(path);
          let n = 0;
          while (r.next(f)) {
            n++;
            if (f.caplen > MAX_CAPLEN || f.offset + f.caplen > f.buf.length) return false;
          }
          r.close();
          return n <= tail.length;
        } finally {
          Deno.removeSync(path);
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("CaptureFileReader never throws from next() on a mangled valid pcapng", () => {
  const good = concat(
    shb(),
    idb(1, 0, { tsresol: 9 }),
    epb(0, 1n, pattern(60, 1)),
    spb(pattern(40, 3), 40),
    shb(false),
    idb(1, 0, { le: false }),
    epb(0, 2n, pattern(60, 1), false),
  );
  const f = newFrame();
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
        maxLength: 8,
      }),
      fc.nat(good.length),
      (edits, cut) => {
        const bytes = good.slice(0, Math.max(cut, 4));
        bytes.set([0x0a, 0x0d, 0x0d, 0x0a], 0);
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        const path = tmpFile(bytes);
        try {
          let r: CaptureFileReader;
          try {
            r = CaptureFileReader.open(path);
          } catch (e) {
            return e instanceof CaptureFileError;
          }
          while (r.next(f)) {
            if (f.offset + f.caplen > f.buf.length) return false;
          }
          r.close();
          return true;
        } finally {
          Deno.removeSync(path);
        }
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("CaptureFileReader carries an out-of-range fraction of a second into the seconds", () => {
  const path = tmpFile(concat(
    pcapHeader(),
    pcapRecord(10, 2147483648, pattern(4, 1)), // µs field 2147483648: 2147 s 483648 µs
  ));
  const { frames, error } = readAll(path);
  assertEquals(error, null);
  assertEquals([frames[0]!.tsSec, frames[0]!.tsNsec], [10 + 2147, 483648000]);
});

Deno.test("CaptureFileReader skips unknown pcapng blocks larger than its buffer", () => {
  const big = block(0x0bad0bad, new Uint8Array(3 * 1024 * 1024 + 5));
  const path = tmpFile(concat(
    shb(),
    idb(1, 0),
    epb(0, 1n, pattern(60, 1)),
    big,
    epb(0, 2n, pattern(61, 2)),
  ));
  const { frames, error } = readAll(path);
  assertEquals(error, null);
  assertEquals(frames.map((f) => [f.tsNsec, f.caplen]), [[1000, 60], [2000, 61]]);
  assertEquals(frames[1]!.bytes, Array.from(pattern(61, 2)));
  // The same block cut short: a truncation at its offset, not a throw.
  const cut = tmpFile(
    concat(shb(), idb(1, 0), epb(0, 1n, pattern(60, 1)), big.subarray(0, 2_000_000)),
  );
  const c = readAll(cut);
  assertEquals(c.frames.length, 1);
  assertEquals(c.error, `truncated pcapng block (type 0xbad0bad) at byte 144: ${big.length} bytes`);
});

// Where the bytes come from

Deno.test("CaptureFileReader hands views into its buffer, and no frame after close()", () => {
  const path = tmpFile(concat(
    pcapHeader(),
    pcapRecord(1, 0, pattern(60, 1)),
    pcapRecord(2, 0, pattern(61, 2)),
  ));
  const r = CaptureFileReader.open(path);
  const f = newFrame();
  assert(r.next(f));
  assert(f.buf === r.buffer);
  assertEquals(f.offset, 40);
  assertEquals(
    Array.from(f.buf.subarray(f.offset, f.offset + f.caplen)),
    Array.from(pattern(60, 1)),
  );
  r.close();
  assertEquals(r.next(f), false);
  assertEquals(r.error, null);
  r.close();
  Deno.removeSync(path);
});

Deno.test("CaptureFileReader reads records appended to the file after it was opened", () => {
  const path = tmpFile(concat(pcapHeader(), pcapRecord(1, 0, pattern(60, 1))));
  const r = CaptureFileReader.open(path);
  Deno.writeFileSync(path, pcapRecord(2, 0, pattern(61, 2)), { append: true });
  const f = newFrame();
  assert(r.next(f));
  assertEquals(f.tsSec, 1);
  assert(r.next(f));
  assertEquals([f.tsSec, f.caplen], [2, 61]);
  assertEquals(r.next(f), false);
  assertEquals(r.error, null);
  r.close();
  Deno.removeSync(path);
});

/** Reads `bytes` through a FIFO (written by `cat`), as `readAll` reads a file. */
async function readThroughFifo(
  bytes: Uint8Array,
): Promise<{ frames: Seen[]; error: string | null }> {
  const dir = Deno.makeTempDirSync();
  try {
    const src = `${dir}/src.cap`;
    Deno.writeFileSync(src, bytes);
    const fifo = `${dir}/fifo`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assertEquals(mk.code, 0);
    // The writer blocks until the reader opens the FIFO, and the reader until the writer does;
    // the writer may also stop early (EPIPE) when the reader ends on an error.
    const writer = new Deno.Command("sh", {
      args: ["-c", `cat "$0" > "$1" 2>/dev/null; exit 0`, src, fifo],
    }).spawn();
    const r = CaptureFileReader.open(fifo);
    const f = newFrame();
    const frames: Seen[] = [];
    while (r.next(f)) frames.push(seen(f));
    r.close();
    await writer.status;
    return { frames, error: r.error };
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("CaptureFileReader reads a FIFO in chunks, skipping blocks by reading them", async () => {
  const ng = concat(
    shb(),
    idb(1, 0),
    epb(0, 1n, pattern(60, 1)),
    block(0x0bad0bad, new Uint8Array(3 * 1024 * 1024 + 5)), // skipped by reading it
    shb(false),
    idb(113, 0, { le: false }),
    epb(0, 2n, pattern(70000, 2), false),
    epb(0, 3n, pattern(10, 3), false),
  );
  const pcap = concat(
    pcapHeader({ snaplen: 64 }),
    pcapRecord(1, 0, pattern(70, 1)),
    pcapRecord(2, 0, pattern(10, 2)),
  );
  const cases = [ng, ng.subarray(0, 2_000_000), pcap, pcap.subarray(0, pcap.length - 3)];
  for (const bytes of cases) {
    const fromFifo = await readThroughFifo(bytes);
    const fromFile = readAll(tmpFile(bytes));
    assertEquals(fromFifo, { frames: fromFile.frames, error: fromFile.error });
  }
  assertEquals((await readThroughFifo(ng)).frames.map((f) => [f.tsNsec, f.caplen, f.linkType]), [
    [1000, 60, 1],
    [2000, 70000, 113],
    [3000, 10, 113],
  ]);
});

Deno.test("CaptureFileReader survives its file being cut shorter while it reads it", () => {
  // Hand-built: 3 MiB of 1000-byte records, cut to about 1.5 MiB after the first frame.
  const path = Deno.makeTempFileSync({ suffix: ".pcap" });
  const w = PcapWriter.create(path);
  const count = 3000;
  for (let i = 0; i < count; i++) w.writeRecord(i, 0, pattern(1000, i));
  w.close();
  const r = CaptureFileReader.open(path);
  const f = newFrame();
  assert(r.next(f));
  Deno.truncateSync(path, 1_500_000);
  let i = 1;
  while (r.next(f)) {
    assertEquals(f.tsSec, i);
    const want = pattern(1000, i);
    assert(f.buf.subarray(f.offset, f.offset + f.caplen).every((b, j) => b === want[j]));
    i++;
  }
  // What was read before the cut, then the end of the file as it is now.
  assert(i > 1 && i < count, `${i} frames`);
  assert(r.error === null || r.error.startsWith("truncated"), `${r.error}`);
  r.close();
  Deno.removeSync(path);
});

// Reading ahead on a Worker

/** Every frame and the error of `path`, read with or without the read-ahead Worker. */
function readAllWith(
  path: string,
  readAhead: boolean,
): { frames: Seen[]; error: string | null; handedOver: boolean; filtered: boolean[] } {
  const r = CaptureFileReader.open(path, { readAhead });
  if (readAhead) assert(r.awaitReadAhead(10_000), "the read-ahead Worker started");
  const filter = new OfflineFilter("len > 1000 and ether[20] < 128", 1);
  const f: Frame = newFrame();
  const frames: Seen[] = [];
  const filtered: boolean[] = [];
  while (r.next(f)) {
    frames.push(seen(f));
    if (f.linkType === 1) filtered.push(filter.matches(f));
  }
  const handedOver = r.readingAhead;
  r.close();
  filter.close();
  return { frames, error: r.error, handedOver, filtered };
}

Deno.test("CaptureFileReader reading ahead on a Worker hands the same frames and errors as reading alone", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // pcap: 9 MiB of records from 0 to 70000 bytes, straddling every 1 MiB slot.
    const pcapPath = `${dir}/a.pcap`;
    const w = PcapWriter.create(pcapPath, { snaplen: 262144 });
    let total = 0;
    for (let i = 0; total < 9 * (1 << 20); i++) {
      const n = (i * 7919) % 70001;
      total += n + 16;
      w.writeRecord(i, i * 1000, pattern(n, i));
    }
    w.close();
    const pcap = Deno.readFileSync(pcapPath);
    // pcapng: unknown blocks larger than a slot (skipped through the slots), a section of
    // the other byte order, and records around them.
    const parts: Uint8Array[] = [shb(), idb(1, 0)];
    for (let i = 0; i < 300; i++) parts.push(epb(0, BigInt(i), pattern((i * 4099) % 9000, i)));
    parts.push(block(0x0bad0bad, new Uint8Array(3 * 1024 * 1024 + 5)));
    parts.push(shb(false), idb(113, 0, { le: false }));
    for (let i = 0; i < 300; i++) {
      parts.push(epb(0, BigInt(i), pattern((i * 7001) % 60000, i), false));
    }
    const ng = concat(...parts);
    const cases: [string, Uint8Array][] = [
      ["pcap", pcap],
      ["pcap cut inside a record", pcap.subarray(0, pcap.length - 1000)],
      ["pcapng", ng],
      ["pcapng cut inside the big block", ng.subarray(0, 3_000_000)],
    ];
    for (const [name, bytes] of cases) {
      const path = `${dir}/case.cap`;
      Deno.writeFileSync(path, bytes);
      const alone = readAllWith(path, false);
      const ahead = readAllWith(path, true);
      assert(ahead.handedOver, `${name}: the Worker took over the reading`);
      assert(!alone.handedOver);
      assert(alone.frames.length > 100, `${name}: ${alone.frames.length} frames`);
      assertEquals(ahead.error, alone.error, `${name}: the same error, at the same byte`);
      assertEquals(ahead.frames.length, alone.frames.length, `${name}: frame count`);
      for (let i = 0; i < alone.frames.length; i++) {
        assertEquals(ahead.frames[i], alone.frames[i], `${name}: frame ${i}`);
      }
      assertEquals(ahead.filtered, alone.filtered, `${name}: BPF on frames in shared memory`);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test('CaptureFileReader reads ahead only when asked, and with "auto" only on files of 16 MiB or more', () => {
  const dir = Deno.makeTempDirSync();
  try {
    const small = `${dir}/small.pcap`;
    Deno.writeFileSync(small, concat(pcapHeader(), pcapRecord(1, 0, pattern(60, 1))));
    const large = `${dir}/large.pcap`;
    const w = PcapWriter.create(large);
    for (let i = 0; i < 17_000; i++) w.writeRecord(i, 0, pattern(1024, i));
    w.close();
    const worker = (path: string, readAhead?: boolean | "auto") => {
      const r = CaptureFileReader.open(path, readAhead === undefined ? {} : { readAhead });
      const started = r.awaitReadAhead(10_000);
      r.close();
      return started;
    };
    assertEquals(worker(large), false, "no Worker by default");
    assertEquals(worker(small, "auto"), false, "no Worker for a small file");
    assertEquals(worker(large, "auto"), true, "a Worker for a file of 16 MiB or more");
    assertEquals(worker(small, true), true, "a Worker whenever asked");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("A reader reading ahead that is never closed does not keep the program alive", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/a.pcap`;
    const w = PcapWriter.create(path);
    for (let i = 0; i < 6000; i++) w.writeRecord(i, 0, pattern(1000, i));
    w.close();
    const reader = new URL("./file_reader.ts", import.meta.url).href;
    const code = `
      import { CaptureFileReader, newFrame } from "${reader}";
      const r = CaptureFileReader.open(${JSON.stringify(path)}, { readAhead: true });
      if (!r.awaitReadAhead(10000)) throw new Error("no Worker");
      const f = newFrame();
      let n = 0;
      while (n < 2000 && r.next(f)) n++;
      console.log(r.readingAhead, n);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const out = await child.output();
    clearTimeout(timer);
    assertEquals(new TextDecoder().decode(out.stderr), "");
    assertEquals(out.code, 0, "the program ended by itself");
    assertEquals(new TextDecoder().decode(out.stdout).trim(), "true 2000");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

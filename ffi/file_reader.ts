/**
 * A pure TypeScript reader of pcap and pcapng capture files (no libpcap), for offline mode.
 *
 * It reads the file in 1 MiB synchronous chunks into one reused buffer and hands each frame
 * as a view: `frame.buf` is that buffer and `frame.offset` the frame's first byte. When a
 * record straddles the end of the buffer, the unread tail (less than one record) is moved to
 * the front of the buffer before the next read, so a frame is always contiguous in the one
 * buffer (one small copy per MiB read, none per packet). A file that cannot seek (a FIFO,
 * `/dev/stdin` on a pipe) is read the same way: the magic number read to recognise the
 * format is kept rather than read again, and blocks to skip are read and dropped.
 *
 * Frames match libpcap's `pcap_open_offline` + `pcap_next_ex` (a test compares them on every
 * capture of the corpus): the link type is libpcap's DLT number (LINKTYPE values mapped as
 * libpcap maps them), pcapng timestamps honour `if_tsresol` and `if_tsoffset`, and a frame
 * longer than the file's snapshot length is cut to it as libpcap does (real captures have
 * such records); a captured length above 256 KiB is corruption. Unlike libpcap,
 * pcapng files whose interfaces have different link types or byte orders per section are read
 * to their end, each frame carrying its own interface's link type.
 *
 * Read-ahead (when asked for: `capture.read_ahead`): on a regular file of 16 MiB or more, a
 * Worker reads the next MiBs into a ring of shared buffers while this thread decodes the
 * current one (`_read_ahead.ts`), so the kernel's copy out of the page cache runs on another
 * core. `frame.buf` is then the current shared buffer; the unread tail of one buffer is moved
 * before the start of the next, so a frame is still always contiguous. Until the Worker is ready, and when it cannot start, the
 * reader reads on its own as described above.
 *
 * `next()` never throws: a truncated or corrupt tail ends the capture, and `error` says what
 * was wrong and at which byte offset.
 *
 * @module
 */

import type { Frame } from "../decode/packet.ts";
import { CHUNK, HEADROOM, READ_AHEAD_MIN_BYTES, ReadAhead } from "./_read_ahead.ts";

/** Size of the read buffer: one synchronous read per MiB of file. */
export const READ_BUFFER_SIZE = 1 << 20;
/**
 * Largest frame accepted: libpcap's maximum snapshot length (262144) for ordinary link
 * types. A larger caplen in a record means corruption.
 */
export const MAX_CAPLEN = 262144;

/** A capture file that cannot be opened or is not a capture. */
export class CaptureFileError extends Error {
  /** The file that was being opened. */
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CaptureFileError";
    this.path = path;
  }
}

/** `file`'s metadata, or null when it cannot be read. */
function statOf(file: Deno.FsFile): Deno.FileInfo | null {
  try {
    return file.statSync();
  } catch {
    return null;
  }
}

/** Makes a blank {@link Frame} to pass to `next()` (one per reader, reused). */
export function newFrame(): Frame {
  return {
    buf: new Uint8Array(0),
    offset: 0,
    caplen: 0,
    len: 0,
    tsSec: 0,
    tsNsec: 0,
    linkType: 0,
  };
}

// pcap magic numbers, as read little-endian from the first 4 bytes.
const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
/** Alexey Kuznetsov's patched format: 24-byte record headers. */
const PCAP_MAGIC_KUZNETSOV = 0xa1b2cd34;
const PCAP_GLOBAL_HEADER_LEN = 24;

// pcapng block types.
const BT_SHB = 0x0a0d0d0a;
const BT_IDB = 0x00000001;
const BT_PB = 0x00000002;
const BT_SPB = 0x00000003;
const BT_EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Minimum SHB: type, length, byte-order magic, versions, section length, trailing length. */
const SHB_MIN_LEN = 28;
const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/**
 * Maps a LINKTYPE_ value from a file to the DLT_ value libpcap reports on Linux
 * (libpcap's `linktype_to_dlt`): most are equal; these differ.
 */
export function linkTypeToDlt(linkType: number): number {
  switch (linkType) {
    case 100:
      return 11; // LINKTYPE_ATM_RFC1483 -> DLT_ATM_RFC1483
    case 101:
      return 12; // LINKTYPE_RAW -> DLT_RAW
    case 102:
      return 15; // LINKTYPE_SLIP_BSDOS
    case 103:
      return 16; // LINKTYPE_PPP_BSDOS
    case 106:
      return 19; // LINKTYPE_ATM_CLIP
    default:
      return linkType;
  }
}

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second when it fits a Number exactly (10^n, n <= 15, or 2^n, n <= 52). */
  unitsPerSec: number;
  /** 10^n resolution: multiplier (n <= 9) or divisor (n > 9) from units to nanoseconds. */
  decimalExp: number;
  binary: boolean;
  /** if_tsoffset: seconds added to every timestamp. */
  tsOffset: number;
  /** A decimal clock of at most 10^-9 (most files: 10^-6): the fast path can use it. */
  fastClock: boolean;
  /** Nanoseconds per clock unit when `fastClock`. */
  nsPerUnit: number;
}

const POW10 = [
  1,
  10,
  100,
  1e3,
  1e4,
  1e5,
  1e6,
  1e7,
  1e8,
  1e9,
  1e10,
  1e11,
  1e12,
  1e13,
  1e14,
  1e15,
];

/** Options of {@link CaptureFileReader.open}. */
export interface CaptureFileOptions {
  /**
   * Read ahead on a Worker: always, never (the default), or "auto" (regular files of 16 MiB
   * or more).
   */
  readAhead?: boolean | "auto";
}

/** Reads pcap and pcapng capture files; see the module documentation. */
export class CaptureFileReader {
  /** File format, from the magic number. */
  readonly format: "pcap" | "pcapng";
  /** What ended the capture early (corruption, truncation, I/O error, with the byte offset), or null. */
  error: string | null = null;
  /** The file's path as given to `open`. */
  readonly path: string;

  /** The file being read; null after `close()`. */
  #file: Deno.FsFile | null;
  #buf: Uint8Array = new Uint8Array(READ_BUFFER_SIZE);
  #view: DataView = new DataView(this.#buf.buffer);
  /** Next unread byte in `#buf`. */
  #pos = 0;
  /** End of valid bytes in `#buf`. */
  #end = 0;
  /** File offset of `#buf[0]`. */
  #base = 0;
  /** The file has no more bytes. */
  #eof = false;
  /** A regular file: `#skip` may seek past bytes rather than read them. */
  #seekable: boolean;
  #done = false;
  #le = true;
  /** The read-ahead Worker, or null; `#aheadOn` once it has taken over the reading. */
  #ahead: ReadAhead | null = null;
  #aheadOn = false;

  // pcap
  #pcapLinkType = 0;
  #pcapSnaplen = MAX_CAPLEN;
  #pcapNano = false;
  #pcapHeaderLen = 16;
  /** 0: lengths as written; 1: caplen and len swapped (pcap < 2.3); 2: swapped when caplen > len (2.3). */
  #pcapLengthsSwapped = 0;
  /** A pcap file with 16-byte record headers and lengths as written: `next()`'s fast path. */
  #plainPcap = false;
  /** pcap timestamp fractions per second (10^6, or 10^9 for nanosecond files). */
  #fracPerSec = 1000000;
  /** Nanoseconds per pcap timestamp fraction (1000, or 1 for nanosecond files). */
  #nsPerFrac = 1000;

  // pcapng
  #ifaces: PcapngInterface[] = [];
  /** Snapshot length libpcap applies to all frames: the first interface's, adjusted. */
  #ngSnaplen = -1;

  /**
   * `head`: the file's first bytes, already read: the reader starts with them instead of
   * reading them again, so that a FIFO or pipe works. `shared`: the buffer is a
   * SharedArrayBuffer's, like the read-ahead slots, so that every frame the loop sees (before
   * and after the Worker takes over) lives in the same kind of memory and V8 optimises the
   * loop once, for that kind.
   */
  private constructor(
    path: string,
    format: "pcap" | "pcapng",
    file: Deno.FsFile,
    head: Uint8Array,
    seekable: boolean,
    shared: boolean,
  ) {
    this.path = path;
    this.format = format;
    this.#file = file;
    if (shared) {
      this.#buf = new Uint8Array(new SharedArrayBuffer(READ_BUFFER_SIZE));
      this.#view = new DataView(this.#buf.buffer);
    }
    this.#buf.set(head);
    this.#end = head.length;
    this.#seekable = seekable;
  }

  /** Link type (DLT) of the first interface; -1 for a pcapng file with no interface. */
  get linkType(): number {
    if (this.format === "pcap") return this.#pcapLinkType;
    return this.#ifaces[0]?.linkType ?? -1;
  }

  /** Snapshot length from the file header (pcapng: of the first interface; 0 means none given). */
  get snaplen(): number {
    if (this.format === "pcap") return this.#pcapSnaplen;
    return this.#ifaces[0]?.snaplen ?? 0;
  }

  /**
   * Opens a capture file and reads its header. A FIFO or a pipe (`/dev/stdin`) is read too.
   *
   * `readAhead`: whether a Worker reads the file's next MiBs while this thread decodes
   * (see `_read_ahead.ts`): off by default; "auto" for regular files of 16 MiB or more.
   * Frames are the same either way.
   *
   * @throws {CaptureFileError} when the file is missing, unreadable, empty, or not pcap/pcapng
   */
  static open(path: string, options: CaptureFileOptions = {}): CaptureFileReader {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new CaptureFileError(path, `Cannot open capture file "${path}": no such file`, {
          cause: e,
        });
      }
      if (e instanceof Deno.errors.PermissionDenied) {
        throw new CaptureFileError(
          path,
          `Cannot open capture file "${path}": permission denied (check the file's mode, or run with --allow-read)`,
          { cause: e },
        );
      }
      throw new CaptureFileError(
        path,
        `Cannot open capture file "${path}": ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    try {
      // Kept and handed to the reader, not read again: a FIFO or pipe cannot seek back.
      const head = new Uint8Array(4);
      let got = 0;
      while (got < 4) {
        const r = file.readSync(head.subarray(got));
        if (r === null || r === 0) break;
        got += r;
      }
      if (got === 0) {
        throw new CaptureFileError(path, `Cannot read capture file "${path}": the file is empty`);
      }
      const hex = Array.from(head.subarray(0, got), (b) => b.toString(16).padStart(2, "0")).join(
        " ",
      );
      if (got < 4) {
        throw new CaptureFileError(
          path,
          `Cannot read capture file "${path}": only ${got} bytes (${hex}), too short for a pcap or pcapng header`,
        );
      }
      const magicLe = new DataView(head.buffer).getUint32(0, true);
      const magicBe = new DataView(head.buffer).getUint32(0, false);
      let format: "pcap" | "pcapng";
      if (magicLe === BT_SHB) format = "pcapng";
      else if (
        [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETSOV].includes(magicLe) ||
        [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETSOV].includes(magicBe)
      ) format = "pcap";
      else {
        throw new CaptureFileError(
          path,
          `Cannot read capture file "${path}": not a pcap or pcapng file (first bytes ${hex}; expected a pcap magic a1b2c3d4/a1b23c4d in either byte order, or pcapng 0a 0d 0d 0a)`,
        );
      }
      // A regular file: one that `#skip` can seek in, and a Worker can read ahead in.
      const info = statOf(file);
      const seekable = info?.isFile ?? false;
      const ahead = options.readAhead ?? false;
      const readAhead = seekable &&
        (ahead === true || (ahead === "auto" && info!.size >= READ_AHEAD_MIN_BYTES));
      const reader = new CaptureFileReader(path, format, file, head, seekable, readAhead);
      const problem = format === "pcap" ? reader.#readPcapHeader() : reader.#readFirstShb();
      if (problem !== null) {
        throw new CaptureFileError(path, `Cannot read capture file "${path}": ${problem}`);
      }
      if (readAhead) reader.#ahead = ReadAhead.start(path, info!);
      return reader;
    } catch (e) {
      try {
        file.close();
      } catch { /* already closed */ }
      if (e instanceof CaptureFileError) throw e;
      throw new CaptureFileError(
        path,
        `Cannot read capture file "${path}": ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
  }

  /**
   * Fills `frame` with the next frame and returns true, or returns false at the end of the
   * capture (then `error` says whether it ended early) and after `close()`. Never throws.
   * The frame's bytes (`frame.buf`) are valid only until the next call to `next()` or
   * `close()`: copy what must outlive them.
   */
  next(frame: Frame): boolean {
    // Fast path: a whole pcap record in the buffer, as written (16-byte header, lengths in
    // order, within the snapshot length, a fraction of a second in range). Small enough for
    // V8 to inline into the caller's loop; everything else takes the general path.
    if (this.#plainPcap) {
      const p = this.#pos, v = this.#view, le = this.#le;
      if (this.#end - p >= 16) {
        const caplen = v.getUint32(p + 8, le);
        const frac = v.getUint32(p + 4, le);
        if (
          caplen <= this.#pcapSnaplen && caplen <= this.#end - p - 16 && frac < this.#fracPerSec
        ) {
          // Stored only when it changed: the buffer is young when the reader is new, and
          // storing it into an older frame would run the GC's write barrier every frame.
          const buf = this.#buf;
          if (frame.buf !== buf) frame.buf = buf;
          frame.offset = p + 16;
          frame.caplen = caplen;
          frame.len = v.getUint32(p + 12, le);
          frame.tsSec = v.getUint32(p, le);
          frame.tsNsec = frac * this.#nsPerFrac;
          frame.linkType = this.#pcapLinkType;
          this.#pos = p + 16 + caplen;
          return true;
        }
      }
    }
    return this.#nextGeneral(frame);
  }

  #nextGeneral(frame: Frame): boolean {
    if (this.#done) return false;
    try {
      const ok = this.format === "pcap" ? this.#nextPcap(frame) : this.#nextPcapng(frame);
      if (!ok) this.#done = true;
      return ok;
    } catch (e) {
      this.#fail(
        `read error at byte ${this.#base + this.#pos}: ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
      return false;
    }
  }

  /**
   * Closes the file; `next()` then returns false. Frames handed out before are no longer
   * valid. Safe to call twice.
   */
  close(): void {
    this.#done = true;
    this.#ahead?.close();
    this.#ahead = null;
    this.#aheadOn = false;
    this.#plainPcap = false;
    if (this.#file !== null) {
      try {
        this.#file.close();
      } catch { /* already closed */ }
      this.#file = null;
    }
  }

  /** The buffer the current frame is in (`frame.buf`): changes each MiB with read-ahead. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /**
   * Waits up to `timeoutMs` for the read-ahead Worker to be ready to take over at the next
   * refill; false without one. For tests: a reader never waits for it otherwise.
   */
  awaitReadAhead(timeoutMs: number): boolean {
    return this.#ahead?.waitReady(timeoutMs) ?? false;
  }

  /** Whether the read-ahead Worker has taken over the reading. */
  get readingAhead(): boolean {
    return this.#aheadOn;
  }

  // --- buffer management -------------------------------------------------------------------

  /** Makes `n` bytes available from `#pos`; false when the file ends first. */
  #ensure(n: number): boolean {
    if (this.#end - this.#pos >= n) return true;
    return this.#fill(n);
  }

  #fill(n: number): boolean {
    const ahead = this.#ahead;
    if (ahead !== null) {
      if (this.#aheadOn || ahead.begin(this.#base + this.#end)) {
        this.#aheadOn = true;
        return this.#fillAhead(ahead, n);
      }
      if (ahead.failed) {
        ahead.close();
        this.#ahead = null;
      }
    }
    if (this.#pos > 0) {
      const rem = this.#end - this.#pos;
      if (rem > 0) this.#buf.copyWithin(0, this.#pos, this.#end);
      this.#base += this.#pos;
      this.#pos = 0;
      this.#end = rem;
    }
    const file = this.#file;
    while (!this.#eof && this.#end < READ_BUFFER_SIZE && file !== null) {
      const r = file.readSync(this.#buf.subarray(this.#end));
      if (r === null || r === 0) {
        this.#eof = true;
        break;
      }
      this.#end += r;
      if (this.#end >= n) break;
    }
    return this.#end - this.#pos >= n;
  }

  /**
   * `#fill` once the read-ahead Worker reads: takes its next slot, moves the unread tail
   * (less than `n`, so less than one record) into the slot's headroom, and gives the slot
   * before back. Throws the Worker's read error (`#nextGeneral` reports it).
   */
  #fillAhead(ahead: ReadAhead, n: number): boolean {
    if (n > HEADROOM) return false;
    for (;;) {
      const rem = this.#end - this.#pos;
      if (rem >= n) return true;
      if (this.#eof) return false;
      const k = ahead.take();
      const len = ahead.length(k);
      if (len < 0) {
        this.#eof = true;
        throw new Error(ahead.error);
      }
      const dst = ahead.buffers[k]!;
      const start = HEADROOM - rem;
      if (rem > 0) dst.set(this.#buf.subarray(this.#pos, this.#end), start);
      ahead.advance();
      this.#base += this.#pos - start;
      this.#buf = dst;
      this.#view = ahead.views[k]!;
      this.#pos = start;
      this.#end = HEADROOM + len;
      if (len < CHUNK) this.#eof = true;
    }
  }

  /** Skips `n` bytes from `#pos` (possibly beyond the buffer); false when the file ends first. */
  #skip(n: number): boolean {
    const avail = this.#end - this.#pos;
    if (n <= avail) {
      this.#pos += n;
      return true;
    }
    const file = this.#file;
    if (file === null) return false;
    if (this.#aheadOn) {
      // The Worker reads on: skip through its slots.
      let left = n;
      while (left > this.#end - this.#pos) {
        left -= this.#end - this.#pos;
        this.#pos = this.#end;
        if (!this.#fillAhead(this.#ahead!, 1)) return false;
      }
      this.#pos += left;
      return true;
    }
    if (!this.#seekable) return this.#skipByReading(file, n - avail);
    const target = this.#base + this.#pos + n;
    const size = file.statSync().size;
    if (target > size) return false;
    file.seekSync(target, Deno.SeekMode.Start);
    this.#base = target;
    this.#pos = 0;
    this.#end = 0;
    this.#eof = false;
    return true;
  }

  /** Skips the buffered bytes and `n` more, read and dropped (a FIFO or pipe cannot seek). */
  #skipByReading(file: Deno.FsFile, n: number): boolean {
    this.#base += this.#end;
    this.#pos = 0;
    this.#end = 0;
    let left = n;
    while (left > 0) {
      const r = file.readSync(this.#buf.subarray(0, Math.min(left, READ_BUFFER_SIZE)));
      if (r === null || r === 0) {
        this.#eof = true;
        return false;
      }
      left -= r;
      this.#base += r;
    }
    return true;
  }

  #fail(message: string): false {
    if (this.error === null) this.error = message;
    this.#done = true;
    this.#plainPcap = false;
    return false;
  }

  /** At a record boundary with fewer than `need` bytes left: clean end or truncation. */
  #endOrTruncated(need: number, what: string): false {
    const rem = this.#end - this.#pos;
    if (rem === 0) {
      this.#done = true;
      return false;
    }
    return this.#fail(
      `truncated ${what} at byte ${
        this.#base + this.#pos
      }: ${need} bytes needed, ${rem} left in the file`,
    );
  }

  // --- pcap --------------------------------------------------------------------------------

  #readPcapHeader(): string | null {
    if (!this.#ensure(PCAP_GLOBAL_HEADER_LEN)) {
      return `truncated pcap file header: ${this.#end} of ${PCAP_GLOBAL_HEADER_LEN} bytes`;
    }
    const v = this.#view;
    const magicLe = v.getUint32(0, true);
    this.#le = magicLe === PCAP_MAGIC_US || magicLe === PCAP_MAGIC_NS ||
      magicLe === PCAP_MAGIC_KUZNETSOV;
    const le = this.#le;
    const magic = v.getUint32(0, le);
    this.#pcapNano = magic === PCAP_MAGIC_NS;
    this.#pcapHeaderLen = magic === PCAP_MAGIC_KUZNETSOV ? 24 : 16;
    const major = v.getUint16(4, le), minor = v.getUint16(6, le);
    if (major < 2) return `archaic pcap format version ${major}.${minor}`;
    if (!((major === 2 && minor <= 4) || (major === 543 && minor === 0))) {
      return `unsupported pcap format version ${major}.${minor}`;
    }
    if (major === 543) this.#pcapLengthsSwapped = 1;
    else if (minor < 3) this.#pcapLengthsSwapped = 1;
    else if (minor === 3) this.#pcapLengthsSwapped = 2;
    const snaplen = v.getUint32(16, le);
    this.#pcapSnaplen = snaplen === 0 || snaplen > MAX_CAPLEN ? MAX_CAPLEN : snaplen;
    // The top 6 bits carry FCS information; the link type is the low 26 bits.
    this.#pcapLinkType = linkTypeToDlt(v.getUint32(20, le) & 0x03ffffff);
    this.#pos = PCAP_GLOBAL_HEADER_LEN;
    this.#plainPcap = this.#pcapHeaderLen === 16 && this.#pcapLengthsSwapped === 0;
    this.#fracPerSec = this.#pcapNano ? 1000000000 : 1000000;
    this.#nsPerFrac = this.#pcapNano ? 1 : 1000;
    return null;
  }

  #nextPcap(frame: Frame): boolean {
    const hlen = this.#pcapHeaderLen;
    if (!this.#ensure(hlen)) return this.#endOrTruncated(hlen, "pcap record header");
    const v = this.#view, le = this.#le, p = this.#pos;
    const sec = v.getUint32(p, le);
    const frac = v.getUint32(p + 4, le);
    let caplen = v.getUint32(p + 8, le);
    let len = v.getUint32(p + 12, le);
    if (this.#pcapLengthsSwapped !== 0) {
      if (this.#pcapLengthsSwapped === 1 || caplen > len) {
        const t = caplen;
        caplen = len;
        len = t;
      }
    }
    if (caplen > MAX_CAPLEN) {
      return this.#fail(
        `corrupt pcap record at byte ${
          this.#base + p
        }: captured length ${caplen} is above the maximum of ${MAX_CAPLEN}`,
      );
    }
    // Real capture quirk (Solaris 2.3 bufmod): a record longer than the file's snaplen. libpcap
    // keeps the first snaplen bytes and skips the rest, and so do we.
    const stored = caplen;
    if (caplen > this.#pcapSnaplen) caplen = this.#pcapSnaplen;
    if (!this.#ensure(hlen + stored)) return this.#truncatedData(stored, hlen);
    const start = this.#pos + hlen;
    frame.buf = this.#buf;
    frame.offset = start;
    frame.caplen = caplen;
    frame.len = len;
    // A fraction of a second out of range (seen in real captures) carries into the seconds,
    // so that tsNsec stays within 0..999,999,999 as Frame promises.
    if (this.#pcapNano) {
      if (frac < 1000000000) {
        frame.tsSec = sec;
        frame.tsNsec = frac;
      } else {
        frame.tsSec = sec + Math.floor(frac / 1000000000);
        frame.tsNsec = frac % 1000000000;
      }
    } else if (frac < 1000000) {
      frame.tsSec = sec;
      frame.tsNsec = frac * 1000;
    } else {
      frame.tsSec = sec + Math.floor(frac / 1000000);
      frame.tsNsec = (frac % 1000000) * 1000;
    }
    frame.linkType = this.#pcapLinkType;
    this.#pos = start + stored;
    return true;
  }

  #truncatedData(caplen: number, hlen: number): false {
    const rem = this.#end - this.#pos - hlen;
    return this.#fail(
      `truncated record at byte ${
        this.#base + this.#pos
      }: ${caplen} bytes of frame data expected, ${rem} left in the file`,
    );
  }

  // --- pcapng ------------------------------------------------------------------------------

  /** Reads the SHB at the start, then blocks up to the first packet block (for `linkType`). */
  #readFirstShb(): string | null {
    const problem = this.#readShb();
    if (problem !== null) return problem;
    this.#advanceToPacket();
    return null;
  }

  /** Parses an SHB at `#pos` (its type already known); returns a problem or null. */
  #readShb(): string | null {
    const at = this.#base + this.#pos;
    if (!this.#ensure(12)) return `truncated section header block at byte ${at}`;
    let v = this.#view;
    const p = this.#pos;
    const bom = v.getUint32(p + 8, true);
    if (bom === BYTE_ORDER_MAGIC) this.#le = true;
    else if (bom === 0x4d3c2b1a) this.#le = false;
    else {
      return `section header block at byte ${at} has a bad byte-order magic 0x${
        bom.toString(16).padStart(8, "0")
      }`;
    }
    const le = this.#le;
    const len = v.getUint32(p + 4, le);
    if (len < SHB_MIN_LEN || len % 4 !== 0 || len > READ_BUFFER_SIZE) {
      return `section header block at byte ${at} has a bad length ${len}`;
    }
    if (!this.#ensure(len)) {
      return `truncated section header block at byte ${at}: ${len} bytes needed, ${
        this.#end - this.#pos
      } left`;
    }
    v = this.#view; // a refill may have moved to another buffer
    const major = v.getUint16(this.#pos + 12, le);
    if (major !== 1) return `unsupported pcapng major version ${major} at byte ${at}`;
    if (v.getUint32(this.#pos + len - 4, le) !== len) {
      return `section header block at byte ${at}: trailing length differs from ${len}`;
    }
    this.#ifaces = [];
    this.#pos += len;
    return null;
  }

  /**
   * Processes non-packet blocks until the next packet block (left unread) or the end.
   * Returns false when the capture ended (cleanly or not).
   */
  #advanceToPacket(): boolean {
    for (;;) {
      if (!this.#ensure(8)) return this.#endOrTruncated(8, "pcapng block header");
      const v = this.#view, p = this.#pos, at = this.#base + p;
      const type = v.getUint32(p, this.#le);
      if (type === BT_SHB) {
        const problem = this.#readShb();
        if (problem !== null) return this.#fail(problem);
        continue;
      }
      const len = v.getUint32(p + 4, this.#le);
      if (len < 12 || len % 4 !== 0) {
        return this.#fail(`corrupt pcapng block at byte ${at}: bad block length ${len}`);
      }
      if (type === BT_EPB || type === BT_SPB || type === BT_PB) return true;
      if (type === BT_IDB) {
        if (len > READ_BUFFER_SIZE) {
          return this.#fail(`corrupt interface description block at byte ${at}: length ${len}`);
        }
        if (!this.#ensure(len)) {
          return this.#fail(
            `truncated interface description block at byte ${at}: ${len} bytes needed, ${
              this.#end - this.#pos
            } left`,
          );
        }
        const problem = this.#readIdb(this.#pos, len);
        if (problem !== null) return this.#fail(`${problem} (block at byte ${at})`);
        this.#pos += len;
        continue;
      }
      // Unknown or uninteresting block (NRB, ISB, DSB, custom ...): skip.
      if (!this.#skip(len)) {
        return this.#fail(
          `truncated pcapng block (type 0x${type.toString(16)}) at byte ${at}: ${len} bytes`,
        );
      }
    }
  }

  #readIdb(p: number, len: number): string | null {
    if (len < 20) return `interface description block too short (${len} bytes)`;
    const v = this.#view, le = this.#le;
    const iface: PcapngInterface = {
      linkType: linkTypeToDlt(v.getUint16(p + 8, le)),
      snaplen: v.getUint32(p + 12, le),
      unitsPerSec: 1e6,
      decimalExp: 6,
      binary: false,
      tsOffset: 0,
      fastClock: true,
      nsPerUnit: 1000,
    };
    // Options: code (2), length (2), value padded to 4.
    let o = p + 16;
    const end = p + len - 4;
    while (o + 4 <= end) {
      const code = v.getUint16(o, le), olen = v.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + olen > end) return "interface option runs past the end of its block";
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const r = this.#buf[o + 4]!;
        const exp = r & 0x7f;
        if (r & 0x80) {
          if (exp > 63) return `if_tsresol 2^-${exp} is too fine`;
          iface.binary = true;
          iface.decimalExp = exp;
          iface.unitsPerSec = 2 ** exp;
        } else {
          if (exp > 19) return `if_tsresol 10^-${exp} is too fine`;
          iface.decimalExp = exp;
          iface.unitsPerSec = exp <= 15 ? POW10[exp]! : 10 ** exp;
        }
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const hi = v.getInt32(o + 4 + (le ? 4 : 0), le);
        const lo = v.getUint32(o + 4 + (le ? 0 : 4), le);
        iface.tsOffset = hi * 4294967296 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    iface.fastClock = !iface.binary && iface.decimalExp <= 9;
    iface.nsPerUnit = iface.fastClock ? POW10[9 - iface.decimalExp]! : 0;
    if (this.#ngSnaplen < 0) {
      this.#ngSnaplen = iface.snaplen === 0 || iface.snaplen > MAX_CAPLEN
        ? MAX_CAPLEN
        : iface.snaplen;
    }
    this.#ifaces.push(iface);
    return null;
  }

  #nextPcapng(frame: Frame): boolean {
    // Fast path: a whole, well-formed EPB of a known interface with a microsecond-or-coarser
    // decimal clock is in the buffer. Anything else takes the general path below.
    const v = this.#view, le = this.#le, p0 = this.#pos;
    if (this.#end - p0 >= 32 && v.getUint32(p0, le) === BT_EPB) {
      const len = v.getUint32(p0 + 4, le);
      const caplen = v.getUint32(p0 + 20, le);
      const iface = this.#ifaces[v.getUint32(p0 + 8, le)];
      if (
        len <= this.#end - p0 && (len & 3) === 0 && caplen <= len - 32 &&
        caplen <= this.#ngSnaplen && iface !== undefined && iface.fastClock &&
        v.getUint32(p0 + len - 4, le) === len
      ) {
        frame.buf = this.#buf;
        frame.offset = p0 + 28;
        frame.caplen = caplen;
        frame.len = v.getUint32(p0 + 24, le);
        frame.linkType = iface.linkType;
        this.#setTimestamp(frame, iface, v.getUint32(p0 + 12, le), v.getUint32(p0 + 16, le));
        this.#pos = p0 + len;
        return true;
      }
    }
    return this.#nextPcapngGeneral(frame);
  }

  #nextPcapngGeneral(frame: Frame): boolean {
    if (!this.#advanceToPacket()) return false;
    let v = this.#view;
    const le = this.#le;
    let p = this.#pos;
    const at = this.#base + p;
    const type = v.getUint32(p, le);
    const len = v.getUint32(p + 4, le);
    if (len > READ_BUFFER_SIZE) {
      return this.#fail(`corrupt packet block at byte ${at}: block length ${len} is absurd`);
    }
    if (!this.#ensure(len)) {
      return this.#fail(
        `truncated packet block at byte ${at}: ${len} bytes needed, ${
          this.#end - this.#pos
        } left in the file`,
      );
    }
    p = this.#pos;
    v = this.#view; // a refill may have moved to another buffer
    if (v.getUint32(p + len - 4, le) !== len) {
      return this.#fail(`corrupt packet block at byte ${at}: trailing length differs from ${len}`);
    }
    let ifId: number, hi: number, lo: number, caplen: number, wireLen: number, data: number;
    if (type === BT_EPB) {
      if (len < 32) return this.#fail(`corrupt enhanced packet block at byte ${at}: too short`);
      ifId = v.getUint32(p + 8, le);
      hi = v.getUint32(p + 12, le);
      lo = v.getUint32(p + 16, le);
      caplen = v.getUint32(p + 20, le);
      wireLen = v.getUint32(p + 24, le);
      data = p + 28;
      if (caplen > len - 32) {
        return this.#fail(
          `corrupt enhanced packet block at byte ${at}: captured length ${caplen} exceeds the block`,
        );
      }
    } else if (type === BT_SPB) {
      if (len < 16) return this.#fail(`corrupt simple packet block at byte ${at}: too short`);
      ifId = 0;
      hi = 0;
      lo = 0;
      wireLen = v.getUint32(p + 8, le);
      data = p + 12;
      caplen = Math.min(wireLen, len - 16);
      const sn = this.#ifaces[0]?.snaplen ?? 0;
      if (sn !== 0 && caplen > sn) caplen = sn;
    } else {
      if (len < 32) return this.#fail(`corrupt packet block at byte ${at}: too short`);
      ifId = v.getUint16(p + 8, le);
      hi = v.getUint32(p + 12, le);
      lo = v.getUint32(p + 16, le);
      caplen = v.getUint32(p + 20, le);
      wireLen = v.getUint32(p + 24, le);
      data = p + 28;
      if (caplen > len - 32) {
        return this.#fail(
          `corrupt packet block at byte ${at}: captured length ${caplen} exceeds the block`,
        );
      }
    }
    const iface = this.#ifaces[ifId];
    if (iface === undefined) {
      return this.#fail(
        `corrupt packet block at byte ${at}: interface ${ifId} has no interface description block`,
      );
    }
    if (caplen > MAX_CAPLEN) {
      return this.#fail(
        `corrupt packet block at byte ${at}: captured length ${caplen} is above the maximum of ${MAX_CAPLEN}`,
      );
    }
    // libpcap cuts every frame to the snapshot length of the first interface.
    if (caplen > this.#ngSnaplen) caplen = this.#ngSnaplen;
    frame.buf = this.#buf;
    frame.offset = data;
    frame.caplen = caplen;
    frame.len = wireLen;
    frame.linkType = iface.linkType;
    this.#setTimestamp(frame, iface, hi, lo);
    this.#pos = p + len;
    return true;
  }

  #setTimestamp(frame: Frame, iface: PcapngInterface, hi: number, lo: number): void {
    const d = iface.unitsPerSec;
    let sec: number, frac: number;
    if (iface.fastClock && hi < 0x200000) {
      // Exact in a double: t < 2^53 (until the year ~2255 in µs) and d divides 1e9.
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / d);
      frac = t - sec * d;
      if (frac < 0) {
        sec--;
        frac += d;
      } else if (frac >= d) {
        sec++;
        frac -= d;
      }
      frame.tsNsec = frac * iface.nsPerUnit;
    } else {
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const bd = iface.binary ? 1n << BigInt(iface.decimalExp) : 10n ** BigInt(iface.decimalExp);
      sec = Number(t / bd);
      const f = t % bd;
      frame.tsNsec = Number((f * 1000000000n) / bd);
    }
    frame.tsSec = sec + iface.tsOffset;
  }
}

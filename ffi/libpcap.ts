/**
 * libpcap and libc bound with `Deno.dlopen`, and the per-packet fast path shared by live and
 * offline libpcap handles.
 *
 * The fast path follows DESIGN.md's Speed section: per packet one `pcap_next_ex` writing its
 * two out-params into a constant buffer, one `memcpy` of the 24-byte header and one `memcpy`
 * of the packet into constant buffers. Every pointer crosses as a BigInt to a `u64`
 * parameter: the handle and buffer addresses are BigInt constants made once, the header and
 * data addresses are read from a `BigUint64Array` over the out-params, and lengths come from a
 * table of BigInts. No pointer objects, ArrayBuffers, strings or views are made per packet.
 *
 * @module
 */

import type { Frame } from "../decode/packet.ts";

/** Library names tried in order. */
export const LIBPCAP_NAMES = ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so"] as const;
const LIBC_NAMES = ["libc.so.6", "libc.so"] as const;

/** A libpcap failure: what was being done, libpcap's message, and what to do. */
export class PcapError extends Error {
  /** libpcap status code (`PCAP_ERROR_*`, `PCAP_WARNING_*`) when there is one, else 0. */
  readonly code: number;
  constructor(message: string, code = 0, options?: ErrorOptions) {
    super(message, options);
    this.name = "PcapError";
    this.code = code;
  }
}

/** libpcap status codes (pcap/pcap.h). */
export const PcapStatus = {
  warning: 1,
  warningPromiscNotSupported: 2,
  warningTstampTypeNotSupported: 3,
  error: -1,
  errorBreak: -2,
  errorNotActivated: -3,
  errorActivated: -4,
  errorNoSuchDevice: -5,
  errorRfmonNotSupported: -6,
  errorNotRfmon: -7,
  errorPermissionDenied: -8,
  errorInterfaceNotUp: -9,
  errorCantSetTstampType: -10,
  errorPromiscPermissionDenied: -11,
  errorTstampPrecisionNotSupported: -12,
} as const;

/** `PCAP_ERRBUF_SIZE`. */
export const ERRBUF_SIZE = 256;
/** `PCAP_NETMASK_UNKNOWN`. */
export const NETMASK_UNKNOWN = 0xffffffff;
/** `PCAP_TSTAMP_PRECISION_NANO`. */
export const TSTAMP_PRECISION_NANO = 1;

const PCAP_SYMBOLS = {
  pcap_lib_version: { parameters: [], result: "pointer" },
  pcap_findalldevs: { parameters: ["buffer", "buffer"], result: "i32" },
  pcap_freealldevs: { parameters: ["pointer"], result: "void" },
  pcap_create: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_set_snaplen: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_promisc: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_immediate_mode: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_buffer_size: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_timeout: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_set_tstamp_precision: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_activate: { parameters: ["pointer"], result: "i32" },
  pcap_geterr: { parameters: ["pointer"], result: "pointer" },
  pcap_statustostr: { parameters: ["i32"], result: "pointer" },
  pcap_setnonblock: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  pcap_get_selectable_fd: { parameters: ["pointer"], result: "i32" },
  /** Hot path: (pcap_t*, struct pcap_pkthdr**, const u_char**) all as u64. */
  pcap_next_ex: { parameters: ["u64", "u64", "u64"], result: "i32" },
  pcap_compile: { parameters: ["pointer", "buffer", "buffer", "i32", "u32"], result: "i32" },
  pcap_setfilter: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_freecode: { parameters: ["buffer"], result: "void" },
  /** (const struct bpf_program*, const struct pcap_pkthdr*, const u_char*) all as u64. */
  pcap_offline_filter: { parameters: ["u64", "u64", "u64"], result: "i32" },
  pcap_stats: { parameters: ["pointer", "buffer"], result: "i32" },
  pcap_datalink: { parameters: ["pointer"], result: "i32" },
  pcap_snapshot: { parameters: ["pointer"], result: "i32" },
  pcap_setdirection: { parameters: ["pointer", "i32"], result: "i32" },
  pcap_open_offline: { parameters: ["buffer", "buffer"], result: "pointer" },
  pcap_open_offline_with_tstamp_precision: {
    parameters: ["buffer", "u32", "buffer"],
    result: "pointer",
  },
  pcap_open_dead: { parameters: ["i32", "i32"], result: "pointer" },
  pcap_close: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

const LIBC_SYMBOLS = {
  /** Idle waits only: runs on another thread so the event loop never stalls. */
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  /** The same `poll`, on the calling thread: busy waits of 0-1 ms, or on a thread of its own. */
  poll_sync: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  /** Hot path: (dest, src, n) all as u64; the returned pointer is ignored. */
  memcpy: { parameters: ["u64", "u64", "u64"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The libpcap functions this program uses. */
export type LibpcapSymbols = Deno.DynamicLibrary<typeof PCAP_SYMBOLS>["symbols"];

/** The libc functions this program uses. */
export interface LibcSymbols {
  poll(fds: Uint8Array, nfds: bigint, timeoutMs: number): Promise<number>;
  poll_sync(fds: Uint8Array, nfds: bigint, timeoutMs: number): number;
  memcpy(dest: bigint, src: bigint, n: bigint): void;
}

let pcapLib: LibpcapSymbols | null = null;
let libcLib: LibcSymbols | null = null;

/**
 * Opens libpcap (once) and returns its symbols.
 *
 * @throws {PcapError} naming the package to install when no libpcap loads
 */
export function libpcap(): LibpcapSymbols {
  if (pcapLib !== null) return pcapLib;
  const failures: string[] = [];
  for (const name of LIBPCAP_NAMES) {
    try {
      pcapLib = Deno.dlopen(name, PCAP_SYMBOLS).symbols;
      return pcapLib;
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        throw new PcapError(
          `Cannot load libpcap: FFI is not allowed (run with --allow-ffi)`,
          0,
          { cause: e },
        );
      }
      failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new PcapError(
    `Cannot load libpcap (tried ${
      LIBPCAP_NAMES.join(", ")
    }): install it with "apt-get install libpcap0.8" (Debian/Ubuntu) or your system's libpcap package\n  ${
      failures.join("\n  ")
    }`,
  );
}

/** Opens libc (once) and returns `poll` and `memcpy`. */
export function libc(): LibcSymbols {
  if (libcLib !== null) return libcLib;
  const failures: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      libcLib = Deno.dlopen(name, LIBC_SYMBOLS).symbols;
      return libcLib;
    } catch (e) {
      failures.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new PcapError(`Cannot load the C library: ${failures.join("; ")}`);
}

/** libpcap's version string, e.g. "libpcap version 1.10.3 (with TPACKET_V3)". */
export function libpcapVersion(): string {
  return cString(libpcap().pcap_lib_version());
}

/** A NUL-terminated C string from a pointer ("" for NULL). */
export function cString(p: Deno.PointerValue): string {
  if (p === null) return "";
  return Deno.UnsafePointerView.getCString(p);
}

/** A JS string as a NUL-terminated C string in a new buffer. */
export function toCString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** The message in an error buffer filled by libpcap. */
export function errbufText(errbuf: Uint8Array): string {
  const end = errbuf.indexOf(0);
  return new TextDecoder().decode(errbuf.subarray(0, end < 0 ? errbuf.length : end)).trim();
}

/** The address of a buffer's first byte, as a BigInt (made once per buffer, not per packet). */
export function addressOf(buf: Uint8Array | BigUint64Array | Uint32Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}

/** A BigInt for each length up to `max`, so that per-packet lengths allocate nothing. */
const lengthCache: bigint[] = [];
function bigLength(n: number): bigint {
  let b = lengthCache[n];
  if (b === undefined) {
    b = BigInt(n);
    lengthCache[n] = b;
  }
  return b;
}

/** `sizeof(struct pcap_pkthdr)` on x86-64 Linux: tv_sec 8, tv_usec 8, caplen 4, len 4. */
export const PKTHDR_SIZE = 24;

/**
 * After this many moves of libpcap's header or packet buffer, a handle stops viewing them in
 * place and copies every packet instead (a libpcap that hands out a new address per packet).
 */
export const MAX_REMAPS = 64;

/**
 * A libpcap handle (`pcap_t*`) read through the fast path. Used by live captures and by
 * libpcap-read files; owns the handle until `close()`.
 *
 * Zero copy: `pcap_next_ex` hands out the same two addresses packet after packet (its
 * `pcap_pkthdr` inside the `pcap_t`, and one packet buffer: on Linux the copy it makes out of
 * the ring, for files its read buffer). The handle views both in place through one
 * `ArrayBuffer` each, made when an address is first seen, so a packet costs one FFI call and
 * four integer compares, and nothing is allocated. Should libpcap move a buffer (a file's
 * buffer grows for a bigger packet), the view is made again; after {@link MAX_REMAPS} moves
 * the handle falls back to copying each packet into a buffer of its own.
 */
export class PcapHandle {
  /** The `pcap_t*`. */
  readonly pointer: Deno.PointerObject;
  /** Link type (DLT) of the handle, read at open or activation. */
  linkType: number;
  /** Whether timestamps are nanoseconds (else microseconds). */
  nanoTimestamps: boolean;
  /** Why `next()` stopped on an error, or null. */
  error: string | null = null;
  /** True after `pcap_next_ex` returned -2 (end of file). */
  ended = false;

  readonly #lib: LibpcapSymbols;
  readonly #memcpy: (dest: bigint, src: bigint, n: bigint) => void;
  readonly #nextEx: (p: bigint, hdr: bigint, data: bigint) => number;
  readonly #handle: bigint;
  /** Out-params of pcap_next_ex: [header pointer, data pointer]. */
  readonly #outs = new BigUint64Array(2);
  /** The same out-params as 32-bit words: header low, high, data low, high. */
  readonly #outWords = new Uint32Array(this.#outs.buffer);
  readonly #outsHdr: bigint;
  readonly #outsData: bigint;
  /** libpcap's `pcap_pkthdr`, viewed in place; and the address it was viewed at. */
  #hdr = new Uint32Array(PKTHDR_SIZE / 4);
  #hdrLo = -1;
  #hdrHi = -1;
  /** libpcap's packet buffer, viewed in place (its length: the largest caplen seen there). */
  #data = new Uint8Array(0);
  #dataLo = -1;
  #dataHi = -1;
  #remaps = 0;
  readonly #maxRemaps: number;
  /** Copy mode (after too many remaps): our own buffer and its address. */
  #copy: Uint8Array | null = null;
  #copyAddr = 0n;
  #closed = false;

  /** `maxRemaps`: moves tolerated before copying (default {@link MAX_REMAPS}; 0: always copy). */
  constructor(pointer: Deno.PointerObject, nanoTimestamps: boolean, maxRemaps = MAX_REMAPS) {
    this.#maxRemaps = maxRemaps;
    this.#lib = libpcap();
    const c = libc();
    this.#memcpy = c.memcpy;
    this.#nextEx = this.#lib.pcap_next_ex;
    this.pointer = pointer;
    this.#handle = BigInt(Deno.UnsafePointer.value(pointer));
    this.linkType = this.#lib.pcap_datalink(pointer);
    this.nanoTimestamps = nanoTimestamps;
    this.#outsHdr = addressOf(this.#outs);
    this.#outsData = this.#outsHdr + 8n;
  }

  /**
   * Reads the next packet into `frame`. Returns true for a packet; false when none is waiting
   * (non-blocking live), at the end of a file, or on an error (then `error` is set).
   *
   * `frame.buf` is libpcap's own buffer: its bytes are valid until the next `next()` or
   * `close()`, so whatever must outlive the packet is copied out before then.
   */
  next(frame: Frame): boolean {
    if (this.#closed) return false;
    const rc = this.#nextEx(this.#handle, this.#outsHdr, this.#outsData);
    if (rc === 1) {
      const w = this.#outWords;
      if (w[0] !== this.#hdrLo || w[1] !== this.#hdrHi) this.#viewHeader();
      const hdr = this.#hdr;
      const caplen = hdr[4]!;
      if (
        this.#copy === null &&
        (w[2] !== this.#dataLo || w[3] !== this.#dataHi || caplen > this.#data.length)
      ) this.#viewData(caplen); // may switch to copy mode
      if (this.#copy === null) {
        frame.buf = this.#data;
        frame.caplen = caplen;
      } else {
        this.#copyPacket(frame, caplen);
      }
      frame.offset = 0;
      frame.len = hdr[5]!;
      frame.tsSec = hdr[0]! + hdr[1]! * 4294967296;
      frame.tsNsec = this.nanoTimestamps ? hdr[2]! : hdr[2]! * 1000;
      frame.linkType = this.linkType;
      return true;
    }
    if (rc === 0) return false;
    if (rc === -2) {
      this.ended = true;
      return false;
    }
    if (this.error === null) this.error = this.lastError();
    return false;
  }

  /** Views libpcap's header at its (new) address. */
  #viewHeader(): void {
    const w = this.#outWords;
    this.#hdrLo = w[0]!;
    this.#hdrHi = w[1]!;
    const p = Deno.UnsafePointer.create(this.#outs[0]!);
    if (p === null) throw new PcapError("libpcap returned a packet without a header");
    this.#hdr = new Uint32Array(Deno.UnsafePointerView.getArrayBuffer(p, PKTHDR_SIZE));
    this.#counted();
  }

  /** Views libpcap's packet buffer at its (new) address, at least `caplen` bytes long. */
  #viewData(caplen: number): void {
    const w = this.#outWords;
    const moved = w[2] !== this.#dataLo || w[3] !== this.#dataHi;
    this.#dataLo = w[2]!;
    this.#dataHi = w[3]!;
    const length = Math.max(caplen, moved ? 0 : this.#data.length, 1);
    const p = Deno.UnsafePointer.create(this.#outs[1]!);
    if (p === null) throw new PcapError("libpcap returned a packet without data");
    this.#data = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, length));
    if (moved) this.#counted();
  }

  /** Counts a move; past {@link MAX_REMAPS}, switches to copying. */
  #counted(): void {
    if (++this.#remaps <= this.#maxRemaps || this.#copy !== null) return;
    this.#copy = new Uint8Array(262144);
    this.#copyAddr = addressOf(this.#copy);
  }

  /** Copy mode: the packet's bytes into our own buffer. */
  #copyPacket(frame: Frame, caplen: number): void {
    const copy = this.#copy!;
    if (caplen > copy.length) caplen = copy.length;
    this.#memcpy(this.#copyAddr, this.#outs[1]!, bigLength(caplen));
    frame.buf = copy;
    frame.caplen = caplen;
  }

  /** Whether the handle copies every packet (libpcap kept moving its buffers). */
  get copying(): boolean {
    return this.#copy !== null;
  }

  /** libpcap's last error message for this handle. */
  lastError(): string {
    return cString(this.#lib.pcap_geterr(this.pointer));
  }

  /** Closes the handle. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.pcap_close(this.pointer);
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }
}

/**
 * Opens a capture file with libpcap (`pcap_open_offline_with_tstamp_precision`; nanosecond
 * timestamps unless `precision` is "micro"). Used to check the TypeScript reader against
 * libpcap and in benchmarks; the program itself reads files with `CaptureFileReader`.
 *
 * @throws {PcapError} with libpcap's message when it refuses the file
 */
export function openOfflineWithLibpcap(
  path: string,
  precision: "micro" | "nano" = "nano",
  maxRemaps = MAX_REMAPS,
): PcapHandle {
  const lib = libpcap();
  const errbuf = new Uint8Array(ERRBUF_SIZE);
  const p = lib.pcap_open_offline_with_tstamp_precision(
    toCString(path),
    precision === "nano" ? TSTAMP_PRECISION_NANO : 0,
    errbuf,
  );
  if (p === null) {
    throw new PcapError(`libpcap cannot read "${path}": ${errbufText(errbuf)}`);
  }
  return new PcapHandle(p, precision === "nano", maxRemaps);
}

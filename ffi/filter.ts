/**
 * BPF capture filters through libpcap: compile an expression, and apply one to frames read by
 * the TypeScript file reader (`pcap_offline_filter`).
 *
 * @module
 */

import type { Frame } from "../decode/packet.ts";
import {
  addressOf,
  cString,
  libpcap,
  type LibpcapSymbols,
  NETMASK_UNKNOWN,
  PcapError,
  PKTHDR_SIZE,
  toCString,
} from "./libpcap.ts";

/** `sizeof(struct bpf_program)` on x86-64: bf_len (u32, padded to 8) and bf_insns (pointer). */
const BPF_PROGRAM_SIZE = 16;

/** A compiled BPF program (`struct bpf_program`), to free with `free()`. */
export class BpfProgram {
  /** The expression it was compiled from. */
  readonly expression: string;
  /** Link type it was compiled for. */
  readonly linkType: number;
  /** The `struct bpf_program` itself (libpcap owns the instructions it points to). */
  readonly struct: Uint8Array<ArrayBuffer>;
  /** Address of `struct`, as a BigInt for u64 parameters. */
  readonly address: bigint;
  #freed = false;

  constructor(expression: string, linkType: number, struct: Uint8Array<ArrayBuffer>) {
    this.expression = expression;
    this.linkType = linkType;
    this.struct = struct;
    this.address = addressOf(struct);
  }

  /** Number of BPF instructions. */
  get instructionCount(): number {
    return new DataView(this.struct.buffer).getUint32(0, true);
  }

  /** Frees the instructions (`pcap_freecode`). Safe to call twice. */
  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    libpcap().pcap_freecode(this.struct);
  }
}

/**
 * Compiles a filter on an open handle (live or dead).
 *
 * @throws {PcapError} naming the expression and libpcap's message
 */
export function compileOnHandle(
  lib: LibpcapSymbols,
  handle: Deno.PointerObject,
  expression: string,
  linkType: number,
): BpfProgram {
  const struct = new Uint8Array(BPF_PROGRAM_SIZE);
  const rc = lib.pcap_compile(handle, struct, toCString(expression), 1, NETMASK_UNKNOWN);
  if (rc !== 0) {
    const why = cString(lib.pcap_geterr(handle));
    throw new PcapError(
      `Invalid capture filter "${expression}": ${why} (see "man pcap-filter" for the syntax)`,
      rc,
    );
  }
  return new BpfProgram(expression, linkType, struct);
}

/**
 * Compiles a BPF filter expression for a link type (DLT) and snapshot length.
 *
 * @throws {PcapError} naming the expression and libpcap's message
 */
export function compileFilter(expression: string, linkType: number, snaplen = 262144): BpfProgram {
  const lib = libpcap();
  const dead = lib.pcap_open_dead(linkType, snaplen);
  if (dead === null) {
    throw new PcapError(`Cannot compile filter "${expression}": pcap_open_dead failed`);
  }
  try {
    return compileOnHandle(lib, dead, expression, linkType);
  } finally {
    lib.pcap_close(dead);
  }
}

/**
 * Applies a BPF filter to frames read without libpcap (by `CaptureFileReader`). The frame's
 * bytes are passed in place: the address of its buffer is taken once per buffer, plus the
 * frame's offset; the packet header sits in a constant buffer.
 */
export class OfflineFilter {
  /** The filter expression. */
  readonly expression: string;
  readonly snaplen: number;
  /** Link types for which the expression could not be compiled, with libpcap's message. */
  readonly unusable = new Map<number, string>();
  #programs = new Map<number, BpfProgram>();
  #linkType: number;
  #program: bigint;
  #filter: (program: bigint, header: bigint, data: bigint) => number;
  #hdr = new Uint32Array(PKTHDR_SIZE / 4);
  #hdrAddr = addressOf(this.#hdr);
  #lastBuf: Uint8Array | null = null;
  #lastAddr = 0n;
  #closed = false;

  /**
   * Compiles `expression` for `linkType` (frames of other link types get their own program,
   * compiled when first seen).
   *
   * @throws {PcapError} naming the expression when it does not compile
   */
  constructor(expression: string, linkType: number, snaplen = 262144) {
    this.expression = expression;
    this.snaplen = snaplen;
    const prog = compileFilter(expression, linkType, snaplen);
    this.#programs.set(linkType, prog);
    this.#linkType = linkType;
    this.#program = prog.address;
    this.#filter = libpcap().pcap_offline_filter;
  }

  /**
   * Whether the frame passes the filter. Frames of a link type the expression cannot be
   * compiled for never pass (see `unusable`).
   */
  matches(frame: Frame): boolean {
    if (frame.linkType !== this.#linkType && !this.#switchTo(frame.linkType)) return false;
    if (frame.buf !== this.#lastBuf) {
      this.#lastBuf = frame.buf;
      this.#lastAddr = addressOf(frame.buf);
    }
    const h = this.#hdr;
    h[0] = frame.tsSec >>> 0;
    h[1] = Math.floor(frame.tsSec / 4294967296);
    h[2] = (frame.tsNsec / 1000) | 0;
    h[3] = 0;
    h[4] = frame.caplen;
    h[5] = frame.len;
    return this.#filter(this.#program, this.#hdrAddr, this.#lastAddr + BigInt(frame.offset)) !== 0;
  }

  #switchTo(linkType: number): boolean {
    if (this.#closed) return false;
    let prog = this.#programs.get(linkType);
    if (prog === undefined) {
      if (this.unusable.has(linkType)) return false;
      try {
        prog = compileFilter(this.expression, linkType, this.snaplen);
      } catch (e) {
        this.unusable.set(linkType, e instanceof Error ? e.message : String(e));
        return false;
      }
      this.#programs.set(linkType, prog);
    }
    this.#linkType = linkType;
    this.#program = prog.address;
    return true;
  }

  /** Frees the compiled programs. */
  close(): void {
    this.#closed = true;
    for (const p of this.#programs.values()) p.free();
    this.#programs.clear();
    this.#linkType = -1;
    this.unusable.clear();
    this.#lastBuf = null;
  }
}

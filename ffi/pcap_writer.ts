/**
 * A pure TypeScript pcap writer, for evidence captures and test fixtures.
 *
 * Writes the classic pcap format in little-endian byte order, with microsecond or nanosecond
 * timestamps. Records are gathered in a 1 MiB buffer and written with synchronous writes.
 *
 * @module
 */

import type { Frame } from "../decode/packet.ts";
import { CaptureFileError } from "./file_reader.ts";

/** Options of {@link PcapWriter.create}. */
export interface PcapWriterOptions {
  /** Link type (DLT/LINKTYPE number) written in the file header; default 1 (Ethernet). */
  linkType?: number;
  /** Snapshot length in the file header; default 262144. Longer frames are cut to it. */
  snaplen?: number;
  /** Write nanosecond timestamps (magic a1b23c4d); default false (microseconds). */
  nanosecond?: boolean;
  /** Append to an existing file instead of truncating it (the header is written only when empty). */
  append?: boolean;
}

const FLUSH_AT = 1 << 20;

/** Builds the 24-byte pcap file header. */
export function pcapFileHeader(linkType: number, snaplen: number, nanosecond: boolean): Uint8Array {
  const h = new Uint8Array(24);
  const v = new DataView(h.buffer);
  v.setUint32(0, nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, snaplen, true);
  v.setUint32(20, linkType, true);
  return h;
}

/** Writes frames to a pcap file. */
export class PcapWriter {
  /** Snapshot length: frames longer than this are written cut. */
  readonly snaplen: number;
  readonly linkType: number;
  readonly nanosecond: boolean;
  /** Frames written so far. */
  count = 0;
  #file: Deno.FsFile | null;
  #buf = new Uint8Array(FLUSH_AT + 16 + 262144);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  private constructor(file: Deno.FsFile, linkType: number, snaplen: number, nanosecond: boolean) {
    this.#file = file;
    this.linkType = linkType;
    this.snaplen = snaplen;
    this.nanosecond = nanosecond;
  }

  /**
   * Creates (or truncates) a pcap file and writes its header.
   *
   * @throws {CaptureFileError} when the file cannot be created
   */
  static create(path: string, options: PcapWriterOptions = {}): PcapWriter {
    const linkType = options.linkType ?? 1;
    const snaplen = options.snaplen ?? 262144;
    const nanosecond = options.nanosecond ?? false;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, {
        write: true,
        create: true,
        truncate: !options.append,
        append: options.append ?? false,
      });
    } catch (e) {
      throw new CaptureFileError(
        path,
        `Cannot create capture file "${path}": ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    const w = new PcapWriter(file, linkType, snaplen, nanosecond);
    if (!options.append || file.statSync().size === 0) {
      w.#buf.set(pcapFileHeader(linkType, snaplen, nanosecond), 0);
      w.#len = 24;
    }
    return w;
  }

  /** Appends a frame (its bytes `frame.buf[frame.offset ..+ caplen]`, cut to the snaplen). */
  write(frame: Frame): void {
    this.writeRecord(
      frame.tsSec,
      frame.tsNsec,
      frame.buf.subarray(frame.offset, frame.offset + frame.caplen),
      frame.len,
    );
  }

  /** Appends one record: timestamp (seconds, nanoseconds), captured bytes, wire length. */
  writeRecord(tsSec: number, tsNsec: number, data: Uint8Array, wireLen = data.length): void {
    if (this.#file === null) throw new Error("PcapWriter is closed");
    const caplen = Math.min(data.length, this.snaplen);
    if (this.#len + 16 + caplen > this.#buf.length) this.flush();
    const v = this.#view, o = this.#len;
    v.setUint32(o, tsSec >>> 0, true);
    v.setUint32(o + 4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), true);
    v.setUint32(o + 8, caplen, true);
    v.setUint32(o + 12, Math.max(wireLen, caplen), true);
    this.#buf.set(caplen === data.length ? data : data.subarray(0, caplen), o + 16);
    this.#len = o + 16 + caplen;
    this.count++;
    if (this.#len >= FLUSH_AT) this.flush();
  }

  /** Writes buffered records to the file. */
  flush(): void {
    if (this.#file === null || this.#len === 0) return;
    let done = 0;
    while (done < this.#len) done += this.#file.writeSync(this.#buf.subarray(done, this.#len));
    this.#len = 0;
  }

  /** Flushes and closes the file. Safe to call twice. */
  close(): void {
    if (this.#file === null) return;
    this.flush();
    this.#file.close();
    this.#file = null;
  }
}

/**
 * Live capture through libpcap: `pcap_create`, options, `pcap_activate`, non-blocking reads,
 * and `poll` on the selectable descriptor so that the event loop never stalls on an idle link.
 *
 * Typical loop (in a Worker, see DESIGN.md, where blocking the thread in `poll` is fine; on
 * the main thread use `await cap.waitReadable(100)` instead):
 * ```ts ignore
 * const cap = LiveCapture.open({ device: "eth0", filter: "tcp or udp" });
 * const frame = newFrame();
 * while (running) {
 *   while (cap.next(frame)) handle(frame);
 *   cap.waitReadableSync(100);
 * }
 * cap.close();
 * ```
 *
 * @module
 */

import type { Frame } from "../decode/packet.ts";
import { listDevices } from "./devices.ts";
import { type BpfProgram, compileOnHandle } from "./filter.ts";
import {
  cString,
  ERRBUF_SIZE,
  errbufText,
  libc,
  libpcap,
  type LibpcapSymbols,
  PcapError,
  PcapHandle,
  PcapStatus,
  toCString,
  TSTAMP_PRECISION_NANO,
} from "./libpcap.ts";

/** Options of {@link LiveCapture.open}. */
export interface LiveCaptureOptions {
  /** Device name, e.g. "eth0" (see `listDevices()` / `defaultDevice()`). */
  device: string;
  /** Bytes kept of each packet; default 262144 (whole packets). */
  snaplen?: number;
  /** Promiscuous mode; default false (the host's own traffic is what pcap_ts watches). */
  promiscuous?: boolean;
  /**
   * Deliver each packet as soon as it arrives; default false: packets are handed over in
   * blocks, at the latest `timeoutMs` after they arrive. Immediate mode wakes the reader per
   * packet and drops packets under floods on small machines (see bench/run.ts, live-drain):
   * libpcap then uses a TPACKET_V2 ring of fixed slots sized for the largest packet (up to
   * 64 KiB on interfaces with receive offloads), so 32 MiB hold only ~500 packets. Measured
   * on a veth at ~200 k packets/s: snaplen 262144 dropped 7-8 %, snaplen 2048 dropped none.
   */
  immediate?: boolean;
  /** Kernel ring buffer size in bytes; default 32 MiB (larger rides out longer stalls). */
  bufferSize?: number;
  /** Longest delay in ms before a waiting packet is handed over when not immediate; default 10. */
  timeoutMs?: number;
  /** BPF filter expression; default none (every packet). */
  filter?: string;
}

/** Capture statistics (`pcap_stats`); on Linux counters since the capture was opened. */
export interface CaptureStats {
  /** Packets that passed the filter (Linux: received by the socket). */
  received: number;
  /** Packets dropped because the buffer was full. */
  dropped: number;
  /** Packets dropped by the interface or its driver. */
  ifDropped: number;
}

const POLLIN = 0x1;
const DIRECTION = { inout: 0, in: 1, out: 2 } as const;

function availableDevices(): string {
  try {
    const names = listDevices().map((d) => d.name);
    return names.length ? names.join(", ") : "none visible";
  } catch (e) {
    return `cannot list them: ${e instanceof Error ? e.message : String(e)}`;
  }
}

const PRIVILEGE_HINT =
  'run as root, or give the program CAP_NET_RAW and CAP_NET_ADMIN (see README, "Running without root")';

/** Turns a failed `pcap_activate` status into a clear error. */
function activationError(device: string, status: number, libMessage: string): PcapError {
  const detail = libMessage ? ` (libpcap: ${libMessage})` : "";
  switch (status) {
    case PcapStatus.errorNoSuchDevice:
      return new PcapError(
        `No capture device named "${device}"${detail}; available devices: ${availableDevices()}`,
        status,
      );
    case PcapStatus.errorPermissionDenied:
      return new PcapError(
        `Permission denied capturing on "${device}"${detail}: ${PRIVILEGE_HINT}`,
        status,
      );
    case PcapStatus.errorPromiscPermissionDenied:
      return new PcapError(
        `Permission denied putting "${device}" in promiscuous mode${detail}: ${PRIVILEGE_HINT}, or capture without promiscuous mode`,
        status,
      );
    case PcapStatus.errorInterfaceNotUp:
      return new PcapError(
        `Device "${device}" is down${detail}: bring it up ("ip link set ${device} up") or choose another`,
        status,
      );
    case PcapStatus.errorRfmonNotSupported:
      return new PcapError(`Device "${device}" does not support monitor mode${detail}`, status);
    case PcapStatus.errorActivated:
      return new PcapError(`Capture on "${device}" was already activated${detail}`, status);
    default:
      return new PcapError(
        `Cannot capture on "${device}"${detail || ` (status ${status})`}`,
        status,
      );
  }
}

/** A live capture on one device. */
export class LiveCapture {
  /** The device captured on. */
  readonly device: string;
  /** Warnings libpcap gave at activation (e.g. timestamp type not supported). */
  readonly warnings: string[];
  /** The filter in force, or null. */
  readonly filter: string | null;
  readonly #handle: PcapHandle;
  readonly #lib: LibpcapSymbols;
  readonly #fd: number;
  readonly #pollfd = new Uint8Array(8);
  readonly #stats = new Uint32Array(4);
  #program: BpfProgram | null = null;
  #polling: Promise<number> | null = null;
  #busy = false;
  readonly #pollSync = libc().poll_sync;
  #closed = false;

  private constructor(
    device: string,
    handle: PcapHandle,
    fd: number,
    warnings: string[],
    filter: string | null,
  ) {
    this.device = device;
    this.#handle = handle;
    this.#lib = libpcap();
    this.#fd = fd;
    this.warnings = warnings;
    this.filter = filter;
    const v = new DataView(this.#pollfd.buffer);
    v.setInt32(0, fd, true);
    v.setInt16(4, POLLIN, true);
  }

  /** Link type (DLT) of the device. */
  get linkType(): number {
    return this.#handle.linkType;
  }

  /** Snapshot length in force. */
  get snaplen(): number {
    return this.#lib.pcap_snapshot(this.#handle.pointer);
  }

  /**
   * Opens and activates a live capture in non-blocking mode.
   *
   * @throws {PcapError} with what went wrong and what to do (no such device: the available
   * ones; permission denied: root or capabilities; bad filter: the expression and libpcap's
   * message; promiscuous mode not supported)
   */
  static open(options: LiveCaptureOptions): LiveCapture {
    const lib = libpcap();
    libc();
    const device = options.device;
    const errbuf = new Uint8Array(ERRBUF_SIZE);
    const p = lib.pcap_create(toCString(device), errbuf);
    if (p === null) {
      throw new PcapError(`Cannot capture on "${device}": ${errbufText(errbuf)}`);
    }
    let ok = false;
    try {
      const promiscuous = options.promiscuous ?? false;
      const set = (what: string, rc: number) => {
        if (rc !== 0) {
          throw new PcapError(
            `Cannot set ${what} on "${device}": ${cString(lib.pcap_statustostr(rc))}`,
            rc,
          );
        }
      };
      set("the snapshot length", lib.pcap_set_snaplen(p, options.snaplen ?? 262144));
      set("promiscuous mode", lib.pcap_set_promisc(p, promiscuous ? 1 : 0));
      set("immediate mode", lib.pcap_set_immediate_mode(p, (options.immediate ?? false) ? 1 : 0));
      set("the buffer size", lib.pcap_set_buffer_size(p, options.bufferSize ?? 32 << 20));
      set("the timeout", lib.pcap_set_timeout(p, options.timeoutMs ?? 10));
      const nano = lib.pcap_set_tstamp_precision(p, TSTAMP_PRECISION_NANO) === 0;
      const status = lib.pcap_activate(p);
      const message = cString(lib.pcap_geterr(p));
      const warnings: string[] = [];
      if (status < 0) throw activationError(device, status, message);
      if (status === PcapStatus.warningPromiscNotSupported && promiscuous) {
        throw new PcapError(
          `Device "${device}" does not support promiscuous mode${
            message ? ` (libpcap: ${message})` : ""
          }: open it with promiscuous mode off`,
          status,
        );
      }
      if (status > 0) {
        warnings.push(`${cString(lib.pcap_statustostr(status))}${message ? `: ${message}` : ""}`);
      }
      if (lib.pcap_setnonblock(p, 1, errbuf) !== 0) {
        throw new PcapError(
          `Cannot set non-blocking mode on "${device}": ${errbufText(errbuf)}`,
        );
      }
      const fd = lib.pcap_get_selectable_fd(p);
      if (fd < 0) {
        throw new PcapError(`Device "${device}" has no selectable descriptor to wait on`);
      }
      const handle = new PcapHandle(p, nano);
      let program: BpfProgram | null = null;
      const filter = options.filter ?? "";
      if (filter.trim() !== "") {
        program = compileOnHandle(lib, p, filter, handle.linkType);
        if (lib.pcap_setfilter(p, program.struct) !== 0) {
          const why = cString(lib.pcap_geterr(p));
          program.free();
          throw new PcapError(`Cannot set capture filter "${filter}" on "${device}": ${why}`);
        }
      }
      const cap = new LiveCapture(
        device,
        handle,
        fd,
        warnings,
        filter.trim() === "" ? null : filter,
      );
      cap.#program = program;
      ok = true;
      return cap;
    } finally {
      if (!ok) lib.pcap_close(p);
    }
  }

  /**
   * Reads the next waiting packet into `frame` and returns true; false when nothing is
   * waiting. Call it until false, then `waitReadable()` (or `waitReadableSync()`). The frame's
   * bytes are libpcap's buffer, valid until the next `next()` or `close()`.
   *
   * @throws {PcapError} when the capture fails (e.g. the device went away)
   */
  next(frame: Frame): boolean {
    if (this.#handle.next(frame)) return true;
    const error = this.#handle.error;
    if (error !== null) {
      this.#handle.error = null;
      throw new PcapError(`Capture on "${this.device}" failed: ${error}`);
    }
    return false;
  }

  /**
   * Waits until packets may be waiting, or `timeoutMs` passes, and resolves true when
   * readable. One wait at a time.
   *
   * While traffic flows (the previous wait found the descriptor readable), it first waits up
   * to 1 ms with a `poll` on the calling thread: at high packet rates in immediate mode this
   * avoids a thread hand-off per wake-up. When that finds nothing, or the link was idle, it
   * waits with `poll` run off the event loop, so that an idle link never stalls it.
   */
  async waitReadable(timeoutMs: number): Promise<boolean> {
    if (this.#closed) return false;
    if (this.#polling !== null) await this.#polling;
    if (this.#busy) {
      if (this.#pollSync(this.#pollfd, 1n, timeoutMs >= 1 ? 1 : 0) > 0) return true;
      this.#busy = false;
    }
    this.#polling = libc().poll(this.#pollfd, 1n, Math.max(0, Math.floor(timeoutMs)));
    let n: number;
    try {
      n = await this.#polling;
    } finally {
      this.#polling = null;
      if (this.#closed) this.#release();
    }
    this.#busy = n > 0;
    return n > 0;
  }

  /**
   * Waits on the calling thread until packets may be waiting, or `timeoutMs` passes, and
   * returns true when readable. This blocks the thread: use it only on a thread of its own
   * (the capture Worker), where it costs one `poll` system call per wake-up, against a
   * thread hand-off and a promise for {@link waitReadable}.
   */
  waitReadableSync(timeoutMs: number): boolean {
    if (this.#closed) return false;
    return this.#pollSync(this.#pollfd, 1n, Math.max(0, Math.floor(timeoutMs))) > 0;
  }

  /** Packets received and dropped since the capture started (`pcap_stats`). */
  stats(): CaptureStats {
    if (this.#lib.pcap_stats(this.#handle.pointer, new Uint8Array(this.#stats.buffer)) !== 0) {
      throw new PcapError(
        `Cannot read statistics of "${this.device}": ${this.#handle.lastError()}`,
      );
    }
    return { received: this.#stats[0]!, dropped: this.#stats[1]!, ifDropped: this.#stats[2]! };
  }

  /**
   * Chooses which packets to see: received ("in"), sent ("out") or both ("inout", default).
   *
   * @throws {PcapError} when the device cannot do it
   */
  setDirection(direction: "in" | "out" | "inout"): void {
    const rc = this.#lib.pcap_setdirection(this.#handle.pointer, DIRECTION[direction]);
    if (rc !== 0) {
      throw new PcapError(
        `Cannot capture only "${direction}" packets on "${this.device}": ${this.#handle.lastError()}`,
        rc,
      );
    }
  }

  /** Closes the capture (after a pending `waitReadable` returns). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#polling === null) this.#release();
  }

  #release(): void {
    if (this.#handle.closed) return;
    this.#handle.close();
    this.#program?.free();
    this.#program = null;
  }
}

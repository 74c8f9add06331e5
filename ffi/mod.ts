/**
 * The capture source layer: every C binding of pcap_ts (libpcap, libc) and the capture file
 * reader and writer. The rest of the program gets frames (`Frame` from decode/packet.ts) whose
 * bytes live in the source's buffer until the next frame.
 *
 * - Offline: {@link CaptureFileReader} (pure TypeScript pcap/pcapng) and, for BPF filters,
 *   {@link OfflineFilter}.
 * - Live: {@link LiveCapture} (non-blocking libpcap woken by `poll`), {@link listDevices},
 *   {@link defaultDevice}.
 * - Evidence and fixtures: {@link PcapWriter}.
 *
 * @module
 */

export {
  CaptureFileError,
  CaptureFileReader,
  linkTypeToDlt,
  MAX_CAPLEN,
  newFrame,
  READ_BUFFER_SIZE,
} from "./file_reader.ts";
export { pcapFileHeader, PcapWriter, type PcapWriterOptions } from "./pcap_writer.ts";
export {
  libpcap,
  libpcapVersion,
  openOfflineWithLibpcap,
  PcapError,
  PcapHandle,
  PcapStatus,
} from "./libpcap.ts";
export { defaultDevice, type Device, type DeviceAddress, listDevices } from "./devices.ts";
export { BpfProgram, compileFilter, OfflineFilter } from "./filter.ts";
export { type CaptureStats, LiveCapture, type LiveCaptureOptions } from "./live.ts";

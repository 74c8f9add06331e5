/**
 * Writes a deterministic generated capture of mixed traffic for benchmarks.
 *
 * Ethernet frames: IPv4 and some IPv6; TCP sessions (handshake, data both ways with ACKs,
 * FIN teardown; some refused with RST) across many flows, UDP DNS-like queries and answers,
 * ICMP echo, some ARP, and a few 802.1Q VLAN-tagged flows. Checksums are correct. The same
 * arguments always give the same bytes (seeded PRNG, fixed start time).
 *
 * Usage: deno run --allow-all scripts/gen_capture.ts [PATH] [--packets N]
 *   PATH defaults to bench/out/mixed.pcap, N to 1,000,000.
 *
 * @module
 */

import { PcapWriter } from "../ffi/pcap_writer.ts";

/** Default output path (bench/out is git-ignored). */
export const DEFAULT_CAPTURE_PATH = "bench/out/mixed.pcap";
/** Default packet count. */
export const DEFAULT_PACKETS = 1_000_000;
/** Timestamp of the first packet: 2026-01-01T00:00:00Z. */
const START_SEC = 1767225600;
/** Sessions interleaved at any time. */
const ACTIVE_SESSIONS = 64;

/** xorshift32: small, fast, deterministic. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#s = x;
    return x;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
}

interface Host {
  mac: Uint8Array;
  ip4: Uint8Array;
  ip6: Uint8Array;
}

function host(id: number): Host {
  const mac = new Uint8Array([0x02, 0x00, 0x5e, (id >> 16) & 0xff, (id >> 8) & 0xff, id & 0xff]);
  const ip4 = new Uint8Array([10, (id >> 16) & 0xff || 1, (id >> 8) & 0xff, (id & 0xff) || 1]);
  const ip6 = new Uint8Array(16);
  ip6.set([0xfd, 0x00, 0x00, 0x42], 0);
  ip6[12] = (id >> 24) & 0xff;
  ip6[13] = (id >> 16) & 0xff;
  ip6[14] = (id >> 8) & 0xff;
  ip6[15] = id & 0xff;
  return { mac, ip4, ip6 };
}

function sum16(b: Uint8Array, start: number, end: number, acc = 0): number {
  let s = acc;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return (~s) & 0xffff;
}

interface Endpoints {
  src: Host;
  dst: Host;
  v6: boolean;
  vlan: number; // 0 = none
}

const ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86dd, ETH_ARP = 0x0806, ETH_VLAN = 0x8100;

/** Ethernet (+ VLAN) + IP + L4 header + payload, with checksums. */
function ipFrame(
  ep: Endpoints,
  proto: number,
  l4: Uint8Array,
  payload: Uint8Array,
  ipId: number,
  checksumAt: number,
): Uint8Array {
  const ethLen = ep.vlan ? 18 : 14;
  const ipLen = ep.v6 ? 40 : 20;
  const total = ethLen + ipLen + l4.length + payload.length;
  const b = new Uint8Array(Math.max(total, 60));
  const v = new DataView(b.buffer);
  b.set(ep.dst.mac, 0);
  b.set(ep.src.mac, 6);
  let o = 12;
  if (ep.vlan) {
    v.setUint16(12, ETH_VLAN);
    v.setUint16(14, ep.vlan);
    o = 16;
  }
  v.setUint16(o, ep.v6 ? ETH_IPV6 : ETH_IPV4);
  const ip = ethLen;
  const l4o = ip + ipLen;
  const l4Total = l4.length + payload.length;
  b.set(l4, l4o);
  b.set(payload, l4o + l4.length);
  let pseudo: number;
  if (ep.v6) {
    v.setUint32(ip, 0x60000000 | (ipId & 0xfffff));
    v.setUint16(ip + 4, l4Total);
    b[ip + 6] = proto;
    b[ip + 7] = 64;
    b.set(ep.src.ip6, ip + 8);
    b.set(ep.dst.ip6, ip + 24);
    pseudo = sum16(b, ip + 8, ip + 40, l4Total + proto);
  } else {
    b[ip] = 0x45;
    v.setUint16(ip + 2, 20 + l4Total);
    v.setUint16(ip + 4, ipId & 0xffff);
    v.setUint16(ip + 6, 0x4000);
    b[ip + 8] = 64;
    b[ip + 9] = proto;
    b.set(ep.src.ip4, ip + 12);
    b.set(ep.dst.ip4, ip + 16);
    v.setUint16(ip + 10, fold(sum16(b, ip, ip + 20)));
    pseudo = sum16(b, ip + 12, ip + 20, l4Total + proto);
  }
  if (checksumAt >= 0) {
    let c = fold(sum16(b, l4o, l4o + l4Total, pseudo));
    if (proto === 17 && c === 0) c = 0xffff;
    v.setUint16(l4o + checksumAt, c);
  }
  return b.subarray(0, Math.max(total, 60));
}

function tcpHeader(
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  window: number,
  mss: boolean,
): Uint8Array {
  const h = new Uint8Array(mss ? 24 : 20);
  const v = new DataView(h.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint32(4, seq >>> 0);
  v.setUint32(8, ack >>> 0);
  h[12] = (h.length / 4) << 4;
  h[13] = flags;
  v.setUint16(14, window);
  if (mss) {
    h[20] = 2;
    h[21] = 4;
    v.setUint16(22, 1460);
  }
  return h;
}

function udpHeader(sport: number, dport: number, payloadLen: number): Uint8Array {
  const h = new Uint8Array(8);
  const v = new DataView(h.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, 8 + payloadLen);
  return h;
}

const enc = new TextEncoder();
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const EMPTY: Uint8Array = new Uint8Array(0);

function payloadOf(rng: Rng, n: number, request: boolean, first: boolean): Uint8Array {
  if (first) {
    const text = request
      ? `GET /item/${rng.int(100000)} HTTP/1.1\r\nHost: example${
        rng.int(50)
      }.test\r\nUser-Agent: gen\r\n\r\n`
      : `HTTP/1.1 200 OK\r\nContent-Length: ${n}\r\nContent-Type: text/html\r\n\r\n`;
    const t = enc.encode(text);
    if (t.length >= n) return t;
    const b = new Uint8Array(n);
    b.set(t);
    for (let i = t.length; i < n; i++) b[i] = 97 + ((i * 7) % 26);
    return b;
  }
  const b = new Uint8Array(n);
  const s = rng.next();
  for (let i = 0; i < n; i++) b[i] = (s + i * 13) & 0xff;
  return b;
}

function tcpSession(rng: Rng, ep: Endpoints, ipId: () => number): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: ep.v6, vlan: ep.vlan };
  const sport = 1024 + rng.int(60000);
  const dport = [80, 443, 8080, 22, 25, 3306][rng.int(6)]!;
  let cseq = rng.next(), sseq = rng.next();
  const c = (flags: number, payload = EMPTY, mss = false) => {
    const f = ipFrame(
      ep,
      6,
      tcpHeader(sport, dport, cseq, flags & ACK ? sseq : 0, flags, 64240, mss),
      payload,
      ipId(),
      16,
    );
    cseq += payload.length + (flags & (SYN | FIN) ? 1 : 0);
    return f;
  };
  const s = (flags: number, payload = EMPTY, mss = false) => {
    const f = ipFrame(
      back,
      6,
      tcpHeader(dport, sport, sseq, cseq, flags, 65160, mss),
      payload,
      ipId(),
      16,
    );
    sseq += payload.length + (flags & (SYN | FIN) ? 1 : 0);
    return f;
  };
  const out: Uint8Array[] = [c(SYN, EMPTY, true)];
  if (rng.chance(0.08)) {
    // Refused: RST+ACK from a closed port.
    sseq = 0;
    out.push(
      ipFrame(back, 6, tcpHeader(dport, sport, 0, cseq, RST | ACK, 0, false), EMPTY, ipId(), 16),
    );
    return out;
  }
  out.push(s(SYN | ACK, EMPTY, true));
  out.push(c(ACK));
  const exchanges = 1 + rng.int(4);
  for (let i = 0; i < exchanges; i++) {
    out.push(c(PSH | ACK, payloadOf(rng, 40 + rng.int(300), true, i === 0)));
    out.push(s(ACK));
    const segments = 1 + rng.int(4);
    for (let j = 0; j < segments; j++) {
      const size = rng.chance(0.5) ? 1400 : 60 + rng.int(900);
      out.push(s(PSH | ACK, payloadOf(rng, size, false, j === 0)));
      if (j % 2 === 1 || j === segments - 1) out.push(c(ACK));
    }
  }
  out.push(c(FIN | ACK));
  out.push(s(FIN | ACK));
  out.push(c(ACK));
  return out;
}

function dnsPayload(rng: Rng, id: number, answer: boolean): Uint8Array {
  const labels = [`host${rng.int(5000)}`, ["example", "corp", "cdn", "mail"][rng.int(4)]!, "test"];
  const q: number[] = [];
  for (const l of labels) {
    q.push(l.length, ...enc.encode(l));
  }
  q.push(0, 0, 1, 0, 1); // end, type A, class IN
  const header = [
    id >> 8,
    id & 0xff,
    answer ? 0x81 : 0x01,
    answer ? 0x80 : 0x00,
    0,
    1,
    0,
    answer ? 1 : 0,
    0,
    0,
    0,
    0,
  ];
  const ans = answer
    ? [0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 9, rng.int(256), rng.int(256)]
    : [];
  return new Uint8Array([...header, ...q, ...ans]);
}

function dnsSession(rng: Rng, ep: Endpoints, ipId: () => number): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: ep.v6, vlan: ep.vlan };
  const sport = 1024 + rng.int(60000), id = rng.int(65536);
  const q = dnsPayload(rng, id, false), a = dnsPayload(rng, id, true);
  return [
    ipFrame(ep, 17, udpHeader(sport, 53, q.length), q, ipId(), 6),
    ipFrame(back, 17, udpHeader(53, sport, a.length), a, ipId(), 6),
  ];
}

function icmpSession(rng: Rng, ep: Endpoints, ipId: () => number): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: false, vlan: ep.vlan };
  const id = rng.int(65536), seq = rng.int(100);
  const data = new Uint8Array(56);
  for (let i = 0; i < 56; i++) data[i] = i;
  const echo = (type: number) => {
    const h = new Uint8Array(8);
    h[0] = type;
    new DataView(h.buffer).setUint16(4, id);
    new DataView(h.buffer).setUint16(6, seq);
    return h;
  };
  const icmp = (e: Endpoints, type: number) => {
    const f = ipFrame({ ...e, v6: false }, 1, echo(type), data, ipId(), -1);
    // ICMP checksum covers the ICMP message only.
    const l4 = (e.vlan ? 18 : 14) + 20;
    const end = l4 + 8 + data.length;
    new DataView(f.buffer, f.byteOffset).setUint16(l4 + 2, fold(sum16(f, l4, end)));
    return f;
  };
  return [icmp(ep, 8), icmp(back, 0)];
}

function arpSession(ep: Endpoints): Uint8Array[] {
  const arp = (op: number, sender: Host, target: Host, dstMac: Uint8Array) => {
    const b = new Uint8Array(60);
    const v = new DataView(b.buffer);
    b.set(dstMac, 0);
    b.set(sender.mac, 6);
    v.setUint16(12, ETH_ARP);
    v.setUint16(14, 1);
    v.setUint16(16, 0x0800);
    b[18] = 6;
    b[19] = 4;
    v.setUint16(20, op);
    b.set(sender.mac, 22);
    b.set(sender.ip4, 28);
    if (op === 2) b.set(target.mac, 32);
    b.set(target.ip4, 38);
    return b;
  };
  const bcast = new Uint8Array([255, 255, 255, 255, 255, 255]);
  return [arp(1, ep.src, ep.dst, bcast), arp(2, ep.dst, ep.src, ep.src.mac)];
}

/** Writes `packets` generated frames to `path`; returns the number written. */
export function generateCapture(path: string, packets = DEFAULT_PACKETS): number {
  const rng = new Rng(0x5eed1234);
  const clients = Array.from({ length: 500 }, (_, i) => host(0x010000 + i));
  const servers = Array.from({ length: 60 }, (_, i) => host(0x020000 + i));
  let id = 1;
  const ipId = () => id++;
  const newSession = (): Uint8Array[] => {
    const ep: Endpoints = {
      src: clients[rng.int(clients.length)]!,
      dst: servers[rng.int(servers.length)]!,
      v6: rng.chance(0.12),
      vlan: rng.chance(0.03) ? 100 + rng.int(3) : 0,
    };
    const r = rng.int(100);
    if (r < 60) return tcpSession(rng, ep, ipId);
    if (r < 88) return dnsSession(rng, ep, ipId);
    if (r < 96) return icmpSession(rng, ep, ipId);
    return arpSession(ep);
  };
  const active: { frames: Uint8Array[]; next: number }[] = [];
  for (let i = 0; i < ACTIVE_SESSIONS; i++) active.push({ frames: newSession(), next: 0 });
  Deno.mkdirSync(path.replace(/\/[^/]*$/, "") || ".", { recursive: true });
  const w = PcapWriter.create(path, { snaplen: 262144 });
  let sec = START_SEC, usec = 0;
  for (let n = 0; n < packets; n++) {
    const k = rng.int(ACTIVE_SESSIONS);
    let s = active[k]!;
    if (s.next >= s.frames.length) {
      s = { frames: newSession(), next: 0 };
      active[k] = s;
    }
    const f = s.frames[s.next++]!;
    usec += 5 + rng.int(150);
    if (usec >= 1000000) {
      sec++;
      usec -= 1000000;
    }
    w.writeRecord(sec, usec * 1000, f);
  }
  w.close();
  return packets;
}

if (import.meta.main) {
  let path = DEFAULT_CAPTURE_PATH, packets = DEFAULT_PACKETS;
  const args = [...Deno.args];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--packets") {
      packets = Number(args[++i]);
      if (!Number.isInteger(packets) || packets < 1) {
        console.error(`Cannot use --packets "${args[i]}": expected a positive integer`);
        Deno.exit(2);
      }
    } else if (a.startsWith("-")) {
      console.error(`Unknown option "${a}": usage: gen_capture.ts [PATH] [--packets N]`);
      Deno.exit(2);
    } else path = a;
  }
  const t0 = performance.now();
  generateCapture(path, packets);
  const size = Deno.statSync(path).size;
  console.log(
    `wrote ${packets} packets (${(size / 1e6).toFixed(1)} MB) to ${path} in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s`,
  );
}

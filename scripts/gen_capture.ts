/**
 * Writes a deterministic generated capture of ordinary, benign mixed traffic for benchmarks.
 *
 * Ethernet frames: IPv4 and some IPv6; TCP sessions (handshake, data both ways with ACKs,
 * FIN teardown) across many flows, UDP DNS-like queries and answers, ICMP echo, some ARP, and
 * a few 802.1Q VLAN-tagged flows. Checksums are correct. The same arguments always give the
 * same bytes (seeded PRNG, fixed start time).
 *
 * What the traffic looks like (an office LAN; no scan detector should fire on it):
 * - 60 servers, each with a fixed role: 2 DNS resolvers (UDP 53), and web (TCP 80, 443), app
 *   (443, 8080), mail (25), database (3306, 22) and bastion (22) servers. Every other port of
 *   a server is closed: a SYN to it is refused with RST+ACK.
 * - 500 clients. Each has one resolver and 2 to 5 service servers (3 to 6 peers in all), chosen
 *   once per client, and talks only to them: TCP to an open port of a service server, DNS to
 *   its resolver, who-has ARP for one of its peers. A client pings only one or two of its
 *   peers (one ping process per peer: fixed echo id, rising sequence). Source ports come from a
 *   per-client ephemeral counter, so 5-tuples are not reused.
 * - Refusals belong to closed (server, port) pairs: 1 client in 25 keeps an old bookmark (a
 *   closed port of one of its servers) and tries it once or twice in the whole capture.
 * - A quarter of the clients are dual-stack and use IPv6 for about half of their TCP and DNS
 *   (about 12 % of those sessions); 1 client in 33 sits on a tagged VLAN (100-102), both ways.
 * - Sessions: 60 % TCP, 28 % DNS, 8 % ICMP echo, 4 % ARP, 64 interleaved at any time, 5 to
 *   155 µs between packets (about 80 s of traffic per million packets).
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

/** Host `index` (0-based) of subnet 10.`net`.0.0/16; addresses never end in .0 or .255. */
function host(net: number, index: number): Host {
  const hi = Math.floor(index / 250), lo = (index % 250) + 1;
  const mac = new Uint8Array([0x02, 0x00, 0x5e, net, hi, lo]);
  const ip4 = new Uint8Array([10, net, hi, lo]);
  const ip6 = new Uint8Array(16);
  ip6.set([0xfd, 0x00, 0x00, 0x42], 0);
  ip6[13] = net;
  ip6[14] = hi;
  ip6[15] = lo;
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

/** One TCP connection from `sport` to `dport`: refused (SYN, RST+ACK) or a whole session. */
function tcpSession(
  rng: Rng,
  ep: Endpoints,
  ipId: () => number,
  sport: number,
  dport: number,
  refused: boolean,
): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: ep.v6, vlan: ep.vlan };
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
  if (refused) {
    // RST+ACK from a closed port.
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

function dnsSession(rng: Rng, ep: Endpoints, ipId: () => number, sport: number): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: ep.v6, vlan: ep.vlan };
  const id = rng.int(65536);
  const q = dnsPayload(rng, id, false), a = dnsPayload(rng, id, true);
  return [
    ipFrame(ep, 17, udpHeader(sport, 53, q.length), q, ipId(), 6),
    ipFrame(back, 17, udpHeader(53, sport, a.length), a, ipId(), 6),
  ];
}

/** One echo request and its reply (`id`, `seq`: those of the pinging process). */
function icmpSession(ep: Endpoints, ipId: () => number, id: number, seq: number): Uint8Array[] {
  const back: Endpoints = { src: ep.dst, dst: ep.src, v6: false, vlan: ep.vlan };
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

/** Service ports of the servers' roles; any other port of a server is closed. */
const SERVER_ROLES: readonly (readonly number[])[] = [
  [80, 443], // web
  [443, 8080], // app
  [25], // mail
  [3306, 22], // database
  [22], // bastion
];
/** Every service port some server offers: where a stale bookmark may point. */
const SERVICE_PORTS = [22, 25, 80, 443, 3306, 8080];
const CLIENTS = 500;
const SERVERS = 60;
/** Servers 0 and 1 are the DNS resolvers. */
const RESOLVERS = 2;
/** Ephemeral source ports (Linux default range). */
const EPHEMERAL_FIRST = 32768, EPHEMERAL_COUNT = 28232;

interface Server {
  host: Host;
  ports: readonly number[];
}

/** One client's fixed plan: whom it talks to and how. */
interface Client {
  host: Host;
  resolver: Host;
  /** Service servers it connects to (2 to 5). */
  servers: Server[];
  /** Peers it pings (1 or 2), each with the echo id of its own ping process. */
  pings: { host: Host; id: number; seq: number }[];
  /** Share of its TCP and DNS sessions over IPv6 (0: IPv4 only). */
  v6Share: number;
  /** 802.1Q VLAN id, 0: untagged. */
  vlan: number;
  nextPort: number;
  /** A closed (server, port) it still tries now and then, or null. */
  stale: { server: Server; port: number; triesLeft: number } | null;
}

/** Picks `n` distinct items of `items` (partial Fisher-Yates on a copy). */
function pick<T>(rng: Rng, items: readonly T[], n: number): T[] {
  const a = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(a.length - i);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

function planClients(rng: Rng): Client[] {
  const servers: Server[] = Array.from({ length: SERVERS }, (_, i) => ({
    host: host(2, i),
    ports: i < RESOLVERS ? [] : SERVER_ROLES[i % SERVER_ROLES.length]!,
  }));
  const resolvers = servers.slice(0, RESOLVERS);
  const services = servers.slice(RESOLVERS);
  return Array.from({ length: CLIENTS }, (_, i): Client => {
    const mine = pick(rng, services, 2 + rng.int(4));
    const resolver = resolvers[rng.int(RESOLVERS)]!.host;
    const peers = [resolver, ...mine.map((s) => s.host)];
    const pings = pick(rng, peers, 1 + rng.int(2)).map((h) => ({
      host: h,
      id: rng.int(65536),
      seq: 1,
    }));
    let stale: Client["stale"] = null;
    if (i % 25 === 7) {
      const server = mine[rng.int(mine.length)]!;
      const closed = SERVICE_PORTS.filter((p) => !server.ports.includes(p));
      stale = { server, port: closed[rng.int(closed.length)]!, triesLeft: 1 + rng.int(2) };
    }
    return {
      host: host(1, i),
      resolver,
      servers: mine,
      pings,
      v6Share: i % 4 === 0 ? 0.5 : 0,
      vlan: i % 33 === 4 ? 100 + (i % 3) : 0,
      nextPort: EPHEMERAL_FIRST + rng.int(EPHEMERAL_COUNT),
      stale,
    };
  });
}

/** Writes `packets` generated frames to `path`; returns the number written. */
export function generateCapture(path: string, packets = DEFAULT_PACKETS): number {
  const rng = new Rng(0x5eed1234);
  const clients = planClients(rng);
  let id = 1;
  const ipId = () => id++;
  const ephemeral = (c: Client) => {
    const p = c.nextPort;
    c.nextPort = p + 1 < EPHEMERAL_FIRST + EPHEMERAL_COUNT ? p + 1 : EPHEMERAL_FIRST;
    return p;
  };
  const newSession = (): Uint8Array[] => {
    const c = clients[rng.int(clients.length)]!;
    const to = (dst: Host, v6: boolean): Endpoints => ({ src: c.host, dst, v6, vlan: c.vlan });
    const r = rng.int(100);
    if (r < 60) {
      const v6 = rng.chance(c.v6Share);
      if (c.stale && c.stale.triesLeft > 0 && rng.chance(0.03)) {
        c.stale.triesLeft--;
        return tcpSession(rng, to(c.stale.server.host, v6), ipId, ephemeral(c), c.stale.port, true);
      }
      const s = c.servers[rng.int(c.servers.length)]!;
      const port = s.ports[rng.int(s.ports.length)]!;
      return tcpSession(rng, to(s.host, v6), ipId, ephemeral(c), port, false);
    }
    if (r < 88) return dnsSession(rng, to(c.resolver, rng.chance(c.v6Share)), ipId, ephemeral(c));
    if (r < 96) {
      const p = c.pings[rng.int(c.pings.length)]!;
      p.seq = (p.seq + 1) & 0xffff;
      return icmpSession(to(p.host, false), ipId, p.id, p.seq);
    }
    const peers = [c.resolver, ...c.servers.map((s) => s.host)];
    return arpSession(to(peers[rng.int(peers.length)]!, false));
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

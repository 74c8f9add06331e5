/**
 * The `--dump=text` form of a decoded packet: one tcpdump-like line.
 *
 * @module
 */
import { LayerBit, type Packet, problemName } from "./packet.ts";
import { ipToString, ipv4ToString, macToString } from "./address.ts";
import { ArpOp, isEthernetIpv4Arp } from "./arp.ts";
import { etherTypeText } from "./ether_type.ts";
import { linkTypeName } from "./link_type.ts";
import { tcpFlagsTcpdump } from "./tcp.ts";
import { textTimestamp } from "./_time.ts";

const UNREACH_V4: Readonly<Record<number, string>> = {
  0: "net",
  1: "host",
  2: "protocol",
  3: "port",
  4: "need to frag",
  5: "source route failed",
  9: "net prohibited",
  10: "host prohibited",
  13: "admin prohibited",
};

const UNREACH_V6: Readonly<Record<number, string>> = {
  0: "route",
  1: "prohibited",
  2: "beyond scope",
  3: "address",
  4: "port",
};

function protoName(proto: number): string {
  return proto === 6 ? "tcp" : proto === 17 ? "udp" : `ip-proto-${proto}`;
}

function quoteText(pkt: Packet): string {
  if ((pkt.layers & LayerBit.icmpQuote) === 0) return "";
  const q = pkt.icmp.quoted;
  const ports = q.protocol === 6 || q.protocol === 17;
  return ` ${ipToString(q.ipVersion, q.dst)} ${protoName(q.protocol)}` +
    (ports ? ` port ${q.dstPort}` : "");
}

function icmpv4Text(pkt: Packet): string {
  const icmp = pkt.icmp;
  const len = pkt.payloadLen + 8;
  switch (icmp.type) {
    case 0:
    case 8:
      return `ICMP echo ${
        icmp.type === 8 ? "request" : "reply"
      }, id ${icmp.id}, seq ${icmp.seq}, length ${len}`;
    case 3:
      return `ICMP unreachable ${UNREACH_V4[icmp.code] ?? `code ${icmp.code}`}${
        quoteText(pkt)
      }, length ${len}`;
    case 11:
      return `ICMP time exceeded ${icmp.code === 0 ? "in-transit" : "in-reassembly"}${
        quoteText(pkt)
      }, length ${len}`;
    default:
      return `ICMP type ${icmp.type} code ${icmp.code}${quoteText(pkt)}, length ${len}`;
  }
}

function icmpv6Text(pkt: Packet): string {
  const icmp = pkt.icmp;
  const len = pkt.payloadLen + 8;
  switch (icmp.type) {
    case 128:
    case 129:
      return `ICMP6 echo ${
        icmp.type === 128 ? "request" : "reply"
      }, id ${icmp.id}, seq ${icmp.seq}, length ${len}`;
    case 1:
      return `ICMP6 unreachable ${UNREACH_V6[icmp.code] ?? `code ${icmp.code}`}${
        quoteText(pkt)
      }, length ${len}`;
    case 2:
      return `ICMP6 packet too big${quoteText(pkt)}, length ${len}`;
    case 3:
      return `ICMP6 time exceeded${quoteText(pkt)}, length ${len}`;
    case 133:
      return `ICMP6 router solicitation, length ${len}`;
    case 134:
      return `ICMP6 router advertisement, length ${len}`;
    case 135:
      return `ICMP6 neighbor solicitation, length ${len}`;
    case 136:
      return `ICMP6 neighbor advertisement, length ${len}`;
    default:
      return `ICMP6 type ${icmp.type} code ${icmp.code}${quoteText(pkt)}, length ${len}`;
  }
}

function ipText(pkt: Packet): string {
  const layers = pkt.layers;
  const ip = pkt.ip;
  const name = ip.version === 4 ? "IP" : "IP6";
  const src = ipToString(ip.version, ip.src);
  const dst = ipToString(ip.version, ip.dst);
  if (layers & LayerBit.tcp) {
    const tcp = pkt.tcp;
    const n = pkt.payloadLen;
    let s = `${name} ${src}.${tcp.srcPort} > ${dst}.${tcp.dstPort}: Flags [${
      tcpFlagsTcpdump(tcp.flags)
    }], seq ${tcp.seq}`;
    if (n > 0) s += `:${(tcp.seq + n) >>> 0}`;
    if (tcp.flags & 0x10) s += `, ack ${tcp.ack}`;
    return s + `, win ${tcp.window}, length ${n}`;
  }
  if (layers & LayerBit.udp) {
    const udp = pkt.udp;
    return `${name} ${src}.${udp.srcPort} > ${dst}.${udp.dstPort}: UDP, length ${pkt.payloadLen}`;
  }
  if (layers & LayerBit.icmpv4) return `${name} ${src} > ${dst}: ${icmpv4Text(pkt)}`;
  if (layers & LayerBit.icmpv6) return `${name} ${src} > ${dst}: ${icmpv6Text(pkt)}`;
  let s = `${name} ${src} > ${dst}: ${protoName(ip.protocol)}`;
  if (layers & LayerBit.fragment) {
    s += ` (frag ${ip.id}:${pkt.payloadLen}@${ip.fragOffset}${ip.moreFragments ? "+" : ""})`;
  }
  return s + `, length ${pkt.payloadLen}`;
}

function arpText(pkt: Packet): string {
  const arp = pkt.arp;
  if (!isEthernetIpv4Arp(pkt)) {
    return `ARP, hardware type ${arp.hardwareType}, protocol ${
      etherTypeText(arp.protocolType)
    }, op ${arp.op}`;
  }
  const len = pkt.payloadOffset - pkt.l3Offset;
  if (arp.op === ArpOp.request) {
    return `ARP, Request who-has ${ipv4ToString(arp.targetIp)} tell ${
      ipv4ToString(arp.senderIp)
    }, length ${len}`;
  }
  if (arp.op === ArpOp.reply) {
    return `ARP, Reply ${ipv4ToString(arp.senderIp)} is-at ${
      macToString(pkt.buf, arp.senderMacOffset)
    }, length ${len}`;
  }
  return `ARP, op ${arp.op} ${ipv4ToString(arp.senderIp)} > ${
    ipv4ToString(arp.targetIp)
  }, length ${len}`;
}

/**
 * One tcpdump-like line for a decoded packet: UTC time, VLAN tags, then the innermost
 * decoded layer (`IP 10.0.0.1.80 > 10.0.0.2.4000: Flags [S.], seq 1, ack 2, win 512, length
 * 0`, `ARP, Request who-has X tell Y`, `ICMP echo request, id N, seq N`), and the decode
 * problem as `[anomalies: ipv4.truncated]`. Allocates; for dumps only.
 */
export function packetToText(pkt: Packet): string {
  const layers = pkt.layers;
  let s = textTimestamp(pkt.tsSec, pkt.tsNsec) + " ";
  if (layers & LayerBit.vlan) {
    s += `vlan ${Array.from(pkt.vlan.ids.subarray(0, pkt.vlan.count)).join(",")}, `;
  }
  if (layers & LayerBit.pppoe) s += `PPPoE [ses 0x${pkt.pppoe.sessionId.toString(16)}] `;
  if (layers & (LayerBit.ipv4 | LayerBit.ipv6)) s += ipText(pkt);
  else if (layers & LayerBit.arp) s += arpText(pkt);
  else if (layers & LayerBit.ethernet) {
    s += `${macToString(pkt.buf, pkt.eth.srcOffset)} > ${
      macToString(pkt.buf, pkt.eth.dstOffset)
    }, ethertype ${etherTypeText(pkt.eth.etherType)}, length ${pkt.len}`;
  } else if (layers & LayerBit.sll) {
    s += `sll protocol ${etherTypeText(pkt.sll.protocol)}, length ${pkt.len}`;
  } else s += `${linkTypeName(pkt.linkType)}, length ${pkt.len}`;
  if (pkt.problem !== null) s += ` [anomalies: ${problemName(pkt.problem)}]`;
  return s;
}

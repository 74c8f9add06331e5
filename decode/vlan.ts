/**
 * 802.1Q / 802.1ad / QinQ VLAN tags.
 *
 * @module
 */
import { LayerBit, MAX_VLAN_TAGS, type Packet } from "./packet.ts";
import { setInvalid, setTruncated } from "./_problem.ts";

/** Bytes of one tag after its TPID: TCI (2) and the next EtherType (2). */
export const VLAN_TAG_LEN = 4;
const TCI = 0;
const NEXT_TYPE = 2;

function isTpid(type: number): boolean {
  return type === 0x8100 || type === 0x88a8 || type === 0x9100;
}

/**
 * Decodes a stack of VLAN tags starting at `o` (the byte after the first TPID) into
 * `pkt.vlan`. The TPID of the first tag is read from the two bytes before `o`. Returns the
 * offset after the last tag, whose EtherType is then at `[result - 2, result)`, or -1 on a
 * problem (`vlan.truncated`, `vlan.invalid_depth` past {@link MAX_VLAN_TAGS}).
 */
export function decodeVlanTags(buf: Uint8Array, o: number, end: number, pkt: Packet): number {
  const vlan = pkt.vlan;
  let tpid = (buf[o - 2]! << 8) | buf[o - 1]!;
  vlan.count = 0;
  for (;;) {
    if (end - o < VLAN_TAG_LEN) {
      setTruncated(pkt, "vlan", VLAN_TAG_LEN, end - o, o);
      return -1;
    }
    if (vlan.count === MAX_VLAN_TAGS) {
      setInvalid(pkt, "vlan", "depth", vlan.count + 1, o);
      return -1;
    }
    const tci = (buf[o + TCI]! << 8) | buf[o + TCI + 1]!;
    const i = vlan.count++;
    vlan.ids[i] = tci & 0x0fff;
    vlan.pcp[i] = tci >> 13;
    vlan.tpids[i] = tpid;
    pkt.layers |= LayerBit.vlan;
    tpid = (buf[o + NEXT_TYPE]! << 8) | buf[o + NEXT_TYPE + 1]!;
    o += VLAN_TAG_LEN;
    if (!isTpid(tpid)) return o;
  }
}

import assert from "node:assert/strict";
import { TcpFlag } from "../decode/packet.ts";
import { stealthKind } from "./stealth_scan.ts";

Deno.test("stealthKind() finds no probe in the packets the flow table keeps from scan.stealth", () => {
  // The table calls an unusualTcpOnly listener for packets that start a flow, lack ACK, or
  // carry SYN with FIN or with RST (flow/table.ts): every other flag byte on a known flow
  // must classify as no probe, or the filter would hide probes.
  const S = TcpFlag.syn, F = TcpFlag.fin, R = TcpFlag.rst;
  for (let flags = 0; flags < 256; flags++) {
    const passes = (flags & TcpFlag.ack) === 0 || (flags & (S | F)) === (S | F) ||
      (flags & (S | R)) === (S | R);
    if (passes) continue;
    for (const payloadLen of [0, 1]) assert.equal(stealthKind(flags, false, payloadLen), -1);
  }
});

// The engine's fan-out of flow events to detectors, with recording detectors.
import assert from "node:assert/strict";
import { Packet } from "../decode/packet.ts";
import { defaultFlowConfig } from "../flow/config.ts";
import { tcp, udp } from "../flow/_packet_builder.ts";
import { OUTCOME_NAMES, type OutcomeCode } from "../flow/table.ts";
import type { FlowTable } from "../flow/table.ts";
import type { Detector, DetectorDefinition } from "./detector.ts";
import { Engine } from "./engine.ts";

/** A detector definition whose detector records the attempts it is told of. */
function recorder(name: string, seen: string[], failedOnly: boolean): DetectorDefinition {
  return {
    name,
    signatureId: 1,
    defaults: { doc: "test", keys: {} },
    create(): Detector {
      return {
        ...(failedOnly ? { failedAttemptsOnly: true } : {}),
        onAttempt(t: FlowTable, f: number, outcome: OutcomeCode) {
          seen.push(`${name} ${OUTCOME_NAMES[outcome]} ${t.portR[f]}`);
        },
      };
    },
  };
}

Deno.test("Engine: failedAttemptsOnly detectors hear of failed attempts only, after the others", () => {
  const seen: string[] = [], p = new Packet();
  const e = new Engine({
    flow: { ...defaultFlowConfig, max_flows: 64 },
    definitions: [recorder("test.failed", seen, true), recorder("test.all", seen, false)],
    allowlist: [],
    localAddresses: [],
    emit: () => {},
  });
  e.onPacket(tcp(p, 1, "10.0.0.1", 40001, "10.0.0.2", 22, "S"));
  e.onPacket(tcp(p, 1.1, "10.0.0.2", 22, "10.0.0.1", 40001, "SA")); // answered
  e.onPacket(tcp(p, 2, "10.0.0.1", 40002, "10.0.0.2", 23, "S"));
  e.onPacket(tcp(p, 2.1, "10.0.0.2", 23, "10.0.0.1", 40002, "RA")); // refused
  e.onPacket(tcp(p, 3, "10.0.0.1", 40003, "10.0.0.2", 24, "S"));
  e.tick(20); // unanswered
  assert.deepEqual(seen, [
    "test.all answered 22",
    "test.all refused 23",
    "test.failed refused 23",
    "test.all unanswered 24",
    "test.failed unanswered 24",
  ]);
});

Deno.test("Engine: newFlowProtocols detectors hear of new flows of those protocols only", () => {
  const seen: string[] = [], p = new Packet();
  const watcher = (name: string, protocols?: number[]): DetectorDefinition => ({
    name,
    signatureId: 1,
    defaults: { doc: "test", keys: {} },
    create: (): Detector => ({
      ...(protocols ? { newFlowProtocols: protocols } : {}),
      onNewFlow: (t: FlowTable, f: number) => void seen.push(`${name} ${t.proto[f]}`),
    }),
  });
  const e = new Engine({
    flow: { ...defaultFlowConfig, max_flows: 64 },
    definitions: [watcher("test.udp", [17]), watcher("test.all")],
    allowlist: [],
    localAddresses: [],
    emit: () => {},
  });
  e.onPacket(tcp(p, 1, "10.0.0.1", 40001, "10.0.0.2", 22, "S"));
  e.onPacket(udp(p, 2, "10.0.0.1", 5353, "10.0.0.2", 53));
  assert.deepEqual(seen, ["test.all 6", "test.all 17", "test.udp 17"]);
});

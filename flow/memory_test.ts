// Memory under a flood of spoofed sources (flow/_memory_flood.ts, run as its own process):
// every packet comes from a new random source, through the whole Engine with the default
// [flow] and detector configuration. Flows are capped by max_flows (preallocated, outside
// the JS heap), detector state by each detector's max_keys / max_sources in preallocated
// slots that are recycled, not left to the garbage collector. The process runs with no V8
// flags, as pcap_ts itself does, and peak RSS must stay under 256 MB (measured at 1 M
// sources: about 110 MB). FLOW_MEMORY_SOURCES sets another number of sources.
import assert from "node:assert/strict";

const SOURCES = Number(Deno.env.get("FLOW_MEMORY_SOURCES") ?? "1000000");
const MB = 1024 * 1024;

Deno.test(`Engine keeps peak RSS under 256 MB with ${SOURCES} spoofed sources`, async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      new URL("./_memory_flood.ts", import.meta.url).pathname,
      String(SOURCES),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  console.log(stderr.trim());
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(r.peakRss < 256 * MB, `peak RSS ${(r.peakRss / MB).toFixed(0)} MB`);
  assert.ok(r.flows <= r.maxFlows);
  if (SOURCES > r.maxFlows) assert.ok(r.evictions > 0, "the flow table never filled");
  for (const [name, d] of Object.entries(r.detectors as Record<string, { tracked: number }>)) {
    assert.ok(d.tracked <= 10_000, `${name} holds ${d.tracked} keys`);
  }
});

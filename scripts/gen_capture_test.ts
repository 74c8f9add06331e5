import { assertEquals } from "../ffi/_assert.ts";
import { CaptureFileReader, newFrame } from "../ffi/file_reader.ts";
import { Analyzer } from "../pipeline.ts";
import { defaultConfig } from "../config/mod.ts";
import type { Alert } from "../detect/alert.ts";
import { DEFAULT_PACKETS, generateCapture } from "./gen_capture.ts";

/** Alerts the Analyzer (default config) raises on the capture at `path`, and its packet count. */
function analyse(path: string): { packets: number; alerts: Alert[] } {
  const alerts: Alert[] = [];
  const analyzer = new Analyzer({
    config: defaultConfig(),
    localAddresses: [],
    onAlert: (a) => alerts.push(a),
    dump: null,
  });
  const reader = CaptureFileReader.open(path);
  const frame = newFrame();
  let packets = 0;
  while (reader.next(frame)) {
    analyzer.onFrame(frame);
    packets++;
  }
  analyzer.finish(true);
  reader.close();
  return { packets, alerts };
}

Deno.test("generateCapture() writes benign traffic: the default capture raises no alert", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/mixed.pcap`;
    assertEquals(generateCapture(path), DEFAULT_PACKETS);
    const { packets, alerts } = analyse(path);
    assertEquals(packets, DEFAULT_PACKETS);
    assertEquals(alerts, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("generateCapture() gives the same bytes for the same arguments", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const digest = async (p: string) =>
      new Uint8Array(await crypto.subtle.digest("SHA-256", Deno.readFileSync(p)));
    generateCapture(`${dir}/a.pcap`, 20_000);
    generateCapture(`${dir}/b.pcap`, 20_000);
    assertEquals(await digest(`${dir}/a.pcap`), await digest(`${dir}/b.pcap`));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/**
 * The one place the notifiers run a child program: argv arrays only (no shell ever sees
 * packet text), a timeout, and stderr kept for the error message.
 *
 * @module
 */

/** A notification could not be delivered; names the channel, keeps the cause. */
export class NotifyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotifyError";
  }
}

/** How to run one command. */
export interface CommandSpec {
  readonly argv: readonly string[];
  /** Environment; with `clearEnv` it is the whole environment of the child. */
  readonly env?: Readonly<Record<string, string>>;
  readonly clearEnv?: boolean;
  readonly timeoutMs: number;
}

/** Result of a command that exited 0. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `spec.argv` and resolves with its output when it exits 0.
 *
 * @throws {NotifyError} when it cannot start, exits non-zero or times out (stderr included).
 */
export async function runCommand(spec: CommandSpec): Promise<CommandOutput> {
  const [program, ...args] = spec.argv;
  if (program === undefined) throw new NotifyError("Empty command line");
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(program, {
      args,
      ...(spec.env === undefined ? {} : { env: { ...spec.env } }),
      clearEnv: spec.clearEnv ?? false,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(spec.timeoutMs),
    }).output();
  } catch (e) {
    const why = e instanceof Error && (e.name === "AbortError" || e.name === "TimeoutError")
      ? `did not finish within ${spec.timeoutMs} ms`
      : "could not be started";
    throw new NotifyError(`${program} ${why}`, { cause: e });
  }
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr).trim().replace(/\s+/g, " ").slice(0, 300);
  if (out.signal !== null) {
    throw new NotifyError(
      `${program} was stopped by ${out.signal} (timeout ${spec.timeoutMs} ms)${
        stderr === "" ? "" : `: ${stderr}`
      }`,
    );
  }
  if (out.code !== 0) {
    throw new NotifyError(
      `${program} exited with status ${out.code}${stderr === "" ? "" : `: ${stderr}`}`,
    );
  }
  return { stdout, stderr };
}

/** A problem with the config file: names the key, the value and the line, says what to do. */
export interface ConfigProblem {
  /** One sentence: `Cannot use "capture.snaplen" = "big" (line 5): expected ...`. */
  message: string;
  /** Dotted key or section name, when the problem is about one. */
  key?: string;
  /** 1-based line in the source, when known. */
  line?: number;
  /** 1-based column, for TOML syntax errors. */
  column?: number;
}

/** The config file cannot be used: one or more {@link ConfigProblem}s. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** Every problem found, in file order. */
  readonly problems: readonly ConfigProblem[];
  /** Where the text came from (a path, or a name such as "built-in defaults"). */
  readonly source: string;

  constructor(source: string, problems: readonly ConfigProblem[], options?: ErrorOptions) {
    const lines = problems.map((p) => p.message);
    const head = problems.length === 1
      ? `Config ${source}: ${lines[0]}`
      : `Config ${source} has ${problems.length} problems:\n  ${lines.join("\n  ")}`;
    super(head, options);
    this.problems = problems;
    this.source = source;
  }
}

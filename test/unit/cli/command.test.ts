import { describe, expect, it, jest } from "@jest/globals";
import { command, helpText, parseCommandArgs, UsageError, type ValuesOf } from "../../../src/cli/command.js";

const OPTIONS = {
  file: { type: "string", short: "f", multiple: true, description: "files" },
  output: { type: "string", short: "o", description: "format", default: "yaml" },
  force: { type: "boolean", description: "force" },
} as const;

const example = command({
  name: "example",
  summary: "An example.",
  options: OPTIONS,
  run: () => Promise.resolve(0),
});

describe("a command's values are typed by its options", () => {
  it("accepts what parseArgs gives for them", () => {
    const values: ValuesOf<typeof OPTIONS> = { file: ["a.yaml"], output: "json", force: true };
    expect(values.file).toEqual(["a.yaml"]);
  });

  it("refuses a value of another type", () => {
    // @ts-expect-error a repeatable string option is an array of strings
    const values: ValuesOf<typeof OPTIONS> = { file: "a.yaml" };
    expect(values).toBeDefined();
  });
});

describe("parseCommandArgs", () => {
  it.each<[string, string[], unknown]>([
    ["repeated and short options, defaults filled in", ["-f", "a.yaml", "--file", "b.yaml", "--force"], { values: { file: ["a.yaml", "b.yaml"], output: "yaml", force: true }, positionals: [] }],
    ["positionals kept in order", ["up", "-o", "json", "now"], { values: { output: "json" }, positionals: ["up", "now"] }],
  ])("%s", (_name, argv, expected) => {
    expect(parseCommandArgs(example, argv)).toEqual(expected);
  });

  it("prints help and returns nothing for --help", () => {
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      expect(parseCommandArgs(example, ["--help"])).toBeUndefined();
      expect(log).toHaveBeenCalledWith(helpText(example));
    } finally {
      log.mockRestore();
    }
  });

  it("turns an unknown option into a usage error", () => {
    expect(() => parseCommandArgs(example, ["--nope"])).toThrow(UsageError);
    expect(() => parseCommandArgs(example, ["--nope"])).toThrow(/^Unknown option '--nope'.*\nRun 'netfence example --help' for usage\.$/s);
  });
});

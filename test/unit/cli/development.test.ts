import { describe, expect, it, jest } from "@jest/globals";
import { developmentCommands } from "../../../src/cli/development.js";
import { main } from "../../../src/cli/index.js";

async function netfence(...argv: string[]): Promise<{ code: number; out: string }> {
  const printed: string[] = [];
  const log = jest.spyOn(console, "log").mockImplementation((line: unknown) => printed.push(String(line)));
  try {
    return { code: await main(argv), out: printed.join("\n") };
  } finally {
    log.mockRestore();
  }
}

describe("development commands (loaded only when invoked)", () => {
  it.each(developmentCommands.map((c) => [c.name, c] as const))("`%s` loads the command of that name", async (name, entry) => {
    expect((await entry.load()).name).toBe(name);
  });

  it("the top-level help lists them apart, with their one-line summaries", async () => {
    const { code, out } = await netfence("--help");
    expect(code).toBe(0);
    const section = out.slice(out.indexOf("Development commands"));
    for (const c of developmentCommands) expect(section).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  });

  it("`netfence controlplane --help` loads the command and prints its options", async () => {
    const { code, out } = await netfence("controlplane", "--help");
    expect(code).toBe(0);
    expect(out).toContain("Usage: netfence controlplane up|build [options]");
  });
});

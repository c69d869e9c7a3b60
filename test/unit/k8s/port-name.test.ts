import { describe, expect, it } from "@jest/globals";
import { isPortName, PORT_NAME_MAX_LENGTH } from "../../../src/k8s/port-name.js";

describe("a named port (IANA_SVC_NAME)", () => {
  it.each<[string, string, boolean]>([
    ["a word", "http", true],
    ["letters, digits and a dash", "serve-81-tcp", true],
    ["fifteen characters", "a".repeat(PORT_NAME_MAX_LENGTH), true],
    ["one letter", "a", true],
    ["sixteen characters", "a".repeat(PORT_NAME_MAX_LENGTH + 1), false],
    ["digits only (a number, not a name)", "8080", false],
    ["upper case", "HTTP", false],
    ["a leading dash", "-http", false],
    ["a trailing dash", "http-", false],
    ["an underscore", "my_port", false],
    ["empty", "", false],
  ])("%s", (_name, text, expected) => {
    expect(isPortName(text)).toBe(expected);
  });
});

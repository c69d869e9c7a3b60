import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { stringify } from "yaml";
import { UsageError } from "../../../src/cli/command.js";
import { loadInputs } from "../../../src/cli/inputs.js";

/** An API server on loopback that refuses every request with a 403 Status. */
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(403, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Forbidden", code: 403, message: 'namespaces is forbidden: User "viewer" cannot list resource "namespaces"' }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A kubeconfig for `url`; client-node refuses plain HTTP unless TLS verification is off. */
function kubeconfig(insecure: boolean): string {
  const file = join(mkdtempSync(join(tmpdir(), "netfence-inputs-")), "kubeconfig");
  const cluster = { server: url, ...(insecure ? { "insecure-skip-tls-verify": true } : {}) };
  writeFileSync(
    file,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "c", cluster }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
      "current-context": "x",
    }),
  );
  return file;
}

describe("reading the live cluster", () => {
  it("names the server and the API error as io/errors classifies it", async () => {
    await expect(loadInputs({ kubeconfig: kubeconfig(true) })).rejects.toEqual(
      new UsageError(`reading the cluster at ${url}: Forbidden (403): namespaces is forbidden: User "viewer" cannot list resource "namespaces"`),
    );
  });

  it("gives the bare message when no server answered", async () => {
    await expect(loadInputs({ kubeconfig: kubeconfig(false) })).rejects.toEqual(
      new UsageError(`reading the cluster at ${url}: HTTP protocol is not allowed when skipTLSVerify is not set or false`),
    );
  });
});

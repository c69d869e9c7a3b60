import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Pki {
  caCert: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0] ?? ""} failed: ${stderr.trim() || (err as Error).message}`);
  }
}

/**
 * A throwaway PKI for one local control plane: a CA, the apiserver's serving
 * certificate (127.0.0.1, localhost), an admin client certificate in
 * system:masters, and the service-account signing key pair (TokenRequest).
 */
export async function createPki(dir: string): Promise<Pki> {
  const p = (name: string) => join(dir, name);
  const days = ["-days", "30"];
  await openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", ...days, "-subj", "/CN=netfence-local-ca"], dir);
  await writeFile(p("serving.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "serving.key", "-out", "serving.csr", "-subj", "/CN=kube-apiserver"], dir);
  await openssl(["x509", "-req", "-in", "serving.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "serving.crt", ...days, "-extfile", "serving.ext"], dir);
  await writeFile(p("admin.ext"), "extendedKeyUsage=clientAuth\n");
  await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "admin.key", "-out", "admin.csr", "-subj", "/O=system:masters/CN=netfence-admin"], dir);
  await openssl(["x509", "-req", "-in", "admin.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "admin.crt", ...days, "-extfile", "admin.ext"], dir);
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  await writeFile(p("sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
  await writeFile(p("sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return {
    caCert: p("ca.crt"),
    servingCert: p("serving.crt"),
    servingKey: p("serving.key"),
    adminCert: p("admin.crt"),
    adminKey: p("admin.key"),
    serviceAccountPublicKey: p("sa.pub"),
    serviceAccountPrivateKey: p("sa.key"),
  };
}

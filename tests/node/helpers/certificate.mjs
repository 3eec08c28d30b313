// A self-signed certificate for 127.0.0.1, made with openssl (scripts/setup.sh installs it) in
// a new temporary folder: the TLS tests' server certificate, and the CA a client is told to
// trust.
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/** `{ key, cert }`: the paths of a new key and its certificate, valid for a day. */
export async function localhostCertificate() {
  const dir = mkdtempSync(join(tmpdir(), "improfiles-tls-"));
  const [key, cert] = [join(dir, "key.pem"), join(dir, "cert.pem")];
  await promisify(execFile)("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]);
  return { key, cert };
}

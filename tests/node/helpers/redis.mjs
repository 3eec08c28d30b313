// A throwaway redis-server on a free loopback port (installed by scripts/setup.sh), that a test
// can kill (SIGKILL, as a crash) and start again on the same port.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function launch(port, tls) {
  const listen = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const child = spawn("redis-server", [...listen, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
  });
  return child;
}

const exited = (child) =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
  });

/** `tls`: `{ cert, key }` file paths, to listen with TLS only (rediss://). */
export async function startRedis({ tls } = {}) {
  const port = await freePort();
  let child = await launch(port, tls);
  return {
    url: `${tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    port,
    /** Dies at once, as in a crash: open connections are cut. */
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async restart() {
      child = await launch(port, tls);
    },
    async stop() {
      const done = exited(child);
      child.kill("SIGTERM");
      await done;
    },
  };
}

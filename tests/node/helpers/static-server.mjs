// Serves a folder over HTTP on loopback, with the MIME types browsers insist on for modules
// and WebAssembly (streaming compilation needs application/wasm).
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".csv": "text/csv; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** `routes` maps a path to a function of the request URL returning the text to answer. */
export async function serveStatic(root, routes = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    if (routes[url.pathname]) {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      return res.end(routes[url.pathname](url));
    }
    const path = normalize(decodeURIComponent(url.pathname));
    let file = join(root, path);
    if (!file.startsWith(root)) return res.writeHead(403).end();
    try {
      if (statSync(file).isDirectory()) file = join(file, "index.html");
      statSync(file);
    } catch {
      return res.writeHead(404).end("not found");
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

// The fetch a client uses in Node when its config names none: the little of fetch that
// js/shell/run.js reads (status, headers.get, bytes, arrayBuffer, text), over node:http and
// node:https with a keep-alive agent per protocol.
//
// Why not Node's own fetch: undici's WHATWG layers (Request, Headers, web streams, a
// controller per fetch) cost more CPU per request than everything improfiles does with the
// response (BENCHMARKS.md, "The Node transport": the same 1,000 RongCloud requests took less
// than half the process CPU this way). It keeps what a caller relies on from fetch: answers
// decoded as fetch decodes them (gzip, deflate, br, each asked for), redirects followed
// (up to 20, a 303 or a POST's 301/302 as a GET, credentials dropped when the origin
// changes), an `AbortSignal` that ends the request and its body, and a network failure as
// `TypeError("fetch failed")` with the cause.
//
// The Node entries install it with `install()`; run.js uses it for a client without
// `config.fetch` while `globalThis.fetch` is still the one found at install, so a test's stub
// of the global or a mocking library's replacement still gets the requests.
"use strict";

/// node:http, node:https (and with them TLS) and node:zlib, loaded at the first request:
/// requiring them takes 5-8 ms, which a process that loads the package (the command line's
/// --help, a bundler's check) should not pay.
let loaded;
function node() {
  if (loaded === undefined) {
    const [http, https, zlib] = [require("node:http"), require("node:https"), require("node:zlib")];
    loaded = {
      "http:": { module: http, agent: new http.Agent({ keepAlive: true }) },
      "https:": { module: https, agent: new https.Agent({ keepAlive: true }) },
      decoders: { gzip: zlib.gunzip, "x-gzip": zlib.gunzip, deflate: zlib.inflate, br: zlib.brotliDecompress },
    };
  }
  return loaded;
}
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
/// Request headers that describe a body, dropped with it when a redirect turns a POST into a GET.
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/// Request headers that hold credentials, dropped when a redirect goes to another origin.
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];
/// Where run.js looks for it (js/shell/run.js, `defaultFetch`).
const KEY = Symbol.for("improfiles.nodeFetch");

function aborted(signal) {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/// The response of one request: its body is read (and decoded) only when asked for.
class NodeResponse {
  #message;
  #signal;

  constructor(message, signal) {
    this.#message = message;
    this.#signal = signal;
    this.status = message.statusCode;
    this.ok = this.status >= 200 && this.status < 300;
    const headers = message.headers;
    this.headers = {
      get: (name) => {
        const value = headers[String(name).toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    };
  }

  /// The body (fetch's `bytes()`, which run.js prefers): the very bytes the socket read when
  /// the body came in one piece, with no copy.
  async bytes() {
    const chunks = [];
    try {
      for await (const chunk of this.#message) chunks.push(chunk);
    } catch (error) {
      throw this.#signal?.aborted ? aborted(this.#signal) : new TypeError("terminated", { cause: error });
    }
    let body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const encoding = this.#message.headers["content-encoding"]?.trim().toLowerCase();
    const decode = node().decoders[encoding];
    if (decode !== undefined && body.length > 0) {
      body = await new Promise((resolve, reject) => {
        decode(body, (error, decoded) => (error ? reject(new TypeError("terminated", { cause: error })) : resolve(decoded)));
      });
    }
    return body;
  }

  async arrayBuffer() {
    const body = await this.bytes();
    // A Buffer may be a view of a larger one (a socket's read, a shared pool): hand out only
    // its own bytes.
    return body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
      ? body.buffer
      : body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  }

  async text() {
    return new TextDecoder().decode(await this.bytes());
  }
}

/// One request and its answer's head, no redirect followed. An abort of `signal` destroys the
/// request, and with it the body being read, until the request closes (which it does when its
/// answer has been read to the end, or has failed). `signal` is an AbortSignal or run.js's own
/// `Cancel`, which has of one only what is read here: node:http's own `signal` option wants
/// an EventTarget.
function exchange(url, method, headers, body, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) throw aborted(signal);
    const { module, agent } = node()[url.protocol];
    const request = module.request(url, { method, headers, agent }, resolve);
    request.on("error", (error) => reject(signal?.aborted ? aborted(signal) : new TypeError("fetch failed", { cause: error })));
    if (signal) {
      const stop = () => request.destroy(aborted(signal));
      signal.addEventListener("abort", stop, { once: true });
      request.once("close", () => signal.removeEventListener("abort", stop));
    }
    request.end(body);
  });
}

/// `fetch(url, { method, headers, body, signal })` for the requests improfiles makes: headers
/// a plain object, a body a string or bytes.
async function nodeFetch(input, init = {}) {
  const { signal } = init;
  if (signal?.aborted) throw aborted(signal);
  let url = new URL(String(input));
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body ?? undefined;
  const headers = { accept: "*/*", "accept-encoding": "gzip, deflate, br" };
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = String(value);
  for (let redirects = 0; ; redirects++) {
    if (url.protocol !== "http:" && url.protocol !== "https:")
      throw new TypeError("fetch failed", { cause: new Error(`unsupported protocol ${url.protocol}`) });
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const message = await exchange(url, method, headers, body, signal);
    const location = message.headers.location;
    if (!REDIRECTS.has(message.statusCode) || location === undefined) return new NodeResponse(message, signal);
    message.resume();
    if (redirects === MAX_REDIRECTS) throw new TypeError("fetch failed", { cause: new Error("redirect count exceeded") });
    const next = new URL(location, url);
    if (
      message.statusCode === 303
        ? method !== "GET" && method !== "HEAD"
        : method === "POST" && message.statusCode !== 307 && message.statusCode !== 308
    ) {
      method = "GET";
      body = undefined;
      for (const name of BODY_HEADERS) delete headers[name];
    }
    if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
    url = next;
  }
}

/// Makes nodeFetch the fetch of clients without `config.fetch` (see above); the first
/// install of any copy of the package wins.
function install() {
  globalThis[KEY] ??= { fetch: nodeFetch, replaces: globalThis.fetch };
}

module.exports = { nodeFetch, install };

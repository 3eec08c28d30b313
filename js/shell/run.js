// The run loop of a call and the sending of its requests: what the wasm core's state machine
// says (src/call.rs polls it), done with JS's own fetch, timers, promises and AbortSignal — the
// one place these are touched. The loop is the one `improfiles_core::simulation` runs natively
// on a virtual clock: poll, perform what it says, hand back what happened at the time it
// happened. Every decision (what to send, when, what an outcome means, its error and message)
// is made in wasm.
//
// Sending: a permit from a limiter shared between processes, then one attempt (the caller's
// signer, fetch and the whole body, all within one timeoutMs). Nothing in it rejects or throws:
// each outcome comes back as a plain object, so a caller's fetch, signer or limiter that throws,
// rejects or never settles cannot escape into the run loop or hold it.

/// The longest delay setTimeout takes: past it, timers fire at once.
const MAX_TIMER_MS = 2_147_483_647;
/// Response headers the vendor parsers read, and the length checked against maxResponseBytes.
const RESPONSE_HEADERS = ["retry-after", "content-type", "content-length"];
const EXPIRED = Symbol("expired");

function later(ms) {
  return Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS);
}

/// What a thrown value says: an Error's message (and its cause's), a string, or nothing.
function describe(thrown) {
  if (thrown instanceof Error) {
    const cause = thrown.cause instanceof Error ? ` (${thrown.cause.message})` : "";
    return `${thrown.message}${cause}`;
  }
  return typeof thrown === "string" ? thrown : "unknown error";
}

/// Calls `f` now; a synchronous throw becomes a rejection.
async function invoke(f, thisArg, ...args) {
  return f.apply(thisArg, args);
}

/// How one request is given up: at its deadline, for a body too large, or with its call. A
/// caller's fetch gets an AbortSignal, made when it is asked for; the package's own Node
/// transport (js/package/node-fetch.cjs) takes this object itself, which has of a signal only
/// what that transport reads (`aborted`, `reason`, and "abort" listeners). Each request made
/// an AbortController, whose signal is an EventTarget that node:http listened to and let go
/// of again: in a profile of a Kaixin001 call, 4% of the process, and a call took 5-10% less
/// CPU without them (BENCHMARKS.md, "Optimizations made").
class Cancel {
  aborted = false;
  reason;
  #listeners;
  #controller;

  get signal() {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort() {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = new DOMException("This operation was aborted", "AbortError");
    this.#controller?.abort(this.reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  addEventListener(type, listener) {
    if (type !== "abort" || this.aborted) return;
    this.#listeners ??= [];
    this.#listeners.push(listener);
  }

  removeEventListener(type, listener) {
    const at = type === "abort" ? (this.#listeners?.indexOf(listener) ?? -1) : -1;
    if (at >= 0) this.#listeners.splice(at, 1);
  }
}

/// One attempt's timeoutMs, from before its signature to the end of its body. When it passes,
/// the request's `Cancel` is aborted and every await of the attempt gives up, whether or not
/// the caller's fetch, body or signer honours the signal: a promise that never settles cannot
/// hold the call or its concurrency slot.
class Attempt {
  #timer;
  #expired;
  #cancel;

  constructor(timeoutMs, cancel) {
    this.#cancel = cancel;
    this.#expired = new Promise((resolve) => {
      this.#timer = setTimeout(() => {
        cancel.abort();
        resolve(EXPIRED);
      }, later(timeoutMs));
    });
  }

  /// What `work` settles with; EXPIRED once the deadline has passed.
  #race(work) {
    return Promise.race([work, this.#expired]);
  }

  /// `{ signature }` (whatever the signer gave), or how the request ended: `"timedOut"` or
  /// `{ signerThrew: name }` (only the error's type: the signer may hold secrets this client
  /// never saw).
  async sign(signer, [nonce, timestamp]) {
    try {
      const value = await this.#race(invoke(signer, undefined, nonce, timestamp));
      return value === EXPIRED ? "timedOut" : { signature: value };
    } catch (thrown) {
      const name = thrown?.name;
      return { signerThrew: typeof name === "string" ? name : "a non-Error value" };
    }
  }

  /// Calls fetch and reads the whole body through plain property access, so that any
  /// fetch-compatible implementation works: `{ response: { status, headers, body } }` (the
  /// body as bytes), `"tooLarge"` (by Content-Length, unread, or by what was read),
  /// `"timedOut"` or `{ network: why }`. The outcomes are `Ended` of core/src/call/mod.rs.
  async fetch(fetchFn, request, maxBytes) {
    const signal = takesCancel(fetchFn) ? this.#cancel : this.#cancel.signal;
    const init = { method: request.method, headers: Object.fromEntries(request.headers), signal };
    if (request.body !== undefined) init.body = request.body;
    try {
      const response = await this.#race(invoke(fetchFn, undefined, request.url, init));
      if (response === EXPIRED) return "timedOut";
      // Names and values one after another, as the core takes them joined by line breaks.
      const headers = [];
      let declared = Number.NaN;
      const bag = response?.headers;
      if (typeof bag?.get === "function") {
        for (const name of RESPONSE_HEADERS) {
          const value = bag.get(name);
          // A value with a line break is no HTTP header value (and would break the join).
          if (typeof value !== "string" || value.includes("\n")) continue;
          headers.push(name, value);
          if (name === "content-length") declared = Number.parseFloat(value);
        }
      }
      if (declared > maxBytes) return this.#tooLarge();
      // Bytes go into wasm memory as they are, where text() would decode UTF-8 to a JS string
      // for the boundary to encode back: bytes() (newer fetches, and the Node transport, which
      // then copies nothing), else arrayBuffer(); text() is the least a fetch-like response
      // must have.
      const read = await this.#race(readBody(response));
      if (read === EXPIRED) return "timedOut";
      if (read.length > maxBytes) return this.#tooLarge();
      return { response: { status: Number(response.status) || 0, headers, body: read } };
    } catch (thrown) {
      return { network: describe(thrown) };
    }
  }

  #tooLarge() {
    this.#cancel.abort();
    return "tooLarge";
  }

  close() {
    clearTimeout(this.#timer);
  }
}

/// A response's body as a Uint8Array, by the first of bytes(), arrayBuffer() and text() it has.
async function readBody(response) {
  if (typeof response.bytes === "function") {
    const body = await response.bytes();
    if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    throw new TypeError("the response's bytes() gave no bytes");
  }
  if (typeof response.arrayBuffer === "function") return new Uint8Array(await response.arrayBuffer());
  const text = await response.text();
  return new TextEncoder().encode(typeof text === "string" ? text : "");
}

/// The fetch of a client whose config names none: `globalThis.fetch`, or in Node the
/// package's own over node:http(s), which its Node entries install under this key
/// (js/package/node-fetch.cjs), while `globalThis.fetch` is still the one it found there.
const NODE_FETCH = Symbol.for("improfiles.nodeFetch");
function defaultFetch() {
  const node = globalThis[NODE_FETCH];
  return node !== undefined && globalThis.fetch === node.replaces ? node.fetch : globalThis.fetch;
}

/// The fetch that takes a `Cancel` for its signal: the package's own Node transport.
function takesCancel(fetchFn) {
  return fetchFn === globalThis[NODE_FETCH]?.fetch;
}

/// Sends `request` (`{ id, method, url, headers, body?, sign? }`) as `io` (ClientIo, in
/// run.js) says: after a shared limiter's permit (`departed()` once it is granted), signed by
/// the caller's signer when it needs to be (`sign(signature)`: the signed request, or null),
/// and hands the permit back once the request has ended, whatever the outcome.
async function perform(io, request, cancel, { departed, sign }) {
  if (!io.limiter) return send(io, request, cancel, sign);
  const granted = await acquirePermit(io.limiter, io.limiterKey, io.rate, io.limiterWaitMs);
  if (!granted?.granted) return granted;
  departed();
  const outcome = await send(io, request, cancel, sign);
  releasePermit(granted.permit, outcome?.response !== undefined);
  return outcome;
}

async function send(io, request, cancel, sign) {
  const deadline = new Attempt(io.timeoutMs, cancel);
  try {
    let ready = request;
    if (request.sign && io.signer) {
      const signed = await deadline.sign(io.signer, request.sign);
      if (typeof signed !== "object" || !("signature" in signed)) return signed;
      ready = sign(signed.signature);
      // An unusable signature has failed the call already.
      if (!ready) return { network: "no usable signature" };
    }
    const fetchFn = io.fetch ?? defaultFetch();
    if (typeof fetchFn !== "function") return "noFetch";
    return await deadline.fetch(fetchFn, ready, io.maxResponseBytes);
  } finally {
    deadline.close();
  }
}

/// One permit from `limiter.acquire(key, 1, { rate })`: `{ granted, permit }`,
/// `"permitTimedOut"` after `waitMs` (a limiter that hangs), or `{ noPermit: why }`.
async function acquirePermit(limiter, key, rate, waitMs) {
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => resolve(EXPIRED), later(waitMs));
  });
  try {
    const permit = await Promise.race([invoke(limiter.acquire, limiter, key, 1, { rate }), expired]);
    return permit === EXPIRED ? "permitTimedOut" : { granted: true, permit };
  } catch (thrown) {
    return { noPermit: describe(thrown) };
  } finally {
    clearTimeout(timer);
  }
}

/// Hands a permit back: `release({ answered })`, where `answered` says a response came back
/// (limiters that pace by arrival credit only answered requests' round trips).
function releasePermit(permit, answered) {
  if (typeof permit?.release !== "function") return;
  try {
    const released = permit.release({ answered });
    if (typeof released?.catch === "function") released.catch(() => {});
  } catch {
    // A limiter that fails to take a permit back is its own business, not the call's.
  }
}

/// How long the loop may go on without letting timers and I/O run: a call whose fetch answers
/// at once would otherwise go on in microtasks alone, starving the caller's event loop (not
/// even `AbortSignal.timeout` fires).
const YIELD_EVERY_MS = 50;

/// What the calls of one client share beyond the wasm session: the caller's functions and
/// limiter, the limits a request is held to, and the calls waiting. Any request's end wakes
/// them all, since a freed concurrency slot may be what another call waits for.
export class ClientIo {
  /// `limits`: `{ rate, timeoutMs, maxResponseBytes, limiter, limiterKey, limiterWaitMs }`.
  constructor(fetch, signer, limits) {
    Object.assign(this, { fetch, signer }, limits);
    this.waiters = new Set();
  }

  /// Sleeps until any request of this client ends, or `ms` (if given) passes.
  wait(ms) {
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, later(ms));
      this.waiters.add(wake);
    });
  }

  wakeAll() {
    for (const wake of [...this.waiters]) wake();
  }
}

/// Moves what finished since the last time out of wasm into `pending`: each request's batch
/// (when there is an onBatch) and the call's progress. The run loop does this after every
/// request it hands in, so that wasm memory holds one request's batch at a time, however many
/// answers arrive together.
function gather(call, pending, onBatch, onProgress) {
  const finished = call.report(onBatch !== undefined, onProgress !== undefined);
  if (finished === undefined) return;
  for (const batch of finished.batches ?? []) pending.batches.push(batch);
  pending.progress = finished.progress;
}

/// Calls `onBatch` for each gathered batch, one at a time: when it returns a promise, the next
/// batch waits for it (as the run loop does); then `onProgress` with the latest progress.
/// What to wait for, if anything.
function deliver(pending, onBatch, onProgress) {
  const { progress } = pending;
  if (progress === undefined) return undefined;
  const batches = pending.batches.splice(0);
  pending.progress = undefined;
  const next = (first) => {
    for (let i = first; i < batches.length; i++) {
      const returned = onBatch(batches[i]);
      if (typeof returned?.then === "function") return Promise.resolve(returned).then(() => next(i + 1));
    }
    onProgress?.(progress);
    return undefined;
  };
  return next(0);
}

/// Hands the call how request `id` ended at `at` (`perform`'s outcome): an answer's parts, or
/// the name of what happened and what was said of it (`Ended` of core/src/call/mod.rs).
function complete(call, id, at, outcome) {
  const response = outcome?.response;
  if (response !== undefined) return call.answered(id, at, response.status, response.headers.join("\n"), response.body);
  const kind = typeof outcome === "string" ? outcome : Object.keys(outcome)[0];
  call.failed(id, at, kind, typeof outcome === "string" ? undefined : outcome[kind]);
}

/// A call's outcome with the results it handed over as it went (`taken`: src/call.rs
/// `collected`, so that wasm memory holds none of them), each put back at its place in the
/// outcome's order: the position of its id among the call's distinct ids.
function withTaken(outcome, taken) {
  if (taken.length === 0) return outcome;
  let size = 0;
  for (const part of taken) size += part.profiles.length + part.failures.length;
  const profiles = new Array(size);
  const failures = new Array(size);
  for (const { profiles: p, profileAt, failures: f, failureAt } of taken) {
    for (let i = 0; i < p.length; i++) profiles[profileAt[i]] = p[i];
    for (let i = 0; i < f.length; i++) failures[failureAt[i]] = f[i];
  }
  // filter skips the holes: what is left is each list in order.
  outcome.profiles = profiles.filter(() => true).concat(outcome.profiles);
  outcome.failures = failures.filter(() => true).concat(outcome.failures);
  return outcome;
}

/// Up to `count` ids from `input` (an iterator), and whether it has no more. A sync iterator
/// is read without waiting.
async function pull(input, count, sync) {
  const ids = [];
  while (ids.length < count) {
    const next = sync ? input.next() : await input.next();
    if (next.done) return [ids, true];
    ids.push(next.value);
  }
  return [ids, false];
}

/// Stops an iterator the call no longer reads; what its `return()` says is not the call's.
function closeQuietly(iterator) {
  try {
    iterator.return?.()?.catch?.(() => {});
  } catch {
    // The caller's iterator failed to close: nothing the call can do about it.
  }
}

/// Runs `call` (a CallHandle, made by src/client.rs): a promise of its outcome, or with `stream`,
/// its requests' results as an async iterable (`streamProfiles`, `listPages`).
export function run(call, io, { signal, onBatch, onProgress, source }, stream) {
  return stream ? new ResultStream(call, io, signal, onProgress, source) : drive(call, io, signal, onBatch, onProgress, source);
}

/// A call's results, one item per finished request. The call starts when the first item is
/// asked for; while the consumer does not ask, each result waits to be taken and nothing new
/// is sent (the run loop waits for what onBatch returns). Leaving the loop early (`return()`)
/// stops the call: nothing more is sent, and what is in flight is dropped.
class ResultStream {
  #start;
  #call;
  /// Results not yet taken, each with what lets the run loop go on once it is.
  #items = [];
  /// The `next()` calls waiting for an item (a consumer may ask again before an answer).
  #waiting = [];
  #settled = false;
  #error;
  #closed = false;
  #stop = new AbortController();

  constructor(call, io, signal, onProgress, source) {
    this.#call = call;
    this.#start = () => {
      // The caller's signal stops the call too; its listener goes when the call settles.
      const stop = () => this.#stop.abort();
      signal?.addEventListener("abort", stop, { once: true });
      const onBatch = (batch) =>
        new Promise((taken) => {
          this.#items.push([batch, taken]);
          this.#wake();
        });
      drive(call, io, this.#stop.signal, onBatch, onProgress, source)
        .then(
          () => this.#settle(undefined),
          (error) => this.#settle(error),
        )
        .finally(() => signal?.removeEventListener("abort", stop));
    };
  }

  #settle(error) {
    this.#settled = true;
    this.#error = error;
    this.#wake();
  }

  #wake() {
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next() {
    if (this.#start) {
      this.#start();
      this.#start = undefined;
    }
    for (;;) {
      if (this.#closed) return { value: undefined, done: true };
      const item = this.#items.shift();
      if (item) {
        item[1]();
        return { value: item[0], done: false };
      }
      if (this.#settled) {
        this.#closed = true;
        if (this.#error !== undefined) throw this.#error;
        continue;
      }
      await new Promise((resolve) => this.#waiting.push(resolve));
    }
  }

  async return(value) {
    if (this.#start) this.#call.free();
    this.#start = undefined;
    this.#closed = true;
    this.#stop.abort();
    // The run loop may wait for results nobody will take: let it go on, to its end.
    for (const [, taken] of this.#items.splice(0)) taken();
    this.#wake();
    return { value, done: true };
  }
}

/// Runs `call` (a CallHandle) to its end and frees it; resolves with its outcome, rejects with
/// the error it failed with. The abort listener on the caller's `signal` is removed when the
/// call settles: callers share one signal between many calls, and an abort after a call ended
/// must find nothing of it. `source`, if given, is the iterable the call reads its ids from,
/// as it asks for them; it is closed (`return()`) if the call ends before it does.
export async function drive(call, io, signal, onBatch, onProgress, source) {
  const sync = source !== undefined && typeof source[Symbol.asyncIterator] !== "function";
  const input = source === undefined ? undefined : sync ? source[Symbol.iterator]() : source[Symbol.asyncIterator]();
  let exhausted = input === undefined;
  /// Ends the wait for the caller's iterable when the call is aborted (it may never yield).
  let interrupt;
  const cancels = new Map();
  const ended = [];
  const taken = [];
  const pending = { batches: [], progress: undefined };
  /// Moves what the call has settled out of wasm: its results for the outcome, and its
  /// batches and progress for the callbacks.
  const handOver = () => {
    const results = call.collected();
    if (results !== undefined) taken.push(results);
    gather(call, pending, onBatch, onProgress);
  };
  let live = true;
  let aborted = false;
  /// Gives up the requests in flight, once: the error an abort rejects with.
  let abandoned;
  const abandon = () => {
    if (live && abandoned === undefined) {
      for (const cancel of cancels.values()) cancel.abort();
      cancels.clear();
      abandoned = call.abandon();
    }
    return abandoned;
  };
  const onAbort = () => {
    aborted = true;
    abandon();
    interrupt?.();
    io.wakeAll();
  };
  const start = (request) => {
    const cancel = new Cancel();
    cancels.set(request.id, cancel);
    const hooks = {
      // Its round trip counts from when it left, not from the wait for a permit.
      departed: () => live && call.departed(request.id, Date.now()),
      sign: (signature) => (live ? call.signed(request.id, signature) : null),
    };
    const end = (outcome) => {
      // Each at the time it ended, not when the loop gets round to it: the pacing counts
      // from the end of a request, and a busy loop would otherwise slow it for nothing.
      ended.push([request.id, Date.now(), outcome]);
      io.wakeAll();
    };
    // perform settles with an outcome, whatever the caller's functions do; a rejection would
    // be a bug of ours, taken as a network failure rather than left unhandled.
    perform(io, request, cancel, hooks).then(end, (error) => end({ network: describe(error) }));
  };
  signal?.addEventListener("abort", onAbort);
  let lastYield = Date.now();
  /// How long the loop waited for onBatch since the last poll: the core's search for how many
  /// requests out still buy answers does not take those ms for the vendor's (ceiling.rs).
  let heldMs = 0;
  try {
    // Nothing is sent in the caller's own tick: an abort right after the call still finds
    // nothing sent.
    await undefined;
    for (;;) {
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = Date.now();
      }
      if (aborted) throw abandon();
      // Each request's results are taken as soon as it is handed in: wasm memory then holds
      // one request's worth at a time, however many answers arrived together.
      for (const [id, at, outcome] of ended.splice(0)) {
        cancels.delete(id);
        complete(call, id, at, outcome);
        handOver();
      }
      // And what the last poll settled (the breaker failing what was queued).
      handOver();
      // Backpressure: while the promise onBatch returned is pending, no new request starts,
      // so a slow consumer keeps memory flat instead of queueing results.
      const reported = deliver(pending, onBatch, onProgress);
      if (reported !== undefined) {
        const waited = Date.now();
        await reported;
        heldMs += Date.now() - waited;
        continue;
      }
      const step = call.poll(heldMs);
      heldMs = 0;
      if (step.send) start(step.send);
      else if (step.waitMs !== undefined) await io.wait(step.waitMs);
      else if (step.wait) await io.wait();
      else if (step.needIds !== undefined) {
        // One race per request's worth of ids: a promise raced per id would keep a reaction
        // on the other side for each, a million for a million ids.
        const interrupted = new Promise((resolve) => {
          interrupt = () => resolve([[], true]);
        });
        const [ids, ended] = await Promise.race([pull(input, step.needIds, sync), interrupted]);
        interrupt = undefined;
        exhausted ||= ended;
        if (!aborted) call.feed(ids, ended);
      } else if (step.finished) {
        // Polling can settle ids too (the breaker failing what is queued): they reach
        // onBatch before the call resolves, like every other id.
        handOver();
        await deliver(pending, onBatch, onProgress);
        return withTaken(call.outcome(), taken);
      } else throw step.failed;
    }
  } catch (error) {
    abandon();
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    live = false;
    call.free();
    if (!exhausted) closeQuietly(input);
  }
}

// `client.loader()` (`ProfileLoader` in js/shell/types.d.ts), after DataLoader: `load` calls made in
// the same tick, or until a request's worth is queued, become one getProfiles batch, and
// profiles are cached. wasm checks the options (once, when the loader is made) and each id, and
// runs the batch calls (LoaderCore in src/loader.rs); the rest is here.
//
// Why the queue and the cache are JS: what they hold are JS values, the caller's ids and the
// profile objects `load` resolves with (the very objects: a cached profile is the one handed
// out before). Kept in wasm, each `load` crossed into it four times (the cache, the queue, and
// back for each), every cached profile sat in wasm-bindgen's table of JS values, and their code
// was 4 KB of every build's gzip (BENCHMARKS.md). A Map already is an LRU list: it keeps
// insertion order, so a hit taken out and put back makes its entry the newest, and the oldest
// is its first key. A `cacheMap` of the caller's takes the place of the loader's own cache:
// both are used the same way, as a Map.

import { failureError, ProfileError } from "./profile_error.js";

/// The loader's own cache: at most `maxCacheSize` profiles (0: none), each served for
/// `cacheTtlMs` after it was stored (null: for ever), the least recently used out first.
class ProfileCache {
  #entries = new Map();
  #ttlMs;
  #maxSize;

  constructor(ttlMs, maxSize) {
    this.#ttlMs = ttlMs;
    this.#maxSize = maxSize;
  }

  get(id) {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (this.#ttlMs !== null && Date.now() - entry.storedAt >= this.#ttlMs) return undefined;
    this.#entries.set(id, entry);
    return entry.profile;
  }

  set(id, profile) {
    if (this.#maxSize === 0) return;
    this.#entries.delete(id);
    this.#entries.set(id, { profile, storedAt: Date.now() });
    if (this.#entries.size > this.#maxSize) this.#entries.delete(this.#entries.keys().next().value);
  }

  delete(id) {
    this.#entries.delete(id);
  }

  clear() {
    this.#entries.clear();
  }

  get size() {
    return this.#entries.size;
  }
}

export class ProfileLoader {
  #core;
  #settings;
  #cache;
  /// The ids waiting for the next batch, in the order first asked for.
  #queued = [];
  /// The `[resolve, reject]` pairs of every `load` waiting for an id, queued or being
  /// fetched: a second `load` of such an id joins the first.
  #waiters = new Map();
  #flushScheduled = false;

  constructor(core, settings, cacheMap) {
    this.#core = core;
    this.#settings = settings;
    this.#cache = cacheMap ?? new ProfileCache(settings.cacheTtlMs, settings.maxCacheSize);
  }

  /// A method of the cache; one of the caller's that throws is a miss, not an error of the load.
  #cached(method, ...args) {
    try {
      return this.#cache[method](...args);
    } catch {
      return undefined;
    }
  }

  #invalid(message) {
    return new ProfileError(message, { code: "invalid_input", vendor: this.#settings.vendor });
  }

  /// The profile of `id`, from the cache or from the next batch; rejects with the id's
  /// ProfileError (e.g. `not_found`) if it has none.
  load(id) {
    try {
      this.#core.check(id);
    } catch (error) {
      return Promise.reject(error);
    }
    const cached = this.#cached("get", id);
    if (cached !== undefined) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      const waiting = this.#waiters.get(id);
      if (waiting !== undefined) {
        waiting.push([resolve, reject]);
        return;
      }
      this.#waiters.set(id, [[resolve, reject]]);
      const { batchSize } = this.#settings;
      if (this.#queued.push(id) >= batchSize) this.#dispatch(this.#queued.splice(0, batchSize));
      else if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // Sent once the current tick is over, so that every load made in it joins.
        setTimeout(() => this.#flush(), 0);
      }
    });
  }

  /// Every id's profile, or its ProfileError in its place; never rejects for one id.
  loadMany(ids) {
    if (!Array.isArray(ids)) return Promise.reject(this.#invalid("ids must be an array of strings"));
    return Promise.all(Array.from(ids, (id) => this.load(id).catch((error) => error)));
  }

  /// Puts a profile in the cache unless its id is cached already: `prime(profile)` under the
  /// profile's own id, or `prime(id, profile)` as DataLoader has it.
  prime(keyOrProfile, profile) {
    const [id, value] = this.#primed(keyOrProfile, profile);
    if (this.#cached("get", id) === undefined) this.#cached("set", id, value);
    return this;
  }

  /// `[id, profile]` for `prime(profile)` or `prime(id, profile)`; throws the ProfileError of
  /// any other arguments. Failures are not cached, so only an object is a profile.
  #primed(keyOrProfile, profile) {
    const keyed = typeof keyOrProfile === "string";
    if (keyed && profile === undefined) throw this.#invalid("prime(id, profile) needs the profile");
    if (!keyed && profile !== undefined) throw this.#invalid("prime(id, profile) takes a string id");
    const [id, value] = keyed ? [keyOrProfile, profile] : [idOf(keyOrProfile), keyOrProfile];
    if (typeof id !== "string") throw this.#invalid("prime needs a profile with a string id");
    if (typeof value !== "object" || value === null) {
      throw this.#invalid("prime takes a profile object (failures are not cached)");
    }
    return [id, value];
  }

  /// Forgets the cached profile of `id`.
  clear(id) {
    this.#cached("delete", id);
    return this;
  }

  /// Forgets every cached profile.
  clearAll() {
    this.#cached("clear");
    return this;
  }

  /// What JSON.stringify prints: the options and the cache size, never a credential.
  toJSON() {
    let cached;
    try {
      cached = this.#cache.size;
    } catch {
      cached = undefined;
    }
    const { vendor, cacheTtlMs, maxCacheSize } = this.#settings;
    return { vendor, cacheTtlMs, maxCacheSize, cached };
  }

  free() {
    this.#core.free();
  }

  [Symbol.dispose]() {
    this.free();
  }

  #flush() {
    this.#flushScheduled = false;
    const { batchSize } = this.#settings;
    while (this.#queued.length > 0) this.#dispatch(this.#queued.splice(0, batchSize));
  }

  /// Fetches one batch as a getProfiles call and settles its waiters.
  async #dispatch(ids) {
    let settled;
    try {
      const { profiles, failures } = await this.#core.fetch(ids);
      const { vendor } = this.#settings;
      settled = [
        ...profiles.map((profile) => [profile.id, true, profile]),
        ...failures.map((failure) => [failure.id, false, failureError(failure, vendor)]),
      ];
    } catch (error) {
      settled = ids.map((id) => [id, false, error]);
    }
    for (const [id, ok, value] of settled) {
      if (ok) this.#cached("set", id, value);
      const waiting = this.#waiters.get(id) ?? [];
      this.#waiters.delete(id);
      for (const [resolve, reject] of waiting) (ok ? resolve : reject)(value);
    }
  }
}

/// The `id` of a would-be profile; a getter that throws (a Proxy's, say) leaves it without one.
function idOf(profile) {
  try {
    return profile?.id;
  } catch {
    return undefined;
  }
}

export function profileLoaderClass() {
  return ProfileLoader;
}

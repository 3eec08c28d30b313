// `client.loader()` (`ProfileLoader` in js/shell/types.d.ts), after DataLoader: `load` calls made in
// the same tick, or until a request's worth is queued, become one getProfiles batch, and
// profiles are cached. The promises live here; the cache (a time to live, least recently used
// out), the queue that coalesces ids, the checks of ids and options, and the batch calls are
// wasm's (LoaderCore in src/loader.rs). A `cacheMap` of the caller's takes the place of the
// loader's own cache: both are read the same way, as a Map.

import { failureError } from "./profile_error.js";

export class ProfileLoader {
  #core;
  #cache;
  /// The `[resolve, reject]` pairs of every `load` waiting for an id.
  #waiters = new Map();
  #flushScheduled = false;

  constructor(core, cacheMap) {
    this.#core = core;
    this.#cache = cacheMap ?? core;
  }

  /// A method of the cache; one of the caller's that throws is a miss, not an error of the load.
  #cached(method, ...args) {
    try {
      return this.#cache[method](...args);
    } catch {
      return undefined;
    }
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
    const promise = new Promise((resolve, reject) => {
      const waiting = this.#waiters.get(id) ?? [];
      waiting.push([resolve, reject]);
      this.#waiters.set(id, waiting);
    });
    const queued = this.#core.enqueue(id);
    if (queued === "full") this.#dispatch(this.#core.takeBatch());
    else if (queued === "queued" && !this.#flushScheduled) {
      this.#flushScheduled = true;
      // Sent once the current tick is over, so that every load made in it joins.
      setTimeout(() => this.#flush(), 0);
    }
    return promise;
  }

  /// Every id's profile, or its ProfileError in its place; never rejects for one id.
  loadMany(ids) {
    try {
      this.#core.checkMany(ids);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.all(Array.from(ids, (id) => this.load(id).catch((error) => error)));
  }

  /// Puts a profile in the cache unless its id is cached already: `prime(profile)` under the
  /// profile's own id, or `prime(id, profile)` as DataLoader has it.
  prime(keyOrProfile, profile) {
    const [id, value] = this.#core.primed(keyOrProfile, profile);
    if (this.#cached("get", id) === undefined) this.#cached("set", id, value);
    return this;
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
    return { ...this.#core.describe(), cached };
  }

  free() {
    this.#core.free();
  }

  [Symbol.dispose]() {
    this.free();
  }

  #flush() {
    this.#flushScheduled = false;
    while (this.#core.hasQueued()) this.#dispatch(this.#core.takeBatch());
  }

  /// Fetches one batch as a getProfiles call and settles its waiters.
  async #dispatch(ids) {
    let settled;
    try {
      const { profiles, failures } = await this.#core.fetch(ids);
      const vendor = this.#core.vendor;
      settled = [
        ...profiles.map((profile) => [profile.id, true, profile]),
        ...failures.map((failure) => [failure.id, false, failureError(failure, vendor)]),
      ];
    } catch (error) {
      settled = ids.map((id) => [id, false, error]);
    }
    for (const [id, ok, value] of settled) {
      if (ok) this.#cached("set", id, value);
      this.#core.done(id);
      const waiting = this.#waiters.get(id) ?? [];
      this.#waiters.delete(id);
      for (const [resolve, reject] of waiting) (ok ? resolve : reject)(value);
    }
  }
}

export function profileLoaderClass() {
  return ProfileLoader;
}

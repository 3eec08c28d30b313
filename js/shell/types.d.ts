/** A vendor's key. The union of every key is written in at build, from the vendors' own descriptors (`vendors()`). */
export type Vendor = string;

export type ErrorCode =
  | "invalid_config"
  | "invalid_input"
  | "auth_failed"
  | "permission_denied"
  | "not_found"
  | "rate_limited"
  | "vendor_error"
  | "invalid_response"
  | "network"
  | "timeout"
  | "aborted"
  | "unsupported";

export type Gender = "male" | "female" | "unknown";

export interface Profile {
  vendor: Vendor;
  id: string;
  name?: string;
  avatarUrl?: string;
  gender: Gender;
  birthday?: string;
  location?: string;
  email?: string;
  level?: number;
  role?: number;
  signature?: string;
  /** Epoch milliseconds. */
  createdAt?: number;
  /** Epoch milliseconds. */
  updatedAt?: number;
  active?: boolean;
  version?: number;
  /** Every vendor field not mapped above, under its vendor name, in the vendor's order, its
   * value as `JSON.parse` reads the vendor's JSON. */
  custom: Record<string, unknown>;
  /** The vendor's own record, only with `includeRaw: true`. */
  raw?: unknown;
}

export interface Failure {
  id: string;
  code: ErrorCode;
  message: string;
  vendorCode?: number | string;
  retryable: boolean;
}

export interface Stats {
  requested: number;
  profiles: number;
  failures: number;
  /** HTTP attempts for profiles or pages, retries included (token requests are not counted). */
  requests: number;
  retries: number;
  elapsedMs: number;
}

export interface Progress {
  /** Ids resolved so far, as profiles or failures. */
  done: number;
  total: number;
  failed: number;
  requests: number;
  retries: number;
}

export interface BatchResult {
  profiles: Profile[];
  failures: Failure[];
  stats: Stats;
}

export interface ProfilePage {
  profiles: Profile[];
  cursor?: string;
}

/**
 * The parts of an `AbortSignal` improfiles uses. Written out so that the types need neither
 * the DOM lib nor @types/node: the platform's `AbortSignal` (browser or Node) fits it.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * The `AbortSignal` of the platform where the program's types declare one (the DOM library,
 * @types/node), else the part improfiles uses: what it passes to `fetch` is a real one, and a
 * `fetch` typed by the platform (`fetch` itself, undici's) takes only the platform's.
 */
export type PlatformAbortSignal = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalLike;

/** What improfiles passes to `fetch`; any WHATWG-compatible fetch accepts it. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: PlatformAbortSignal;
}

/**
 * The parts of a fetch `Response` improfiles reads; the platform's `Response` fits it. The body
 * is read with the first of `bytes()`, `arrayBuffer()` and `text()` it has.
 */
export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  bytes?(): Promise<Uint8Array>;
  arrayBuffer?(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

/** What a shared limiter grants; `release` is called when the request has ended. */
export interface LimiterPermit {
  /** `answered`: a response came back (false for a timeout, a network error, no permit). */
  release?(outcome: { answered: boolean }): unknown;
}

/** A rate budget shared with other processes: `config.limiter`, e.g. `createRedisLimiter()`. */
export interface Limiter {
  /**
   * Resolves when the request may go, with its permit (or nothing). A limiter that throws,
   * rejects or grants nothing within 60 s fails that attempt as a retryable `network` failure.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: an async acquire() that returns nothing is Promise<void>, and fits
  acquire(key: string, permits: number, details: { rate: number }): PromiseLike<LimiterPermit | void> | LimiterPermit | void;
}

export interface CommonConfig {
  /** Scheme + host (+ path prefix); `http://` only to loopback. */
  baseUrl?: string;
  /**
   * Default: `globalThis.fetch`; in Node, improfiles' own transport over `node:http` /
   * `node:https` with keep-alive (less CPU than Node's fetch), unless `globalThis.fetch` was
   * replaced after improfiles was loaded (a test's stub), which then gets the requests.
   */
  fetch?: FetchLike;
  /** Requests per second, never exceeded over any 1-second window. Default: the vendor's documented rate. */
  rateLimit?: number;
  /**
   * A cap on requests in flight at once. Default: what the rate needs at the measured round
   * trip (rate × RTT × 1.5 + 2), never more than the rate nor 256, and fewer (not under 16) when
   * more would buy no more answers; a low cap gives at most cap / RTT.
   */
  concurrency?: number;
  /** Further attempts of a retryable failure. Default 3. */
  retries?: number;
  /** Per attempt. Default 10000. */
  timeoutMs?: number;
  /**
   * A `Retry-After` (or a vendor's pause) longer than this is not waited out: the ids concerned
   * fail at once as `rate_limited`, `retryable: true`, and the client is not paused. Default 60000.
   */
  maxRetryAfterMs?: number;
  /** Ids per request, 1..vendor maximum. Default: the vendor maximum. */
  batchSize?: number;
  /**
   * A rate budget shared with other processes (e.g. `createRedisLimiter()` from
   * "improfiles/redis-limiter"): asked for a permit before every request, in place of the
   * in-process pacing. `details.rate` is this client's `rateLimit`.
   */
  limiter?: Limiter;
  /** The limiter key; default `improfiles:<vendor>:<account>` (app key, SDKAppID, org#app…). */
  limiterKey?: string;
}

export interface RongCloudConfig extends CommonConfig {
  vendor: "rongcloud";
  appKey: string;
  /** Server side only; in a browser use `signer`. */
  appSecret?: string;
  /** Returns lowercase hex SHA1(appSecret + nonce + timestamp), e.g. from your backend. */
  signer?: (nonce: string, timestamp: string) => string | Promise<string>;
  /** Tried when the primary host fails at the network level or with 5xx. */
  backupBaseUrl?: string;
}

export type TencentRegion = "china" | "singapore" | "seoul" | "frankfurt" | "silicon-valley" | "jakarta" | "tokyo" | "mumbai";

interface TencentCommonConfig extends CommonConfig {
  /** The SDKAppID from the Chat console. */
  sdkAppId: number;
  /** The app admin account the requests are made as. */
  identifier: string;
  /** Default `china`; ignored when `baseUrl` is given. */
  region?: TencentRegion;
}

/** A UserSig you made (e.g. on your backend); the call rejects `auth_failed` once it has expired. */
interface TencentWithUserSig {
  userSig: string;
  secretKey?: never;
  userSigTtlSeconds?: never;
}

/** Server side only: UserSigs are made here (TLSSigAPIv2) and renewed before they run out. */
interface TencentWithSecretKey {
  secretKey: string;
  /** Lifetime of each UserSig made, 60 s to 10 years. Default 86400. */
  userSigTtlSeconds?: number;
  userSig?: never;
}

export type TencentConfig = TencentCommonConfig & {
  vendor: "tencent";
  /** The TagList: standard tags and `Tag_Profile_Custom_*`. Default: the 12 standard profile tags. */
  fields?: string[];
} & (TencentWithUserSig | TencentWithSecretKey);

export type TencentAttrsConfig = TencentCommonConfig & { vendor: "tencent-attrs" } & (TencentWithUserSig | TencentWithSecretKey);

export interface KaixinOAuth1 {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

export type KaixinField =
  | "uid"
  | "name"
  | "gender"
  | "hometown"
  | "city"
  | "status"
  | "logo120"
  | "logo50"
  | "birthday"
  | "bodyform"
  | "blood"
  | "marriage"
  | "trainwith"
  | "interest"
  | "favbook"
  | "favmovie"
  | "favtv"
  | "idol"
  | "motto"
  | "wishlist"
  | "intro"
  | "education"
  | "schooltype"
  | "school"
  | "class"
  | "year"
  | "career"
  | "company"
  | "dept"
  | "beginyear"
  | "beginmonth"
  | "endyear"
  | "endmonth"
  | "isStar"
  | "online"
  | "pinyin";

export type KaixinConfig = CommonConfig & {
  vendor: "kaixin";
  /** Default `json`; both give the same profiles. */
  format?: "json" | "xml";
  /** Default: the basic fields uid, name, gender, logo50 (`uid` is always added). */
  fields?: KaixinField[];
} /** OAuth 1.0a, HMAC-SHA1, signed here per request. */ & (
    | { oauth1: KaixinOAuth1; accessToken?: never }
    /** OAuth 2. */
    | { accessToken: string; oauth1?: never }
  );

export type EasemobConfig = CommonConfig & {
  vendor: "easemob";
  orgName: string;
  appName: string;
  /** Required: Easemob hosts are per cluster (e.g. `https://a1.easemob.com`). */
  baseUrl: string;
} /** An app token you obtained; a 401 rejects `auth_failed`. */ & (
    | { token: string; clientId?: never; clientSecret?: never }
    /** Server side only: the app token is obtained here, cached, and renewed before it expires and once after a 401. */
    | { clientId: string; clientSecret: string; token?: never }
  );

export type ProfileClientConfig = RongCloudConfig | TencentConfig | TencentAttrsConfig | EasemobConfig | KaixinConfig;

/** One config key a person fills in (`vendors()`). */
export interface VendorField {
  /** The config key; a nested one as `oauth1.consumerKey`. */
  key: string;
  label: string;
  /** `secret`: a credential, never printed; `function`: a function of yours (a signer). */
  kind: "text" | "number" | "secret" | "function";
  /** The environment variable the command line reads it from. */
  env?: string;
  optional: boolean;
}

/** One way to authenticate with a vendor: the keys it takes together. */
export interface VendorMode {
  id: string;
  label: string;
  /** Everything it takes may sit in a browser: no long-lived secret. */
  browserSafe: boolean;
  fields: VendorField[];
}

/** A vendor, as `vendors()` describes it. */
export interface VendorInfo {
  vendor: Vendor;
  title: string;
  /** The page of the repository's docs/vendors/ that describes the API. */
  docs: string;
  /** The keys every mode takes (the account). */
  account: VendorField[];
  /** The ways to authenticate, the browser-safe one first. */
  modes: VendorMode[];
  /** The host when none is given; null: `baseUrl` is required. */
  defaultBaseUrl: string | null;
  /** The environment variable the command line reads `baseUrl` from. */
  baseUrlEnv?: string;
  defaultRateLimit: number;
  maxBatchSize: number;
  /** It has a user listing (`listProfiles`, `listAllProfiles`). */
  listsUsers: boolean;
}

/**
 * A call's ids: an array, or any iterable or async iterable of them (a generator, a Set, lines of a
 * file as they are read). An iterable is read only as fast as requests go out; repeats anywhere in
 * it are fetched once.
 */
export type Ids = readonly string[] | Iterable<string> | AsyncIterable<string>;

export interface GetProfilesOptions {
  signal?: AbortSignalLike;
  /** tencent / kaixin: overrides config.fields for this call. */
  fields?: string[];
  /** Called after every finished request. */
  onProgress?: (progress: Progress) => void;
  /**
   * Each request's profiles and failures, as they arrive. If it returns a promise, no new
   * request starts until it settles (backpressure for slow writers); a rejection rejects the call.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing, or a promise to wait for
  onBatch?: (batch: BatchResult) => void | PromiseLike<unknown>;
  /** Default true; false: the resolved result carries stats only. */
  collect?: boolean;
  /** Default false; true: every Profile carries `raw`. */
  includeRaw?: boolean;
}

export interface ListProfilesOptions {
  pageSize?: number;
  cursor?: string;
  signal?: AbortSignalLike;
}

export interface ListAllProfilesOptions extends Omit<GetProfilesOptions, "fields"> {
  pageSize?: number;
  max?: number;
}

/** `streamProfiles`: `getProfiles`'s options but its results' (`onBatch`, `collect`): the stream is them. */
export type StreamProfilesOptions = Omit<GetProfilesOptions, "onBatch" | "collect">;

/** `listPages`: `listAllProfiles`'s options but its results'. */
export type ListPagesOptions = Omit<ListAllProfilesOptions, "onBatch" | "collect">;

/**
 * Every error improfiles throws or rejects with, and what `loadMany` puts in an id's place.
 * (The class itself is made in JS, js/shell/profile_error.js; the package's entries export it.)
 */
export declare class ProfileError extends Error {
  constructor(
    message: string,
    details?: {
      code?: ErrorCode;
      vendor?: Vendor;
      status?: number;
      vendorCode?: number | string;
      retryable?: boolean;
    },
  );
  readonly name: "ProfileError";
  code: ErrorCode;
  vendor?: Vendor;
  status?: number;
  vendorCode?: number | string;
  retryable: boolean;
}

/**
 * `client.loader()`, after DataLoader: `load` calls made in the same tick, or until a request's
 * worth is queued, become one getProfiles batch; profiles are cached. (The class is made in JS,
 * js/shell/loader.js; the package's entries export it.)
 */
export declare class ProfileLoader {
  private constructor();
  /** The profile of `id`, from the cache or from the next batch; rejects with the id's `ProfileError` (e.g. `not_found`) if it has none. */
  load(id: string): Promise<Profile>;
  /** Every id's profile, or its `ProfileError` in its place; never rejects for one id. */
  loadMany(ids: readonly string[]): Promise<(Profile | ProfileError)[]>;
  /** Puts a profile in the cache unless its id is cached already: `prime(profile)`, or `prime(id, profile)` as DataLoader has it. */
  prime(keyOrProfile: string | Profile, profile?: Profile): this;
  /** Forgets the cached profile of `id`. */
  clear(id: string): this;
  /** Forgets every cached profile. */
  clearAll(): this;
  /** What `JSON.stringify` prints: the options and the cache size, never a credential. */
  toJSON(): Record<string, unknown>;
  /** Frees the loader's half in wasm (the cache is JS, collected as any object); `using` does it at the end of the scope. */
  free(): void;
  [Symbol.dispose](): void;
}

export interface LoaderOptions {
  /** Cached profiles older than this are fetched again. Default: no expiry. */
  cacheTtlMs?: number;
  /** At most this many cached profiles, least recently used out first; 0 turns the cache off. Default 10,000. */
  maxCacheSize?: number;
  /** At most this many ids in one batch (one getProfiles call). Default: the vendor's ids per request. */
  maxBatchSize?: number;
  /**
   * A Map-like cache of your own (a `Map`, an LRU cache…) instead of the loader's: profiles are
   * kept in it by id, and its size and eviction are yours. Not with cacheTtlMs or maxCacheSize.
   */
  cacheMap?: LoaderCacheMap;
}

/** What `cacheMap` takes: `get`, `set`, `delete` and `clear`, as a `Map` has them. */
export interface LoaderCacheMap {
  get(id: string): Profile | undefined;
  set(id: string, profile: Profile): unknown;
  delete(id: string): unknown;
  clear(): unknown;
}

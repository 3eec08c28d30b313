// Compiled with `tsc --strict` by `make test`: the package's public types are usable and
// precise. The @ts-expect-error lines must stay errors.
import { ProfileClient, ProfileError, type ProfileLoader, vendors } from "improfiles";
import type { BatchResult, ErrorCode, Failure, Limiter, Profile, Progress, Vendor, VendorInfo } from "improfiles";
import { createRedisLimiter } from "improfiles/redis-limiter";
import { ProfileClient as RongCloudClient, rongcloudSignature } from "improfiles/rongcloud";
// @ts-expect-error: improfiles/rongcloud holds no Tencent signing
import { tencentUserSig as notInRongCloud } from "improfiles/rongcloud";

const rongcloudOnly = new RongCloudClient({ vendor: "rongcloud", appKey: "k", appSecret: "s" });
const onlyKey: "rongcloud" = rongcloudOnly.vendor;
void [onlyKey, rongcloudSignature, notInRongCloud];

const client = new ProfileClient({
  vendor: "rongcloud",
  appKey: "k",
  signer: async (nonce: string, timestamp: string) => `${nonce}${timestamp}`,
  rateLimit: 50,
});

// A fetch whose answers have bytes() fits `config.fetch` (the platform's: platform-fetch.ts).
const bytesOnly = new ProfileClient({
  vendor: "rongcloud",
  appKey: "k",
  appSecret: "s",
  fetch: async () => ({
    status: 200,
    headers: { get: () => null },
    bytes: async () => new Uint8Array(),
    text: async () => "",
  }),
});
void bytesOnly;

async function main(): Promise<void> {
  const result: BatchResult = await client.getProfiles(["u1"], {
    onProgress: (p: Progress) => void p.done,
    collect: true,
  });
  const first: Profile | undefined = result.profiles[0];
  const gender: "male" | "female" | "unknown" | undefined = first?.gender;
  const custom: Record<string, unknown> | undefined = first?.custom;
  const failure: Failure | undefined = result.failures[0];
  const code: ErrorCode | undefined = failure?.code;
  void [gender, custom, code, result.stats.elapsedMs];
  try {
    await client.listProfiles({ pageSize: 10 });
  } catch (error) {
    if (error instanceof ProfileError) {
      const c: ErrorCode = error.code;
      const retryable: boolean = error.retryable;
      void [c, retryable, error.message, error.status, error.vendorCode];
    }
  }
  const tencent = new ProfileClient({
    vendor: "tencent",
    sdkAppId: 1400000000,
    identifier: "admin",
    secretKey: "key",
    userSigTtlSeconds: 3600,
    region: "singapore",
    fields: ["Tag_Profile_IM_Nick", "Tag_Profile_Custom_Vip"],
  });
  await tencent.getProfiles(["a"], { fields: ["Tag_Profile_IM_Image"] });
  new ProfileClient({ vendor: "tencent-attrs", sdkAppId: 1, identifier: "admin", userSig: "sig" });
  // @ts-expect-error: a UserSig or a secret key, not both
  new ProfileClient({ vendor: "tencent-attrs", sdkAppId: 1, identifier: "admin", userSig: "sig", secretKey: "k" });
  // @ts-expect-error: regions are checked
  new ProfileClient({ vendor: "tencent", sdkAppId: 1, identifier: "admin", userSig: "s", region: "mars" });
  // @ts-expect-error: sdkAppId is a number
  new ProfileClient({ vendor: "tencent", sdkAppId: "1400000000", identifier: "admin", userSig: "s" });
  new ProfileClient({
    vendor: "kaixin",
    oauth1: { consumerKey: "k", consumerSecret: "s", token: "t", tokenSecret: "ts" },
    format: "xml",
    fields: ["name", "city", "logo120"],
  });
  new ProfileClient({ vendor: "kaixin", accessToken: "token" });
  // @ts-expect-error: Kaixin field names are checked
  new ProfileClient({ vendor: "kaixin", accessToken: "token", fields: ["nickname"] });
  // @ts-expect-error: an incomplete oauth1 is refused
  new ProfileClient({ vendor: "kaixin", oauth1: { consumerKey: "k", consumerSecret: "s", token: "t" } });
  const easemob = new ProfileClient({
    vendor: "easemob",
    orgName: "o",
    appName: "a",
    baseUrl: "https://a1.easemob.com",
    clientId: "id",
    clientSecret: "s",
  });
  const page = await easemob.listProfiles({ pageSize: 50 });
  const next: string | undefined = page.cursor;
  const all: BatchResult = await easemob.listAllProfiles({ pageSize: 100, max: 1000, collect: false, onBatch: (b) => void b.profiles });
  void [next, all];
  // @ts-expect-error: easemob needs its cluster's baseUrl
  new ProfileClient({ vendor: "easemob", orgName: "o", appName: "a", token: "t" });
  // @ts-expect-error: vendor keys are checked
  new ProfileClient({ vendor: "icq", appKey: "k", appSecret: "s" });
  // @ts-expect-error: ids are strings
  await client.getProfiles([1, 2]);
  // @ts-expect-error: profiles are not `any`
  const n: number = result.profiles[0].custom;
  void n;
  const loader: ProfileLoader = client.loader({ cacheTtlMs: 60_000, maxCacheSize: 500 });
  const bare: BatchResult = await client.getProfiles(["u1"]);
  void [bare, client.loader(), await easemob.listProfiles(), await easemob.listAllProfiles()];
  const one: Profile = await loader.load("u1");
  const many: (Profile | ProfileError)[] = await loader.loadMany(["u1", "u2"]);
  loader.prime(one);
  loader.clear("u1");
  loader.clearAll();
  void many;
  // @ts-expect-error: loader options are checked
  client.loader({ ttl: 5 });
  await client.getProfiles(["u1"], {
    collect: false,
    onBatch: async (b) => {
      await Promise.resolve(b.failures.length);
    },
  });
  const limiter = createRedisLimiter({ url: "redis://127.0.0.1:6379", staleMs: 10_000 });
  new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s", limiter, limiterKey: "tenant-1" });
  new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s", limiter: { acquire: async () => undefined } });
  // @ts-expect-error: a limiter needs acquire
  new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s", limiter: {} });
  limiter.close();
  const frozen: readonly string[] = Object.freeze(["u1", "u2"]);
  await client.getProfiles(frozen);
  await loader.loadMany(frozen);
  const vendor: Vendor = client.vendor;
  void vendor;
  const described: VendorInfo[] = vendors();
  const firstKey: Vendor = described[0].vendor;
  const secretKeys: string[] = described.flatMap((v) =>
    v.modes.flatMap((m) => m.fields.filter((f) => f.kind === "secret").map((f) => f.key)),
  );
  void [firstKey, secretKeys];
  // @ts-expect-error: the Vendor union is written in at build from the vendors' descriptors
  const unknown: Vendor = "icq";
  void unknown;
  async function* lines(): AsyncGenerator<string> {
    yield "u1";
  }
  const fromStream: BatchResult = await client.getProfiles(lines());
  void fromStream;
  for await (const item of client.streamProfiles(new Set(["u1", "u2"]), { includeRaw: true })) {
    const each: BatchResult = item;
    void each;
  }
  for await (const page of client.listPages({ pageSize: 100, max: 500 })) {
    const next: string | undefined = page.cursor;
    void next;
  }
  // @ts-expect-error: a stream's results are the stream, not onBatch's
  client.streamProfiles(["u1"], { onBatch: () => undefined });
  // prime, clear and clearAll return the loader itself
  const same: ProfileLoader = loader.clear("u1").clearAll();
  void same;
  // @ts-expect-error: load takes a string id
  await loader.load(1);
  const shared: Limiter = limiter;
  void shared;
  const parsed = client.parseResponse(["u1"], { status: 200, body: "{}", headers: { "retry-after": "1" } }, { includeRaw: true });
  const firstFailure: Failure | undefined = parsed.failures[0];
  void firstFailure;
}
void main;

// A CommonJS consumer (`require`), type-checked under module Node16 without the DOM lib: the
// package's CommonJS types (index.d.cts) resolve, and are the same as the ESM ones.
import improfiles = require("improfiles");
import redisLimiter = require("improfiles/redis-limiter");

const client = new improfiles.ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s" });
const limiter: improfiles.Limiter = redisLimiter.createRedisLimiter({ url: "redis://127.0.0.1:6379" });
async function main(): Promise<void> {
  const result: improfiles.BatchResult = await client.getProfiles(["u1"], { signal: undefined });
  const vendor: improfiles.Vendor = client.vendor;
  if (result.failures[0] instanceof Error) throw new improfiles.ProfileError("never");
  void [vendor, limiter];
}
void main;

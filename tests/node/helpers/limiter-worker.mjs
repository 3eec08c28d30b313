// One of several processes sharing a RongCloud app key through the Redis limiter:
// `node limiter-worker.mjs <emulator url> <redis url> <first id> <count> [key prefix]`; prints its stats.
import { ProfileClient } from "improfiles";
import { createRedisLimiter } from "improfiles/redis-limiter";

import { APP_KEY, APP_SECRET } from "./rongcloud.mjs";

const [emulatorUrl, redisUrl, first, count, prefix] = process.argv.slice(2);
const limiter = createRedisLimiter({ url: redisUrl, prefix });
const client = new ProfileClient({ vendor: "rongcloud", appKey: APP_KEY, appSecret: APP_SECRET, baseUrl: emulatorUrl, limiter });
const ids = Array.from({ length: Number(count) }, (_, i) => `u${Number(first) + i}`);
const result = await client.getProfiles(ids, { collect: false });
limiter.close();
process.stdout.write(`${JSON.stringify(result.stats)}\n`);

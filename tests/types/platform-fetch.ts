// Compiled by `make test` where the DOM library declares the platform's fetch (not under
// tsconfig.node16.json): `fetch` itself fits `config.fetch`, its signal included.
import { ProfileClient } from "improfiles";

const withPlatformFetch = new ProfileClient({ vendor: "rongcloud", appKey: "k", appSecret: "s", fetch });
void withPlatformFetch;

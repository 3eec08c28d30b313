// Pacing at a distance: one call's worth of requests against the emulator with a round trip
// injected, measured the way the vendor counts — by arrival, at the emulator. Shared by
// `make bench` (which prints the figures) and the tests (which assert only what the vendor
// saw: no window over the limit, nothing refused).
import { busiestSecond } from "improfiles-emulator";

/** What the vendor saw of the requests logged for `vendor` (token requests left out). */
export function arrivals(log, vendor) {
  const entries = log.filter((e) => e.vendor === vendor && e.outcome !== "token");
  const refused = entries.filter((e) => e.outcome === "rate_limited").length;
  const accepted = entries.filter((e) => e.outcome !== "rate_limited");
  const seconds = accepted.length > 1 ? (accepted.at(-1).at - accepted[0].at) / 1000 : 0;
  return {
    requests: entries.length,
    refused,
    // Every arrival counts here, refused or not: what the client put into a window.
    busiest: busiestSecond(entries),
    seconds,
    // Requests per second by arrival: n − 1 intervals between the first and the last.
    rate: seconds > 0 ? (accepted.length - 1) / seconds : 0,
  };
}

/**
 * Runs `work()` (which sends to `vendor`) with the emulator at `latencyMs` ± `jitterMs`, each
 * new connection's first request `handshakeRoundTrips` round trips later, and returns what the
 * vendor saw, plus what `work` returned.
 */
export async function atDistance(emulator, { vendor, latencyMs = 0, jitterMs = 0, handshakeRoundTrips = 0 }, work) {
  await emulator.reset();
  await emulator.latency({ latencyMs, jitterMs, handshakeRoundTrips });
  try {
    const result = await work();
    return { ...arrivals(await emulator.log(), vendor), result };
  } finally {
    await emulator.latency({ latencyMs: 0, jitterMs: 0 });
  }
}

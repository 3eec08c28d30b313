//! Pacing for one client, as a pure state machine: the caller passes the time in, so every
//! rule here is tested natively with a simulated clock.
//!
//! - Rate: never more than `rate` requests in any 1-second window *as the vendor counts them*,
//!   that is by arrival, at any distance from the vendor: [`crate::pacing`] has the model.
//! - Concurrency: a given `concurrency` is a hard cap. Without one, as many requests are in
//!   flight as the rate needs at the round trip the client measures (Little's law: 100
//!   requests/s at 200 ms needs 20 out at once), with headroom, and never more than the rate.
//! - Pauses: a rate-limit reply or `Retry-After` stops every send until it has passed.
//! - Backoff: exponential with full jitter (AWS architecture blog, "Exponential Backoff And
//!   Jitter"), so many clients retrying at once spread out instead of stampeding.
//! - Slowdown: after a rate-limit reply the client sends at half its rate, then returns
//!   linearly to the configured rate, so a vendor that counts differently from us (or a second
//!   process on the same app key) is not hit again the moment the pause ends. The arrival model
//!   also falls back to its causal rule for a while and widens its margin.
//! - Retry budget: the AWS SDKs' "standard" retry quota, so retries stay a bounded share of
//!   the requests and a failing vendor is not multiplied by the retry count.
//! - Circuit breaker: after many failed requests in a row the client stops sending for a
//!   while; the ids still queued fail at once, retryable, instead of waiting out timeouts.

mod breaker;
mod hosts;
mod retries;

pub use breaker::{Circuit, CircuitBreaker};
pub use hosts::{Hosts, HOST_SWITCH_INTERVAL_MS};
pub use retries::{Backoff, RetryBudget};

use crate::model::{ErrorCode, ProfileError};
use crate::pacing::{ArrivalPacer, Ended, RoundTrips};

/// Why a retryable failure was not retried although attempts were left.
pub const BUDGET_SPENT: &str = "not retried: this client's retry budget is spent";
/// Pause after a rate-limit reply that says nothing of when to come back: one full window.
const DEFAULT_RATE_LIMIT_PAUSE_MS: f64 = 1000.0;
/// After a rate-limit reply the rate is multiplied by this, down to [`SLOWDOWN_FLOOR`]…
const SLOWDOWN_FACTOR: f64 = 0.5;
const SLOWDOWN_FLOOR: f64 = 0.1;
/// …and returns linearly to the configured rate over this long once the pause is over.
const SLOWDOWN_RECOVERY_MS: f64 = 10_000.0;
/// After a rate-limit reply the arrival model is not trusted for this long (the causal rule
/// paces instead), and its margin widens by at least this much, halving every
/// [`SLOWDOWN_RECOVERY_MS`] without another refusal.
const CAUTION_MS: f64 = 10_000.0;
const CAUTION_MARGIN_MS: f64 = 10.0;
/// Requests in flight beyond what the measured round trip needs (a factor, then a few more):
/// room for round trips that grow before the measurement shows it.
const CONCURRENCY_HEADROOM: f64 = 1.5;
const CONCURRENCY_SPARE: usize = 2;
/// Never more in flight than a caller may ask for (`concurrency` is 1..=256): a rate lifted
/// far beyond any vendor's (load tests) would otherwise open thousands of connections.
const MOST_IN_FLIGHT: f64 = 256.0;
/// Identifies one send, so its departure and its end can be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SendTicket(u64);

/// Sending more slowly for a while after a rate-limit reply.
#[derive(Clone, Copy, Debug)]
struct Slowdown {
    /// The rate factor when recovery starts, and when it starts (the end of the pause).
    factor: f64,
    from: f64,
}

impl Slowdown {
    fn factor(&self, now: f64) -> f64 {
        let progress = ((now - self.from) / SLOWDOWN_RECOVERY_MS).clamp(0.0, 1.0);
        self.factor + (1.0 - self.factor) * progress
    }
}

/// What a failed request is laid at, for the scheduler's pauses, host failover and breaker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Blame {
    /// The vendor or the way to it, with the vendor's `Retry-After` if it sent one.
    Vendor { retry_after_ms: Option<f64> },
    /// Nothing: the request never left.
    NotSent,
}

/// Whether a request may go now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gate {
    Open,
    /// Not before this time (rate limit or pause).
    OpensAt(f64),
    /// Every concurrency slot is taken, or the rate window waits on a request in flight; a
    /// completion moves it on.
    Full,
}

/// The pacing state of one client, shared by all its calls in progress.
#[derive(Clone, Debug)]
pub struct Scheduler {
    pub hosts: Hosts,
    /// `None` when a shared limiter outside this process paces the sends instead.
    pacer: Option<ArrivalPacer>,
    rate: f64,
    /// A cap the caller gave; `None` follows the measured round trip.
    concurrency: Option<usize>,
    next_ticket: u64,
    /// The requests out: at most 256, so a list.
    in_flight: Vec<Out>,
    /// The most requests that were ever out on the network at once: as many connections as
    /// the fetch underneath has had to open (see [`Out::warm`]).
    most_departed: usize,
    round_trips: RoundTrips,
    /// The last rate-limit reply: the causal rule for [`CAUTION_MS`] after it, and a wider
    /// margin after that.
    caution_since: f64,
    caution_margin: f64,
    paused_until: f64,
    /// A vendor's pause longer than this is not waited out (`maxRetryAfterMs`).
    max_pause_ms: f64,
    last_send: f64,
    slowdown: Option<Slowdown>,
    pub backoff: Backoff,
    pub budget: RetryBudget,
    breaker: CircuitBreaker,
}

/// A request out.
#[derive(Clone, Debug)]
struct Out {
    ticket: SendTicket,
    /// When it left: `None` while it waits for a shared limiter's permit.
    departed: Option<f64>,
    /// It left on a connection already open (see [`Scheduler::departs`]).
    warm: bool,
}

impl Scheduler {
    /// `concurrency`: a hard cap on requests in flight, or `None` to follow the latency.
    pub fn new(rate: f64, concurrency: Option<usize>, hosts: Vec<String>) -> Self {
        Scheduler {
            hosts: Hosts::new(hosts),
            pacer: Some(ArrivalPacer::new(rate)),
            rate,
            concurrency: concurrency.map(|c| c.max(1)),
            next_ticket: 0,
            in_flight: Vec::new(),
            most_departed: 0,
            round_trips: RoundTrips::default(),
            caution_since: f64::NEG_INFINITY,
            caution_margin: 0.0,
            paused_until: f64::NEG_INFINITY,
            max_pause_ms: f64::INFINITY,
            last_send: f64::NEG_INFINITY,
            slowdown: None,
            backoff: Backoff::default(),
            budget: RetryBudget::new(),
            breaker: CircuitBreaker::default(),
        }
    }

    /// Leaves the rate to a limiter shared with other processes (`config.limiter`): the
    /// shell asks it before every send, and reports with [`Self::on_departure`] when the
    /// permit came. Concurrency, pauses and slowdowns still apply here.
    pub fn with_shared_limiter(mut self) -> Self {
        self.pacer = None;
        self
    }

    /// A vendor's pause longer than `ms` is not waited out: see [`Self::retry_at`].
    pub fn with_max_pause(mut self, ms: f64) -> Self {
        self.max_pause_ms = ms;
        self
    }

    /// How many requests may be out at once now. Without a given cap: what the rate needs
    /// at the round trip most requests stay under, or at the age of the oldest request still
    /// out if that is longer (a first request, or a vendor slowing down, says more than old
    /// samples), with headroom; at least one, at most the rate's N (and 256).
    pub fn concurrency_limit(&self, now: f64) -> usize {
        if let Some(cap) = self.concurrency {
            return cap;
        }
        let age = (now - self.oldest_departure()).max(0.0);
        let round_trip = self.round_trips.typical_high().unwrap_or(0.0).max(age);
        let needed = self.current_rate(now) * round_trip / 1000.0 * CONCURRENCY_HEADROOM;
        (needed.ceil() + CONCURRENCY_SPARE as f64).min(self.most_in_flight()) as usize
    }

    /// The most requests out at once without a given cap: the rate's N, and at most 256.
    fn most_in_flight(&self) -> f64 {
        self.rate.floor().clamp(1.0, MOST_IN_FLIGHT)
    }

    /// When the oldest request still out left (infinity when none has).
    fn oldest_departure(&self) -> f64 {
        self.in_flight
            .iter()
            .filter_map(|out| out.departed)
            .fold(f64::INFINITY, f64::min)
    }

    /// When the automatic limit, full now, lets one more request out though none ends: it
    /// grows with the age of the oldest request out. Without this wake-up a call that has
    /// no round trip measured yet would send two requests and then wait a whole round trip
    /// for the first answer. `None` with a given cap, at the most, or with nothing out.
    fn concurrency_grows_at(&self, now: f64) -> Option<f64> {
        let out = self.in_flight.len() as f64;
        if self.concurrency.is_some() || out >= self.most_in_flight() {
            return None;
        }
        let oldest = self.oldest_departure();
        let per_ms = self.current_rate(now) / 1000.0 * CONCURRENCY_HEADROOM;
        // The limit is ceil(per_ms · age) + spare: it passes `out` once per_ms · age > out − spare.
        let age = (out - CONCURRENCY_SPARE as f64).max(0.0) / per_ms;
        (oldest.is_finite() && per_ms > 0.0).then(|| (oldest + age + 0.001).max(now))
    }

    pub fn gate(&self, now: f64) -> Gate {
        let probing = matches!(
            self.breaker.state(now),
            Circuit::HalfOpen {
                probe_in_flight: true
            }
        );
        if probing {
            return Gate::Full;
        }
        if self.in_flight.len() >= self.concurrency_limit(now) {
            return match self.concurrency_grows_at(now) {
                Some(at) => Gate::OpensAt(at),
                None => Gate::Full,
            };
        }
        let earliest = match &self.pacer {
            Some(pacer) => pacer.earliest(now, self.credit(now)),
            None => Some(now),
        };
        let Some(mut at) = earliest else {
            return Gate::Full;
        };
        at = at.max(self.paused_until);
        // Past its cooldown the breaker's end time no longer holds anything back.
        if let Some(until) = self.breaker.open_until {
            at = at.max(until);
        }
        if self.slowdown.is_some() {
            at = at.max(self.last_send + 1000.0 / self.current_rate(now));
        }
        if at <= now {
            Gate::Open
        } else {
            Gate::OpensAt(at)
        }
    }

    /// What the arrival model may credit of a round trip now (0: the causal rule).
    fn credit(&self, now: f64) -> f64 {
        if now < self.caution_since + CAUTION_MS {
            return 0.0;
        }
        self.round_trips.credit(self.caution_margin_at(now))
    }

    /// Whether the breaker lets requests go; callers fail their queued ids on `Open`.
    pub fn circuit(&self, now: f64) -> Circuit {
        self.breaker.state(now)
    }

    /// The rate requests go at now: the configured one, or less while slowed down.
    pub fn current_rate(&self, now: f64) -> f64 {
        self.rate * self.slowdown.map_or(1.0, |s| s.factor(now))
    }

    pub fn on_send(&mut self, now: f64) -> SendTicket {
        let ticket = SendTicket(self.next_ticket);
        self.next_ticket += 1;
        self.last_send = now;
        self.breaker.on_send(now);
        let mut out = Out {
            ticket,
            departed: None,
            warm: false,
        };
        if let Some(pacer) = &mut self.pacer {
            let index = pacer.record_send(now);
            debug_assert_eq!(index, ticket.0, "one pacer send per ticket, in order");
            out.warm = self.departs();
            out.departed = Some(now);
        }
        self.in_flight.push(out);
        ticket
    }

    /// A request goes out on the network: whether fewer were out than at the busiest moment
    /// before, so that a connection was open and idle for it. Otherwise it opens one (a
    /// browser or Node's fetch keeps as many as were ever needed at once, HTTP/1.1 carrying
    /// one request at a time) and pays the TCP and TLS handshakes on its way out: its round
    /// trip says nothing of a later request's way out. At a cold start every request is such
    /// a one until the first answers free connections.
    fn departs(&mut self) -> bool {
        let out = self
            .in_flight
            .iter()
            .filter(|o| o.departed.is_some())
            .count();
        let warm = out < self.most_departed;
        self.most_departed = self.most_departed.max(out + 1);
        warm
    }

    /// The request of `ticket` left only now: it waited for a shared limiter's permit (or
    /// something else) after [`Self::on_send`]. Its round trip counts from here.
    pub fn on_departure(&mut self, ticket: SendTicket, now: f64) {
        if let Some(at) = self.in_flight.iter().position(|o| o.ticket == ticket) {
            if self.in_flight[at].departed.is_none() {
                self.in_flight[at].warm = self.departs();
            }
            let out = &mut self.in_flight[at];
            out.departed = Some(out.departed.map_or(now, |d| d.max(now)));
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.record_departure(ticket.0, now);
        }
    }

    /// A request ended at `now`: `answered` when a response came back (any status), not
    /// when it failed at the network level, timed out or was abandoned. The floor of the round
    /// trip is taken only over requests that went on a connection already open (see
    /// [`Self::departs`]).
    pub fn on_finish(&mut self, ticket: SendTicket, now: f64, answered: bool) {
        let at = self.in_flight.iter().position(|o| o.ticket == ticket);
        let out = at.map(|at| self.in_flight.swap_remove(at));
        if let Some(Out {
            departed: Some(departed),
            warm: true,
            ..
        }) = out.filter(|_| answered)
        {
            self.round_trips.record(now - departed);
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.record_end(ticket.0, Ended { at: now, answered });
        }
    }

    /// What a failed request means for the whole client: a network-level or 5xx failure
    /// counts against the host it went to, and the vendor's pacing (`Retry-After`, else a
    /// rate-limit reply) pauses every call. Returns that pause, if any. A request that never
    /// left ([`Blame::NotSent`]) says nothing of the vendor.
    pub fn on_request_failed(
        &mut self,
        error: &ProfileError,
        blame: Blame,
        host: usize,
        now: f64,
    ) -> Option<f64> {
        let Blame::Vendor { retry_after_ms } = blame else {
            self.breaker.on_neutral();
            return None;
        };
        let blames_host = matches!(error.code, ErrorCode::Network | ErrorCode::Timeout)
            || error.status.is_some_and(|s| s >= 500);
        if blames_host {
            self.hosts.report_failure(host, now);
        }
        if blames_host || error.code == ErrorCode::InvalidResponse {
            self.breaker.on_failure(error, now);
        } else {
            self.breaker.on_neutral();
        }
        let rate_limited = error.code == ErrorCode::RateLimited;
        let pause = retry_after_ms.or(rate_limited.then_some(DEFAULT_RATE_LIMIT_PAUSE_MS));
        // A pause past the cap (`Retry-After: 86400`) would stall every call of the client
        // for as long: it is not taken, and `retry_at` fails the request's ids instead.
        if let Some(ms) = pause.filter(|&ms| ms <= self.max_pause_ms) {
            self.pause_until(now + ms);
        }
        if rate_limited {
            // The vendor counted more than the model allowed for: trust it less for a while.
            self.caution_margin = (self.caution_margin_at(now) * 2.0).max(CAUTION_MARGIN_MS);
            self.caution_since = self.caution_since.max(now);
            let factor = (self.slowdown.map_or(1.0, |s| s.factor(now)) * SLOWDOWN_FACTOR)
                .max(SLOWDOWN_FLOOR);
            self.slowdown = Some(Slowdown {
                factor,
                from: self.paused_until.max(now),
            });
        }
        pause
    }

    /// The extra margin the model carries now, before a new refusal widens it.
    fn caution_margin_at(&self, now: f64) -> f64 {
        let halvings = ((now - self.caution_since) / SLOWDOWN_RECOVERY_MS).floor();
        self.caution_margin * 0.5f64.powf(halvings.clamp(0.0, 60.0))
    }

    /// When a request that failed with `error` on attempt `attempt` goes again: after the
    /// vendor's `pause` if it asked for one, else after a backoff (`unit` draws its jitter).
    /// `None` when it does not: not retryable, out of attempts, the breaker open, or the
    /// retry budget spent — the last one is added to `error`'s message.
    pub fn retry_at(
        &mut self,
        error: &mut ProfileError,
        attempt: u32,
        retries: u32,
        pause: Option<f64>,
        unit: impl FnOnce() -> f64,
        now: f64,
    ) -> Option<f64> {
        if let Some(ms) = pause.filter(|&ms| ms > self.max_pause_ms) {
            error.code = ErrorCode::RateLimited;
            error.retryable = true;
            error.message = format!(
                "{} (the vendor asked for a pause of {} s, longer than maxRetryAfterMs: not waited out)",
                error.message,
                (ms / 1000.0).ceil()
            );
            return None;
        }
        if !error.retryable || attempt >= retries || matches!(self.circuit(now), Circuit::Open(_)) {
            return None;
        }
        if !self.budget.try_spend(error.code) {
            error.message = format!("{} ({BUDGET_SPENT})", error.message);
            return None;
        }
        Some(now + pause.unwrap_or_else(|| self.backoff.delay_ms(attempt + 1, unit())))
    }

    /// A request got a usable response (per-id errors in it included): the vendor is up.
    pub fn on_request_succeeded(&mut self, was_retry: bool, now: f64) {
        self.budget.on_success(was_retry);
        self.breaker.on_success();
        if self.slowdown.is_some_and(|s| s.factor(now) >= 1.0) {
            self.slowdown = None;
        }
    }

    /// A request ended with no verdict on the vendor's health (abandoned, or a credential
    /// fetch): if it was the breaker's probe, another may go.
    pub fn on_request_neutral(&mut self) {
        self.breaker.on_neutral();
    }

    /// Nothing is sent before `until`, by any call of this client.
    pub fn pause_until(&mut self, until: f64) {
        self.paused_until = self.paused_until.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::MIN_SAMPLES;

    /// Runs a client that sends as fast as the scheduler allows against a vendor whose legs
    /// take `latency(n, opens)` = (uplink, downlink) for the n-th request, `opens` when no
    /// connection was idle for it (more were out than ever before). Returns the arrival times,
    /// sorted (the tests count them by window, as the vendor does), and the largest number of
    /// requests that were out at once.
    fn simulate(
        rate: f64,
        concurrency: Option<usize>,
        seconds: f64,
        mut latency: impl FnMut(usize, bool) -> (f64, f64),
    ) -> (Vec<f64>, usize) {
        let mut s = Scheduler::new(rate, concurrency, vec!["https://h".into()]);
        let mut now = 0.0;
        let mut arrivals = Vec::new();
        let mut most_out = 0;
        let mut in_flight: Vec<(f64, SendTicket)> = Vec::new();
        while now < seconds * 1000.0 {
            in_flight.sort_by(|a, b| a.0.total_cmp(&b.0));
            while in_flight.first().is_some_and(|(done, _)| *done <= now) {
                let (done, ticket) = in_flight.remove(0);
                s.on_finish(ticket, done, true);
            }
            match s.gate(now) {
                Gate::Open => {
                    let (to_vendor, back) = latency(arrivals.len(), in_flight.len() >= most_out);
                    arrivals.push(now + to_vendor);
                    in_flight.push((now + to_vendor + back, s.on_send(now)));
                    most_out = most_out.max(in_flight.len());
                }
                Gate::OpensAt(at) => now = at.min(in_flight.first().map_or(at, |f| f.0)),
                Gate::Full => {
                    now = in_flight
                        .first()
                        .expect("full means something is in flight")
                        .0
                }
            }
        }
        arrivals.sort_by(f64::total_cmp);
        (arrivals, most_out)
    }

    fn max_in_any_window(sorted: &[f64], window: f64) -> usize {
        let (mut best, mut start) = (0, 0);
        for end in 0..sorted.len() {
            while sorted[end] - sorted[start] >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    /// Uniform numbers in [0, 1) from a fixed seed (SplitMix64).
    struct Uniform(u64);
    impl Uniform {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / (u64::MAX as f64 + 1.0)
        }
    }

    /// The emulator's network: each leg half the round trip, ± half the jitter, independently.
    fn legs(round_trip: f64, jitter: f64, seed: u64) -> impl FnMut(usize, bool) -> (f64, f64) {
        let mut uniform = Uniform(seed);
        move |_, _| {
            let mut leg = || round_trip / 2.0 + (uniform.next() * 2.0 - 1.0) * jitter / 2.0;
            (leg(), leg())
        }
    }

    /// Figures the README and BENCHMARKS.md state, in virtual time: every window within the
    /// rate, and the share of it reached, at the round trips vendors are away from users.
    #[test]
    fn arrivals_stay_within_the_rate_at_any_distance_and_reach_most_of_it() {
        for (round_trip, jitter, at_least) in [
            (0.0, 0.0, 0.98),
            (50.0, 5.0, 0.95),
            (200.0, 20.0, 0.95),
            (500.0, 50.0, 0.88),
        ] {
            for rate in [10.0, 100.0, 200.0] {
                for seed in 1..4 {
                    let (arrivals, _) = simulate(rate, None, 20.0, legs(round_trip, jitter, seed));
                    let busiest = max_in_any_window(&arrivals, 1000.0);
                    assert!(
                        busiest <= rate as usize,
                        "{round_trip} ms, rate {rate}: {busiest}"
                    );
                    let counted = arrivals.iter().filter(|&&a| a < 20_000.0).count();
                    let achieved = counted as f64 / 20.0 / rate;
                    assert!(
                        achieved >= at_least,
                        "{round_trip} ± {jitter} ms, rate {rate}: {achieved:.3} of the rate"
                    );
                }
            }
        }
    }

    #[test]
    fn arrivals_stay_within_the_rate_when_only_the_uplink_varies_or_connections_open() {
        // All the variation on the way out, none back: the case the floor model trusts least.
        let mut uniform = Uniform(7);
        let (arrivals, _) = simulate(100.0, None, 20.0, |_, _| {
            (100.0 + 100.0 * uniform.next(), 100.0)
        });
        assert!(max_in_any_window(&arrivals, 1000.0) <= 100);
        // The first requests pay a connection setup (one more round trip), then jitter.
        let mut uniform = Uniform(8);
        let (arrivals, _) = simulate(100.0, None, 20.0, |n, _| {
            let setup = if n < 30 { 200.0 } else { 0.0 };
            (
                setup + 90.0 + 20.0 * uniform.next(),
                90.0 + 20.0 * uniform.next(),
            )
        });
        assert!(max_in_any_window(&arrivals, 1000.0) <= 100);
    }

    /// As against a real vendor over TLS: every request that finds no idle connection opens
    /// one, two more round trips on its way out (TCP, TLS 1.3). At a cold start that is every
    /// request until the first answers come back, and all those round trips are longer than
    /// a later request's way out plus another's way back: credited, they would let the second
    /// window's requests arrive on top of the first's.
    #[test]
    fn arrivals_stay_within_the_rate_from_a_cold_start() {
        for (round_trip, jitter) in [(50.0, 5.0), (200.0, 20.0), (500.0, 50.0)] {
            for rate in [10.0, 100.0, 200.0] {
                let mut legs = legs(round_trip, jitter, 11);
                let (arrivals, _) = simulate(rate, None, 10.0, |n, opens| {
                    let (out, back) = legs(n, opens);
                    (out + if opens { 2.0 * round_trip } else { 0.0 }, back)
                });
                let busiest = max_in_any_window(&arrivals, 1000.0);
                assert!(
                    busiest <= rate as usize,
                    "{round_trip} ms, rate {rate}: {busiest}"
                );
            }
        }
    }

    #[test]
    fn concurrency_follows_the_round_trip_unless_capped() {
        let (_, most_out) = simulate(100.0, None, 10.0, legs(200.0, 20.0, 3));
        assert!(
            (20..=40).contains(&most_out),
            "100/s at 200 ms needs about 20 out: {most_out}"
        );
        let (_, most_out) = simulate(100.0, None, 10.0, legs(0.5, 0.0, 3));
        assert!(most_out <= 3, "loopback needs hardly any: {most_out}");
        let (_, most_out) = simulate(10.0, None, 10.0, legs(3000.0, 0.0, 3));
        assert_eq!(most_out, 10, "never more than the rate's N");
        // A given cap holds, and then the rate is the cap over the round trip.
        let (arrivals, most_out) = simulate(100.0, Some(8), 10.0, legs(200.0, 0.0, 3));
        assert_eq!(most_out, 8);
        let achieved = arrivals.iter().filter(|&&a| a < 10_000.0).count() as f64 / 10.0;
        assert!((38.0..=41.0).contains(&achieved), "8 / 0.2 s: {achieved}");
    }

    #[test]
    fn a_first_call_ramps_up_without_waiting_for_its_first_answer() {
        let mut s = Scheduler::new(200.0, None, vec!["https://h".into()]);
        s.on_send(0.0);
        s.on_send(0.0);
        let Gate::OpensAt(at) = s.gate(0.0) else {
            panic!("two out, no answer yet: the limit grows with their age")
        };
        assert!(at > 0.0 && at < 10.0, "{at}");
        assert_eq!(s.gate(at), Gate::Open);
        let (arrivals, _) = simulate(200.0, None, 2.0, legs(500.0, 50.0, 9));
        let first_half_second = arrivals.iter().filter(|&&a| a < 500.0 + 250.0).count();
        assert!(
            first_half_second >= 90,
            "sends start at the rate: {first_half_second}"
        );
        let mut capped = Scheduler::new(200.0, Some(2), vec!["https://h".into()]);
        capped.on_send(0.0);
        capped.on_send(0.0);
        assert_eq!(
            capped.gate(0.0),
            Gate::Full,
            "a given cap waits for an answer"
        );
    }

    #[test]
    fn a_refusal_falls_back_to_the_causal_rule_for_a_while() {
        let mut s = Scheduler::new(1.0, None, vec!["https://h".into()]);
        let mut last = 0.0;
        // The first opened a connection: its round trip is not a sample.
        for i in 0..=MIN_SAMPLES {
            let sent = 1000.0 * i as f64;
            let t = s.on_send(sent);
            last = sent + 400.0;
            s.on_finish(t, last, true);
        }
        assert_eq!(
            s.gate(last),
            Gate::OpensAt(last + 600.0 + 3.0),
            "1 s + 400 ms - (400 - 3) ms after the last send"
        );
        let limited = failure(ErrorCode::RateLimited, Some(429));
        s.on_request_failed(&limited, vendor(Some(0.0)), 0, last);
        assert_eq!(s.credit(last), 0.0, "the causal rule");
        let later = last + CAUTION_MS;
        assert!(s.credit(later) > 0.0, "the model is trusted again…");
        assert!(
            s.credit(later) < 400.0 - 3.0 - CAUTION_MARGIN_MS / 2.0 + 1e-9,
            "…with a wider margin"
        );
    }

    #[test]
    fn slow_rates_space_sends_out() {
        let (arrivals, _) = simulate(0.5, Some(4), 10.0, |_, _| (1.0, 1.0));
        assert!(arrivals.windows(2).all(|w| w[1] - w[0] >= 2000.0));
    }

    #[test]
    fn a_request_still_in_flight_holds_the_next_window() {
        let mut s = Scheduler::new(2.0, Some(8), vec!["https://h".into()]);
        let first = s.on_send(0.0);
        s.on_send(0.0);
        assert_eq!(
            s.gate(5000.0),
            Gate::Full,
            "the third send waits for the first to end (unanswered: no credit)"
        );
        s.on_finish(first, 5000.0, false);
        assert_eq!(s.gate(5000.0), Gate::OpensAt(6000.0));
        assert_eq!(s.gate(6000.0), Gate::Open);
    }

    #[test]
    fn concurrency_and_pause() {
        let mut s = Scheduler::new(1000.0, Some(2), vec!["https://h".into()]);
        assert_eq!(s.gate(0.0), Gate::Open);
        let t = s.on_send(0.0);
        s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Full);
        s.on_finish(t, 1.0, true);
        s.pause_until(2000.0);
        assert_eq!(s.gate(10.0), Gate::OpensAt(2000.0));
        assert_eq!(s.gate(2000.0), Gate::Open);
    }

    #[test]
    fn hosts_fail_over_at_most_once_per_interval() {
        let mut hosts = Hosts::new(vec!["https://a".into(), "https://b".into()]);
        hosts.report_failure(0, 1000.0);
        assert_eq!(hosts.active(), 1);
        hosts.report_failure(1, 2000.0);
        assert_eq!(hosts.active(), 1, "no second switch within 30 s");
        hosts.report_failure(0, 40_000.0);
        assert_eq!(
            hosts.active(),
            1,
            "a late failure of the old host does not switch back"
        );
        hosts.report_failure(1, 31_001.0);
        assert_eq!(hosts.active(), 0);
        let mut single = Hosts::new(vec!["https://a".into()]);
        single.report_failure(0, 0.0);
        assert_eq!(single.active(), 0);
    }

    fn vendor(retry_after_ms: Option<f64>) -> Blame {
        Blame::Vendor { retry_after_ms }
    }

    fn failure(code: ErrorCode, status: Option<u16>) -> ProfileError {
        let mut error = ProfileError::new(code, "boom").retryable(true);
        error.status = status;
        error
    }

    #[test]
    fn the_retry_budget_follows_the_aws_standard_quota() {
        let mut budget = RetryBudget::new();
        let mut granted = 0;
        while budget.try_spend(ErrorCode::Network) {
            granted += 1;
        }
        assert_eq!(granted, 100, "500 tokens at 5 a retry");
        budget.on_success(false);
        assert!(
            !budget.try_spend(ErrorCode::Network),
            "1 token is not a retry"
        );
        for _ in 0..4 {
            budget.on_success(false);
        }
        assert!(
            budget.try_spend(ErrorCode::Network),
            "five first attempts pay one"
        );
        budget.on_success(true);
        assert!(!budget.try_spend(ErrorCode::Timeout), "a timeout costs 10");
        assert!(budget.try_spend(ErrorCode::Network));
        for _ in 0..1000 {
            budget.on_success(false);
        }
        assert_eq!(budget.tokens(), RetryBudget::CAPACITY);
    }

    #[test]
    fn the_breaker_opens_after_failures_in_a_row_then_probes() {
        let mut s = Scheduler::new(1000.0, Some(8), vec!["https://h".into()]);
        let down = failure(ErrorCode::Network, None);
        for i in 0..CircuitBreaker::THRESHOLD - 1 {
            s.on_request_failed(&down, vendor(None), 0, f64::from(i));
            // A rate-limit reply or a 4xx says the vendor is up, but does not reset the count.
            s.on_request_failed(
                &failure(ErrorCode::NotFound, Some(404)),
                vendor(None),
                0,
                0.0,
            );
        }
        assert_eq!(s.circuit(100.0), Circuit::Closed);
        s.on_request_failed(
            &failure(ErrorCode::InvalidResponse, Some(200)),
            vendor(None),
            0,
            100.0,
        );
        let Circuit::Open(error) = s.circuit(200.0) else {
            panic!("open after {} failures", CircuitBreaker::THRESHOLD)
        };
        assert_eq!(
            (error.code, error.retryable),
            (ErrorCode::VendorError, true)
        );
        assert!(
            error.message.contains("30 more seconds"),
            "{}",
            error.message
        );
        assert_eq!(
            s.gate(200.0),
            Gate::OpensAt(100.0 + CircuitBreaker::COOLDOWN_MS)
        );

        let after = 100.0 + CircuitBreaker::COOLDOWN_MS;
        assert_eq!(
            s.circuit(after),
            Circuit::HalfOpen {
                probe_in_flight: false
            }
        );
        let probe = s.on_send(after);
        assert_eq!(s.gate(after), Gate::Full, "one probe at a time");
        s.on_finish(probe, after + 5.0, true);
        s.on_request_failed(
            &failure(ErrorCode::VendorError, Some(503)),
            vendor(None),
            0,
            after + 5.0,
        );
        assert!(
            matches!(s.circuit(after + 10.0), Circuit::Open(_)),
            "a failed probe reopens"
        );

        let later = after + 5.0 + CircuitBreaker::COOLDOWN_MS;
        let probe = s.on_send(later);
        s.on_finish(probe, later + 5.0, true);
        s.on_request_succeeded(false, later + 5.0);
        assert_eq!(s.circuit(later + 5.0), Circuit::Closed);
        assert_eq!(s.gate(later + 5.0), Gate::Open);
    }

    #[test]
    fn a_failed_request_goes_again_only_when_every_rule_allows() {
        let mut s = Scheduler::new(100.0, Some(8), vec!["https://h".into()]);
        let mut down = failure(ErrorCode::Network, None);
        assert_eq!(
            s.retry_at(&mut down, 0, 3, Some(2000.0), || 0.5, 10.0),
            Some(2010.0)
        );
        let backoff = s.retry_at(&mut down, 1, 3, None, || 0.5, 10.0);
        assert_eq!(backoff, Some(10.0 + s.backoff.delay_ms(2, 0.5)));
        assert_eq!(
            s.retry_at(&mut down, 3, 3, None, || 0.5, 10.0),
            None,
            "out of attempts"
        );
        let mut refused = ProfileError::new(ErrorCode::NotFound, "gone");
        assert_eq!(s.retry_at(&mut refused, 0, 3, None, || 0.5, 10.0), None);
        while s.budget.try_spend(ErrorCode::Network) {}
        assert_eq!(s.retry_at(&mut down, 0, 3, None, || 0.5, 10.0), None);
        assert!(down.message.ends_with(&format!("({BUDGET_SPENT})")));
    }

    #[test]
    fn a_request_that_never_left_blames_nobody() {
        let mut s = Scheduler::new(
            1000.0,
            Some(8),
            vec!["https://a".into(), "https://b".into()],
        );
        let no_permit = failure(ErrorCode::Network, None);
        for i in 0..2 * CircuitBreaker::THRESHOLD {
            assert_eq!(
                s.on_request_failed(&no_permit, Blame::NotSent, 0, f64::from(i)),
                None
            );
        }
        assert_eq!(
            s.circuit(100.0),
            Circuit::Closed,
            "the vendor is not to blame"
        );
        assert_eq!(s.hosts.active(), 0, "nor its host");
    }

    #[test]
    fn an_abandoned_probe_lets_another_go() {
        let mut s = Scheduler::new(1000.0, Some(8), vec!["https://h".into()]);
        for _ in 0..CircuitBreaker::THRESHOLD {
            s.on_request_failed(&failure(ErrorCode::Timeout, None), vendor(None), 0, 0.0);
        }
        let at = CircuitBreaker::COOLDOWN_MS;
        let probe = s.on_send(at);
        s.on_finish(probe, at, true);
        s.on_request_neutral();
        assert_eq!(s.gate(at), Gate::Open);
    }

    #[test]
    fn a_rate_limit_reply_slows_the_client_down_then_it_recovers() {
        let mut s = Scheduler::new(100.0, Some(8), vec!["https://h".into()]);
        let t = s.on_send(0.0);
        s.on_finish(t, 5.0, true);
        let limited = failure(ErrorCode::RateLimited, Some(429));
        assert_eq!(
            s.on_request_failed(&limited, vendor(Some(2000.0)), 0, 5.0),
            Some(2000.0)
        );
        assert_eq!(
            s.current_rate(2005.0),
            50.0,
            "half the rate once the pause ends"
        );
        let t = s.on_send(2005.0);
        s.on_finish(t, 2010.0, true);
        let Gate::OpensAt(at) = s.gate(2010.0) else {
            panic!("slowed down")
        };
        assert!((at - 2025.0).abs() < 0.1, "about 20 ms apart at 50/s: {at}");
        // A second rate limit halves again; the floor is a tenth of the rate.
        for _ in 0..5 {
            s.on_request_failed(&limited, vendor(None), 0, 2010.0);
        }
        assert_eq!(s.current_rate(3010.0), 10.0);
        assert!(
            (s.current_rate(8010.0) - 55.0).abs() < 1e-9,
            "halfway back after 5 s"
        );
        assert_eq!(s.current_rate(13_010.0), 100.0);
        s.on_request_succeeded(false, 13_010.0);
        let t = s.on_send(13_010.0);
        s.on_finish(t, 13_011.0, true);
        assert_eq!(
            s.gate(13_011.0),
            Gate::Open,
            "back to the configured spacing"
        );
    }

    #[test]
    fn a_shared_limiter_takes_over_the_rate_but_not_concurrency_or_pauses() {
        let mut s = Scheduler::new(1.0, Some(2), vec!["https://h".into()]).with_shared_limiter();
        let a = s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Open, "no in-process rate");
        s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Full, "concurrency still holds");
        s.on_finish(a, 1.0, true);
        s.pause_until(500.0);
        assert_eq!(
            s.gate(1.0),
            Gate::OpensAt(500.0),
            "a vendor's pause still holds"
        );
    }

    #[test]
    fn a_pause_past_the_cap_is_not_taken_and_fails_the_request() {
        let mut s = Scheduler::new(100.0, None, vec!["https://h".into()]).with_max_pause(60_000.0);
        let mut unavailable = failure(ErrorCode::VendorError, Some(503));
        let pause = s.on_request_failed(&unavailable, vendor(Some(86_400_000.0)), 0, 0.0);
        assert_eq!(s.gate(1.0), Gate::Open, "the client is not paused");
        assert_eq!(s.retry_at(&mut unavailable, 0, 3, pause, || 0.5, 1.0), None);
        assert_eq!(
            (unavailable.code, unavailable.retryable),
            (ErrorCode::RateLimited, true)
        );
        assert!(
            unavailable.message.contains("86400 s"),
            "{}",
            unavailable.message
        );
        let mut limited = failure(ErrorCode::RateLimited, Some(429));
        let pause = s.on_request_failed(&limited, vendor(Some(60_000.0)), 0, 2.0);
        assert_eq!(
            s.gate(3.0),
            Gate::OpensAt(60_002.0),
            "up to the cap it is waited out"
        );
        assert_eq!(
            s.retry_at(&mut limited, 0, 3, pause, || 0.5, 3.0),
            Some(60_003.0)
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            base_ms: 100.0,
            cap_ms: 1000.0,
        };
        assert_eq!(b.delay_ms(1, 0.999_999_9).round(), 100.0);
        assert_eq!(b.delay_ms(3, 0.5), 200.0);
        assert_eq!(b.delay_ms(10, 1.0), 1000.0);
        assert_eq!(b.delay_ms(2, 0.0), 0.0);
    }
}

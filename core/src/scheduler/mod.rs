//! Pacing for one client, as a pure state machine: the caller passes the time in, so every
//! rule here is tested natively with a simulated clock.
//!
//! - Rate: never more than `rate` requests in any 1-second window *as the vendor counts them*,
//!   that is by arrival, at any distance from the vendor: [`crate::pacing`] has the model.
//! - Concurrency: a given `concurrency` is a hard cap. Without one, as many requests are in
//!   flight as the rate needs at the round trip the client measures (Little's law: 100
//!   requests/s at 200 ms needs 20 out at once), with headroom, and never more than the rate;
//!   and when the rate is out of the vendor's reach, no more than still buy answers
//!   (`ceiling.rs`).
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
mod ceiling;
mod hosts;
mod retries;

pub use breaker::{Circuit, CircuitBreaker};
use ceiling::Ceiling;
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
    /// When the first request left: the client's first window ends a window after it.
    first_departure: f64,
    round_trips: RoundTrips,
    ceiling: Ceiling,
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
            first_departure: f64::INFINITY,
            round_trips: RoundTrips::default(),
            ceiling: Ceiling::default(),
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
        self.ceiling = Ceiling::none();
        self
    }

    /// The fetch underneath is a browser's, which queues requests out of sight and may be
    /// slow to start: the pacing waits for round trips from after the first window before it
    /// credits any floor ([`RoundTrips::credit`]).
    pub fn behind_a_browser(mut self) -> Self {
        self.round_trips.behind_a_browser();
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
    /// samples), with headroom; at least one, at most the rate's N (and 256); and no more than
    /// the ceiling found (`ceiling.rs`).
    pub fn concurrency_limit(&self, now: f64) -> usize {
        match self.concurrency {
            Some(cap) => cap,
            None => self.ceiling.limit(self.law(now)),
        }
    }

    /// What Little's law asks for at the rate and round trip, as above.
    fn law(&self, now: f64) -> usize {
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
        let most = self.ceiling.limit(self.most_in_flight() as usize) as f64;
        if self.concurrency.is_some() || out >= most {
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
            self.first_departure = self.first_departure.min(now);
        }
        self.in_flight.push(out);
        self.ceiling.on_send(self.in_flight.len());
        ticket
    }

    /// A request goes out on the network: whether fewer were out than at the busiest moment
    /// before, so that a connection was open and idle for it. Otherwise it opens one (Node
    /// keeps as many as were ever needed at once, HTTP/1.1 carrying one request at a time)
    /// and pays the TCP and TLS handshakes on its way out: its round trip says nothing of a
    /// later request's way out. At a cold start every request is such a one until the first
    /// answers free connections. A browser opens at most six per origin and queues the rest
    /// out of sight, which [`RoundTrips::credit`] allows for.
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
            self.first_departure = self.first_departure.min(now);
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.record_departure(ticket.0, now);
        }
    }

    /// A request ended at `now`: `answered` when a response came back (any status), not
    /// when it failed at the network level, timed out or was abandoned. The floor of the round
    /// trip is taken over requests that went on a connection already open (fewer were out
    /// than ever before), and bounded by those that opened one ([`RoundTrips::credit`]).
    pub fn on_finish(&mut self, ticket: SendTicket, now: f64, answered: bool) {
        let at = self.in_flight.iter().position(|o| o.ticket == ticket);
        let out = at.map(|at| self.in_flight.swap_remove(at));
        if let Some(Out {
            departed: Some(departed),
            warm,
            ..
        }) = out.filter(|_| answered)
        {
            let window = self.pacer.as_ref().map_or(1000.0, ArrivalPacer::window_ms);
            let settled = departed >= self.first_departure + window;
            self.round_trips.record(now - departed, !warm, settled);
        }
        if let Some(pacer) = &mut self.pacer {
            pacer.record_end(ticket.0, Ended { at: now, answered });
        }
        // With a shared limiter the rate is the processes' together: short of it, this one
        // may only be waiting for the others' permits.
        if self.concurrency.is_none() && self.pacer.is_some() {
            if answered {
                self.ceiling.on_answer();
            }
            if self.ceiling.due(now, &self.round_trips) {
                let steady =
                    self.slowdown.is_none() && now >= self.paused_until && self.breaker.is_closed();
                let (rate, law) = (self.current_rate(now), self.law(now));
                self.ceiling.review(now, rate, law, steady);
            }
        }
    }

    /// The run loop waited `ms` for the caller (a pending `onBatch`, a stream's consumer not
    /// asking): the search for how many requests out still buy answers leaves that time out
    /// (`ceiling.rs`).
    pub fn on_held(&mut self, ms: f64) {
        self.ceiling.on_held(ms);
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
        // A whole number of halvings, so `powi`: `powf` brings in libm's `exp2` and its 4 KB
        // table of doubles, which barely compresses (BENCHMARKS.md, "Size").
        self.caution_margin * 0.5f64.powi(halvings.clamp(0.0, 60.0) as i32)
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
                crate::model::digits((ms / 1000.0).ceil() as u64)
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
mod tests;

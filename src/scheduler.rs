//! Pacing for one client, as a pure state machine: the caller passes the time in, so every
//! rule here is tested natively with a simulated clock.
//!
//! - Rate: never more than `rate` requests in any 1-second window *as the vendor counts them*,
//!   that is by arrival. Send times are not enough: a request's network latency varies (the
//!   first ones also pay for connection setup), so two sends 1 s apart can arrive 0.96 s
//!   apart. The rule used is causal instead: the k-th request goes only once every request up
//!   to k-N has completed, and 1 s after the latest of those completions. Each request
//!   arrived before it completed and arrives after it is sent, so any N+1 requests span more
//!   than 1 s at the vendor, whatever the latency. A token bucket (GCRA) on top spreads
//!   sends out evenly instead of in bursts.
//! - Concurrency: at most `concurrency` requests in flight.
//! - Pauses: a rate-limit reply or `Retry-After` stops every send until it has passed.
//! - Backoff: exponential with full jitter (AWS architecture blog, "Exponential Backoff And
//!   Jitter"), so many clients retrying at once spread out instead of stampeding.
//! - Slowdown: after a rate-limit reply the client sends at half its rate, then returns
//!   linearly to the configured rate, so a vendor that counts differently from us (or a second
//!   process on the same app key) is not hit again the moment the pause ends.
//! - Retry budget: the AWS SDKs' "standard" retry quota, so retries stay a bounded share of
//!   the requests and a failing vendor is not multiplied by the retry count.
//! - Circuit breaker: after many failed requests in a row the client stops sending for a
//!   while; the ids still queued fail at once, retryable, instead of waiting out timeouts.

use std::collections::VecDeque;

use crate::error::{ErrorCode, ProfileError};

/// The smoothing bucket lets a tenth of a second's worth of sends go back to back, which
/// absorbs late timers without ever breaking the window.
const BURST_FRACTION: f64 = 0.1;
/// Why a retryable failure was not retried although attempts were left.
pub const BUDGET_SPENT: &str = "not retried: this client's retry budget is spent";
/// Pause after a rate-limit reply that says nothing of when to come back: one full window.
const DEFAULT_RATE_LIMIT_PAUSE_MS: f64 = 1000.0;
/// After a rate-limit reply the rate is multiplied by this, down to [`SLOWDOWN_FLOOR`]…
const SLOWDOWN_FACTOR: f64 = 0.5;
const SLOWDOWN_FLOOR: f64 = 0.1;
/// …and returns linearly to the configured rate over this long once the pause is over.
const SLOWDOWN_RECOVERY_MS: f64 = 10_000.0;
/// A host pair switches at most this often, so a flapping pair does not thrash (the RongCloud
/// Go SDK's rule).
pub const HOST_SWITCH_INTERVAL_MS: f64 = 30_000.0;

/// Where requests go: the primary host until it fails at the network level or with 5xx,
/// then the next one (a vendor's backup host).
#[derive(Clone, Debug)]
pub struct Hosts {
    urls: Vec<String>,
    active: usize,
    last_switch: f64,
}

impl Hosts {
    pub fn new(urls: Vec<String>) -> Self {
        assert!(!urls.is_empty(), "a client has at least one host");
        Hosts {
            urls,
            active: 0,
            last_switch: f64::NEG_INFINITY,
        }
    }

    pub fn active(&self) -> usize {
        self.active
    }

    pub fn url(&self, index: usize) -> &str {
        &self.urls[index]
    }

    /// A request to `host` failed in a way that blames the host. Requests already in flight
    /// to the old host do not switch back and forth: only a failure of the active host counts.
    pub fn report_failure(&mut self, host: usize, now: f64) {
        if self.urls.len() > 1
            && host == self.active
            && now - self.last_switch >= HOST_SWITCH_INTERVAL_MS
        {
            self.active = (self.active + 1) % self.urls.len();
            self.last_switch = now;
        }
    }
}

/// Identifies one send to the limiter, so its completion can be recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendTicket(u64);

#[derive(Clone, Debug)]
pub struct RateLimiter {
    per_window: u64,
    window_ms: f64,
    interval_ms: f64,
    tolerance_ms: f64,
    theoretical_arrival: f64,
    sent: u64,
    /// Recent sends in order, with their completion time once known.
    recent: VecDeque<(u64, Option<f64>)>,
    /// The latest completion among sends already `per_window` or more behind.
    settled_until: f64,
}

impl RateLimiter {
    /// `rate` in requests per second, above zero. Fractional rates round down within a second
    /// (2.5/s sends 2 per second); rates below 1/s send one per `1/rate` seconds.
    pub fn new(rate: f64) -> Self {
        let per_window = rate.floor().max(1.0);
        let window_ms = (1000.0 * per_window / rate).max(1000.0);
        let interval_ms = window_ms / per_window;
        let burst = (per_window * BURST_FRACTION).floor().max(1.0);
        RateLimiter {
            per_window: per_window as u64,
            window_ms,
            interval_ms,
            tolerance_ms: (burst - 1.0) * interval_ms,
            theoretical_arrival: f64::NEG_INFINITY,
            sent: 0,
            recent: VecDeque::new(),
            settled_until: f64::NEG_INFINITY,
        }
    }

    /// Sends at least `per_window` behind the next one, which must have completed first.
    fn behind(&self) -> impl Iterator<Item = &(u64, Option<f64>)> {
        let next = self.sent;
        let per_window = self.per_window;
        self.recent
            .iter()
            .take_while(move |(i, _)| i + per_window <= next)
    }

    /// The earliest time at or after `now` when one more send is allowed, or `None` while a
    /// send it depends on is still in flight.
    pub fn earliest(&self, now: f64) -> Option<f64> {
        let mut settled = self.settled_until;
        for (_, completed) in self.behind() {
            settled = settled.max((*completed)?);
        }
        let smooth = self.theoretical_arrival - self.tolerance_ms;
        Some(now.max(smooth).max(settled + self.window_ms))
    }

    pub fn record_send(&mut self, now: f64) -> SendTicket {
        let folded = self.behind().count();
        for (_, completed) in self.recent.drain(..folded) {
            let completed =
                completed.expect("earliest() allowed this send only after these completed");
            self.settled_until = self.settled_until.max(completed);
        }
        self.theoretical_arrival = self.theoretical_arrival.max(now) + self.interval_ms;
        let ticket = SendTicket(self.sent);
        self.recent.push_back((self.sent, None));
        self.sent += 1;
        ticket
    }

    /// The request of `ticket` got its response, failed or was abandoned at `now`.
    pub fn record_completion(&mut self, ticket: SendTicket, now: f64) {
        if let Some(entry) = self.recent.iter_mut().find(|(i, _)| *i == ticket.0) {
            entry.1.get_or_insert(now);
        }
    }
}

/// Exponential backoff with full jitter: a delay drawn uniformly from
/// `0..min(cap, base * 2^(attempt-1))`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base_ms: f64,
    pub cap_ms: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 250.0,
            cap_ms: 8000.0,
        }
    }
}

impl Backoff {
    /// `attempt` is 1 for the first retry; `unit` is a uniform random number in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, unit: f64) -> f64 {
        let ceiling =
            (self.base_ms * 2f64.powi(attempt.saturating_sub(1).min(30) as i32)).min(self.cap_ms);
        ceiling * unit.clamp(0.0, 1.0)
    }
}

/// The AWS SDKs' standard retry quota: every retry takes tokens from a bucket, a retry that
/// succeeds puts them back and a first attempt that succeeds adds one. A client with no
/// successes can retry at most `CAPACITY / RETRY_COST` times, and in the long run at most
/// one retry per `RETRY_COST` successful requests beyond that.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    tokens: u32,
}

impl RetryBudget {
    pub const CAPACITY: u32 = 500;
    pub const RETRY_COST: u32 = 5;
    /// A timeout costs more: the vendor is slow, and each attempt ties a slot up for long.
    pub const TIMEOUT_COST: u32 = 10;

    pub fn new() -> Self {
        RetryBudget {
            tokens: Self::CAPACITY,
        }
    }

    /// Takes the cost of retrying after a failure with `code`; `false` when the budget
    /// cannot pay it.
    pub fn try_spend(&mut self, code: ErrorCode) -> bool {
        let cost = if code == ErrorCode::Timeout {
            Self::TIMEOUT_COST
        } else {
            Self::RETRY_COST
        };
        match self.tokens.checked_sub(cost) {
            Some(left) => {
                self.tokens = left;
                true
            }
            None => false,
        }
    }

    /// A request succeeded; `was_retry` when it was not its ids' first attempt.
    pub fn on_success(&mut self, was_retry: bool) {
        let refund = if was_retry { Self::RETRY_COST } else { 1 };
        self.tokens = (self.tokens + refund).min(Self::CAPACITY);
    }

    pub fn tokens(&self) -> u32 {
        self.tokens
    }
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self::new()
    }
}

/// Stops a client from sending to a vendor that keeps failing. Closed, it counts requests
/// that failed in a row at the network level, by timeout, with 5xx or with an unreadable
/// body (a rate-limit reply or a per-id error means the vendor is up). At `THRESHOLD` it
/// opens for `COOLDOWN_MS`; then one request goes as a probe, and its outcome closes or
/// reopens it.
#[derive(Clone, Debug, Default)]
pub struct CircuitBreaker {
    consecutive_failures: u32,
    open_until: Option<f64>,
    probe_in_flight: bool,
    last_failure: Option<ProfileError>,
}

/// What the breaker allows at a given time.
#[derive(Clone, Debug, PartialEq)]
pub enum Circuit {
    Closed,
    /// Nothing is sent; queued ids fail with this error.
    Open(ProfileError),
    /// The cooldown is over: one probe may go (or is out already).
    HalfOpen {
        probe_in_flight: bool,
    },
}

impl CircuitBreaker {
    pub const THRESHOLD: u32 = 10;
    pub const COOLDOWN_MS: f64 = 30_000.0;

    pub fn state(&self, now: f64) -> Circuit {
        match self.open_until {
            None => Circuit::Closed,
            Some(until) if now < until => Circuit::Open(self.open_error(until - now)),
            Some(_) => Circuit::HalfOpen {
                probe_in_flight: self.probe_in_flight,
            },
        }
    }

    fn open_error(&self, remaining_ms: f64) -> ProfileError {
        let last = self
            .last_failure
            .as_ref()
            .map_or_else(String::new, |e| format!(" (last: {})", e.message));
        let mut error = ProfileError::new(
            ErrorCode::VendorError,
            format!(
                "not sent: {} requests in a row failed{last}, so this client stops sending to the vendor for {} more seconds",
                Self::THRESHOLD,
                (remaining_ms / 1000.0).ceil()
            ),
        )
        .retryable(true);
        error.vendor = self.last_failure.as_ref().and_then(|e| e.vendor);
        error
    }

    pub fn on_send(&mut self, now: f64) {
        if matches!(self.state(now), Circuit::HalfOpen { .. }) {
            self.probe_in_flight = true;
        }
    }

    pub fn on_success(&mut self) {
        *self = CircuitBreaker::default();
    }

    pub fn on_failure(&mut self, error: &ProfileError, now: f64) {
        self.consecutive_failures += 1;
        self.last_failure = Some(error.clone());
        let probe_failed = std::mem::take(&mut self.probe_in_flight);
        if probe_failed || self.consecutive_failures >= Self::THRESHOLD {
            self.open_until = Some(now + Self::COOLDOWN_MS);
        }
    }

    /// A request ended with neither verdict (a rate-limit reply, or abandoned by an abort):
    /// if it was the probe, another may go.
    pub fn on_neutral(&mut self) {
        self.probe_in_flight = false;
    }
}

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
    limiter: Option<RateLimiter>,
    rate: f64,
    concurrency: usize,
    in_flight: usize,
    paused_until: f64,
    last_send: f64,
    slowdown: Option<Slowdown>,
    pub backoff: Backoff,
    pub budget: RetryBudget,
    breaker: CircuitBreaker,
}

impl Scheduler {
    pub fn new(rate: f64, concurrency: usize, hosts: Vec<String>) -> Self {
        Scheduler {
            hosts: Hosts::new(hosts),
            limiter: Some(RateLimiter::new(rate)),
            rate,
            concurrency: concurrency.max(1),
            in_flight: 0,
            paused_until: f64::NEG_INFINITY,
            last_send: f64::NEG_INFINITY,
            slowdown: None,
            backoff: Backoff::default(),
            budget: RetryBudget::new(),
            breaker: CircuitBreaker::default(),
        }
    }

    /// Leaves the rate to a limiter shared with other processes (`config.limiter`): the
    /// shell asks it before every send. Concurrency, pauses and slowdowns still apply here.
    pub fn with_shared_limiter(mut self) -> Self {
        self.limiter = None;
        self
    }

    pub fn gate(&self, now: f64) -> Gate {
        let probing = matches!(
            self.breaker.state(now),
            Circuit::HalfOpen {
                probe_in_flight: true
            }
        );
        if self.in_flight >= self.concurrency || probing {
            return Gate::Full;
        }
        let earliest = match &self.limiter {
            Some(limiter) => limiter.earliest(now),
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

    /// Whether the breaker lets requests go; callers fail their queued ids on `Open`.
    pub fn circuit(&self, now: f64) -> Circuit {
        self.breaker.state(now)
    }

    /// The rate requests go at now: the configured one, or less while slowed down.
    pub fn current_rate(&self, now: f64) -> f64 {
        self.rate * self.slowdown.map_or(1.0, |s| s.factor(now))
    }

    pub fn on_send(&mut self, now: f64) -> SendTicket {
        self.in_flight += 1;
        self.last_send = now;
        self.breaker.on_send(now);
        match &mut self.limiter {
            Some(limiter) => limiter.record_send(now),
            None => SendTicket(u64::MAX),
        }
    }

    /// A request ended (response, failure, or abandoned by an abort) at `now`.
    pub fn on_finish(&mut self, ticket: SendTicket, now: f64) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(limiter) = &mut self.limiter {
            limiter.record_completion(ticket, now);
        }
    }

    /// What a failed request means for the whole client: a network-level or 5xx failure
    /// counts against the host it went to, and the vendor's pacing (`Retry-After`, else a
    /// rate-limit reply) pauses every call. Returns that pause, if any.
    pub fn on_request_failed(
        &mut self,
        error: &ProfileError,
        retry_after_ms: Option<f64>,
        host: usize,
        now: f64,
    ) -> Option<f64> {
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
        if let Some(ms) = pause {
            self.pause_until(now + ms);
        }
        if rate_limited {
            let factor = (self.slowdown.map_or(1.0, |s| s.factor(now)) * SLOWDOWN_FACTOR)
                .max(SLOWDOWN_FLOOR);
            self.slowdown = Some(Slowdown {
                factor,
                from: self.paused_until.max(now),
            });
        }
        pause
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

    /// Runs a client that sends as fast as `limiter` allows, with `concurrency` requests in
    /// flight, against a vendor whose latency varies by request. Returns arrival times.
    fn simulate(
        rate: f64,
        concurrency: usize,
        seconds: f64,
        latency: impl Fn(usize) -> (f64, f64),
    ) -> Vec<f64> {
        let mut s = Scheduler::new(rate, concurrency, vec!["https://h".into()]);
        let mut now = 0.0;
        let mut arrivals = Vec::new();
        let mut in_flight: Vec<(f64, SendTicket)> = Vec::new();
        while now < seconds * 1000.0 {
            in_flight.sort_by(|a, b| a.0.total_cmp(&b.0));
            while in_flight.first().is_some_and(|(done, _)| *done <= now) {
                let (done, ticket) = in_flight.remove(0);
                s.on_finish(ticket, done);
            }
            match s.gate(now) {
                Gate::Open => {
                    let n = arrivals.len();
                    let (to_vendor, back) = latency(n);
                    arrivals.push(now + to_vendor);
                    in_flight.push((now + to_vendor + back, s.on_send(now)));
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
        arrivals
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

    #[test]
    fn arrivals_never_exceed_the_rate_whatever_the_latency() {
        // The first requests pay a 40 ms connection setup, then latency jitters 0..12 ms.
        let jitter = |n: usize| {
            let setup = if n < 8 { 40.0 } else { 0.0 };
            (setup + ((n * 7919) % 13) as f64, ((n * 104_729) % 5) as f64)
        };
        for rate in [1.0, 10.0, 100.0, 200.0, 2.5] {
            let arrivals = simulate(rate, 8, 20.0, jitter);
            assert!(
                max_in_any_window(&arrivals, 1000.0) <= rate.floor() as usize,
                "rate {rate}"
            );
            let achieved = arrivals.len() as f64 / 20.0;
            assert!(
                achieved >= rate.floor() * 0.97,
                "rate {rate}: achieved {achieved}"
            );
        }
    }

    #[test]
    fn slow_rates_space_sends_out() {
        let arrivals = simulate(0.5, 4, 10.0, |_| (1.0, 1.0));
        assert!(arrivals.windows(2).all(|w| w[1] - w[0] >= 2000.0));
    }

    #[test]
    fn a_request_still_in_flight_holds_the_next_window() {
        let mut s = Scheduler::new(2.0, 8, vec!["https://h".into()]);
        let first = s.on_send(0.0);
        s.on_send(0.0);
        assert_eq!(
            s.gate(5000.0),
            Gate::Full,
            "the third send waits for the first to complete"
        );
        s.on_finish(first, 5000.0);
        assert_eq!(s.gate(5000.0), Gate::OpensAt(6000.0));
        assert_eq!(s.gate(6000.0), Gate::Open);
    }

    #[test]
    fn concurrency_and_pause() {
        let mut s = Scheduler::new(1000.0, 2, vec!["https://h".into()]);
        assert_eq!(s.gate(0.0), Gate::Open);
        let t = s.on_send(0.0);
        s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Full);
        s.on_finish(t, 1.0);
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
        let mut s = Scheduler::new(1000.0, 8, vec!["https://h".into()]);
        let down = failure(ErrorCode::Network, None);
        for i in 0..CircuitBreaker::THRESHOLD - 1 {
            s.on_request_failed(&down, None, 0, f64::from(i));
            // A rate-limit reply or a 4xx says the vendor is up, but does not reset the count.
            s.on_request_failed(&failure(ErrorCode::NotFound, Some(404)), None, 0, 0.0);
        }
        assert_eq!(s.circuit(100.0), Circuit::Closed);
        s.on_request_failed(
            &failure(ErrorCode::InvalidResponse, Some(200)),
            None,
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
        s.on_finish(probe, after + 5.0);
        s.on_request_failed(
            &failure(ErrorCode::VendorError, Some(503)),
            None,
            0,
            after + 5.0,
        );
        assert!(
            matches!(s.circuit(after + 10.0), Circuit::Open(_)),
            "a failed probe reopens"
        );

        let later = after + 5.0 + CircuitBreaker::COOLDOWN_MS;
        let probe = s.on_send(later);
        s.on_finish(probe, later + 5.0);
        s.on_request_succeeded(false, later + 5.0);
        assert_eq!(s.circuit(later + 5.0), Circuit::Closed);
        assert_eq!(s.gate(later + 5.0), Gate::Open);
    }

    #[test]
    fn a_failed_request_goes_again_only_when_every_rule_allows() {
        let mut s = Scheduler::new(100.0, 8, vec!["https://h".into()]);
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
    fn an_abandoned_probe_lets_another_go() {
        let mut s = Scheduler::new(1000.0, 8, vec!["https://h".into()]);
        for _ in 0..CircuitBreaker::THRESHOLD {
            s.on_request_failed(&failure(ErrorCode::Timeout, None), None, 0, 0.0);
        }
        let at = CircuitBreaker::COOLDOWN_MS;
        let probe = s.on_send(at);
        s.on_finish(probe, at);
        s.on_request_neutral();
        assert_eq!(s.gate(at), Gate::Open);
    }

    #[test]
    fn a_rate_limit_reply_slows_the_client_down_then_it_recovers() {
        let mut s = Scheduler::new(100.0, 8, vec!["https://h".into()]);
        let t = s.on_send(0.0);
        s.on_finish(t, 5.0);
        let limited = failure(ErrorCode::RateLimited, Some(429));
        assert_eq!(
            s.on_request_failed(&limited, Some(2000.0), 0, 5.0),
            Some(2000.0)
        );
        assert_eq!(
            s.current_rate(2005.0),
            50.0,
            "half the rate once the pause ends"
        );
        let t = s.on_send(2005.0);
        s.on_finish(t, 2010.0);
        let Gate::OpensAt(at) = s.gate(2010.0) else {
            panic!("slowed down")
        };
        assert!((at - 2025.0).abs() < 0.1, "about 20 ms apart at 50/s: {at}");
        // A second rate limit halves again; the floor is a tenth of the rate.
        for _ in 0..5 {
            s.on_request_failed(&limited, None, 0, 2010.0);
        }
        assert_eq!(s.current_rate(3010.0), 10.0);
        assert!(
            (s.current_rate(8010.0) - 55.0).abs() < 1e-9,
            "halfway back after 5 s"
        );
        assert_eq!(s.current_rate(13_010.0), 100.0);
        s.on_request_succeeded(false, 13_010.0);
        let t = s.on_send(13_010.0);
        s.on_finish(t, 13_011.0);
        assert_eq!(
            s.gate(13_011.0),
            Gate::Open,
            "back to the configured spacing"
        );
    }

    #[test]
    fn a_shared_limiter_takes_over_the_rate_but_not_concurrency_or_pauses() {
        let mut s = Scheduler::new(1.0, 2, vec!["https://h".into()]).with_shared_limiter();
        let a = s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Open, "no in-process rate");
        s.on_send(0.0);
        assert_eq!(s.gate(0.0), Gate::Full, "concurrency still holds");
        s.on_finish(a, 1.0);
        s.pause_until(500.0);
        assert_eq!(
            s.gate(1.0),
            Gate::OpensAt(500.0),
            "a vendor's pause still holds"
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

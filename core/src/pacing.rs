//! Pacing by arrival: how far apart sends must be so that the vendor, counting requests as they
//! *arrive* in any 1-second window, never sees more than the rate — at any distance.
//!
//! # The model
//!
//! Request k is sent at `s(k)`, arrives at the vendor at `a(k) = s(k) + u(k)` (the uplink
//! delay, which the client cannot see), and its answer is back at `c(k) = a(k) + d(k)` (the
//! vendor's work plus the downlink). The client sees `s` and `c`, so it sees the round trip
//! `r(k) = u(k) + d(k)` but never how it splits. With N requests allowed per window W, it is
//! enough that request k arrives at least W after request k−N did, for every k: then any
//! N + 1 requests span at least W at the vendor (for i < j with j − i ≥ N, the sends are in
//! order, so `s(j) ≥ s(i + N)`, and the same bound carries over).
//!
//! What the client knows of request k−N once it is answered: it arrived no later than its
//! answer came back minus the shortest possible way back, `a(k−N) ≤ c(k−N) − d_min`. And
//! request k arrives no earlier than `s(k) + u_min`. So
//!
//! ```text
//!   s(k) ≥ c(k−N) + W − F,   where F = u_min + d_min, the floor of the round trip,
//! ```
//!
//! keeps `a(k) − a(k−N) ≥ W`. The floor is estimated as the shortest round trip seen lately,
//! less a margin for how far below it the true floor may lie (wider with few samples and a wide
//! spread). Written as a spacing, `s(k) − s(k−N) = W + (r(k−N) − F)`: each window costs one
//! second plus how much *slower than the fastest* request k−N was, so the rate paid is for
//! latency **variation**, never for latency itself. A client spacing every N sends evenly would
//! have to allow for the whole spread J of the round trip, N / (W + J); paying each request's
//! own excess costs about J / 2 on average when the jitter is spread evenly.
//!
//! # Assumptions, and the fallback
//!
//! - One request's uplink plus another's downlink is never shorter than the floor estimate:
//!   true when the legs vary independently and the estimate is at or below the true floor.
//!   So the floor is taken over requests that went on a connection already open: one that
//!   opened a connection paid the TCP and TLS handshakes on its way out, which a later
//!   request does not. At a cold start every request does, and their round trips would put
//!   the floor above a later request's way out plus another's way back (see
//!   [`crate::scheduler::Scheduler::on_finish`]). Such a request is still credited the floor
//!   taken over the others, since its own way back is as short as any. And the floor is
//!   never above the shortest round trip of a request that opened a connection: behind a
//!   browser's six connections per origin (HTTP/1.1) a request may wait, unseen, for one,
//!   and while a starting page keeps them busy every later round trip holds that wait; the
//!   first requests, which each had a connection of their own, are then the only ones that
//!   show the floor.
//! - A host does not delay some requests on their way out more than others for long. A
//!   browser that is still starting does (its network process opening its connections),
//!   every early request alike: so behind a browser no floor is credited until requests sent
//!   after the client's first window have answered (see [`RoundTrips::credit`]).
//! - A request that got no answer (a timeout, a network error, an abandoned one) may have
//!   arrived as late as when the client gave up on it: it gets no credit, as in the causal
//!   rule below.
//!
//! The causal rule is the same formula with F = 0: `s(k) ≥ c(k−N) + W` holds whatever the
//! latency, since a request arrives after it is sent and before it is answered. It is what the
//! pacing falls back to after a rate-limit refusal (the estimate was too tight; see
//! [`crate::scheduler::Scheduler::on_request_failed`]), for a while, before it trusts the
//! model again with a wider margin.
//!
//! On top, a token bucket (GCRA) spreads sends evenly instead of in bursts of N.

use std::collections::VecDeque;

/// The smoothing bucket lets a tenth of a second's worth of sends go back to back, which
/// absorbs late timers without ever breaking the window.
const BURST_FRACTION: f64 = 0.1;
/// The least margin under the observed floor: clocks here tick in whole milliseconds, on the
/// client and at the vendor.
const MIN_MARGIN_MS: f64 = 3.0;
/// How many round trips the floor and spread are taken over: a few seconds' worth at the
/// vendors' rates, so the estimate follows a route that changes.
const ROUND_TRIPS_KEPT: usize = 256;
/// How many round trips must be known before any is credited: with fewer, the shortest seen
/// may lie far above the floor and the spread says nothing (with one sample it is zero).
/// Until then the causal rule holds, which at the vendors' rates costs nothing (the first
/// request k−N comes back long after this many others), and at a few per second a second.
pub const MIN_SAMPLES: usize = 8;

/// The round trips of recently answered requests, and what the pacing may credit of them.
#[derive(Clone, Debug, Default)]
pub struct RoundTrips {
    /// In the order they came, the oldest first.
    samples: VecDeque<f64>,
    /// The same, in order of length: kept as samples come and go (a search and a shift of
    /// at most [`ROUND_TRIPS_KEPT`] numbers) rather than sorted again at every answer.
    sorted: Vec<f64>,
    /// The shortest round trip of a request that opened a connection, over the client's
    /// life: no sample above, but a bound on the floor (see [`Self::credit`]).
    opening: Option<f64>,
    /// How many more round trips of requests sent after the client's first window must be
    /// known before any floor is credited: [`MIN_SAMPLES`] behind a browser
    /// ([`Self::behind_a_browser`]), else none.
    unsettled: usize,
}

impl RoundTrips {
    /// Records the round trip `ms` of an answered request; `opened`: it opened a connection;
    /// `settled`: it was sent after the client's first window
    /// ([`crate::scheduler::Scheduler::on_finish`]).
    pub fn record(&mut self, ms: f64, opened: bool, settled: bool) {
        if !(ms.is_finite() && ms >= 0.0) {
            return;
        }
        if settled && !opened {
            self.unsettled = self.unsettled.saturating_sub(1);
        }
        if opened {
            self.opening = Some(self.opening.map_or(ms, |o| o.min(ms)));
            return;
        }
        self.samples.push_back(ms);
        let at = self.sorted.partition_point(|&s| s < ms);
        self.sorted.insert(at, ms);
        if self.samples.len() > ROUND_TRIPS_KEPT {
            if let Some(oldest) = self.samples.pop_front() {
                let at = self.sorted.partition_point(|&s| s < oldest);
                self.sorted.remove(at);
            }
        }
    }

    /// The round trips are a browser's: see [`Self::credit`].
    pub fn behind_a_browser(&mut self) {
        self.unsettled = MIN_SAMPLES;
    }

    /// The shortest round trip kept.
    fn floor(&self) -> f64 {
        self.sorted.first().copied().unwrap_or(0.0)
    }

    /// The 90th percentile of those kept.
    fn high(&self) -> f64 {
        match self.sorted.len() {
            0 => 0.0,
            n => self.sorted[(n - 1) * 9 / 10],
        }
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// A round trip most requests stay under (the 90th percentile), for sizing concurrency.
    pub fn typical_high(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.high())
    }

    /// How far the true floor may lie below the shortest round trip seen: the minimum of n
    /// samples overshoots the floor by about spread / √n for latencies that pile up near their
    /// floor the way a sum of two jittered legs does; twice that, plus the clocks' tick.
    pub fn margin(&self) -> f64 {
        let n = self.samples.len().max(1) as f64;
        MIN_MARGIN_MS + 2.0 * (self.high() - self.floor()) / n.sqrt()
    }

    /// How much of a round trip the model may take as the floor F: the shortest seen, less
    /// the margin and `extra_margin` (widened after refusals). Never more than the shortest
    /// round trip of a request that opened a connection: behind a browser's six connections
    /// per origin (HTTP/1.1) every later request waits for one, so the first few are the only
    /// ones that show the floor.
    ///
    /// Behind a browser, 0 (the causal rule) until [`MIN_SAMPLES`] round trips of requests
    /// sent after the client's first window are known. A browser that is still starting puts
    /// every early request on the wire late, alike, where neither the spread nor the first
    /// requests show it: a cold Chromium beside busy processes sent its first six requests
    /// 270 ms late and queued the rest behind them, 255-590 ms round trips at 50 ms for the
    /// whole first second, 52-60 ms after. Half of that floor, credited, let the second
    /// window's first requests arrive 994 ms after the first window's, and the whole floor of
    /// a milder start refused 5 in a bench run. Waiting costs about one round trip once in a
    /// client's life (0.925 to 0.903 of the rate over 20 s at 500 ± 50 ms, in the scheduler's
    /// simulation): less than the pause and slowdown one refusal brings, but in Node, whose
    /// requests have never shown such a start (no refusal in any bench run), not paid.
    pub fn credit(&self, extra_margin: f64) -> f64 {
        if self.len() < MIN_SAMPLES || self.unsettled > 0 {
            return 0.0;
        }
        let floor = self.opening.map_or(self.floor(), |o| o.min(self.floor()));
        (floor - self.margin() - extra_margin).max(0.0)
    }
}

/// How a request ended, for the pacing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ended {
    pub at: f64,
    /// Its answer came back (any HTTP response): the model may credit its floor. A timeout or
    /// a network error may have reached the vendor as late as `at`.
    pub answered: bool,
}

/// The in-process limiter: the arrival rule above plus a GCRA smoothing bucket.
#[derive(Clone, Debug)]
pub struct ArrivalPacer {
    per_window: u64,
    window_ms: f64,
    interval_ms: f64,
    tolerance_ms: f64,
    theoretical_arrival: f64,
    sent: u64,
    /// The last `per_window` sends, oldest first (its index is `sent - recent.len()`): when
    /// each went and how it ended.
    recent: VecDeque<(f64, Option<Ended>)>,
}

impl ArrivalPacer {
    /// `rate` in requests per second, above zero. Fractional rates round down within a second
    /// (2.5/s sends 2 per second); rates below 1/s send one per `1/rate` seconds.
    pub fn new(rate: f64) -> Self {
        let per_window = rate.floor().max(1.0);
        let window_ms = (1000.0 * per_window / rate).max(1000.0);
        let interval_ms = window_ms / per_window;
        let burst = (per_window * BURST_FRACTION).floor().max(1.0);
        ArrivalPacer {
            per_window: per_window as u64,
            window_ms,
            interval_ms,
            tolerance_ms: (burst - 1.0) * interval_ms,
            theoretical_arrival: f64::NEG_INFINITY,
            sent: 0,
            recent: VecDeque::new(),
        }
    }

    /// The earliest time at or after `now` when the next send is allowed, crediting `credit`
    /// ms of the floor of request k−N's round trip (0: the causal rule); `None` while request
    /// k−N is still out.
    pub fn earliest(&self, now: f64, credit: f64) -> Option<f64> {
        let smooth = self.theoretical_arrival - self.tolerance_ms;
        let mut at = now.max(smooth);
        if self.recent.len() as u64 == self.per_window {
            let (sent_at, ended) = self.recent[0];
            let ended = ended?;
            let credit = if ended.answered {
                // Never more than its own round trip: it did not arrive before it was sent.
                // (Not `clamp`, whose check of its bounds formats floats in its panic message:
                // that alone kept float formatting in every build.)
                credit.min(ended.at - sent_at).max(0.0)
            } else {
                0.0
            };
            at = at.max(ended.at + self.window_ms - credit);
        }
        Some(at)
    }

    /// The window the rate is counted over.
    pub fn window_ms(&self) -> f64 {
        self.window_ms
    }

    /// Records a send at `now`; returns its index, which [`Self::record_end`] takes back.
    pub fn record_send(&mut self, now: f64) -> u64 {
        self.theoretical_arrival = self.theoretical_arrival.max(now) + self.interval_ms;
        if self.recent.len() as u64 == self.per_window {
            self.recent.pop_front();
        }
        self.recent.push_back((now, None));
        self.sent += 1;
        self.sent - 1
    }

    /// The send `index` left only at `now` (it waited for something else after it was
    /// recorded): its round trip counts from here.
    pub fn record_departure(&mut self, index: u64, now: f64) {
        if let Some(entry) = self.entry(index) {
            entry.0 = entry.0.max(now);
        }
    }

    /// The send `index` ended. The first report counts.
    pub fn record_end(&mut self, index: u64, ended: Ended) {
        if let Some(entry) = self.entry(index) {
            entry.1.get_or_insert(ended);
        }
    }

    fn entry(&mut self, index: u64) -> Option<&mut (f64, Option<Ended>)> {
        let first = self.sent - self.recent.len() as u64;
        let offset = usize::try_from(index.checked_sub(first)?).ok()?;
        self.recent.get_mut(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_and_the_high_are_those_of_the_samples_kept() {
        let mut trips = RoundTrips::default();
        let mut all = Vec::new();
        // Repeats, a slow drift and a few outliers, well past the number kept.
        for i in 0..1000u32 {
            let ms =
                f64::from(150 + (i * 37) % 61 + i / 10) + if i % 97 == 0 { 900.0 } else { 0.0 };
            trips.record(ms, false, true);
            all.push(ms);
            let mut kept = all[all.len().saturating_sub(ROUND_TRIPS_KEPT)..].to_vec();
            kept.sort_by(f64::total_cmp);
            assert_eq!(trips.floor(), kept[0], "after {} samples", i + 1);
            assert_eq!(
                trips.high(),
                kept[(kept.len() - 1) * 9 / 10],
                "after {} samples",
                i + 1
            );
        }
        trips.record(f64::NAN, false, true);
        trips.record(-1.0, false, true);
        assert_eq!(trips.len(), ROUND_TRIPS_KEPT, "only round trips are kept");
    }

    #[test]
    fn the_floor_is_credited_less_a_margin_that_shrinks_with_samples() {
        let mut trips = RoundTrips::default();
        assert_eq!(trips.credit(0.0), 0.0, "nothing known: the causal rule");
        for _ in 1..MIN_SAMPLES {
            trips.record(200.0, false, true);
        }
        assert_eq!(trips.credit(0.0), 0.0, "too few known: the causal rule");
        trips.record(200.0, false, true);
        assert_eq!(trips.credit(0.0), 200.0 - MIN_MARGIN_MS);
        for i in 0..100 {
            trips.record(200.0 + f64::from(i % 41), false, true);
        }
        let few = trips.margin();
        for i in 0..1000 {
            trips.record(200.0 + f64::from(i % 41), false, true);
        }
        assert!(trips.margin() < few, "more samples, a tighter margin");
        assert_eq!(trips.len(), ROUND_TRIPS_KEPT);
        assert!(trips.credit(0.0) < 200.0 && trips.credit(0.0) > 190.0);
        assert_eq!(trips.credit(1000.0), 0.0, "never negative");
        trips.record(f64::NAN, false, true);
        assert_eq!(trips.len(), ROUND_TRIPS_KEPT);
    }

    #[test]
    fn a_round_trip_that_opened_a_connection_bounds_the_credit_but_is_no_sample() {
        let mut trips = RoundTrips::default();
        trips.record(120.0, true, true);
        assert_eq!(trips.credit(0.0), 0.0, "no sample yet");
        for _ in 0..MIN_SAMPLES {
            trips.record(200.0, false, true);
        }
        assert_eq!(trips.len(), MIN_SAMPLES);
        assert_eq!(trips.credit(0.0), 120.0 - MIN_MARGIN_MS);
        trips.record(500.0, true, true);
        assert_eq!(
            trips.credit(0.0),
            120.0 - MIN_MARGIN_MS,
            "the shortest bounds it"
        );
        // One that paid a handshake on its way out is longer than the rest: no bound then.
        let mut cold = RoundTrips::default();
        cold.record(900.0, true, true);
        for _ in 0..MIN_SAMPLES {
            cold.record(200.0, false, true);
        }
        assert_eq!(cold.credit(0.0), 200.0 - MIN_MARGIN_MS);
    }

    #[test]
    fn behind_a_browser_nothing_is_credited_until_the_first_window_is_past() {
        let mut trips = RoundTrips::default();
        trips.behind_a_browser();
        for _ in 0..20 {
            trips.record(70.0, false, false);
        }
        assert_eq!(trips.credit(0.0), 0.0, "only first-window round trips");
        for n in 1..=MIN_SAMPLES {
            trips.record(60.0, n % 2 == 0, true);
        }
        assert_eq!(trips.credit(0.0), 0.0, "openers are no samples");
        for _ in 0..MIN_SAMPLES / 2 {
            trips.record(60.0, false, true);
        }
        assert!(trips.credit(0.0) > 0.0 && trips.credit(0.0) < 60.0);
        // Outside a browser the first window's round trips count at once.
        let mut node = RoundTrips::default();
        for _ in 0..MIN_SAMPLES {
            node.record(300.0, false, false);
        }
        assert_eq!(node.credit(0.0), 300.0 - MIN_MARGIN_MS);
    }

    #[test]
    fn request_k_waits_for_k_minus_n_then_a_window_less_the_credit() {
        let mut pacer = ArrivalPacer::new(2.0);
        assert_eq!(pacer.earliest(0.0, 0.0), Some(0.0));
        let first = pacer.record_send(0.0);
        pacer.record_send(500.0);
        assert_eq!(pacer.earliest(600.0, 150.0), None, "the first is still out");
        pacer.record_end(
            first,
            Ended {
                at: 300.0,
                answered: true,
            },
        );
        assert_eq!(pacer.earliest(600.0, 150.0), Some(1150.0));
        assert_eq!(
            pacer.earliest(600.0, 1000.0),
            Some(1000.0),
            "no more credit than its own round trip"
        );
        assert_eq!(pacer.earliest(600.0, 0.0), Some(1300.0), "the causal rule");
    }

    #[test]
    fn an_unanswered_request_earns_no_credit() {
        let mut pacer = ArrivalPacer::new(1.0);
        let first = pacer.record_send(0.0);
        pacer.record_end(
            first,
            Ended {
                at: 10_000.0,
                answered: false,
            },
        );
        assert_eq!(pacer.earliest(10_000.0, 9_000.0), Some(11_000.0));
    }

    #[test]
    fn a_late_departure_moves_the_send_time() {
        let mut pacer = ArrivalPacer::new(1.0);
        let first = pacer.record_send(0.0);
        pacer.record_departure(first, 400.0);
        pacer.record_end(
            first,
            Ended {
                at: 500.0,
                answered: true,
            },
        );
        assert_eq!(
            pacer.earliest(500.0, 300.0),
            Some(1400.0),
            "credit ≤ 100 ms"
        );
    }
}

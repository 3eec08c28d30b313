//! How many requests out still buy answers: a ceiling on the automatic concurrency, found by
//! trying fewer.
//!
//! Little's law sizes the automatic concurrency for the rate at the measured round trip. That
//! is right while the vendor answers at the pace it is asked, and wrong when the rate is out
//! of its reach (a rate lifted for a load test or a raised quota, a vendor or a link that is
//! saturated, or this process too busy to read its answers): each extra request out then
//! only waits in a queue, its round trip grows with the queue, the law asks for more again,
//! and the client ends at 256 requests out, each holding its buffers, for no more answers
//! per second than a handful would get (BENCHMARKS.md, "Memory").
//!
//! A round trip alone cannot tell a queue from distance: 500 ms of jitter looks like a queue
//! to a rule that compares round trips with the shortest (TCP Vegas' weakness on jittery
//! paths). So the ceiling tests the one thing that tells them apart, the answer rate at fewer
//! requests out, as BBR probes its path: when the client is far short of its rate with the
//! concurrency full, it halves the requests out each period while the answers per second hold
//! (within a quarter of their mean so far: see [`HELD`]), and when they drop it goes back to
//! the last count that held them (twice the first, if the first halving dropped them: the
//! first count is the one the client happened to run at, never shown to be enough) and keeps
//! that for a while. After the hold it doubles
//! again each period for as long as the answers per second grow by a third, so a vendor that
//! becomes faster is followed; a client that sat idle longer than the hold forgets it. A
//! client at its rate never tries fewer: its concurrency is what the rate needs. Nor does one
//! whose rate is shared with other processes (`config.limiter`): short of it, it may only be
//! waiting for their permits. Before its first period a client has at most [`FIRST`] out,
//! and the search starts from there.
//!
//! Its periods are two turnovers long (at least [`SHORTEST_PERIOD_MS`]): the time a request
//! stays out at the count allowed (or the count before a cut, if more) and the answers per
//! second last measured (Little's law); the first, which follows no change, one round trip
//! (most requests' round trip, once [`MIN_SAMPLES`] are known: a vendor far away has answered
//! nothing before its first, and is not short of its rate for that). A change of the count is
//! then felt within the period that measures it, and a queue that shrinks makes the next
//! period shorter, where the round trips kept would still remember the queue.

use crate::pacing::{RoundTrips, MIN_SAMPLES};

/// Periods are at least this long, so that a loopback vendor's round trips of a millisecond
/// still give a count of answers worth comparing.
const SHORTEST_PERIOD_MS: f64 = 250.0;
/// A client is far short of its rate under this share of it. Not nearer: a client paced at
/// its rate reaches the concurrency limit now and then (a round trip longer than most), and
/// answers a few tenths under the rate while it starts or when the vendor is far away.
const WITHIN_REACH: f64 = 0.5;
/// Halving held the answers per second if they stayed above this share of their mean at the
/// counts before, and doubling paid if they grew by this factor: answers come back in waves, and one period's
/// count moves by a sixth either way (up to a quarter) at the same count out, while halving
/// the requests out where each is needed halves them and doubling doubles them.
const HELD: f64 = 0.75;
const PAID: f64 = 1.3;
/// The fewest requests out a ceiling leaves: with fewer, a run loop that pauses (a slow
/// `onBatch`, a collection) leaves the vendor idle, which a tolerance of a quarter would not
/// see (a million streamed ids with a file writer took 14-17 s at 4 out, 11-12 s at 64).
const FEWEST: usize = 16;
/// The ceiling before anything is measured: the first wave of a client whose rate asks for
/// more. Its law sizes the concurrency by the age of its oldest request until answers come
/// back, and at a lifted rate that is every one of the 256 it may have at once, within a
/// millisecond: they held their buffers and grew V8's heap for the seconds the first
/// periods took to cut them (a million streamed ids peaked 10 MB higher; BENCHMARKS.md,
/// "Memory"). 128 is what a vendor's documented 200 a second needs at 640 ms, so no
/// documented rate waits for it at the distances vendors are away; at 64, Tencent's 200 a
/// second at 500 ms fell from 0.90 to 0.86 of its rate. A client that reaches its rate lifts
/// it at its first period, one that is short of it halves from it.
pub(super) const FIRST: usize = 128;
/// How long a ceiling found by halving holds before the client tries more again.
const HOLD_MS: f64 = 10_000.0;

/// Where the search stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// No ceiling: the client reaches its rate, or has not been measured busy and short of it.
    Free,
    /// Halving while the answers per second stay above [`HELD`] of those at the counts that
    /// `held` them.
    Down { held: Mean },
    /// A ceiling found, and the answers per second it `gives`; it holds until `until`.
    Hold { until: f64, gives: Mean },
    /// Doubling while each doubling gives [`PAID`] times the answers per second `before` it.
    Up { before: f64 },
}

/// The answers per second of several periods, averaged: see [`HELD`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Mean {
    total: f64,
    periods: u32,
}

impl Mean {
    fn of(answered: f64) -> Self {
        Mean::default().with(answered)
    }

    fn with(self, answered: f64) -> Self {
        Mean {
            total: self.total + answered,
            periods: self.periods + 1,
        }
    }

    /// 0 when nothing was measured: then any count pays.
    fn get(self) -> f64 {
        self.total / f64::from(self.periods.max(1))
    }
}

/// The ceiling, and the period that measures it: its answers, and the most requests out.
#[derive(Clone, Debug)]
pub(super) struct Ceiling {
    step: Step,
    cap: Option<usize>,
    period_start: f64,
    answers: u32,
    /// A period counts when the requests out reached the limit: otherwise something else
    /// held the sends back (the rate, the caller's ids, a slow `onBatch`), and fewer requests
    /// out would say nothing. Not their average: answers that come back together are handed
    /// in together, and the count out swings from the limit to a few and back.
    most: usize,
    /// The turnover of the period under way, in ms (see the module's doc).
    turnover: Option<f64>,
}

impl Default for Ceiling {
    fn default() -> Self {
        Ceiling {
            step: Step::Free,
            cap: Some(FIRST),
            period_start: 0.0,
            answers: 0,
            most: 0,
            turnover: None,
        }
    }
}

impl Ceiling {
    /// No ceiling, ever: for a client whose rate is shared with other processes (see the
    /// module's doc), which never moves one.
    pub fn none() -> Self {
        Ceiling {
            cap: None,
            ..Ceiling::default()
        }
    }

    /// The most requests out the search allows now (`None`: no ceiling), for tests.
    #[cfg(test)]
    pub fn cap(&self) -> Option<usize> {
        self.cap
    }

    /// A request went out, leaving `out` requests out.
    pub fn on_send(&mut self, out: usize) {
        self.most = self.most.max(out);
    }

    /// A request came back with an answer.
    pub fn on_answer(&mut self) {
        self.answers += 1;
    }

    /// The run loop waited `ms` for the caller (a pending `onBatch`, a stream's consumer not
    /// asking), and started no request meanwhile: the period starts that much later, so that
    /// its answers per second are those of the time the client could send. A file writer's
    /// waits for `drain` held a million-id job 12% of the time and up to half of its first
    /// periods, and a drop they caused sent the ceiling from 128 to 256 out (BENCHMARKS.md,
    /// "Memory").
    pub fn on_held(&mut self, ms: f64) {
        self.period_start += ms;
    }

    /// Whether the period is over at `now`, for [`Self::review`] to move the search on (asked
    /// at every answer, so the rest is worked out once a period). `round_trips`: what the
    /// client measured; before [`MIN_SAMPLES`] of them the period keeps starting again.
    pub fn due(&mut self, now: f64, round_trips: &RoundTrips) -> bool {
        let round_trip = round_trips.typical_high();
        let Some(round_trip) = round_trip.filter(|_| round_trips.len() >= MIN_SAMPLES) else {
            self.restart(now);
            return false;
        };
        let length = now - self.period_start;
        let wanted = self.turnover.map_or(round_trip, |t| 2.0 * t);
        if length < SHORTEST_PERIOD_MS.max(wanted) {
            return false;
        }
        // A period this long means the client sat idle: what it found may no longer hold.
        if length > HOLD_MS.max(4.0 * wanted) {
            *self = Ceiling::default();
            self.restart(now);
            return false;
        }
        true
    }

    /// Ends the period that is [`Self::due`], and moves the search on. `rate`: the rate the
    /// client paces at now; `law`: the concurrency Little's law allows now, without this
    /// ceiling; `steady`: nothing but the concurrency held sends back (no pause, slowdown or
    /// open breaker).
    pub fn review(&mut self, now: f64, rate: f64, law: usize, steady: bool) {
        let length = now - self.period_start;
        let answered = f64::from(self.answers) * 1000.0 / length;
        let before = self.limit(law);
        let busy = self.most >= before;
        self.restart(now);
        self.search(now, answered, rate, law, busy && steady);
        // Requests sent at the count before are still out after a cut.
        let out = before.max(self.limit(law)) as f64;
        self.turnover = (answered > 0.0).then(|| out * 1000.0 / answered);
    }

    /// `count`, or the ceiling if that is lower.
    pub fn limit(&self, count: usize) -> usize {
        self.cap.map_or(count, |cap| cap.min(count))
    }

    /// Moves the search on after a period with `answered` answers per second; `counts`: the
    /// concurrency was what held the sends back.
    fn search(&mut self, now: f64, answered: f64, rate: f64, law: usize, counts: bool) {
        if answered >= WITHIN_REACH * rate {
            (self.step, self.cap) = (Step::Free, None);
            return;
        }
        if !counts {
            return;
        }
        let limit = self.limit(law);
        let cap = self.cap.unwrap_or(law);
        let more = |before| match cap * 2 {
            doubled if doubled >= law => (Step::Free, None),
            doubled => (Step::Up { before }, Some(doubled)),
        };
        (self.step, self.cap) = match self.step {
            Step::Free => {
                let held = Mean::of(answered);
                (Step::Down { held }, Some(half(limit)))
            }
            Step::Down { held } if answered >= HELD * held.get() && cap > FEWEST => {
                let held = held.with(answered);
                (Step::Down { held }, Some(half(cap)))
            }
            Step::Down { held } if answered >= HELD * held.get() => {
                hold(cap, Mean::of(answered), now)
            }
            // The count before this one held them, and it was the first: it may be short
            // too (a far vendor at a lifted rate needs the 256 the first wave's 128 left out).
            Step::Down { held } if held.periods == 1 => hold(cap * 4, Mean::default(), now),
            // The count before this one held them, against counts above it: that count. Not
            // twice it: a period's answers dip under the quarter now and then at the same count
            // (a run loop busy with the caller's work), and a million streamed ids held 128 out
            // for the 10 s of a hold after such a dip at 32, for +101 MB (BENCHMARKS.md, "Memory").
            Step::Down { .. } => hold(cap * 2, Mean::default(), now),
            Step::Hold { until, gives } if now >= until => more(gives.get()),
            // What the ceiling gives, for the next doubling to beat.
            Step::Hold { until, gives } => (
                Step::Hold {
                    until,
                    gives: gives.with(answered),
                },
                self.cap,
            ),
            Step::Up { before } if answered >= PAID * before => more(answered),
            Step::Up { .. } => hold(half(cap), Mean::default(), now),
        };
    }

    fn restart(&mut self, now: f64) {
        self.period_start = now;
        self.answers = 0;
        self.most = 0;
    }
}

fn half(count: usize) -> usize {
    count.div_ceil(2).max(FEWEST)
}

fn hold(cap: usize, gives: Mean, now: f64) -> (Step, Option<usize>) {
    (
        Step::Hold {
            until: now + HOLD_MS,
            gives,
        },
        Some(cap),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Periods of a second, each with `answered` answers and `held` ms of waiting for the
    /// caller, the ceiling's count out (at most `law`), from `start`; the time after them.
    fn periods(
        c: &mut Ceiling,
        start: f64,
        count: usize,
        (answered, held): (u32, f64),
        law: usize,
    ) -> f64 {
        let mut round_trips = RoundTrips::default();
        for _ in 0..MIN_SAMPLES {
            round_trips.record(10.0, false, true);
        }
        let mut now = start;
        for _ in 0..count {
            c.on_send(c.limit(law));
            for _ in 0..answered {
                c.on_answer();
            }
            c.on_held(held);
            now += 1000.0;
            if c.due(now, &round_trips) {
                c.review(now, 100_000.0, law, true);
            }
        }
        now
    }

    #[test]
    fn a_ceiling_found_is_forgotten_after_the_client_sat_idle() {
        let mut c = Ceiling::default();
        let now = periods(&mut c, 0.0, 8, (800, 0.0), 256);
        assert_eq!(
            c.cap(),
            Some(FEWEST),
            "800/s whatever the count: the fewest"
        );
        periods(&mut c, now + 60_000.0, 1, (800, 0.0), 256);
        assert_eq!(c.cap(), Some(FIRST), "a minute idle: a first wave again");
    }

    /// A drop at the first halving (128 to 64) may mean the first wave was short too: twice
    /// the 128. A drop at a later one (64 to 32) goes back to the 64 that held them against
    /// the counts above it.
    #[test]
    fn a_drop_goes_back_to_the_count_that_held_them_or_past_the_first() {
        for (halvings, cap) in [(1, 256), (2, 64)] {
            let mut c = Ceiling::default();
            let now = periods(&mut c, 0.0, halvings, (800, 0.0), 256);
            assert_eq!(c.cap(), Some(FIRST >> halvings));
            periods(&mut c, now, 1, (480, 0.0), 256);
            assert_eq!(c.cap(), Some(cap), "a drop after {halvings} halvings");
        }
    }

    /// After a first halving (128 to 64), a second with three fifths of the answers: with the
    /// run loop free all along, the count was too few, and the ceiling goes to twice the
    /// count that held them; with the loop held by the caller for 400 ms of it, the answers
    /// of the other 600 held, and it halves again.
    #[test]
    fn the_time_the_caller_held_the_run_loop_is_not_taken_for_the_vendors() {
        for (held, cap) in [(0.0, 256), (400.0, 32)] {
            let mut c = Ceiling::default();
            let now = periods(&mut c, 0.0, 1, (800, 0.0), 256);
            assert_eq!(c.cap(), Some(64));
            periods(&mut c, now, 1, (480, held), 256);
            assert_eq!(c.cap(), Some(cap), "{held} ms held");
        }
    }
}

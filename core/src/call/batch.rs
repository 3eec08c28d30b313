//! The work of a `getProfiles` call: ids planned into requests of the vendor's batch size,
//! per-id results, retries of what failed transiently.
//!
//! It owns the accounting rule: every distinct id ends exactly once, as a profile or a
//! failure. Ids are settled only through one method (`settle`), which ignores an id that is
//! already settled or that the answering request did not carry.

use std::collections::{HashMap, HashSet, VecDeque};

use super::ids::IdTable;
use super::{Answer, BatchEvent, BatchResult, Output, Progress, Stats, Step, Work};
use crate::http::HttpResponse;
use crate::model::{ErrorCode, Failure, Profile, ProfileError};
use crate::scheduler::BUDGET_SPENT;
use crate::vendors::{
    unaccounted, ParseContext, PreparedRequest, RequestContext, ResponseOutcome, Vendor,
};

#[derive(Clone, Debug)]
pub struct BatchOptions {
    pub include_raw: bool,
    /// The call's `fields` option, checked by the vendor.
    pub fields: Option<Vec<String>>,
    /// Keep profiles and failures for the final result (`collect`, default true).
    pub collect: bool,
    /// Report each request's results as a [`BatchEvent`] (`onBatch` was given).
    pub emit_batches: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            include_raw: false,
            fields: None,
            collect: true,
            emit_batches: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Pending,
    Done,
}

/// Ids to send again, not before `at`.
struct Delayed {
    at: f64,
    indices: Vec<usize>,
    /// A round of per-id retries: ids that fail transiently while it waits join it, so that
    /// they go out together in full requests rather than one small request per response.
    open_round: bool,
}

/// What a request carries: the positions of its ids and the attempt they are on.
pub struct Carried {
    indices: Vec<usize>,
    attempt: u32,
}

/// A good answer: per-id results, and the ids that failed for a reason worth another try.
pub struct Parsed {
    profiles: Vec<Profile>,
    failures: Vec<Failure>,
    transient: Vec<Failure>,
}

pub struct Batch {
    options: BatchOptions,
    batch_size: usize,
    ids: IdTable,
    slots: Vec<Slot>,
    attempts: Vec<u32>,
    profiles: Vec<(usize, Profile)>,
    failures: Vec<(usize, Failure)>,
    ready: VecDeque<Vec<usize>>,
    /// Ids waiting out a backoff or a pause.
    delayed: Vec<Delayed>,
    /// What the request being taken in settled.
    event: BatchEvent,
    /// More ids may come: the call reads them from an iterable as requests go out.
    input_open: bool,
}

impl Batch {
    /// Validates and deduplicates `ids` (first occurrence wins) and plans the requests. The
    /// ids are read one at a time (the shell converts them from JS as they are read, so a
    /// million ids never exist twice in memory).
    pub fn new(
        vendor: &dyn Vendor,
        ids: impl IntoIterator<Item = Result<String, ProfileError>>,
        options: BatchOptions,
    ) -> Result<Self, ProfileError> {
        let mut batch = Self::streaming(vendor, options);
        for (position, id) in ids.into_iter().enumerate() {
            let id = id?;
            vendor.validate_id(&id).map_err(|why| {
                ProfileError::invalid_input(format!("ids[{position}]: {why}"))
                    .with_vendor(vendor.key())
            })?;
            if let Some(index) = batch.register(&id) {
                batch.enqueue(index);
            }
        }
        batch.input_open = false;
        Ok(batch)
    }

    /// A call whose ids come over time, as it asks for them ([`Output::NeedIds`]): each
    /// distinct id once, however far apart its repeats are. An id the vendor refuses fails
    /// (`invalid_input`) instead of the call, which has sent requests already.
    pub fn streaming(vendor: &dyn Vendor, options: BatchOptions) -> Self {
        Batch {
            options,
            batch_size: vendor.common().batch_size,
            ids: IdTable::default(),
            slots: Vec::new(),
            attempts: Vec::new(),
            profiles: Vec::new(),
            failures: Vec::new(),
            ready: VecDeque::new(),
            delayed: Vec::new(),
            event: BatchEvent::default(),
            input_open: true,
        }
    }

    /// Takes `id` unless it came before; its position when it is new (not yet queued).
    fn register(&mut self, id: &str) -> Option<usize> {
        let index = self.ids.insert(id)?;
        self.slots.push(Slot::Pending);
        self.attempts.push(0);
        Some(index)
    }

    /// Puts an id in the last ready request if it has room, else in a new one.
    fn enqueue(&mut self, index: usize) {
        match self.ready.back_mut() {
            Some(last) if last.len() < self.batch_size => last.push(index),
            _ => self.ready.push_back(vec![index]),
        }
    }

    /// As [`Batch::new`], from ids at hand.
    pub fn of(
        vendor: &dyn Vendor,
        ids: &[impl AsRef<str>],
        options: BatchOptions,
    ) -> Result<Self, ProfileError> {
        Self::new(
            vendor,
            ids.iter().map(|id| Ok(id.as_ref().to_owned())),
            options,
        )
    }

    fn next_due(&self) -> Option<f64> {
        self.delayed.iter().map(|d| d.at).reduce(f64::min)
    }

    /// The ids of `indices` still waiting for a result.
    fn pending(&self, indices: Vec<usize>) -> Vec<usize> {
        indices
            .into_iter()
            .filter(|&i| self.slots[i] == Slot::Pending)
            .collect()
    }

    /// Schedules ids that failed transiently inside a good answer: they join the round of
    /// per-id retries already waiting, or open one after a backoff if the retry budget pays
    /// for it; else they end with their failure.
    fn retry_ids(&mut self, again: Vec<(usize, Failure)>, step: &mut Step) {
        let indices: Vec<usize> = again.iter().map(|(i, _)| *i).collect();
        if let Some(round) = self.delayed.iter_mut().find(|d| d.open_round) {
            round.indices.extend(indices);
            return;
        }
        if !step.scheduler.budget.try_spend(ErrorCode::VendorError) {
            for (i, failure) in again {
                let failure = Failure {
                    message: format!("{} ({BUDGET_SPENT})", failure.message),
                    ..failure
                };
                self.settle(i, Err(failure), step.stats);
            }
            return;
        }
        let attempt = indices.iter().map(|&i| self.attempts[i]).max().unwrap_or(1);
        let at = step.now + step.scheduler.backoff.delay_ms(attempt, step.rng.unit());
        self.delayed.push(Delayed {
            at,
            indices,
            open_round: true,
        });
    }

    /// Where each id of a request sits in the call (owned keys: settling mutates the call).
    fn positions(&self, indices: &[usize]) -> HashMap<String, usize> {
        indices
            .iter()
            .map(|&i| (self.ids.get(i).to_owned(), i))
            .collect()
    }

    /// The one place an id is settled; a second settlement of the same id is ignored.
    fn settle(&mut self, index: usize, outcome: Result<Profile, Failure>, stats: &mut Stats) {
        if self.slots[index] != Slot::Pending {
            return;
        }
        self.slots[index] = Slot::Done;
        match outcome {
            Ok(profile) => {
                stats.profiles += 1;
                if self.options.emit_batches {
                    self.event.profiles.push(profile.clone());
                }
                if self.options.collect {
                    self.profiles.push((index, profile));
                }
            }
            Err(failure) => {
                stats.failures += 1;
                if self.options.emit_batches {
                    self.event.failures.push(failure.clone());
                }
                if self.options.collect {
                    self.failures.push((index, failure));
                }
            }
        }
    }
}

impl Work for Batch {
    type Carried = Carried;
    type Parsed = Parsed;
    type Outcome = BatchResult;

    fn planned(&self) -> usize {
        self.ids.len()
    }

    fn include_raw(&self) -> bool {
        self.options.include_raw
    }

    /// Moves ids whose wait is over to the ready queue, topping up a last batch that has
    /// room before starting new ones.
    fn tick(&mut self, now: f64) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|d| d.at <= now);
        self.delayed = later;
        for index in due.into_iter().flat_map(|d| d.indices) {
            self.enqueue(index);
        }
    }

    fn idle(&self, _now: f64, in_flight: bool) -> Option<Output> {
        let queued: usize = self.ready.iter().map(Vec::len).sum();
        if self.input_open && queued < self.batch_size {
            return Some(Output::NeedIds(self.batch_size - queued));
        }
        if !self.ready.is_empty() {
            return None;
        }
        Some(match (in_flight, self.next_due()) {
            (false, None) => Output::Finished,
            (_, Some(at)) => Output::WaitUntil(at),
            (true, None) => Output::WaitForResponses,
        })
    }

    fn has_waiting(&self, _now: f64, _in_flight: bool) -> bool {
        !self.ready.is_empty() || !self.delayed.is_empty()
    }

    /// Settles every id not in flight with `error`; the call goes on with what is.
    fn fail_waiting(&mut self, error: &ProfileError, step: &mut Step) -> Result<(), ProfileError> {
        let waiting: Vec<usize> = std::mem::take(&mut self.ready)
            .into_iter()
            .flatten()
            .chain(
                std::mem::take(&mut self.delayed)
                    .into_iter()
                    .flat_map(|d| d.indices),
            )
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        for i in waiting {
            let failure = error.to_failure(self.ids.get(i));
            self.settle(i, Err(failure), step.stats);
        }
        step.events.push(std::mem::take(&mut self.event));
        Ok(())
    }

    fn build(
        &mut self,
        vendor: &dyn Vendor,
        ctx: RequestContext,
    ) -> (PreparedRequest, Carried, u32) {
        let indices = self
            .ready
            .pop_front()
            .expect("build is only called with work ready");
        let attempt = indices.iter().map(|&i| self.attempts[i]).max().unwrap_or(0);
        let ids: Vec<&str> = indices.iter().map(|&i| self.ids.get(i)).collect();
        let ctx = RequestContext {
            fields: self.options.fields.as_deref(),
            ..ctx
        };
        let prepared = vendor.build_request(&ids, &ctx);
        (prepared, Carried { indices, attempt }, attempt)
    }

    fn attempt(carried: &Carried) -> u32 {
        carried.attempt
    }

    fn parse(
        &self,
        vendor: &dyn Vendor,
        carried: &Carried,
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> Answer<Parsed> {
        let ids: Vec<&str> = carried.indices.iter().map(|&i| self.ids.get(i)).collect();
        match vendor.parse_response(&ids, response, ctx) {
            ResponseOutcome::Parsed {
                profiles,
                failures,
                transient,
            } => Answer::Parsed(Parsed {
                profiles,
                failures,
                transient,
            }),
            ResponseOutcome::Failed {
                error,
                retry_after_ms,
            } => Answer::Failed {
                error,
                retry_after_ms,
            },
            ResponseOutcome::CredentialRejected(error) => Answer::CredentialRejected(error),
        }
    }

    fn accept(&mut self, carried: Carried, parsed: Parsed, step: &mut Step) {
        let position = self.positions(&carried.indices);
        for profile in parsed.profiles {
            if let Some(&i) = position.get(&profile.id) {
                self.settle(i, Ok(profile), step.stats);
            }
        }
        for failure in parsed.failures {
            if let Some(&i) = position.get(&failure.id) {
                self.settle(i, Err(failure), step.stats);
            }
        }
        let retries = step.vendor.common().retries;
        let mut again = Vec::new();
        for failure in parsed.transient {
            let Some(&i) = position.get(&failure.id) else {
                continue;
            };
            if self.slots[i] != Slot::Pending {
                continue;
            }
            if self.attempts[i] < retries {
                self.attempts[i] += 1;
                again.push((i, failure));
            } else {
                self.settle(i, Err(failure), step.stats);
            }
        }
        let retried: HashSet<usize> = again.iter().map(|(i, _)| *i).collect();
        for &i in &carried.indices {
            if self.slots[i] == Slot::Pending && !retried.contains(&i) {
                let failure = unaccounted(self.ids.get(i));
                self.settle(i, Err(failure), step.stats);
            }
        }
        if !again.is_empty() {
            self.retry_ids(again, step);
        }
    }

    fn retry(&mut self, carried: Carried, at: f64) {
        let pending = self.pending(carried.indices);
        for &i in &pending {
            self.attempts[i] = carried.attempt + 1;
        }
        self.delayed.push(Delayed {
            at,
            indices: pending,
            open_round: false,
        });
    }

    fn give_up(
        &mut self,
        carried: Carried,
        error: ProfileError,
        step: &mut Step,
    ) -> Result<(), ProfileError> {
        for i in self.pending(carried.indices) {
            let failure = error.to_failure(self.ids.get(i));
            self.settle(i, Err(failure), step.stats);
        }
        Ok(())
    }

    /// Sent again, first, once the fresh credential is here.
    fn resend(&mut self, carried: Carried) {
        let pending = self.pending(carried.indices);
        if !pending.is_empty() {
            self.ready.push_front(pending);
        }
    }

    fn request_ended(&mut self, step: &mut Step) {
        step.events.push(std::mem::take(&mut self.event));
    }

    fn take_ids(&mut self, ids: Vec<String>, ended: bool, step: &mut Step) {
        for id in ids {
            let Some(index) = self.register(&id) else {
                continue;
            };
            step.stats.requested += 1;
            match step.vendor.validate_id(&id) {
                Ok(()) => self.enqueue(index),
                // Nothing is sent for it.
                Err(why) => {
                    let error = ProfileError::invalid_input(format!("this id: {why}"));
                    let failure = error.with_vendor(step.vendor.key()).to_failure(&id);
                    self.settle(index, Err(failure), step.stats);
                }
            }
        }
        self.input_open &= !ended;
        if !self.event.profiles.is_empty() || !self.event.failures.is_empty() {
            step.events.push(std::mem::take(&mut self.event));
        }
    }

    fn progress(&self, stats: &Stats) -> Progress {
        Progress {
            done: stats.profiles + stats.failures,
            total: stats.requested,
            failed: stats.failures,
            requests: stats.requests,
            retries: stats.retries,
        }
    }

    /// The result, in first-seen input order.
    fn outcome(&mut self, stats: Stats) -> BatchResult {
        let mut profiles = std::mem::take(&mut self.profiles);
        let mut failures = std::mem::take(&mut self.failures);
        profiles.sort_unstable_by_key(|(i, _)| *i);
        failures.sort_unstable_by_key(|(i, _)| *i);
        BatchResult {
            profiles: profiles.into_iter().map(|(_, p)| p).collect(),
            failures: failures.into_iter().map(|(_, f)| f).collect(),
            stats,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Map, Value};

    use std::rc::Rc;

    use super::*;
    use crate::http::HttpRequest;
    use crate::reader::ObjectReader;
    use crate::scheduler::{CircuitBreaker, RetryBudget};
    use crate::signing;
    use crate::simulation::{self as sim, assert_accounted, Scripted, Simulation};
    use crate::vendors::rongcloud::RongCloud;

    fn rongcloud(extra: Value) -> Rc<dyn Vendor> {
        let mut config =
            json!({"appKey": "k", "appSecret": "s", "baseUrl": "https://primary.test"});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let values: Map<String, Value> = config.as_object().unwrap().clone();
        Rc::new(RongCloud::from_config(&ObjectReader::config(&values, &BTreeSet::new())).unwrap())
    }

    /// What the simulated vendor does with the n-th request it receives.
    #[derive(Clone)]
    enum Reply {
        Serve,
        Status(u16, &'static str),
        RateLimited(Option<&'static str>),
        Truncated,
        Timeout,
        Network,
        /// A vendor other than the RongCloud of [`serve`], with its own state.
        Respond(Rc<dyn Fn(&HttpRequest) -> HttpResponse>),
    }

    /// A RongCloud that knows the ids `u*`, checks every signature, and answers after 5 ms.
    fn serve(request: &HttpRequest) -> HttpResponse {
        let nonce = request.header("Nonce").unwrap();
        let timestamp = request.header("Timestamp").unwrap();
        assert_eq!(
            request.header("Signature").unwrap(),
            signing::rongcloud::signature("s", nonce, timestamp)
        );
        let users: Vec<Value> = request
            .body
            .as_deref()
            .unwrap()
            .split('&')
            .filter_map(|pair| pair.strip_prefix("userId="))
            .filter(|id| id.starts_with('u'))
            .map(|id| json!({"userId": id, "userProfile": {"name": format!("name of {id}")}}))
            .collect();
        HttpResponse::new(200, json!({"code": 200, "userList": users}).to_string())
    }

    type Sim = Simulation<Batch>;

    /// Runs a whole call; `script(n)` says what the vendor does with the n-th request, which
    /// it answers after 5 ms.
    fn run(
        vendor: Rc<dyn Vendor>,
        ids: &[impl AsRef<str>],
        script: impl Fn(usize) -> Reply,
    ) -> (Result<BatchResult, ProfileError>, Sim) {
        let work = Batch::of(vendor.as_ref(), ids, BatchOptions::default()).unwrap();
        let mut sim = Simulation::new(vendor, work, 1_700_000_000_000.0);
        let result = sim.run(|n, request| {
            let reply = match script(n) {
                Reply::Serve => sim::Reply::Respond(serve(request)),
                Reply::Status(status, body) => sim::Reply::Respond(HttpResponse::new(status, body)),
                Reply::RateLimited(retry_after) => {
                    let mut response = HttpResponse::new(429, r#"{"code":1008}"#);
                    if let Some(value) = retry_after {
                        response = response.with_header("Retry-After", value);
                    }
                    sim::Reply::Respond(response)
                }
                Reply::Truncated => {
                    let body = serve(request).body;
                    sim::Reply::Respond(HttpResponse::new(200, &body[..body.len() / 2]))
                }
                Reply::Timeout => sim::Reply::Timeout,
                Reply::Network => sim::Reply::Network,
                Reply::Respond(vendor) => sim::Reply::Respond(vendor(request)),
            };
            Scripted::after(5.0, reply)
        });
        (result, sim)
    }

    fn ids(known: usize, unknown: usize) -> Vec<String> {
        (1..=known)
            .map(|i| format!("u{i}"))
            .chain((1..=unknown).map(|i| format!("x{i}")))
            .collect()
    }

    #[test]
    fn every_fault_kind_recovers_and_every_id_is_accounted_for() {
        let asked = ids(1800, 200);
        // Request n meets a fault when n % 4 == 1, cycling through the kinds.
        let faults = [
            Reply::Status(500, r#"{"code":1000}"#),
            Reply::Status(502, "<html>bad gateway</html>"),
            Reply::Status(504, r#"{"code":1050}"#),
            Reply::RateLimited(None),
            Reply::RateLimited(Some("1")),
            Reply::Truncated,
            Reply::Timeout,
            Reply::Network,
        ];
        let script = |n: usize| {
            if n % 4 == 1 && n < 60 {
                faults[(n / 4) % faults.len()].clone()
            } else {
                Reply::Serve
            }
        };
        let (result, sim) = run(rongcloud(json!({"retries": 3})), &asked, script);
        let result = result.unwrap();
        assert_accounted(&asked, &result);
        assert_eq!(result.profiles.len(), 1800);
        assert!(result
            .failures
            .iter()
            .all(|f| f.code == ErrorCode::NotFound));
        assert!(result.stats.retries > 0 && result.stats.requests == sim.received.len());
    }

    #[test]
    fn a_fault_that_never_clears_fails_its_ids_and_the_rest_goes_on() {
        let asked = ids(300, 0);
        let (result, _) = run(
            rongcloud(json!({"retries": 2, "concurrency": 1})),
            &asked,
            |n| {
                if n == 0 || n >= 3 {
                    Reply::Status(503, "")
                } else {
                    Reply::Serve
                }
            },
        );
        let result = result.unwrap();
        assert_accounted(&asked, &result);
        // Request 0 (u1..u100) fails, then requests 1 and 2 serve u101..u300, then its two
        // retries fail too.
        assert_eq!(result.profiles.len(), 200);
        assert!(result
            .failures
            .iter()
            .all(|f| f.code == ErrorCode::VendorError && f.retryable && f.id.len() <= 4));
    }

    #[test]
    fn retry_after_pauses_every_request_of_the_client() {
        let asked = ids(1000, 0);
        let (result, sim) = run(rongcloud(json!({"concurrency": 1})), &asked, |n| {
            if n == 2 {
                Reply::RateLimited(Some("2"))
            } else {
                Reply::Serve
            }
        });
        assert_accounted(&asked, &result.unwrap());
        let limited_at = sim
            .answered
            .iter()
            .find(|a| a.status == Some(429))
            .unwrap()
            .at;
        let next_send = sim
            .received
            .iter()
            .map(|r| r.at)
            .find(|&t| t > limited_at)
            .unwrap();
        assert!(
            next_send - limited_at >= 2000.0,
            "sent {} ms after the 429",
            next_send - limited_at
        );
    }

    #[test]
    fn a_dead_vendor_opens_the_breaker_and_the_queued_ids_fail_fast() {
        let asked = ids(5000, 0);
        let (result, sim) = run(rongcloud(json!({})), &asked, |_| Reply::Network);
        let result = result.unwrap();
        assert_accounted(&asked, &result);
        assert!(result.profiles.is_empty());
        // The breaker opens at the 10th failure in a row; what was in flight then still
        // comes back, but nothing more is sent.
        let threshold = CircuitBreaker::THRESHOLD as usize;
        assert!(
            sim.received.len() < threshold + 8,
            "{} requests to a dead vendor",
            sim.received.len()
        );
        let fast: Vec<&Failure> = result
            .failures
            .iter()
            .filter(|f| f.message.contains("in a row failed"))
            .collect();
        assert!(fast.len() >= 5000 - 100 * (threshold + 8));
        assert!(fast
            .iter()
            .all(|f| f.code == ErrorCode::VendorError && f.retryable));
        let last_send = sim.received.last().unwrap().at;
        assert!(
            sim.now - last_send < 1000.0,
            "the call ended without waiting out the retries"
        );
    }

    #[test]
    fn retries_stop_when_the_budget_is_spent() {
        // Every other request fails: never ten in a row, so only the budget limits retries.
        let asked = ids(3000, 0);
        let vendor = rongcloud(json!({"batchSize": 1, "retries": 3, "rateLimit": 1000}));
        let (result, _) = run(vendor, &asked, |n| {
            if n % 2 == 0 {
                Reply::Status(503, "")
            } else {
                Reply::Serve
            }
        });
        let result = result.unwrap();
        assert_accounted(&asked, &result);
        let stats = result.stats;
        let first_attempts = stats.requests - stats.retries;
        // 500 tokens at 5 a retry, and 5 back for every retry that succeeds; 1 back for every
        // first attempt that succeeds.
        let bound =
            (RetryBudget::CAPACITY as usize + first_attempts) / RetryBudget::RETRY_COST as usize;
        assert!(
            stats.retries <= bound + stats.profiles,
            "{} retries for {} first attempts",
            stats.retries,
            first_attempts
        );
        let unpaid = result
            .failures
            .iter()
            .filter(|f| f.message.contains(BUDGET_SPENT) && f.retryable)
            .count();
        assert!(unpaid > 1000, "{unpaid} failures for want of budget");
        assert!(stats.retries < first_attempts);
    }

    #[test]
    fn auth_failure_ends_the_call() {
        let (result, _) = run(rongcloud(json!({})), &["u1", "u2"], |_| {
            Reply::Status(401, r#"{"code":1004}"#)
        });
        let error = result.unwrap_err();
        assert_eq!(
            (error.code, error.status),
            (ErrorCode::AuthFailed, Some(401))
        );
    }

    #[test]
    fn network_failures_move_traffic_to_the_backup_host() {
        let asked = ids(500, 0);
        let vendor = rongcloud(json!({"backupBaseUrl": "https://backup.test", "concurrency": 1}));
        let (result, sim) = run(vendor, &asked, |n| {
            if n == 0 {
                Reply::Network
            } else {
                Reply::Serve
            }
        });
        assert_eq!(result.unwrap().profiles.len(), 500);
        assert!(sim.received[0]
            .request
            .url
            .starts_with("https://primary.test/"));
        assert!(sim.received[1..]
            .iter()
            .all(|r| r.request.url.starts_with("https://backup.test/")));
    }

    #[test]
    fn ids_read_as_requests_go_out_are_deduplicated_over_the_whole_stream() {
        use std::cell::Cell;
        // u1..u1200 then each again, with an id RongCloud refuses and ids nobody has.
        let stream: Vec<String> = (1..=1200)
            .map(|i| format!("u{i}"))
            .chain((1..=1200).map(|i| format!("u{i}")))
            .chain(["", "x1", "x2", "x1"].map(String::from))
            .collect();
        let pulled = Rc::new(Cell::new(0usize));
        let counting = {
            let pulled = Rc::clone(&pulled);
            stream
                .clone()
                .into_iter()
                .inspect(move |_| pulled.set(pulled.get() + 1))
        };
        let vendor = rongcloud(json!({}));
        let work = Batch::streaming(vendor.as_ref(), BatchOptions::default());
        let mut sim = Simulation::new(vendor, work, 0.0).reading(counting);
        let mut pulled_at_send = Vec::new();
        let result = sim
            .run(|_, request| {
                pulled_at_send.push(pulled.get());
                Scripted::after(5.0, sim::Reply::Respond(serve(request)))
            })
            .unwrap();
        assert_accounted(&stream, &result);
        assert_eq!(result.profiles.len(), 1200);
        let refused = result.failures.iter().find(|f| f.id.is_empty()).unwrap();
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        // Each request goes once its 100 ids are read, and no more are read before it goes.
        let planned: Vec<usize> = (1..=12).map(|n| 100 * n).collect();
        assert_eq!(pulled_at_send[..12], planned);
        assert_eq!(sim.received.len(), 13, "the repeats cost no request");
    }

    #[test]
    fn results_keep_first_seen_order_and_duplicates_collapse() {
        let (result, sim) = run(
            rongcloud(json!({"batchSize": 2})),
            &["u3", "x1", "u1", "u3", "u2", "x1"],
            |_| Reply::Serve,
        );
        let result = result.unwrap();
        assert_eq!(
            result
                .profiles
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>(),
            ["u3", "u1", "u2"]
        );
        assert_eq!(
            result
                .failures
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>(),
            ["x1"]
        );
        assert_eq!(sim.received.len(), 2);
    }

    #[test]
    fn invalid_ids_are_refused_before_anything_is_planned() {
        let error = Batch::of(
            rongcloud(json!({})).as_ref(),
            &["ok", ""],
            BatchOptions::default(),
        )
        .err()
        .unwrap();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.starts_with("ids[1]"));
    }

    fn tencent(config: Value) -> Rc<dyn Vendor> {
        let values: Map<String, Value> = config.as_object().unwrap().clone();
        let functions = BTreeSet::new();
        let input = ObjectReader::config(&values, &functions);
        Rc::new(crate::vendors::tencent::PortraitGet::from_config(&input).unwrap())
    }

    /// portrait_get where accounts `flaky*` fail with 40006 the first time they are asked
    /// for and accounts `x*` do not exist. Records each request's accounts.
    fn portrait_get_server(asked: Rc<std::cell::RefCell<Vec<Vec<String>>>>) -> Reply {
        let failed_once = Rc::new(std::cell::RefCell::new(BTreeSet::<String>::new()));
        Reply::Respond(Rc::new(move |request: &HttpRequest| {
            let body: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
            let accounts: Vec<String> = body["To_Account"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect();
            asked.borrow_mut().push(accounts.clone());
            let items: Vec<Value> = accounts
                .iter()
                .map(|a| {
                    if a.starts_with('x') {
                        json!({"To_Account": a, "ResultCode": 40003, "ResultInfo": "not found"})
                    } else if a.starts_with("flaky") && failed_once.borrow_mut().insert(a.clone()) {
                        json!({"To_Account": a, "ResultCode": 40006, "ResultInfo": "try again"})
                    } else {
                        json!({"To_Account": a, "ResultCode": 0, "ProfileItem": [
                            {"Tag": "Tag_Profile_IM_Nick", "Value": format!("nick {a}")}
                        ]})
                    }
                })
                .collect();
            HttpResponse::new(
                200,
                json!({"ActionStatus": "OK", "ErrorCode": 0, "UserProfileItem": items}).to_string(),
            )
        }))
    }

    #[test]
    fn tencent_retries_only_the_accounts_that_failed_transiently() {
        let vendor = tencent(json!({
            "sdkAppId": 1400000000, "identifier": "admin", "secretKey": "key",
            "baseUrl": "https://tencent.test"
        }));
        let ids: Vec<String> = (1..=240)
            .map(|i| format!("u{i}"))
            .chain((1..=5).map(|i| format!("flaky{i}")))
            .chain((1..=5).map(|i| format!("x{i}")))
            .collect();
        let asked = Rc::new(std::cell::RefCell::new(Vec::new()));
        let server = portrait_get_server(Rc::clone(&asked));
        let (result, sim) = run(vendor, &ids, |_| server.clone());
        let result = result.unwrap();
        assert_accounted(&ids, &result);
        assert_eq!(result.profiles.len(), 245, "flaky accounts end as profiles");
        assert!(result
            .failures
            .iter()
            .all(|f| f.code == ErrorCode::NotFound));
        let asked = asked.borrow();
        assert_eq!(asked.len(), 4, "three planned requests and one retry");
        assert_eq!(
            asked[3],
            (1..=5).map(|i| format!("flaky{i}")).collect::<Vec<_>>()
        );
        assert_eq!(result.stats.requests, 4);
        assert_eq!(result.stats.retries, 1);
        let randoms: BTreeSet<&str> = sim
            .received
            .iter()
            .map(|r| {
                r.request
                    .url
                    .split("random=")
                    .nth(1)
                    .unwrap()
                    .split('&')
                    .next()
                    .unwrap()
            })
            .collect();
        assert_eq!(randoms.len(), 4, "a fresh random per request");
    }

    #[test]
    fn an_expired_user_sig_fails_the_call_before_anything_is_sent() {
        let sig = signing::tls_sig::user_sig("key", "admin", 1_400_000_000, 1_600_000_000, 3600);
        let vendor = tencent(json!({
            "sdkAppId": 1400000000, "identifier": "admin", "userSig": sig,
        }));
        let (result, sim) = run(vendor, &["u1"], |_| Reply::Serve);
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthFailed);
        assert!(!error.message.contains(&sig));
        assert!(sim.received.is_empty());
    }
}

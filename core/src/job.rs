//! One `getProfiles` call as a pure state machine.
//!
//! The shell asks [`Job::poll`] what to do next (send a request, wait, finish), performs
//! it, and reports back with [`Job::on_response`] or [`Job::on_transport_error`].
//! Time comes in as arguments and randomness from a seeded generator, so whole runs, retries
//! and pauses included, are replayed natively in tests.
//!
//! The job owns the accounting rule: every distinct id ends exactly once, as a profile or a
//! failure. Ids are settled only through [`BatchJob::settle`], which ignores an id that is
//! already settled or that the answering request did not carry.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use serde::Serialize;

use crate::error::{ErrorCode, Failure, ProfileError};
use crate::flights::{Flight, Flights};
use crate::http::HttpResponse;
use crate::profile::Profile;
use crate::scheduler::{Blame, Circuit, Gate, Scheduler, BUDGET_SPENT};
use crate::vendors::{
    unaccounted, CredentialStep, ParseContext, PreparedRequest, RequestContext, ResponseOutcome,
    Vendor, VendorKey,
};

#[derive(Clone, Debug)]
pub struct JobOptions {
    pub include_raw: bool,
    /// The call's `fields` option, checked by the vendor.
    pub fields: Option<Vec<String>>,
    /// Keep profiles and failures for the final result (`collect`, default true).
    pub collect: bool,
    /// Report each request's results as a [`BatchEvent`] (`onBatch` was given).
    pub emit_batches: bool,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            include_raw: false,
            fields: None,
            collect: true,
            emit_batches: false,
        }
    }
}

/// `Stats` (js/types.d.ts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub requested: usize,
    pub profiles: usize,
    pub failures: usize,
    pub requests: usize,
    pub retries: usize,
    pub elapsed_ms: f64,
}

/// `Progress` (js/types.d.ts).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    pub requests: usize,
    pub retries: usize,
}

/// What one finished request settled (for `onBatch`; empty unless `emit_batches`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct BatchEvent {
    pub profiles: Vec<Profile>,
    pub failures: Vec<Failure>,
}

/// `BatchResult` (js/types.d.ts).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchResult {
    pub profiles: Vec<Profile>,
    pub failures: Vec<Failure>,
    pub stats: Stats,
}

/// A request for the shell to send.
#[derive(Debug)]
pub struct Outgoing {
    pub request_id: u64,
    pub prepared: PreparedRequest,
}

#[derive(Debug)]
pub enum Action {
    Send(Outgoing),
    /// Nothing to do before this time, unless a response arrives first.
    WaitUntil(f64),
    /// Only a response of this job can move it on.
    WaitForResponses,
    /// Other calls of the same client hold every concurrency slot.
    WaitForCapacity,
    Finished,
    /// The call must reject with this error (auth failure, unusable signer output).
    Failed(ProfileError),
}

/// Why a request produced no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportError {
    Timeout,
    Network,
    /// The body was larger than `maxResponseBytes`: not read, and not asked for again (the
    /// same request would bring the same body).
    TooLarge,
    /// A shared limiter gave no permit (Redis down, say): nothing was sent.
    NoPermit,
}

impl TransportError {
    /// The request-level error it is: worth another attempt, but for a body too large.
    pub fn error(self, message: &str, vendor: VendorKey) -> ProfileError {
        let code = match self {
            TransportError::Timeout => ErrorCode::Timeout,
            TransportError::Network | TransportError::NoPermit => ErrorCode::Network,
            TransportError::TooLarge => ErrorCode::InvalidResponse,
        };
        ProfileError::new(code, message)
            .with_vendor(vendor)
            .retryable(self != TransportError::TooLarge)
    }

    pub fn blame(self) -> Blame {
        match self {
            TransportError::NoPermit => Blame::NotSent,
            _ => Blame::Vendor {
                retry_after_ms: None,
            },
        }
    }
}

/// What a call resolves with.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum JobOutcome {
    Batch(BatchResult),
    Page(crate::list_job::PageResult),
}

/// What the shell drives: a `getProfiles` call ([`BatchJob`]) or a listing
/// ([`crate::list_job::ListJob`]). The shell performs the actions and reports back.
pub trait Job {
    fn poll(&mut self, now: f64, scheduler: &mut Scheduler) -> Action;
    fn on_response(
        &mut self,
        request_id: u64,
        now: f64,
        response: &HttpResponse,
        scheduler: &mut Scheduler,
    );
    fn on_transport_error(
        &mut self,
        request_id: u64,
        now: f64,
        kind: TransportError,
        message: &str,
        scheduler: &mut Scheduler,
    );
    /// The request `request_id` left only at `now`: it waited for a shared limiter's permit.
    fn on_departure(&mut self, request_id: u64, now: f64, scheduler: &mut Scheduler);
    /// Ends the call with `error` (e.g. an unusable signature from the user's signer).
    fn fail(&mut self, error: ProfileError, now: f64, scheduler: &mut Scheduler);
    /// Gives the concurrency slots of every request still in flight back to the scheduler
    /// (the call was aborted or failed; their responses will be ignored).
    fn release(&mut self, now: f64, scheduler: &mut Scheduler);
    fn progress(&self) -> Progress;
    /// The counters so far, `elapsedMs` measured up to `now`.
    fn stats(&self, now: f64) -> Stats;
    /// Events of requests finished since the last call.
    fn take_events(&mut self) -> Vec<BatchEvent>;
    /// The result, once [`Action::Finished`] was returned.
    fn outcome(&mut self, now: f64) -> JobOutcome;
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

/// What a request in flight carried: its ids (none for a credential fetch) and the attempt
/// they were on.
struct Carried {
    indices: Vec<usize>,
    attempt: u32,
}

/// SplitMix64: a small, well-distributed generator for nonces and jitter. It is seeded by the
/// shell from `crypto.getRandomValues`; nonces only need to be unique, not secret.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// 32 characters of `[0-9a-z]`.
    pub fn nonce(&mut self) -> String {
        const ALPHABET: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..32)
            .map(|_| ALPHABET[(self.next_u64() % 36) as usize] as char)
            .collect()
    }
}

/// The ids of a call in one buffer. A million ids as a million `String`s take about three
/// times the memory (a header and a heap block each), and wasm memory never shrinks back.
#[derive(Default)]
struct IdTable {
    text: String,
    /// Where each id ends in `text`; id `i` starts where id `i - 1` ends.
    ends: Vec<u32>,
    /// After deduplication: the table positions of the distinct ids, in first-seen order.
    order: Option<Vec<u32>>,
}

impl IdTable {
    fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends
            .push(u32::try_from(self.text.len()).expect("under 4 GiB of ids"));
    }

    fn raw(&self, position: usize) -> &str {
        let start = match position {
            0 => 0,
            p => self.ends[p - 1] as usize,
        };
        &self.text[start..self.ends[position] as usize]
    }

    fn len(&self) -> usize {
        self.order.as_ref().map_or(self.ends.len(), Vec::len)
    }

    /// The `i`-th distinct id.
    fn get(&self, i: usize) -> &str {
        match &self.order {
            Some(order) => self.raw(order[i] as usize),
            None => self.raw(i),
        }
    }

    /// Keeps the first occurrence of each id. Sorting positions by id finds the repeats with
    /// 4 bytes an id, where a hash set of the ids would take 16 or more.
    fn deduplicated(mut self) -> Self {
        let mut positions: Vec<u32> = (0..self.ends.len() as u32).collect();
        positions.sort_unstable_by(|&a, &b| {
            self.raw(a as usize)
                .cmp(self.raw(b as usize))
                .then(a.cmp(&b))
        });
        let mut keep = vec![true; self.ends.len()];
        for pair in positions.windows(2) {
            if self.raw(pair[0] as usize) == self.raw(pair[1] as usize) {
                keep[pair[1] as usize] = false;
            }
        }
        drop(positions);
        if keep.iter().all(|&k| k) {
            return self;
        }
        self.order = Some(
            keep.iter()
                .enumerate()
                .filter(|(_, &k)| k)
                .map(|(p, _)| p as u32)
                .collect(),
        );
        self
    }
}

pub struct BatchJob {
    vendor: Rc<dyn Vendor>,
    options: JobOptions,
    ids: IdTable,
    slots: Vec<Slot>,
    attempts: Vec<u32>,
    profiles: Vec<(usize, Profile)>,
    failures: Vec<(usize, Failure)>,
    ready: VecDeque<Vec<usize>>,
    /// Ids waiting out a backoff or a pause.
    delayed: Vec<Delayed>,
    in_flight: Flights<Carried>,
    rng: Rng,
    stats: Stats,
    started_at: Option<f64>,
    fatal: Option<ProfileError>,
    events: Vec<BatchEvent>,
}

impl BatchJob {
    /// Validates and deduplicates `ids` (first occurrence wins) and plans the requests.
    pub fn new(
        vendor: Rc<dyn Vendor>,
        ids: Vec<String>,
        options: JobOptions,
        seed: u64,
    ) -> Result<Self, ProfileError> {
        Self::from_ids(vendor, ids.into_iter().map(Ok), options, seed)
    }

    /// As [`BatchJob::new`], reading the ids one at a time (the shell converts them from JS as
    /// they are read, so a million ids never exist twice in memory).
    pub fn from_ids(
        vendor: Rc<dyn Vendor>,
        ids: impl IntoIterator<Item = Result<String, ProfileError>>,
        options: JobOptions,
        seed: u64,
    ) -> Result<Self, ProfileError> {
        let mut table = IdTable::default();
        for (position, id) in ids.into_iter().enumerate() {
            let id = id?;
            vendor.validate_id(&id).map_err(|why| {
                ProfileError::invalid_input(format!("ids[{position}]: {why}"))
                    .with_vendor(vendor.key())
            })?;
            table.push(&id);
        }
        let unique = table.deduplicated();
        let batch = vendor.common().batch_size;
        let ready: VecDeque<Vec<usize>> = (0..unique.len())
            .collect::<Vec<_>>()
            .chunks(batch)
            .map(<[usize]>::to_vec)
            .collect();
        let n = unique.len();
        Ok(BatchJob {
            vendor,
            options,
            ids: unique,
            slots: vec![Slot::Pending; n],
            attempts: vec![0; n],
            profiles: Vec::new(),
            failures: Vec::new(),
            ready,
            delayed: Vec::new(),
            in_flight: Flights::default(),
            rng: Rng::new(seed),
            stats: Stats {
                requested: n,
                ..Stats::default()
            },
            started_at: None,
            fatal: None,
            events: Vec::new(),
        })
    }

    fn fetch_credential(
        &mut self,
        prepared: PreparedRequest,
        now: f64,
        scheduler: &mut Scheduler,
    ) -> Action {
        let carried = Carried {
            indices: Vec::new(),
            attempt: 0,
        };
        let request_id = self
            .in_flight
            .send(&prepared, true, carried, now, scheduler);
        Action::Send(Outgoing {
            request_id,
            prepared,
        })
    }

    /// The credential fetch ended (`None`: without a response).
    fn credential_outcome(
        &mut self,
        response: Option<&HttpResponse>,
        now: f64,
        scheduler: &mut Scheduler,
    ) {
        scheduler.on_request_neutral();
        match self.vendor.on_credential_response(response, now) {
            Ok(()) => {}
            Err(error) if error.retryable => {}
            Err(error) if error.code == ErrorCode::AuthFailed => self.fail(error, now, scheduler),
            // No credential after every retry: the ids still waiting cannot be fetched.
            Err(error) => self.fail_queued(&error),
        }
    }

    /// Settles every id not in flight with `error` (no credential, or the breaker is open).
    fn fail_queued(&mut self, error: &ProfileError) {
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
            return;
        }
        let mut event = BatchEvent::default();
        for i in waiting {
            let failure = error.to_failure(self.ids.get(i));
            self.settle(i, Err(failure), &mut event);
        }
        self.events.push(event);
    }

    /// Moves ids whose wait is over to the ready queue, topping up a last batch that has
    /// room before starting new ones.
    fn release_due(&mut self, now: f64) {
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed)
            .into_iter()
            .partition(|d| d.at <= now);
        self.delayed = later;
        let batch = self.vendor.common().batch_size;
        for index in due.into_iter().flat_map(|d| d.indices) {
            match self.ready.back_mut() {
                Some(last) if last.len() < batch => last.push(index),
                _ => self.ready.push_back(vec![index]),
            }
        }
    }

    fn next_due(&self) -> Option<f64> {
        self.delayed.iter().map(|d| d.at).reduce(f64::min)
    }

    /// Schedules ids that failed transiently inside a good response: they join the round of
    /// per-id retries already waiting, or open one after a backoff if the retry budget pays
    /// for it; else they end with their failure.
    fn retry_ids(
        &mut self,
        again: Vec<(usize, Failure)>,
        now: f64,
        scheduler: &mut Scheduler,
        event: &mut BatchEvent,
    ) {
        let indices: Vec<usize> = again.iter().map(|(i, _)| *i).collect();
        if let Some(round) = self.delayed.iter_mut().find(|d| d.open_round) {
            round.indices.extend(indices);
            return;
        }
        if !scheduler.budget.try_spend(ErrorCode::VendorError) {
            for (i, failure) in again {
                let failure = Failure {
                    message: format!("{} ({BUDGET_SPENT})", failure.message),
                    ..failure
                };
                self.settle(i, Err(failure), event);
            }
            return;
        }
        let attempt = indices.iter().map(|&i| self.attempts[i]).max().unwrap_or(1);
        let at = now + scheduler.backoff.delay_ms(attempt, self.rng.unit());
        self.delayed.push(Delayed {
            at,
            indices,
            open_round: true,
        });
    }

    fn send(&mut self, now: f64, scheduler: &mut Scheduler) -> Action {
        if let Some(error) = self.vendor.credential_error(now) {
            self.fail(error, now, scheduler);
            return Action::Failed(self.fatal.clone().expect("just failed"));
        }
        let indices = self
            .ready
            .pop_front()
            .expect("send is only called with work ready");
        let attempt = indices.iter().map(|&i| self.attempts[i]).max().unwrap_or(0);
        let ids: Vec<&str> = indices.iter().map(|&i| self.ids.get(i)).collect();
        let host = scheduler.hosts.active();
        let ctx = RequestContext {
            now_ms: now,
            nonce: self.rng.nonce(),
            random: (self.rng.next_u64() >> 32) as u32,
            base_url: scheduler.hosts.url(host),
            fields: self.options.fields.as_deref(),
        };
        let prepared = self.vendor.build_request(&ids, &ctx);
        let carried = Carried { indices, attempt };
        let request_id = self
            .in_flight
            .send(&prepared, false, carried, now, scheduler);
        self.stats.requests += 1;
        if attempt > 0 {
            self.stats.retries += 1;
        }
        Action::Send(Outgoing {
            request_id,
            prepared,
        })
    }

    fn request_failed(
        &mut self,
        flight: Flight<Carried>,
        error: ProfileError,
        blame: Blame,
        now: f64,
        scheduler: &mut Scheduler,
        event: &mut BatchEvent,
    ) {
        if error.code == ErrorCode::AuthFailed {
            self.fail(error, now, scheduler);
            return;
        }
        // Honour the vendor's pacing for the whole client, retried or not.
        let pause = scheduler.on_request_failed(&error, blame, flight.host, now);
        let pending: Vec<usize> = flight
            .payload
            .indices
            .into_iter()
            .filter(|&i| self.slots[i] == Slot::Pending)
            .collect();
        let mut error = error;
        let attempt = flight.payload.attempt;
        let retries = self.vendor.common().retries;
        let rng = &mut self.rng;
        if let Some(at) =
            scheduler.retry_at(&mut error, attempt, retries, pause, || rng.unit(), now)
        {
            for &i in &pending {
                self.attempts[i] = attempt + 1;
            }
            self.delayed.push(Delayed {
                at,
                indices: pending,
                open_round: false,
            });
        } else {
            for i in pending {
                let failure = error.to_failure(self.ids.get(i));
                self.settle(i, Err(failure), event);
            }
        }
    }

    /// Where each id of a request sits in the job (owned keys: settling mutates the job).
    fn positions(&self, indices: &[usize]) -> HashMap<String, usize> {
        indices
            .iter()
            .map(|&i| (self.ids.get(i).to_owned(), i))
            .collect()
    }

    /// The one place an id is settled; a second settlement of the same id is ignored.
    fn settle(&mut self, index: usize, outcome: Result<Profile, Failure>, event: &mut BatchEvent) {
        if self.slots[index] != Slot::Pending {
            return;
        }
        self.slots[index] = Slot::Done;
        match outcome {
            Ok(profile) => {
                self.stats.profiles += 1;
                if self.options.emit_batches {
                    event.profiles.push(profile.clone());
                }
                if self.options.collect {
                    self.profiles.push((index, profile));
                }
            }
            Err(failure) => {
                self.stats.failures += 1;
                if self.options.emit_batches {
                    event.failures.push(failure.clone());
                }
                if self.options.collect {
                    self.failures.push((index, failure));
                }
            }
        }
    }

    /// The final result, in first-seen input order. Called once, after [`Action::Finished`].
    pub fn finish(&mut self, now: f64) -> BatchResult {
        let mut profiles = std::mem::take(&mut self.profiles);
        let mut failures = std::mem::take(&mut self.failures);
        profiles.sort_unstable_by_key(|(i, _)| *i);
        failures.sort_unstable_by_key(|(i, _)| *i);
        BatchResult {
            profiles: profiles.into_iter().map(|(_, p)| p).collect(),
            failures: failures.into_iter().map(|(_, f)| f).collect(),
            stats: self.stats(now),
        }
    }
}

impl Job for BatchJob {
    fn poll(&mut self, now: f64, scheduler: &mut Scheduler) -> Action {
        self.started_at.get_or_insert(now);
        if let Some(error) = &self.fatal {
            return Action::Failed(error.clone());
        }
        self.release_due(now);
        if let Circuit::Open(error) = scheduler.circuit(now) {
            self.fail_queued(&error);
        }
        if self.ready.is_empty() {
            return match (self.in_flight.is_empty(), self.next_due()) {
                (true, None) => Action::Finished,
                (_, Some(at)) => Action::WaitUntil(at),
                (false, None) => Action::WaitForResponses,
            };
        }
        let waiting = if self.in_flight.is_empty() {
            Action::WaitForCapacity
        } else {
            Action::WaitForResponses
        };
        match scheduler.gate(now) {
            Gate::Open => match self.vendor.credential_step(now) {
                CredentialStep::Ready => self.send(now, scheduler),
                CredentialStep::Fetch(prepared) => self.fetch_credential(prepared, now, scheduler),
                CredentialStep::WaitUntil(at) => Action::WaitUntil(at),
                // Another call of this client is fetching it: its completion wakes us.
                CredentialStep::Wait => waiting,
            },
            Gate::OpensAt(at) => Action::WaitUntil(at),
            Gate::Full => waiting,
        }
    }

    /// Feeds a response in. Responses of requests this job no longer tracks are ignored.
    fn on_response(
        &mut self,
        request_id: u64,
        now: f64,
        response: &HttpResponse,
        scheduler: &mut Scheduler,
    ) {
        let Some(flight) = self.in_flight.take(request_id, now, true, scheduler) else {
            return;
        };
        if flight.fetches_credential {
            self.credential_outcome(Some(response), now, scheduler);
            return;
        }
        let ids: Vec<&str> = flight
            .payload
            .indices
            .iter()
            .map(|&i| self.ids.get(i))
            .collect();
        let ctx = ParseContext {
            now_ms: now,
            include_raw: self.options.include_raw,
        };
        let outcome = self.vendor.parse_response(&ids, response, &ctx);
        drop(ids);
        let mut event = BatchEvent::default();
        match outcome {
            ResponseOutcome::Parsed {
                profiles,
                failures,
                transient,
            } => {
                scheduler.on_request_succeeded(flight.payload.attempt > 0, now);
                let position = self.positions(&flight.payload.indices);
                for profile in profiles {
                    if let Some(&i) = position.get(&profile.id) {
                        self.settle(i, Ok(profile), &mut event);
                    }
                }
                for failure in failures {
                    if let Some(&i) = position.get(&failure.id) {
                        self.settle(i, Err(failure), &mut event);
                    }
                }
                let mut again = Vec::new();
                for failure in transient {
                    let Some(&i) = position.get(&failure.id) else {
                        continue;
                    };
                    if self.slots[i] != Slot::Pending {
                        continue;
                    }
                    if self.attempts[i] < self.vendor.common().retries {
                        self.attempts[i] += 1;
                        again.push((i, failure));
                    } else {
                        self.settle(i, Err(failure), &mut event);
                    }
                }
                let retried: HashSet<usize> = again.iter().map(|(i, _)| *i).collect();
                for &i in &flight.payload.indices {
                    if self.slots[i] == Slot::Pending && !retried.contains(&i) {
                        let failure = unaccounted(self.ids.get(i));
                        self.settle(i, Err(failure), &mut event);
                    }
                }
                if !again.is_empty() {
                    self.retry_ids(again, now, scheduler, &mut event);
                }
            }
            ResponseOutcome::Failed {
                error,
                retry_after_ms,
            } => {
                let blame = Blame::Vendor { retry_after_ms };
                self.request_failed(flight, error, blame, now, scheduler, &mut event);
            }
            ResponseOutcome::CredentialRejected(error) => {
                scheduler.on_request_neutral();
                if self
                    .vendor
                    .credential_rejected(flight.credential_generation)
                {
                    // Sent again, first, once the fresh credential is here.
                    let pending: Vec<usize> = flight
                        .payload
                        .indices
                        .into_iter()
                        .filter(|&i| self.slots[i] == Slot::Pending)
                        .collect();
                    if !pending.is_empty() {
                        self.ready.push_front(pending);
                    }
                } else {
                    self.fail(error, now, scheduler);
                }
            }
        }
        self.events.push(event);
    }

    /// A request that got no response: a timeout or a network-level failure.
    fn on_transport_error(
        &mut self,
        request_id: u64,
        now: f64,
        kind: TransportError,
        message: &str,
        scheduler: &mut Scheduler,
    ) {
        let Some(flight) = self.in_flight.take(request_id, now, false, scheduler) else {
            return;
        };
        if flight.fetches_credential {
            self.credential_outcome(None, now, scheduler);
            return;
        }
        let error = kind.error(message, self.vendor.key());
        let mut event = BatchEvent::default();
        self.request_failed(flight, error, kind.blame(), now, scheduler, &mut event);
        self.events.push(event);
    }

    /// Ends the call with `error` (e.g. an unusable signature from the user's signer).
    fn fail(&mut self, error: ProfileError, now: f64, scheduler: &mut Scheduler) {
        self.fatal.get_or_insert(error);
        self.release(now, scheduler);
    }

    /// Gives the concurrency slots of every request still in flight back to the scheduler
    /// (the call was aborted or failed; their responses will be ignored).
    fn on_departure(&mut self, request_id: u64, now: f64, scheduler: &mut Scheduler) {
        self.in_flight.departed(request_id, now, scheduler);
    }

    fn release(&mut self, now: f64, scheduler: &mut Scheduler) {
        self.in_flight
            .abandon_all(now, scheduler, self.vendor.as_ref());
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.stats.profiles + self.stats.failures,
            total: self.stats.requested,
            failed: self.stats.failures,
            requests: self.stats.requests,
            retries: self.stats.retries,
        }
    }

    /// The counters so far, `elapsedMs` measured up to `now`.
    fn stats(&self, now: f64) -> Stats {
        Stats {
            elapsed_ms: now - self.started_at.unwrap_or(now),
            ..self.stats
        }
    }

    /// Events of requests finished since the last call.
    fn take_events(&mut self) -> Vec<BatchEvent> {
        std::mem::take(&mut self.events)
    }

    fn outcome(&mut self, now: f64) -> JobOutcome {
        JobOutcome::Batch(self.finish(now))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Map, Value};

    use super::*;
    use crate::config::ConfigInput;
    use crate::http::HttpRequest;
    use crate::scheduler::{CircuitBreaker, RetryBudget};
    use crate::signing;
    use crate::vendors::rongcloud::RongCloud;

    fn rongcloud(extra: Value) -> Rc<dyn Vendor> {
        let mut config =
            json!({"appKey": "k", "appSecret": "s", "baseUrl": "https://primary.test"});
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let values: Map<String, Value> = config.as_object().unwrap().clone();
        Rc::new(RongCloud::from_config(&ConfigInput::new(&values, &BTreeSet::new())).unwrap())
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

    struct Sim {
        job: BatchJob,
        scheduler: Scheduler,
        now: f64,
        /// (when the reply arrives, request id, reply, the request)
        pending: Vec<(f64, u64, Reply, HttpRequest)>,
        sent: Vec<(f64, String)>,
        replies_at: Vec<(f64, Reply)>,
    }

    /// Runs a whole call; `script(n)` says what the vendor does with the n-th request.
    fn run(
        vendor: Rc<dyn Vendor>,
        ids: &[impl AsRef<str>],
        script: impl Fn(usize) -> Reply,
    ) -> (Result<BatchResult, ProfileError>, Sim) {
        let common = vendor.common().clone();
        let mut sim = Sim {
            job: BatchJob::new(
                vendor.clone(),
                ids.iter().map(|s| s.as_ref().to_owned()).collect(),
                JobOptions::default(),
                7,
            )
            .unwrap(),
            scheduler: Scheduler::new(
                common.rate_limit,
                common.concurrency.map(|c| c as usize),
                vendor.base_urls(),
            ),
            now: 1_700_000_000_000.0,
            pending: Vec::new(),
            sent: Vec::new(),
            replies_at: Vec::new(),
        };
        for _ in 0..100_000 {
            let action = sim.job.poll(sim.now, &mut sim.scheduler);
            let next_reply = sim.pending.iter().map(|p| p.0).reduce(f64::min);
            match action {
                Action::Send(out) => {
                    let reply = script(sim.sent.len());
                    let latency = if matches!(reply, Reply::Timeout) {
                        f64::from(common.timeout_ms)
                    } else {
                        5.0
                    };
                    sim.sent.push((sim.now, out.prepared.http.url.clone()));
                    sim.pending
                        .push((sim.now + latency, out.request_id, reply, out.prepared.http));
                    continue;
                }
                Action::Finished => {
                    let result = sim.job.finish(sim.now);
                    return (Ok(result), sim);
                }
                Action::Failed(error) => return (Err(error), sim),
                Action::WaitUntil(at) => {
                    sim.now = next_reply.map_or(at, |r| r.min(at)).max(sim.now)
                }
                Action::WaitForResponses | Action::WaitForCapacity => {
                    sim.now = next_reply.expect("waiting with nothing in flight")
                }
            }
            sim.pending.sort_by(|a, b| a.0.total_cmp(&b.0));
            while sim.pending.first().is_some_and(|p| p.0 <= sim.now) {
                let (at, id, reply, request) = sim.pending.remove(0);
                sim.replies_at.push((at, reply.clone()));
                match reply {
                    Reply::Serve => {
                        sim.job
                            .on_response(id, at, &serve(&request), &mut sim.scheduler)
                    }
                    Reply::Status(status, body) => sim.job.on_response(
                        id,
                        at,
                        &HttpResponse::new(status, body),
                        &mut sim.scheduler,
                    ),
                    Reply::RateLimited(retry_after) => {
                        let mut response = HttpResponse::new(429, r#"{"code":1008}"#);
                        if let Some(value) = retry_after {
                            response = response.with_header("Retry-After", value);
                        }
                        sim.job.on_response(id, at, &response, &mut sim.scheduler)
                    }
                    Reply::Truncated => {
                        let body = serve(&request).body;
                        let cut = HttpResponse::new(200, &body[..body.len() / 2]);
                        sim.job.on_response(id, at, &cut, &mut sim.scheduler)
                    }
                    Reply::Timeout => sim.job.on_transport_error(
                        id,
                        at,
                        TransportError::Timeout,
                        "timed out",
                        &mut sim.scheduler,
                    ),
                    Reply::Respond(vendor) => {
                        sim.job
                            .on_response(id, at, &vendor(&request), &mut sim.scheduler)
                    }
                    Reply::Network => sim.job.on_transport_error(
                        id,
                        at,
                        TransportError::Network,
                        "reset",
                        &mut sim.scheduler,
                    ),
                }
            }
        }
        panic!("the job did not finish");
    }

    fn ids(known: usize, unknown: usize) -> Vec<String> {
        (1..=known)
            .map(|i| format!("u{i}"))
            .chain((1..=unknown).map(|i| format!("x{i}")))
            .collect()
    }

    fn assert_accounted(asked: &[String], result: &BatchResult) {
        let distinct: BTreeSet<&str> = asked.iter().map(String::as_str).collect();
        let mut seen: Vec<&str> = result
            .profiles
            .iter()
            .map(|p| p.id.as_str())
            .chain(result.failures.iter().map(|f| f.id.as_str()))
            .collect();
        let total = seen.len();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(total, seen.len(), "an id appears twice");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), distinct);
        assert_eq!(result.stats.requested, distinct.len());
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
        assert!(result.stats.retries > 0 && result.stats.requests == sim.sent.len());
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
        let (limited_at, _) = sim
            .replies_at
            .iter()
            .find(|(_, r)| matches!(r, Reply::RateLimited(_)))
            .unwrap();
        let next_send = sim
            .sent
            .iter()
            .map(|(t, _)| *t)
            .find(|t| t > limited_at)
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
            sim.sent.len() < threshold + 8,
            "{} requests to a dead vendor",
            sim.sent.len()
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
        let last_send = sim.sent.last().unwrap().0;
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
    fn the_id_table_keeps_first_occurrences_in_order() {
        let table = |ids: &[&str]| {
            let mut t = IdTable::default();
            ids.iter().for_each(|id| t.push(id));
            let t = t.deduplicated();
            (0..t.len())
                .map(|i| t.get(i).to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            table(&["b", "a", "b", "é", "a", "b", "c"]),
            ["b", "a", "é", "c"]
        );
        assert_eq!(table(&["x", "y"]), ["x", "y"]);
        assert!(table(&[]).is_empty());
        assert_eq!(table(&["ab", "a", "b", "ab"]), ["ab", "a", "b"]);
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
        assert!(sim.sent[0].1.starts_with("https://primary.test/"));
        assert!(sim.sent[1..]
            .iter()
            .all(|(_, url)| url.starts_with("https://backup.test/")));
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
        assert_eq!(sim.sent.len(), 2);
    }

    #[test]
    fn invalid_ids_are_refused_before_anything_is_planned() {
        let error = BatchJob::new(
            rongcloud(json!({})),
            vec!["ok".into(), String::new()],
            JobOptions::default(),
            1,
        )
        .err()
        .unwrap();
        assert_eq!(error.code, ErrorCode::InvalidInput);
        assert!(error.message.starts_with("ids[1]"));
    }

    fn tencent(config: Value) -> Rc<dyn Vendor> {
        let values: Map<String, Value> = config.as_object().unwrap().clone();
        let functions = BTreeSet::new();
        let input = ConfigInput::new(&values, &functions);
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
            .sent
            .iter()
            .map(|(_, url)| {
                url.split("random=")
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
        assert!(sim.sent.is_empty());
    }
}

//! One call of a client — `getProfiles` ([`Batch`]) or a listing ([`Pages`]) — as a pure
//! state machine, in the shape of str0m and quinn-proto: the shell asks [`Call::poll`] what to
//! do next (send a request, wait, finish), performs it, and hands what happened back through
//! [`Call::handle`]. Time comes in as arguments and randomness from a seeded generator, so a
//! whole call, retries and pauses included, is replayed natively (see `crate::simulation`).
//!
//! [`Call`] is the part both kinds share and is written once: the requests in flight, the
//! credential a vendor obtains, the gate of the scheduler, transport errors, retries and
//! their pauses, the counters. What differs — what a request carries, what its answer means,
//! what the call resolves with — is the [`Work`] it drives.

mod batch;
mod ended;
mod flights;
pub(crate) mod ids;
mod json;
pub mod options;
mod pages;

use std::rc::Rc;

pub use batch::{Batch, BatchOptions};
pub use ended::Ended;
pub use ids::{split_joined, Joined};
pub use pages::{ListOptions, Listed, PageResult, Pages, MAX_EMPTY_PAGES_IN_A_ROW};

use crate::http::HttpResponse;
use crate::json::tape::{to_tape, Tape, ToTape};
use crate::model::write::{known, Word};
use crate::model::{redact, ErrorCode, Failure, Profile, ProfileError, VendorKey};
use crate::scheduler::{Blame, Circuit, Gate, Scheduler};
use crate::session::Session;
use crate::vendors::Answer;
use crate::vendors::{CredentialStep, ParseContext, PreparedRequest, RequestContext, Vendor};
use flights::Flights;

/// A `getProfiles` call.
pub type BatchCall = Call<Batch>;
/// A `listProfiles` or `listAllProfiles` call.
pub type ListCall = Call<Pages>;

/// `Stats` (js/shell/types.d.ts).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub requested: usize,
    pub profiles: usize,
    pub failures: usize,
    pub requests: usize,
    pub retries: usize,
    pub elapsed_ms: f64,
}

/// `Progress` (js/shell/types.d.ts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    pub requests: usize,
    pub retries: usize,
}

/// What one finished request settled (for `onBatch`; empty unless it was given).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BatchEvent {
    pub profiles: Vec<Profile>,
    pub failures: Vec<Failure>,
    /// A listing's page: where the next page starts (none on the last).
    pub cursor: Option<String>,
}

/// One request's results as `onBatch` receives them: the event and the call's counters.
pub struct BatchReport {
    pub event: BatchEvent,
    pub stats: Stats,
}

/// What finished since the last report, for `onBatch` and `onProgress`.
pub struct Report {
    /// Each request's results, when asked for.
    pub batches: Option<Vec<BatchReport>>,
    pub progress: Progress,
}

/// `BatchResult` (js/shell/types.d.ts).
#[derive(Clone, Debug, PartialEq)]
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

/// What the shell is to do next.
#[derive(Debug)]
pub enum Output {
    Send(Outgoing),
    /// Nothing to do before this time, unless something is handed in first.
    WaitUntil(f64),
    /// Only an answer to this call can move it on.
    WaitForResponses,
    /// Other calls of the same client hold every concurrency slot.
    WaitForCapacity,
    /// The call takes up to this many more ids from its input (an iterable) before it goes
    /// on: hand them in with [`Input::Ids`].
    NeedIds(usize),
    /// [`Call::outcome`] is ready.
    Finished,
    /// The call must reject with this error (auth failure, unusable signer output).
    Failed(ProfileError),
}

/// What happened, for [`Call::handle`].
#[derive(Debug)]
pub enum Input<'a> {
    /// Request `request_id` was answered.
    Response {
        request_id: u64,
        response: &'a HttpResponse,
    },
    /// Request `request_id` got no answer.
    Transport {
        request_id: u64,
        error: TransportError,
        message: &'a str,
    },
    /// Request `request_id` left only now: it waited for a shared limiter's permit.
    Departed { request_id: u64 },
    /// More ids from the call's input; `ended`: there are no more.
    Ids { ids: Vec<String>, ended: bool },
    /// The call must end with this error (an unusable signature from the user's signer).
    Fatal(ProfileError),
    /// The call was aborted: the requests in flight are given up, their answers ignored.
    Abandoned,
}

/// The longest a request waits for a shared limiter's permit: well past any queue a working
/// limiter builds, so only one that hangs meets it.
pub const LIMITER_WAIT_MS: f64 = 60_000.0;

/// What a host that does not need the type of a call's outcome drives (the wasm shell): a
/// [`Call`] of any [`Work`], its outcome as JSON.
pub trait DynCall {
    fn poll(&mut self, now: f64, session: &mut Session) -> Output;
    fn handle(&mut self, input: Input, now: f64, session: &mut Session);
    fn ended(&mut self, request_id: u64, ended: Ended, now: f64, session: &mut Session);
    fn report(&mut self, now: f64, batches: bool) -> Option<Report>;
    fn collected(&mut self) -> Option<Tape>;
    fn outcome(&mut self, now: f64) -> OutcomeParts;
}

impl<W: Work> DynCall for Call<W>
where
    W::Outcome: Outcome,
{
    fn poll(&mut self, now: f64, session: &mut Session) -> Output {
        Call::poll(self, now, session)
    }
    fn handle(&mut self, input: Input, now: f64, session: &mut Session) {
        Call::handle(self, input, now, session)
    }
    fn ended(&mut self, request_id: u64, ended: Ended, now: f64, session: &mut Session) {
        Call::ended(self, request_id, ended, now, session)
    }
    fn report(&mut self, now: f64, batches: bool) -> Option<Report> {
        Call::report(self, now, batches)
    }
    fn collected(&mut self) -> Option<Tape> {
        Call::collected(self)
    }
    fn outcome(&mut self, now: f64) -> OutcomeParts {
        Call::outcome(self, now).into_parts()
    }
}

/// The most items of a list in one part of an [`OutcomeParts`].
pub const PART_ITEMS: usize = 1000;

/// An outcome on tapes a part at a time: no one string holds a whole call's results, which
/// for a large call would pass the longest string JS can hold (about 2^29 characters).
pub struct OutcomeParts {
    /// The outcome with its lists empty.
    pub head: Tape,
    /// The lists' items, in order: the key of the list, and an array of at most
    /// [`PART_ITEMS`] of its items. Each is made only when asked for.
    pub parts: Parts,
}

/// The lists of an outcome, written out a part at a time, each item dropped once it is
/// written. A struct of its own, not a `Box<dyn Iterator>`: that vtable brought `nth`,
/// `size_hint` and `advance_by` of the chain of two lists into every build.
pub struct Parts {
    profiles: std::vec::IntoIter<Profile>,
    failures: std::vec::IntoIter<Failure>,
}

impl Parts {
    fn new(profiles: Vec<Profile>, failures: Vec<Failure>) -> Self {
        Parts {
            profiles: profiles.into_iter(),
            failures: failures.into_iter(),
        }
    }
}

impl Iterator for Parts {
    type Item = (&'static str, Tape);

    fn next(&mut self) -> Option<Self::Item> {
        if self.profiles.len() > 0 {
            Some(("profiles", part(&mut self.profiles)))
        } else if self.failures.len() > 0 {
            Some(("failures", part(&mut self.failures)))
        } else {
            None
        }
    }
}

/// The next [`PART_ITEMS`] of `items` (or the rest), as an array.
fn part<T: ToTape>(items: &mut std::vec::IntoIter<T>) -> Tape {
    let mut tape = Tape::default();
    tape.array(items.len().min(PART_ITEMS));
    for item in items.take(PART_ITEMS) {
        item.write_tape(&mut tape);
    }
    tape
}

/// What a call resolves with, written out in [`OutcomeParts`].
pub trait Outcome {
    fn into_parts(self) -> OutcomeParts;
}

impl Outcome for BatchResult {
    fn into_parts(self) -> OutcomeParts {
        let BatchResult {
            profiles,
            failures,
            stats,
        } = self;
        let empty = BatchResult {
            profiles: Vec::new(),
            failures: Vec::new(),
            stats,
        };
        OutcomeParts {
            head: to_tape(&empty),
            parts: Parts::new(profiles, failures),
        }
    }
}

impl Outcome for Listed {
    fn into_parts(self) -> OutcomeParts {
        match self {
            Listed::All(result) => result.into_parts(),
            Listed::Page(PageResult { profiles, cursor }) => {
                let empty = PageResult {
                    profiles: Vec::new(),
                    cursor,
                };
                OutcomeParts {
                    head: to_tape(&empty),
                    parts: Parts::new(profiles, Vec::new()),
                }
            }
        }
    }
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

    fn blame(self) -> Blame {
        match self {
            TransportError::NoPermit => Blame::NotSent,
            _ => Blame::Vendor {
                retry_after_ms: None,
            },
        }
    }
}

/// What a [`Work`] may touch while it takes an answer in: the time, the vendor, the
/// scheduler (retry budget, backoff), the randomness, the counters and the events.
pub struct Step<'a> {
    pub now: f64,
    pub vendor: &'a dyn Vendor,
    pub scheduler: &'a mut Scheduler,
    pub rng: &'a mut Rng,
    pub stats: &'a mut Stats,
    pub events: &'a mut Vec<BatchEvent>,
}

/// The part of a call that differs between kinds: see the module documentation.
pub trait Work {
    /// What a request carries, handed back with its answer (its ids and their attempt).
    type Carried;
    /// What a good answer holds.
    type Parsed;
    /// What the call resolves with.
    type Outcome;

    /// How many ids the call asks for at the start.
    fn planned(&self) -> usize;
    fn include_raw(&self) -> bool;
    /// Before each poll: lets waits that are over end.
    fn tick(&mut self, now: f64) {
        let _ = now;
    }
    /// What to wait for when there is nothing to send now; `None` when a request is ready.
    fn idle(&self, now: f64, in_flight: bool) -> Option<Output>;
    /// Whether something is waiting to be sent that [`Work::fail_waiting`] would fail.
    fn has_waiting(&self, now: f64, in_flight: bool) -> bool;
    /// Nothing waiting can be sent (the breaker is open, no credential could be had). `Err`
    /// ends the call.
    fn fail_waiting(&mut self, error: &ProfileError, step: &mut Step) -> Result<(), ProfileError>;
    /// The next request (there is one: [`Work::idle`] said so), and the attempt it is.
    fn build(
        &mut self,
        vendor: &dyn Vendor,
        ctx: RequestContext,
    ) -> (PreparedRequest, Self::Carried, u32);
    fn attempt(carried: &Self::Carried) -> u32;
    fn parse(
        &self,
        vendor: &dyn Vendor,
        carried: &Self::Carried,
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> Answer<Self::Parsed>;
    fn accept(&mut self, carried: Self::Carried, parsed: Self::Parsed, step: &mut Step);
    /// The request failed and goes again, not before `at`.
    fn retry(&mut self, carried: Self::Carried, at: f64);
    /// The request failed for good. `Err` ends the call.
    fn give_up(
        &mut self,
        carried: Self::Carried,
        error: ProfileError,
        step: &mut Step,
    ) -> Result<(), ProfileError>;
    /// Its credential was refused and a fresh one is coming: send it again first.
    fn resend(&mut self, carried: Self::Carried);
    /// More ids from the call's input ([`Output::NeedIds`]); `ended`: there are no more.
    fn take_ids(&mut self, ids: Vec<String>, ended: bool, step: &mut Step) {
        let _ = (ids, ended, step);
    }
    /// A request (not a credential fetch) ended, however.
    fn request_ended(&mut self, step: &mut Step) {
        let _ = step;
    }
    fn progress(&self, stats: &Stats) -> Progress;
    /// What was collected for the outcome since the last time, handed over (on a tape:
    /// [`Collected`]) so that the shell keeps a call's results and wasm memory does not grow
    /// with them; `None` when nothing was. What is not taken stays for [`Work::outcome`].
    fn collected(&mut self) -> Option<Tape> {
        None
    }
    fn outcome(&mut self, stats: Stats) -> Self::Outcome;
}

/// Results collected for a call's outcome, each with its place in the outcome's order (the
/// position of its id among the call's distinct ids): the shell puts them in that order.
pub struct Collected<'a> {
    pub profiles: &'a [(usize, Profile)],
    pub failures: &'a [(usize, Failure)],
}

impl ToTape for Collected<'_> {
    /// `{profiles, profileAt, failures, failureAt}`, written straight onto one tape: this is
    /// most of what a call writes.
    fn write_tape(&self, tape: &mut Tape) {
        let (profiles, failures) = (self.profiles, self.failures);
        tape.object(4);
        known(tape, Word::Profiles);
        tape.array(profiles.len());
        for (_, profile) in profiles {
            profile.write_tape(tape);
        }
        known(tape, Word::ProfileAt);
        tape.array(profiles.len());
        for (at, _) in profiles {
            tape.number(*at as f64);
        }
        known(tape, Word::Failures);
        tape.array(failures.len());
        for (_, failure) in failures {
            failure.write_tape(tape);
        }
        known(tape, Word::FailureAt);
        tape.array(failures.len());
        for (at, _) in failures {
            tape.number(*at as f64);
        }
    }
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
        crate::hash_index::mix(self.0)
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

/// What one response means for the `ids` its request asked for (`client.parseResponse`):
/// every id once, as a profile or a failure, nothing sent and nothing retried.
pub fn parse_one(
    vendor: &dyn Vendor,
    ids: &[String],
    response: &HttpResponse,
    ctx: &ParseContext,
) -> Result<BatchEvent, ProfileError> {
    let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
    let (profiles, failures) = vendor
        .parse_response(&asked, response, ctx)
        .settle_all(&asked)?;
    Ok(BatchEvent {
        profiles,
        failures,
        cursor: None,
    })
}

/// One call: a [`Work`] and everything both kinds of call share.
pub struct Call<W: Work> {
    work: W,
    vendor: Rc<dyn Vendor>,
    in_flight: Flights<W::Carried>,
    rng: Rng,
    stats: Stats,
    started_at: Option<f64>,
    fatal: Option<ProfileError>,
    events: Vec<BatchEvent>,
}

impl<W: Work> Call<W> {
    pub fn new(vendor: Rc<dyn Vendor>, work: W, seed: u64) -> Self {
        let stats = Stats {
            requested: work.planned(),
            ..Stats::default()
        };
        Call {
            work,
            vendor,
            in_flight: Flights::default(),
            rng: Rng::new(seed),
            stats,
            started_at: None,
            fatal: None,
            events: Vec::new(),
        }
    }

    pub fn vendor(&self) -> &dyn Vendor {
        self.vendor.as_ref()
    }

    /// What to do next.
    pub fn poll(&mut self, now: f64, session: &mut Session) -> Output {
        self.started_at.get_or_insert(now);
        if let Some(error) = &self.fatal {
            return Output::Failed(error.clone());
        }
        self.work.tick(now);
        let in_flight = !self.in_flight.is_empty();
        if let Circuit::Open(error) = session.scheduler.circuit(now) {
            if self.work.has_waiting(now, in_flight) {
                self.fail_waiting(&error, now, session);
                if let Some(error) = &self.fatal {
                    return Output::Failed(error.clone());
                }
            }
        }
        if let Some(idle) = self.work.idle(now, in_flight) {
            return idle;
        }
        let waiting = if in_flight {
            Output::WaitForResponses
        } else {
            Output::WaitForCapacity
        };
        match session.scheduler.gate(now) {
            Gate::Open => match self.vendor.credential_step(&mut session.credentials, now) {
                CredentialStep::Ready => self.send(now, session),
                CredentialStep::Fetch(mut prepared) => {
                    let request_id = self.in_flight.send_credential_fetch(
                        &mut prepared,
                        now,
                        &mut session.scheduler,
                    );
                    Output::Send(Outgoing {
                        request_id,
                        prepared,
                    })
                }
                CredentialStep::WaitUntil(at) => Output::WaitUntil(at),
                // Another call of this client is fetching it: its completion wakes us.
                CredentialStep::Wait => waiting,
            },
            Gate::OpensAt(at) => Output::WaitUntil(at),
            Gate::Full => waiting,
        }
    }

    /// Takes in what happened at `now`. Answers to requests this call no longer tracks (it
    /// was aborted, or failed) are ignored.
    pub fn handle(&mut self, input: Input, now: f64, session: &mut Session) {
        match input {
            Input::Response {
                request_id,
                response,
            } => self.on_response(request_id, response, now, session),
            Input::Transport {
                request_id,
                error,
                message,
            } => {
                let Some(flight) =
                    self.in_flight
                        .take(request_id, now, false, &mut session.scheduler)
                else {
                    return;
                };
                let Some(carried) = flight.payload else {
                    self.credential_outcome(None, now, session);
                    return;
                };
                let failure = error.error(message, self.vendor.key());
                let blame = error.blame();
                self.request_failed(flight.host, carried, failure, blame, now, session);
                self.request_ended(now, session);
            }
            Input::Departed { request_id } => {
                self.in_flight
                    .departed(request_id, now, &mut session.scheduler)
            }
            Input::Ids { ids, ended } => {
                let (work, mut step) = self.step(now, &mut session.scheduler);
                work.take_ids(ids, ended, &mut step);
            }
            Input::Fatal(error) => self.fail(error, now, session),
            Input::Abandoned => self
                .in_flight
                .abandon_all(now, session, self.vendor.as_ref()),
        }
    }

    /// `why` request `request_id` failed, with every secret blanked out: the configured ones
    /// and those the request alone carried (a UserSig, a token).
    fn redact(&self, request_id: u64, why: &str) -> String {
        let mut secrets = self.vendor.secrets();
        secrets.extend(
            self.in_flight
                .carried_secrets(request_id)
                .iter()
                .map(String::as_str),
        );
        redact(why, &secrets)
    }

    /// Takes in how request `request_id` ended at `now`, as [`Ended`] says it.
    pub fn ended(&mut self, request_id: u64, ended: Ended, now: f64, session: &mut Session) {
        let common = self.vendor.common();
        let (error, message) = match ended {
            Ended::Response {
                status,
                headers,
                body,
            } => {
                let response = HttpResponse::from_bytes(status, headers, body);
                let input = Input::Response {
                    request_id,
                    response: &response,
                };
                return self.handle(input, now, session);
            }
            Ended::NoFetch => {
                let error = ProfileError::invalid_config(
                    "there is no global fetch here; pass one as config.fetch",
                );
                return self.handle(Input::Fatal(error), now, session);
            }
            Ended::TimedOut => (
                TransportError::Timeout,
                format!(
                    "no complete response within timeoutMs ({} ms)",
                    common.timeout_ms
                ),
            ),
            Ended::TooLarge => (
                TransportError::TooLarge,
                format!(
                    "the response is larger than maxResponseBytes ({} bytes)",
                    common.max_response_bytes
                ),
            ),
            // Only the error's type: the signer may hold secrets this client never saw.
            Ended::SignerThrew(kind) => (
                TransportError::Network,
                format!("config.signer threw {kind}"),
            ),
            Ended::PermitTimedOut => (
                TransportError::NoPermit,
                format!(
                    "config.limiter granted no permit within {} ms",
                    LIMITER_WAIT_MS as u32
                ),
            ),
            Ended::NoPermit(why) => (
                TransportError::NoPermit,
                format!(
                    "config.limiter.acquire failed: {}",
                    self.redact(request_id, &why)
                ),
            ),
            Ended::Network(why) => (
                TransportError::Network,
                format!("network error: {}", self.redact(request_id, &why)),
            ),
        };
        let input = Input::Transport {
            request_id,
            error,
            message: &message,
        };
        self.handle(input, now, session);
    }

    pub fn progress(&self) -> Progress {
        self.work.progress(&self.stats)
    }

    /// The counters so far, `elapsedMs` measured up to `now`.
    pub fn stats(&self, now: f64) -> Stats {
        Stats {
            elapsed_ms: now - self.started_at.unwrap_or(now),
            ..self.stats
        }
    }

    /// Events of requests finished since the last call.
    pub fn take_events(&mut self) -> Vec<BatchEvent> {
        std::mem::take(&mut self.events)
    }

    /// What finished since the last report (each request's results when `batches`), or
    /// `None` when nothing did.
    pub fn report(&mut self, now: f64, batches: bool) -> Option<Report> {
        let events = self.take_events();
        if events.is_empty() {
            return None;
        }
        let stats = self.stats(now);
        let batches = batches.then(|| {
            events
                .into_iter()
                .map(|event| BatchReport { event, stats })
                .collect()
        });
        Some(Report {
            batches,
            progress: self.progress(),
        })
    }

    /// What was collected for the outcome since the last time ([`Work::collected`]).
    pub fn collected(&mut self) -> Option<Tape> {
        self.work.collected()
    }

    /// The result, once [`Output::Finished`] was returned.
    pub fn outcome(&mut self, now: f64) -> W::Outcome {
        let stats = self.stats(now);
        self.work.outcome(stats)
    }

    fn step<'a>(&'a mut self, now: f64, scheduler: &'a mut Scheduler) -> (&'a mut W, Step<'a>) {
        (
            &mut self.work,
            Step {
                now,
                vendor: self.vendor.as_ref(),
                scheduler,
                rng: &mut self.rng,
                stats: &mut self.stats,
                events: &mut self.events,
            },
        )
    }

    fn fail(&mut self, error: ProfileError, now: f64, session: &mut Session) {
        self.fatal.get_or_insert(error);
        self.in_flight
            .abandon_all(now, session, self.vendor.as_ref());
    }

    fn fail_waiting(&mut self, error: &ProfileError, now: f64, session: &mut Session) {
        let (work, mut step) = self.step(now, &mut session.scheduler);
        if let Err(error) = work.fail_waiting(error, &mut step) {
            self.fail(error, now, session);
        }
    }

    fn request_ended(&mut self, now: f64, session: &mut Session) {
        let (work, mut step) = self.step(now, &mut session.scheduler);
        work.request_ended(&mut step);
    }

    fn send(&mut self, now: f64, session: &mut Session) -> Output {
        if let Some(error) = self.vendor.credential_error(now) {
            self.fail(error, now, session);
            return Output::Failed(self.fatal.clone().expect("just failed"));
        }
        let scheduler = &session.scheduler;
        let host = scheduler.hosts.active();
        let ctx = RequestContext {
            now_ms: now,
            nonce: self.rng.nonce(),
            random: (self.rng.next_u64() >> 32) as u32,
            base_url: scheduler.hosts.url(host),
            fields: None,
            credential: session.credentials.held(),
        };
        let (mut prepared, carried, attempt) = self.work.build(self.vendor.as_ref(), ctx);
        let request_id = self
            .in_flight
            .send(&mut prepared, carried, now, &mut session.scheduler);
        self.stats.requests += 1;
        if attempt > 0 {
            self.stats.retries += 1;
        }
        Output::Send(Outgoing {
            request_id,
            prepared,
        })
    }

    fn on_response(
        &mut self,
        request_id: u64,
        response: &HttpResponse,
        now: f64,
        session: &mut Session,
    ) {
        let Some(flight) = self
            .in_flight
            .take(request_id, now, true, &mut session.scheduler)
        else {
            return;
        };
        let Some(carried) = flight.payload else {
            self.credential_outcome(Some(response), now, session);
            return;
        };
        let ctx = ParseContext {
            now_ms: now,
            include_raw: self.work.include_raw(),
        };
        let answer = self
            .work
            .parse(self.vendor.as_ref(), &carried, response, &ctx);
        match answer {
            Answer::Parsed(parsed) => {
                let retried = W::attempt(&carried) > 0;
                session.scheduler.on_request_succeeded(retried, now);
                let (work, mut step) = self.step(now, &mut session.scheduler);
                work.accept(carried, parsed, &mut step);
            }
            Answer::Failed {
                error,
                retry_after_ms,
            } => {
                let blame = Blame::Vendor { retry_after_ms };
                self.request_failed(flight.host, carried, error, blame, now, session);
            }
            Answer::CredentialRejected(error) => {
                session.scheduler.on_request_neutral();
                let generation = flight.credential_generation;
                if self
                    .vendor
                    .credential_rejected(&mut session.credentials, generation)
                {
                    self.work.resend(carried);
                } else {
                    self.fail(error, now, session);
                }
            }
        }
        self.request_ended(now, session);
    }

    /// The credential fetch ended (`None`: without a response). A refusal ends the call; a
    /// failure worth retrying waits for the vendor's backoff; any other leaves what is
    /// waiting without a credential.
    fn credential_outcome(
        &mut self,
        response: Option<&HttpResponse>,
        now: f64,
        session: &mut Session,
    ) {
        session.scheduler.on_request_neutral();
        let outcome = self
            .vendor
            .on_credential_response(&mut session.credentials, response, now);
        match outcome {
            Ok(()) => {}
            Err(error) if error.retryable => {}
            Err(error) if error.code == ErrorCode::AuthFailed => self.fail(error, now, session),
            Err(error) => self.fail_waiting(&error, now, session),
        }
    }

    fn request_failed(
        &mut self,
        host: usize,
        carried: W::Carried,
        error: ProfileError,
        blame: Blame,
        now: f64,
        session: &mut Session,
    ) {
        if error.code == ErrorCode::AuthFailed {
            self.fail(error, now, session);
            return;
        }
        // Honour the vendor's pacing for the whole client, retried or not.
        let scheduler = &mut session.scheduler;
        let pause = scheduler.on_request_failed(&error, blame, host, now);
        let mut error = error;
        let attempt = W::attempt(&carried);
        let retries = self.vendor.common().retries;
        let rng = &mut self.rng;
        match scheduler.retry_at(&mut error, attempt, retries, pause, || rng.unit(), now) {
            Some(at) => self.work.retry(carried, at),
            None => {
                let (work, mut step) = self.step(now, &mut session.scheduler);
                if let Err(error) = work.give_up(carried, error, &mut step) {
                    self.fail(error, now, session);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::model::write::read_tape;
    use crate::model::{ErrorCode, Failure, VendorKey};

    /// Puts an outcome's parts back together, as the shell does.
    fn assemble(parts: OutcomeParts) -> (Value, usize) {
        let mut whole = read_tape(&parts.head);
        let mut count = 0;
        for (key, part) in parts.parts {
            let Value::Array(items) = read_tape(&part) else {
                panic!("a part is an array")
            };
            assert!(items.len() <= PART_ITEMS);
            whole[key].as_array_mut().unwrap().extend(items);
            count += 1;
        }
        (whole, count)
    }

    #[test]
    fn an_outcome_in_parts_is_the_outcome() {
        let result = BatchResult {
            profiles: (0..2500)
                .map(|i| Profile::new(VendorKey::RongCloud, format!("u{i}")))
                .collect(),
            failures: vec![Failure::new("x", ErrorCode::NotFound, "no such user")],
            stats: Stats {
                requested: 2501,
                ..Stats::default()
            },
        };
        let expected = read_tape(&to_tape(&result));
        let (whole, parts) = assemble(result.into_parts());
        assert_eq!(whole, expected);
        assert_eq!(parts, 4, "three of profiles, one of failures");

        let page = Listed::Page(PageResult {
            profiles: Vec::new(),
            cursor: Some("c".into()),
        });
        let expected = read_tape(&to_tape(&page));
        assert_eq!(assemble(page.into_parts()), (expected, 0));
    }
}

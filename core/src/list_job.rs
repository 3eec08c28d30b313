//! A listing call (`listProfiles` / `listAllProfiles`) as a pure state machine: pages are
//! fetched one after another — each needs the cursor of the one before — through the same
//! scheduler, credential handling and retry rules as [`crate::job::BatchJob`].

use std::rc::Rc;

use serde::Serialize;

use crate::error::{ErrorCode, ProfileError};
use crate::flights::{Flight, Flights};
use crate::http::HttpResponse;
use crate::job::{
    Action, BatchEvent, BatchResult, Job, JobOutcome, Outgoing, Progress, Rng, Stats,
    TransportError,
};
use crate::profile::Profile;
use crate::scheduler::{Blame, Circuit, Gate, Scheduler};
use crate::vendors::{
    CredentialStep, Listing, PageOutcome, ParseContext, PreparedRequest, RequestContext, Vendor,
};

#[derive(Clone, Debug)]
pub struct ListOptions {
    pub page_size: u32,
    /// Where to start (`listProfiles({cursor})`).
    pub cursor: Option<String>,
    /// Stop after one page (`listProfiles`), else follow the cursor to the end.
    pub single_page: bool,
    /// Stop once this many profiles are listed.
    pub max: Option<usize>,
    pub include_raw: bool,
    pub collect: bool,
    pub emit_batches: bool,
}

/// `listProfiles` (js/types.d.ts) result: one page and where the next one starts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PageResult {
    pub profiles: Vec<Profile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A listing ends after this many empty pages in a row, whatever their cursors say.
pub const MAX_EMPTY_PAGES_IN_A_ROW: u32 = 3;

pub struct ListJob {
    vendor: Rc<dyn Vendor>,
    options: ListOptions,
    /// The cursor of the next page; `None` after the first page means the end.
    cursor: Option<String>,
    more: bool,
    attempt: u32,
    not_before: f64,
    /// At most one: each page needs the cursor of the one before.
    in_flight: Flights<()>,
    profiles: Vec<Profile>,
    listed: usize,
    /// Pages in a row that listed nobody while the cursor moved on.
    empty_pages: u32,
    rng: Rng,
    stats: Stats,
    started_at: Option<f64>,
    fatal: Option<ProfileError>,
    events: Vec<BatchEvent>,
}

impl ListJob {
    /// Checks that the vendor lists users and that `page_size` fits.
    pub fn new(
        vendor: Rc<dyn Vendor>,
        options: ListOptions,
        seed: u64,
    ) -> Result<Self, ProfileError> {
        let key = vendor.key();
        let listing = vendor.listing().ok_or_else(|| {
            ProfileError::new(
                ErrorCode::Unsupported,
                format!(
                    "{} has no user listing endpoint; use getProfiles",
                    key.as_str()
                ),
            )
            .with_vendor(key)
        })?;
        let max = listing.max_page_size();
        if !(1..=max).contains(&options.page_size) {
            return Err(ProfileError::invalid_input(format!(
                "options.pageSize must be a whole number from 1 to {max}"
            ))
            .with_vendor(key));
        }
        let more = options.max != Some(0);
        Ok(ListJob {
            cursor: options.cursor.clone(),
            vendor,
            options,
            more,
            attempt: 0,
            not_before: 0.0,
            in_flight: Flights::default(),
            profiles: Vec::new(),
            listed: 0,
            empty_pages: 0,
            rng: Rng::new(seed),
            stats: Stats::default(),
            started_at: None,
            fatal: None,
            events: Vec::new(),
        })
    }

    fn listing(&self) -> &dyn Listing {
        self.vendor.listing().expect("checked in ListJob::new")
    }

    fn send(
        &mut self,
        now: f64,
        scheduler: &mut Scheduler,
        prepared: Option<PreparedRequest>,
    ) -> Action {
        let fetches_credential = prepared.is_some();
        let host = scheduler.hosts.active();
        let prepared = match prepared {
            Some(credential_request) => credential_request,
            None => {
                let remaining = self.options.max.map(|m| m - self.listed);
                let page_size = remaining.map_or(self.options.page_size, |r| {
                    self.options
                        .page_size
                        .min(u32::try_from(r).unwrap_or(u32::MAX))
                });
                let ctx = RequestContext {
                    now_ms: now,
                    nonce: self.rng.nonce(),
                    random: (self.rng.next_u64() >> 32) as u32,
                    base_url: scheduler.hosts.url(host),
                    fields: None,
                };
                let prepared =
                    self.listing()
                        .build_page_request(page_size, self.cursor.as_deref(), &ctx);
                self.stats.requests += 1;
                if self.attempt > 0 {
                    self.stats.retries += 1;
                }
                prepared
            }
        };
        let request_id = self
            .in_flight
            .send(&prepared, fetches_credential, (), now, scheduler);
        Action::Send(Outgoing {
            request_id,
            prepared,
        })
    }

    fn credential_outcome(
        &mut self,
        response: Option<&HttpResponse>,
        now: f64,
        scheduler: &mut Scheduler,
    ) {
        scheduler.on_request_neutral();
        if let Err(error) = self.vendor.on_credential_response(response, now) {
            if !error.retryable {
                self.fail(error, now, scheduler);
            }
        }
    }

    fn page_failed(
        &mut self,
        flight: Flight<()>,
        error: ProfileError,
        blame: Blame,
        now: f64,
        scheduler: &mut Scheduler,
    ) {
        let pause = scheduler.on_request_failed(&error, blame, flight.host, now);
        let mut error = error;
        let retries = self.vendor.common().retries;
        let rng = &mut self.rng;
        match scheduler.retry_at(&mut error, self.attempt, retries, pause, || rng.unit(), now) {
            Some(at) => {
                self.attempt += 1;
                self.not_before = at;
            }
            // Without this page there is no cursor to go on from: the call fails.
            None => self.fail(error, now, scheduler),
        }
    }

    fn page_arrived(&mut self, mut profiles: Vec<Profile>, cursor: Option<String>) {
        self.attempt = 0;
        self.empty_pages = if profiles.is_empty() {
            self.empty_pages + 1
        } else {
            0
        };
        if let Some(max) = self.options.max {
            profiles.truncate(max - self.listed);
        }
        self.listed += profiles.len();
        self.stats.requested += profiles.len();
        self.stats.profiles += profiles.len();
        // A cursor that does not move would list the same page forever.
        let stuck = cursor.is_some() && cursor == self.cursor;
        // A vendor that keeps handing out new cursors with nothing behind them would keep a
        // listing going for ever (and a `max` never reached).
        let barren = self.empty_pages >= MAX_EMPTY_PAGES_IN_A_ROW;
        self.more = cursor.is_some()
            && !stuck
            && !barren
            && !self.options.single_page
            && self.options.max.map_or(true, |max| self.listed < max);
        self.cursor = cursor;
        if self.options.emit_batches {
            self.events.push(BatchEvent {
                profiles: profiles.clone(),
                failures: Vec::new(),
            });
        } else {
            self.events.push(BatchEvent::default());
        }
        if self.options.collect || self.options.single_page {
            self.profiles.extend(profiles);
        }
    }
}

impl Job for ListJob {
    fn poll(&mut self, now: f64, scheduler: &mut Scheduler) -> Action {
        self.started_at.get_or_insert(now);
        if let Some(error) = &self.fatal {
            return Action::Failed(error.clone());
        }
        if !self.in_flight.is_empty() {
            return Action::WaitForResponses;
        }
        if !self.more {
            return Action::Finished;
        }
        if let Circuit::Open(error) = scheduler.circuit(now) {
            self.fail(error, now, scheduler);
            return Action::Failed(self.fatal.clone().expect("just failed"));
        }
        if now < self.not_before {
            return Action::WaitUntil(self.not_before);
        }
        match scheduler.gate(now) {
            Gate::Open => match self.vendor.credential_step(now) {
                CredentialStep::Ready => self.send(now, scheduler, None),
                CredentialStep::Fetch(prepared) => self.send(now, scheduler, Some(prepared)),
                CredentialStep::WaitUntil(at) => Action::WaitUntil(at),
                CredentialStep::Wait => Action::WaitForCapacity,
            },
            Gate::OpensAt(at) => Action::WaitUntil(at),
            Gate::Full => Action::WaitForCapacity,
        }
    }

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
        let ctx = ParseContext {
            now_ms: now,
            include_raw: self.options.include_raw,
        };
        match self.listing().parse_page_response(response, &ctx) {
            PageOutcome::Page(page) => {
                scheduler.on_request_succeeded(self.attempt > 0, now);
                self.page_arrived(page.profiles, page.cursor)
            }
            PageOutcome::Failed {
                error,
                retry_after_ms,
            } => {
                let blame = Blame::Vendor { retry_after_ms };
                self.page_failed(flight, error, blame, now, scheduler)
            }
            PageOutcome::CredentialRejected(error) => {
                scheduler.on_request_neutral();
                if !self
                    .vendor
                    .credential_rejected(flight.credential_generation)
                {
                    self.fail(error, now, scheduler);
                }
            }
        }
    }

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
        self.page_failed(flight, error, kind.blame(), now, scheduler);
    }

    fn fail(&mut self, error: ProfileError, now: f64, scheduler: &mut Scheduler) {
        self.fatal.get_or_insert(error);
        self.release(now, scheduler);
    }

    fn on_departure(&mut self, request_id: u64, now: f64, scheduler: &mut Scheduler) {
        self.in_flight.departed(request_id, now, scheduler);
    }

    fn release(&mut self, now: f64, scheduler: &mut Scheduler) {
        self.in_flight
            .abandon_all(now, scheduler, self.vendor.as_ref());
    }

    fn progress(&self) -> Progress {
        Progress {
            done: self.listed,
            total: self.options.max.unwrap_or(self.listed).max(self.listed),
            failed: 0,
            requests: self.stats.requests,
            retries: self.stats.retries,
        }
    }

    fn stats(&self, now: f64) -> Stats {
        Stats {
            elapsed_ms: now - self.started_at.unwrap_or(now),
            ..self.stats
        }
    }

    fn take_events(&mut self) -> Vec<BatchEvent> {
        std::mem::take(&mut self.events)
    }

    fn outcome(&mut self, now: f64) -> JobOutcome {
        let profiles = std::mem::take(&mut self.profiles);
        if self.options.single_page {
            return JobOutcome::Page(PageResult {
                profiles,
                cursor: self.cursor.take(),
            });
        }
        JobOutcome::Batch(BatchResult {
            profiles,
            failures: Vec::new(),
            stats: self.stats(now),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::{json, Map, Value};

    use super::*;
    use crate::config::ConfigInput;
    use crate::vendors::easemob::Easemob;

    fn easemob() -> Rc<dyn Vendor> {
        let values: Map<String, Value> = serde_json::from_str(
            r#"{"orgName":"o","appName":"a","baseUrl":"https://h.test","token":"t"}"#,
        )
        .unwrap();
        let functions = BTreeSet::new();
        Rc::new(Easemob::from_config(&ConfigInput::new(&values, &functions)).unwrap())
    }

    fn options(page_size: u32, max: Option<usize>) -> ListOptions {
        ListOptions {
            page_size,
            cursor: None,
            single_page: false,
            max,
            include_raw: false,
            collect: true,
            emit_batches: false,
        }
    }

    /// Lists `total` users through `serve(request url) -> response`, on a simulated clock.
    fn run(
        options: ListOptions,
        serve: impl Fn(&str) -> HttpResponse,
    ) -> (Result<JobOutcome, ProfileError>, Vec<String>) {
        let vendor = easemob();
        let mut scheduler = Scheduler::new(100.0, Some(8), vendor.base_urls());
        let mut job = ListJob::new(vendor, options, 1).unwrap();
        let mut now = 0.0;
        let mut urls = Vec::new();
        for _ in 0..10_000 {
            match job.poll(now, &mut scheduler) {
                Action::Send(out) => {
                    urls.push(out.prepared.http.url.clone());
                    now += 5.0;
                    job.on_response(
                        out.request_id,
                        now,
                        &serve(&out.prepared.http.url),
                        &mut scheduler,
                    );
                }
                Action::WaitUntil(at) => now = at.max(now),
                Action::Finished => return (Ok(job.outcome(now)), urls),
                Action::Failed(error) => return (Err(error), urls),
                other => panic!("{other:?}"),
            }
        }
        panic!("the listing did not finish");
    }

    /// A directory of `total` users u1..u{total}; the cursor is the offset.
    fn directory(total: usize) -> impl Fn(&str) -> HttpResponse {
        move |url: &str| {
            let query: Map<String, Value> = url
                .split_once('?')
                .unwrap()
                .1
                .split('&')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_owned(), Value::from(v))
                })
                .collect();
            let limit: usize = query["limit"].as_str().unwrap().parse().unwrap();
            let offset: usize = query
                .get("cursor")
                .map_or(0, |c| c.as_str().unwrap().parse().unwrap());
            let end = (offset + limit).min(total);
            let entities: Vec<Value> = (offset + 1..=end)
                .map(|n| json!({"username": format!("u{n}")}))
                .collect();
            let mut body = json!({"entities": entities});
            if end < total {
                body["cursor"] = end.to_string().into();
            }
            HttpResponse::new(200, body.to_string())
        }
    }

    fn ids(outcome: JobOutcome) -> Vec<String> {
        match outcome {
            JobOutcome::Batch(result) => result.profiles.into_iter().map(|p| p.id).collect(),
            JobOutcome::Page(page) => page.profiles.into_iter().map(|p| p.id).collect(),
        }
    }

    #[test]
    fn follows_the_cursor_to_the_end_in_order() {
        let (outcome, urls) = run(options(100, None), directory(250));
        let listed = ids(outcome.unwrap());
        assert_eq!(listed.len(), 250);
        assert_eq!(listed[0], "u1");
        assert_eq!(listed[249], "u250");
        assert_eq!(urls.len(), 3);
    }

    #[test]
    fn max_stops_early_and_asks_only_for_what_is_missing() {
        let (outcome, urls) = run(options(100, Some(150)), directory(1000));
        assert_eq!(ids(outcome.unwrap()).len(), 150);
        assert!(urls[1].contains("limit=50&cursor=100"), "{}", urls[1]);
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_listing() {
        let serve =
            |_: &str| HttpResponse::new(200, r#"{"entities":[{"username":"a"}],"cursor":"same"}"#);
        let (outcome, urls) = run(options(10, None), serve);
        assert_eq!(ids(outcome.unwrap()).len(), 2);
        assert_eq!(urls.len(), 2);
    }

    #[test]
    fn empty_pages_with_ever_new_cursors_end_the_listing() {
        let page = std::cell::Cell::new(0);
        let serve = |_: &str| {
            page.set(page.get() + 1);
            let body = format!(r#"{{"entities":[],"cursor":"c{}"}}"#, page.get());
            HttpResponse::new(200, body)
        };
        let mut at_most_ten = options(10, Some(10));
        at_most_ten.page_size = 10;
        let (outcome, urls) = run(at_most_ten, serve);
        assert_eq!(ids(outcome.unwrap()).len(), 0);
        assert_eq!(urls.len(), MAX_EMPTY_PAGES_IN_A_ROW as usize);
    }

    #[test]
    fn a_failing_page_is_retried_then_fails_the_call() {
        let flaky = std::cell::Cell::new(0);
        let serve = |url: &str| {
            flaky.set(flaky.get() + 1);
            if flaky.get() == 2 {
                HttpResponse::new(503, "")
            } else {
                directory(150)(url)
            }
        };
        let (outcome, urls) = run(options(100, None), serve);
        assert_eq!(ids(outcome.unwrap()).len(), 150);
        assert_eq!(urls.len(), 3, "the second page was asked twice");

        let (outcome, _) = run(options(100, None), |_| HttpResponse::new(500, ""));
        assert_eq!(outcome.unwrap_err().code, ErrorCode::VendorError);
    }

    #[test]
    fn single_pages_and_page_size_limits() {
        let mut one = options(10, None);
        one.single_page = true;
        one.cursor = Some("20".into());
        let (outcome, _) = run(one, directory(100));
        match outcome.unwrap() {
            JobOutcome::Page(page) => {
                assert_eq!(page.profiles[0].id, "u21");
                assert_eq!(page.cursor.as_deref(), Some("30"));
            }
            other => panic!("{other:?}"),
        }
        for bad in [0, 101] {
            let err = ListJob::new(easemob(), options(bad, None), 1)
                .err()
                .unwrap();
            assert_eq!(err.code, ErrorCode::InvalidInput);
        }
    }
}

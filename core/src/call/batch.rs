//! The work of a `getProfiles` call: ids planned into requests of the vendor's batch size,
//! per-id results, retries of what failed transiently.
//!
//! It owns the accounting rule: every distinct id ends exactly once, as a profile or a
//! failure. Ids are settled only through one method (`settle`), which ignores an id that is
//! already settled or that the answering request did not carry.

use std::collections::VecDeque;

use super::ids::IdTable;
use super::{Answer, BatchEvent, BatchResult, Collected, Output, Progress, Stats, Step, Work};
use crate::http::HttpResponse;
use crate::json::tape::{to_tape, Tape};
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
    /// Attempts so far per id: retries are at most 20 (core/src/config.rs), and a byte an
    /// id counts at a million ids.
    attempts: Vec<u8>,
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

    /// The most attempts any id of `indices` has had (`None` for no ids).
    fn most_attempts(&self, indices: &[usize]) -> Option<u32> {
        indices.iter().map(|&i| u32::from(self.attempts[i])).max()
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
        let attempt = self.most_attempts(&indices).unwrap_or(1);
        let at = step.now + step.scheduler.backoff.delay_ms(attempt, step.rng.unit());
        self.delayed.push(Delayed {
            at,
            indices,
            open_round: true,
        });
    }

    /// Where `id`, one of a request's ids (`indices`), sits in the call. Vendors answer in
    /// the order asked, so the search starts after the last id found (`cursor`): one look per
    /// answer, with no map of the request's ids to build for each answer.
    fn position(&self, indices: &[usize], id: &str, cursor: &mut usize) -> Option<usize> {
        let count = indices.len();
        let at = (0..count)
            .map(|k| (*cursor + k) % count)
            .find(|&k| self.ids.get(indices[k]) == id)?;
        *cursor = at + 1;
        Some(indices[at])
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
        let indices = self.ready.pop_front().expect("work ready");
        let attempt = self.most_attempts(&indices).unwrap_or(0);
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
        let indices = &carried.indices;
        let mut cursor = 0;
        for profile in parsed.profiles {
            if let Some(i) = self.position(indices, &profile.id, &mut cursor) {
                self.settle(i, Ok(profile), step.stats);
            }
        }
        for failure in parsed.failures {
            if let Some(i) = self.position(indices, &failure.id, &mut cursor) {
                self.settle(i, Err(failure), step.stats);
            }
        }
        let retries = step.vendor.common().retries;
        let mut again = Vec::new();
        for failure in parsed.transient {
            let Some(i) = self.position(indices, &failure.id, &mut cursor) else {
                continue;
            };
            if self.slots[i] != Slot::Pending {
                continue;
            }
            if u32::from(self.attempts[i]) < retries {
                self.attempts[i] += 1;
                again.push((i, failure));
            } else {
                self.settle(i, Err(failure), step.stats);
            }
        }
        let retried = |i: usize| again.iter().any(|&(j, _)| j == i);
        for &i in indices {
            if self.slots[i] == Slot::Pending && !retried(i) {
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
            self.attempts[i] = u8::try_from(carried.attempt + 1).unwrap_or(u8::MAX);
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
    fn collected(&mut self) -> Option<Tape> {
        if self.profiles.is_empty() && self.failures.is_empty() {
            return None;
        }
        let profiles = std::mem::take(&mut self.profiles);
        let failures = std::mem::take(&mut self.failures);
        let collected = Collected {
            profiles: &profiles,
            failures: &failures,
        };
        Some(to_tape(&collected))
    }

    fn outcome(&mut self, stats: Stats) -> BatchResult {
        let ids = self.slots.len();
        BatchResult {
            profiles: in_id_order(std::mem::take(&mut self.profiles), ids),
            failures: in_id_order(std::mem::take(&mut self.failures), ids),
            stats,
        }
    }
}

/// `settled` in the order of its ids' indices, each below `ids` and none twice (an id is
/// settled once). Placed by index rather than sorted: a comparison sort is two copies of
/// std's sorting code in every build, one per element type (BENCHMARKS.md). Nothing is
/// allocated when nothing is left: in the shell every result was taken as it came
/// ([`Work::collected`]), and a table of 4 bytes an id would grow wasm memory, which never
/// shrinks, by 4 MB a million ids at the end of every call.
fn in_id_order<T>(settled: Vec<(usize, T)>, ids: usize) -> Vec<T> {
    const NONE: u32 = u32::MAX;
    if settled.is_empty() {
        return Vec::new();
    }
    let mut at = vec![NONE; ids];
    for (k, (index, _)) in settled.iter().enumerate() {
        at[*index] = k as u32;
    }
    let mut settled: Vec<Option<T>> = settled.into_iter().map(|(_, t)| Some(t)).collect();
    at.into_iter()
        .filter(|&k| k != NONE)
        .filter_map(|k| settled[k as usize].take())
        .collect()
}

#[cfg(test)]
mod tests;

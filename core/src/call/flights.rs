//! The requests a call has sent and not yet heard back from: each holds a scheduler slot
//! until it ends, remembers the host it went to and the credential it carried, and, when the
//! call ends early, is given back without a verdict on the vendor.

use crate::scheduler::{Scheduler, SendTicket};
use crate::session::Session;
use crate::vendors::{PreparedRequest, Vendor};

pub struct Flight<T> {
    ticket: SendTicket,
    /// The host it went to, so a failure blames the right one.
    pub host: usize,
    /// The credential generation it carried, for [`Vendor::credential_rejected`].
    pub credential_generation: u64,
    /// What the call needs back with the answer (the ids it carried, their attempt); `None`
    /// for a fetch of the vendor's credential (a token).
    pub payload: Option<T>,
    /// The credentials it carries beyond the configured secrets (`PreparedRequest::redact`).
    redact: Vec<String>,
}

pub struct Flights<T> {
    next_id: u64,
    /// By request id. At most the scheduler's 256 requests out: a list, searched, where a hash
    /// map would be its own copy of the hashing code for each kind of call.
    open: Vec<(u64, Flight<T>)>,
}

impl<T> Default for Flights<T> {
    fn default() -> Self {
        Flights {
            next_id: 1,
            open: Vec::new(),
        }
    }
}

impl<T> Flights<T> {
    /// Records that `prepared` goes now to the scheduler's active host, keeping the
    /// credentials it carries (`redact`, taken out of it); returns its request id for the
    /// shell to report back with.
    pub fn send(
        &mut self,
        prepared: &mut PreparedRequest,
        payload: T,
        now: f64,
        scheduler: &mut Scheduler,
    ) -> u64 {
        self.open(prepared, Some(payload), now, scheduler)
    }

    /// As [`Flights::send`], for a fetch of the vendor's credential.
    pub fn send_credential_fetch(
        &mut self,
        prepared: &mut PreparedRequest,
        now: f64,
        scheduler: &mut Scheduler,
    ) -> u64 {
        self.open(prepared, None, now, scheduler)
    }

    fn open(
        &mut self,
        prepared: &mut PreparedRequest,
        payload: Option<T>,
        now: f64,
        scheduler: &mut Scheduler,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let host = scheduler.hosts.active();
        let ticket = scheduler.on_send(now);
        self.open.push((
            id,
            Flight {
                ticket,
                host,
                credential_generation: prepared.credential_generation,
                payload,
                redact: std::mem::take(&mut prepared.redact),
            },
        ));
        id
    }

    /// Where request `id` is in [`Self::open`].
    fn position(&self, id: u64) -> Option<usize> {
        self.open.iter().position(|(open, _)| *open == id)
    }

    fn get(&self, id: u64) -> Option<&Flight<T>> {
        self.position(id).map(|at| &self.open[at].1)
    }

    /// The request `id` ended at `now` (`answered`: with a response): frees its slot and
    /// hands it back, or `None` for one no longer tracked (its call ended first).
    pub fn take(
        &mut self,
        id: u64,
        now: f64,
        answered: bool,
        scheduler: &mut Scheduler,
    ) -> Option<Flight<T>> {
        let (_, flight) = self.open.swap_remove(self.position(id)?);
        scheduler.on_finish(flight.ticket, now, answered);
        Some(flight)
    }

    /// The request `id` left only at `now` (after a shared limiter's permit).
    pub fn departed(&self, id: u64, now: f64, scheduler: &mut Scheduler) {
        if let Some(flight) = self.get(id) {
            scheduler.on_departure(flight.ticket, now);
        }
    }

    /// The credentials request `id` carries beyond the configured secrets.
    pub fn carried_secrets(&self, id: u64) -> &[String] {
        self.get(id).map_or(&[], |flight| &flight.redact)
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Gives back the slot of every request still out (the call was aborted or failed; their
    /// responses will be ignored), with no verdict on the vendor's health.
    pub fn abandon_all(&mut self, now: f64, session: &mut Session, vendor: &dyn Vendor) {
        for (_, flight) in self.open.drain(..) {
            session.scheduler.on_finish(flight.ticket, now, false);
            session.scheduler.on_request_neutral();
            if flight.payload.is_none() {
                // Nobody will hear back from it: let another call fetch the credential.
                let _ = vendor.on_credential_response(&mut session.credentials, None, now);
            }
        }
    }
}

//! The circuit breaker: a vendor that keeps failing is left alone for a while.

use crate::model::{ErrorCode, ProfileError};

/// Stops a client from sending to a vendor that keeps failing. Closed, it counts requests
/// that failed in a row at the network level, by timeout, with 5xx or with an unreadable
/// body (a rate-limit reply or a per-id error means the vendor is up). At `THRESHOLD` it
/// opens for `COOLDOWN_MS`; then one request goes as a probe, and its outcome closes or
/// reopens it.
#[derive(Clone, Debug, Default)]
pub struct CircuitBreaker {
    consecutive_failures: u32,
    /// Open until this time (then half open, for one probe).
    pub(super) open_until: Option<f64>,
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

    /// Closed: no failures in a row to speak of (cheaper than [`Self::state`]).
    pub fn is_closed(&self) -> bool {
        self.open_until.is_none()
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
                crate::model::digits((remaining_ms / 1000.0).ceil() as u64)
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

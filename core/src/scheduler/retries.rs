//! How long to wait before a retry, and how many retries a client can afford.

use crate::model::ErrorCode;

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

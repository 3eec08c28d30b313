//! What the calls of one client share: its [`Scheduler`] (the vendor's rate and the client's
//! concurrency, pauses, retry budget, breaker and hosts) and its [`CredentialState`]. The
//! shell owns one per client and lends it to each call as it polls and hands in input.

use crate::credential::CredentialState;
use crate::scheduler::Scheduler;
use crate::vendors::Vendor;

pub struct Session {
    pub scheduler: Scheduler,
    pub credentials: CredentialState,
}

impl Session {
    /// The session a client of `vendor` starts with. `shared_limiter`: every send also waits
    /// for a permit from a limiter shared with other processes (`config.limiter`).
    pub fn new(vendor: &dyn Vendor, shared_limiter: bool) -> Self {
        let common = vendor.common();
        let mut scheduler = Scheduler::new(
            common.rate_limit,
            common.concurrency.map(|c| c as usize),
            vendor.base_urls(),
        )
        .with_max_pause(f64::from(common.max_retry_after_ms));
        if shared_limiter {
            scheduler = scheduler.with_shared_limiter();
        }
        Session {
            scheduler,
            credentials: CredentialState::default(),
        }
    }
}

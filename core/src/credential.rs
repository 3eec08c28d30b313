//! The credential a client obtains or makes for itself — an Easemob app token fetched with
//! client credentials, a Tencent UserSig made from the secret key — as explicit state.
//!
//! Vendors stay pure (`&self` only): the state lives in the client's [`crate::session::Session`]
//! next to its scheduler, every call of the client shares it, and the vendor reads and
//! updates it through the `&mut CredentialState` its credential methods are given.
//!
//! Each credential held has a generation, carried by every request made with it, so that
//! a refusal can be judged ([`CredentialState::rejected`]): many requests refused together
//! cause one renewal, and a credential obtained after a refusal that is refused too is final.

use crate::model::Secret;

/// A credential the client holds (`Debug` prints no secret: [`Secret`] does not).
#[derive(Debug)]
pub struct Held {
    value: Secret,
    issued_at_ms: f64,
    renew_at_ms: f64,
    generation: u64,
    /// Obtained because the previous one was refused: a refusal of this one is final.
    after_rejection: bool,
}

impl Held {
    pub fn value(&self) -> &str {
        self.value.expose()
    }

    /// Which credential this is, for [`CredentialState::rejected`].
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

/// Where fetching a credential stands (for vendors that fetch one).
#[derive(Default)]
pub struct Fetching {
    /// A request for one is out.
    pub in_progress: bool,
    /// Failed fetches in a row.
    pub failures: u32,
    /// No fetch before this time (a failed fetch backs off).
    pub not_before_ms: f64,
}

#[derive(Default)]
pub struct CredentialState {
    held: Option<Held>,
    /// The generation of the last credential obtained (0: none yet).
    generation: u64,
    /// The next credential replaces one the server refused.
    replacing_rejected: bool,
    pub fetching: Fetching,
}

impl CredentialState {
    /// The credential held, fresh or not.
    pub fn held(&self) -> Option<&Held> {
        self.held.as_ref()
    }

    /// The credential held, if requests made at `now_ms` can carry it: issued no later than
    /// now (a clock that went backwards gets a fresh one) and not yet due for renewal.
    pub fn current(&self, now_ms: f64) -> Option<&Held> {
        self.held
            .as_ref()
            .filter(|h| now_ms >= h.issued_at_ms && now_ms < h.renew_at_ms)
    }

    /// Holds `value`, obtained or made at `issued_at_ms`, until `renew_at_ms`.
    pub fn store(&mut self, value: Secret, issued_at_ms: f64, renew_at_ms: f64) -> &Held {
        self.generation += 1;
        self.fetching.failures = 0;
        self.held.insert(Held {
            value,
            issued_at_ms,
            renew_at_ms,
            generation: self.generation,
            after_rejection: std::mem::take(&mut self.replacing_rejected),
        })
    }

    /// A request that carried credential `generation` was refused. True when sending it
    /// again can work: a newer credential is held already, or this is the first refusal (the
    /// credential is dropped, and the next request gets a new one). False when the one
    /// obtained after a refusal is refused too.
    pub fn rejected(&mut self, generation: u64) -> bool {
        if generation < self.generation {
            return true;
        }
        match &self.held {
            Some(held) if held.after_rejection => false,
            _ => {
                self.held = None;
                self.replacing_rejected = true;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_renewal_for_many_refusals_and_a_second_refusal_is_final() {
        let mut state = CredentialState::default();
        let first = state
            .store(Secret::new("a".into()), 0.0, 1000.0)
            .generation();
        assert!(state.current(500.0).is_some());
        assert!(state.current(1000.0).is_none(), "due for renewal");
        assert!(state.rejected(first));
        assert!(
            state.rejected(first),
            "the same refusal, from another request"
        );
        assert!(state.held().is_none());
        let second = state
            .store(Secret::new("b".into()), 10.0, 1000.0)
            .generation();
        assert!(state.rejected(first), "a newer one is held already");
        assert!(!state.rejected(second), "refused after a refusal: final");
    }

    #[test]
    fn a_renewal_when_due_is_not_marked_as_after_a_refusal() {
        let mut state = CredentialState::default();
        let first = state
            .store(Secret::new("a".into()), 0.0, 100.0)
            .generation();
        assert!(state.rejected(first));
        state.store(Secret::new("b".into()), 0.0, 100.0);
        let third = state
            .store(Secret::new("c".into()), 100.0, 200.0)
            .generation();
        assert!(state.rejected(third), "a fresh start after a due renewal");
        assert!(
            state.current(50.0).is_none(),
            "issued later than this clock"
        );
    }
}

//! What the calls of one client share: its [`Scheduler`] (the vendor's rate and the client's
//! concurrency, pauses, retry budget, breaker and hosts) and its [`CredentialState`]. The
//! shell owns one per client and lends it to each call as it polls and hands in input.

use crate::credential::CredentialState;
use crate::model::ProfileError;
use crate::reader::ObjectReader;
use crate::scheduler::Scheduler;
use crate::vendors::Vendor;

pub struct Session {
    pub scheduler: Scheduler,
    pub credentials: CredentialState,
}

impl Session {
    /// The session a client of `vendor` starts with. `shared_limiter`: every send also waits
    /// for a permit from a limiter shared with other processes (`config.limiter`);
    /// `in_a_browser`: the client runs in a page or a worker
    /// ([`Scheduler::behind_a_browser`]).
    pub fn new(vendor: &dyn Vendor, shared_limiter: bool, in_a_browser: bool) -> Self {
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
        if in_a_browser {
            scheduler = scheduler.behind_a_browser();
        }
        Session {
            scheduler,
            credentials: CredentialState::default(),
        }
    }
}

/// The key a client takes permits under from a limiter shared between processes
/// (`config.limiter`): `config.limiterKey`, else one naming the vendor and its account, so
/// that every client of the same account shares one budget and no other does.
pub fn limiter_key(config: &ObjectReader, vendor: &dyn Vendor) -> Result<String, ProfileError> {
    Ok(config.string("limiterKey")?.unwrap_or_else(|| {
        format!(
            "improfiles:{}:{}",
            vendor.key().as_str(),
            vendor.rate_account()
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::PlainObject;
    use crate::vendors::rongcloud::RongCloud;
    use crate::vendors::test_support::from_json;

    #[test]
    fn limiter_keys_name_the_vendor_and_account_unless_given() {
        let vendor =
            from_json(r#"{"appKey":"k1","appSecret":"s"}"#, RongCloud::from_config).unwrap();
        let config = |json: &str| PlainObject::from_json(json, &[]);
        let default = config("{}");
        assert_eq!(
            limiter_key(&default.config(), &vendor).unwrap(),
            "improfiles:rongcloud:k1"
        );
        let given = config(r#"{"limiterKey":"team-a"}"#);
        assert_eq!(limiter_key(&given.config(), &vendor).unwrap(), "team-a");
        let empty = config(r#"{"limiterKey":""}"#);
        assert!(limiter_key(&empty.config(), &vendor).is_err());
    }
}

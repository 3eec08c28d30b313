//! The hosts a client sends to, and when it moves to the next.

/// A host pair switches at most this often, so a flapping pair does not thrash (the RongCloud
/// Go SDK's rule).
pub const HOST_SWITCH_INTERVAL_MS: f64 = 30_000.0;

/// Where requests go: the primary host until it fails at the network level or with 5xx,
/// then the next one (a vendor's backup host).
#[derive(Clone, Debug)]
pub struct Hosts {
    urls: Vec<String>,
    active: usize,
    last_switch: f64,
}

impl Hosts {
    pub fn new(urls: Vec<String>) -> Self {
        assert!(!urls.is_empty(), "a client has at least one host");
        Hosts {
            urls,
            active: 0,
            last_switch: f64::NEG_INFINITY,
        }
    }

    pub fn active(&self) -> usize {
        self.active
    }

    pub fn url(&self, index: usize) -> &str {
        &self.urls[index]
    }

    /// A request to `host` failed in a way that blames the host. Requests already in flight
    /// to the old host do not switch back and forth: only a failure of the active host counts.
    pub fn report_failure(&mut self, host: usize, now: f64) {
        if self.urls.len() > 1
            && host == self.active
            && now - self.last_switch >= HOST_SWITCH_INTERVAL_MS
        {
            self.active = (self.active + 1) % self.urls.len();
            self.last_switch = now;
        }
    }
}

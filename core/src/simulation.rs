//! The one native driver of a [`Call`]: a virtual clock, a scripted vendor, and the check
//! that a result names every asked id exactly once. The unit tests, the property tests and
//! the fuzz targets all run calls through it; it is also the executable specification of
//! what the run loop (js/shell/run.js, driving src/call.rs) does with the same state machine — poll, perform
//! what it says, hand back what happened at the time it happened.

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::call::{BatchResult, Call, Input, Output, TransportError, Work};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::tape::Tape;
use crate::model::ProfileError;
use crate::session::Session;
use crate::vendors::Vendor;

/// What the scripted vendor does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    Respond(HttpResponse),
    /// No answer: the request ends after `timeoutMs`, as the shell's deadline ends it.
    Timeout,
    /// The connection fails.
    Network,
}

/// A request the simulated vendor received.
#[derive(Clone, Debug)]
pub struct Received {
    pub at: f64,
    pub request: HttpRequest,
}

/// An answer the call was handed: when, and its status (`None` without a response).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Answered {
    pub at: f64,
    pub status: Option<u16>,
}

/// The answer to a request after `latency_ms`.
pub struct Scripted {
    pub latency_ms: f64,
    pub reply: Reply,
}

impl Scripted {
    pub fn after(latency_ms: f64, reply: Reply) -> Self {
        Scripted { latency_ms, reply }
    }
}

struct Pending {
    at: f64,
    request_id: u64,
    reply: Reply,
}

/// A call, the client session it runs in, and the virtual time.
pub struct Simulation<W: Work> {
    pub call: Call<W>,
    pub session: Session,
    pub now: f64,
    /// Every request, in the order it was sent.
    pub received: Vec<Received>,
    pub answered: Vec<Answered>,
    pending: Vec<Pending>,
    /// Where a call that reads its ids as it goes ([`Output::NeedIds`]) takes them from.
    source: Option<Box<dyn Iterator<Item = String>>>,
    /// With [`Simulation::taking_collected`]: what the call handed over as it went, as the
    /// shell takes it after every step.
    pub collected: Option<Vec<Tape>>,
}

/// Polls at most this often before a call is declared stuck.
const MAX_STEPS: usize = 1_000_000;

impl<W: Work> Simulation<W> {
    pub fn new(vendor: Rc<dyn Vendor>, work: W, start_ms: f64) -> Self {
        let session = Session::new(vendor.as_ref(), false, false);
        Simulation {
            call: Call::new(vendor, work, 7),
            session,
            now: start_ms,
            received: Vec::new(),
            answered: Vec::new(),
            pending: Vec::new(),
            source: None,
            collected: None,
        }
    }

    /// Takes what the call collected after every step, as js/shell/run.js does.
    pub fn taking_collected(mut self) -> Self {
        self.collected = Some(Vec::new());
        self
    }

    /// The call reads its ids from `ids` as it asks for them.
    pub fn reading(mut self, ids: impl Iterator<Item = String> + 'static) -> Self {
        self.source = Some(Box::new(ids));
        self
    }

    /// Runs the call to its end; `vendor(n, request)` says what the vendor does with the n-th
    /// request it receives (credential fetches included). Panics if the call waits with
    /// nothing that could wake it, or never ends.
    pub fn run(
        &mut self,
        mut vendor: impl FnMut(usize, &HttpRequest) -> Scripted,
    ) -> Result<W::Outcome, ProfileError> {
        let timeout_ms = f64::from(self.call.vendor().common().timeout_ms);
        for _ in 0..MAX_STEPS {
            let next_answer = self.pending.iter().map(|p| p.at).reduce(f64::min);
            match self.call.poll(self.now, &mut self.session) {
                Output::Send(out) => {
                    let n = self.received.len();
                    let scripted = vendor(n, &out.prepared.http);
                    let latency = match scripted.reply {
                        Reply::Timeout => timeout_ms,
                        _ => scripted.latency_ms,
                    };
                    self.received.push(Received {
                        at: self.now,
                        request: out.prepared.http,
                    });
                    self.pending.push(Pending {
                        at: self.now + latency,
                        request_id: out.request_id,
                        reply: scripted.reply,
                    });
                    continue;
                }
                Output::NeedIds(count) => {
                    let source = self.source.as_mut().expect("the call reads ids: give some");
                    let ids: Vec<String> = source.take(count).collect();
                    let ended = ids.len() < count;
                    let input = Input::Ids { ids, ended };
                    self.call.handle(input, self.now, &mut self.session);
                    continue;
                }
                Output::Finished => {
                    self.take_collected();
                    return Ok(self.call.outcome(self.now));
                }
                Output::Failed(error) => return Err(error),
                Output::WaitUntil(at) => {
                    self.now = next_answer.map_or(at, |a| a.min(at)).max(self.now)
                }
                Output::WaitForResponses | Output::WaitForCapacity => {
                    self.now = next_answer.expect("waiting with nothing in flight would hang")
                }
            }
            self.deliver_due();
            self.take_collected();
        }
        panic!("the call did not finish");
    }

    fn take_collected(&mut self) {
        if let Some(taken) = self.collected.as_mut() {
            taken.extend(self.call.collected());
        }
    }

    /// Hands the call every answer due by now, each at the time it arrives.
    fn deliver_due(&mut self) {
        self.pending.sort_by(|a, b| a.at.total_cmp(&b.at));
        while self.pending.first().is_some_and(|p| p.at <= self.now) {
            let Pending {
                at,
                request_id,
                reply,
            } = self.pending.remove(0);
            let (input, status) = match &reply {
                Reply::Respond(response) => (
                    Input::Response {
                        request_id,
                        response,
                    },
                    Some(response.status),
                ),
                Reply::Timeout => (
                    Input::Transport {
                        request_id,
                        error: TransportError::Timeout,
                        message: "timed out",
                    },
                    None,
                ),
                Reply::Network => (
                    Input::Transport {
                        request_id,
                        error: TransportError::Network,
                        message: "connection reset",
                    },
                    None,
                ),
            };
            self.answered.push(Answered { at, status });
            self.call.handle(input, at, &mut self.session);
        }
    }
}

/// The accounting rule: `result` names every distinct id of `asked` exactly once, as a
/// profile or a failure, and nothing else. Returns what is wrong.
pub fn accounting_errors(asked: &[impl AsRef<str>], result: &BatchResult) -> Vec<String> {
    let distinct: BTreeSet<&str> = asked.iter().map(AsRef::as_ref).collect();
    let mut seen = BTreeSet::new();
    let mut errors = Vec::new();
    let named = result
        .profiles
        .iter()
        .map(|p| p.id.as_str())
        .chain(result.failures.iter().map(|f| f.id.as_str()));
    for id in named {
        if !seen.insert(id) {
            errors.push(format!("{id:?} is in the result twice"));
        }
        if !distinct.contains(id) {
            errors.push(format!("{id:?} was not asked for"));
        }
    }
    errors.extend(
        distinct
            .difference(&seen)
            .map(|id| format!("{id:?} is missing")),
    );
    if result.stats.requested != distinct.len() {
        errors.push(format!(
            "stats.requested is {}, not {}",
            result.stats.requested,
            distinct.len()
        ));
    }
    errors
}

/// Panics unless [`accounting_errors`] finds nothing.
pub fn assert_accounted(asked: &[impl AsRef<str>], result: &BatchResult) {
    let errors = accounting_errors(asked, result);
    assert!(errors.is_empty(), "{}", errors.join("; "));
}

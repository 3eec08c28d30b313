//! One call in progress, as js/shell/run.js drives it: poll the core's [`Call`] for what to do,
//! perform it in JS (fetch, timers, abort), hand back what happened. Each method converts
//! in, calls the core, converts out; what an outcome means — its error code, its message,
//! which secrets to blank out of it — is decided here or in the core, never in JS.

use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::Client;
use crate::js::{get, now, to_js, to_js_error};
use improfiles_core::call::{
    BatchEvent, Call, DynCall, Ended, Input, Output, Progress, Stats, Work,
};
use improfiles_core::http::{HttpRequest, HttpResponse};
use improfiles_core::model::{ErrorCode, ProfileError};

/// A request for js/shell/run.js to send.
#[derive(Serialize)]
struct Request<'a> {
    id: f64,
    method: &'a str,
    url: &'a str,
    headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    /// The inputs of the caller's signer, when the request still needs its signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    sign: Option<(&'a str, &'a str)>,
}

#[derive(Serialize)]
struct Batch<'a> {
    #[serde(flatten)]
    event: &'a BatchEvent,
    stats: &'a Stats,
}

#[derive(Serialize)]
struct Report<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    batches: Option<Vec<Batch<'a>>>,
    progress: Progress,
}

#[wasm_bindgen(skip_typescript)]
pub struct CallHandle {
    client: Rc<Client>,
    call: Box<dyn DynCall>,
    /// Requests out: what each carries beyond the configured secrets (to blank out of any
    /// message about it), and, until signed, the request itself.
    redact: HashMap<u64, Vec<String>>,
    unsigned: HashMap<u64, HttpRequest>,
}

impl CallHandle {
    pub fn new<W: Work + 'static>(client: Rc<Client>, call: Call<W>) -> Self
    where
        W::Outcome: Serialize,
    {
        CallHandle {
            client,
            call: Box::new(call),
            redact: HashMap::new(),
            unsigned: HashMap::new(),
        }
    }

    fn handle(&mut self, input: Input, at: f64) {
        let mut session = self.client.session.borrow_mut();
        self.call.handle(input, at, &mut session);
    }
}

/// How a request ended, from what js/shell/run.js reports.
fn ended(outcome: &JsValue) -> Ended {
    let text = |key: &str| get(outcome, key).as_string().unwrap_or_default();
    let response = get(outcome, "response");
    if response.is_object() {
        let headers = Array::from(&get(&response, "headers"))
            .iter()
            .filter_map(|pair| {
                let pair = Array::from(&pair);
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect();
        let body = get(&response, "body");
        let body = match body.dyn_ref::<js_sys::Uint8Array>() {
            // Invalid UTF-8 becomes U+FFFD, as text() would decode it.
            Some(bytes) => match String::from_utf8(bytes.to_vec()) {
                Ok(text) => text,
                Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
            },
            None => body.as_string().unwrap_or_default(),
        };
        let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
        Ended::Response(HttpResponse {
            status,
            headers,
            body,
        })
    } else if get(outcome, "timedOut").is_truthy() {
        Ended::TimedOut
    } else if get(outcome, "tooLarge").is_truthy() {
        Ended::TooLarge
    } else if get(outcome, "signerThrew").is_string() {
        Ended::SignerThrew(text("signerThrew"))
    } else if get(outcome, "permitTimedOut").is_truthy() {
        Ended::PermitTimedOut
    } else if get(outcome, "noPermit").is_string() {
        Ended::NoPermit(text("noPermit"))
    } else if get(outcome, "noFetch").is_truthy() {
        Ended::NoFetch
    } else {
        Ended::Network(text("error"))
    }
}

fn request_js(id: u64, http: &HttpRequest, sign: Option<(&str, &str)>) -> JsValue {
    to_js(&Request {
        id: id as f64,
        method: http.method,
        url: &http.url,
        headers: &http.headers,
        body: http.body.as_deref(),
        sign,
    })
}

#[wasm_bindgen]
impl CallHandle {
    /// `{ send }`, `{ waitMs }`, `{ wait }` (for an answer or a free slot), `{ finished }`, or
    /// `{ failed }` with the error to reject with.
    pub fn poll(&mut self) -> JsValue {
        let step = Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = Reflect::set(&step, &key.into(), value);
        };
        let output = self.call.poll(now(), &mut self.client.session.borrow_mut());
        match output {
            Output::Send(out) => {
                let id = out.request_id;
                let prepared = out.prepared;
                let sign = prepared.external_signature.as_ref();
                let sign_with = sign.map(|s| (s.nonce.as_str(), s.timestamp.as_str()));
                set("send", &request_js(id, &prepared.http, sign_with));
                self.redact.insert(id, prepared.redact);
                if sign.is_some() {
                    self.unsigned.insert(id, prepared.http);
                }
            }
            Output::WaitUntil(at) => set("waitMs", &(at - now()).into()),
            Output::WaitForResponses | Output::WaitForCapacity => set("wait", &true.into()),
            Output::Finished => set("finished", &true.into()),
            Output::Failed(error) => set("failed", &to_js_error(&error)),
        }
        step.into()
    }

    /// Puts what the caller's signer returned into request `id`: the request to send, or
    /// `null` when the signature is unusable (the call then fails).
    pub fn signed(&mut self, id: f64, signature: JsValue) -> JsValue {
        let Some(mut http) = self.unsigned.remove(&(id as u64)) else {
            return JsValue::NULL;
        };
        let applied = match signature.as_string() {
            Some(signature) => self
                .client
                .vendor
                .apply_external_signature(&mut http, &signature),
            None => Err(ProfileError::invalid_config(
                "config.signer must return a string",
            )),
        };
        match applied {
            Ok(()) => request_js(id as u64, &http, None),
            Err(error) => {
                self.handle(Input::Fatal(error), now());
                JsValue::NULL
            }
        }
    }

    /// Request `id` ended at `at` (epoch ms) with `outcome`.
    pub fn complete(&mut self, id: f64, at: f64, outcome: JsValue) {
        let request_id = id as u64;
        self.unsigned.remove(&request_id);
        let extra = self.redact.remove(&request_id).unwrap_or_default();
        let secrets: Vec<String> = self.client.secrets.iter().cloned().chain(extra).collect();
        let mut session = self.client.session.borrow_mut();
        self.call
            .ended(request_id, ended(&outcome), &secrets, at, &mut session);
    }

    /// Request `id` left only at `at`: it waited for a shared limiter's permit.
    pub fn departed(&mut self, id: f64, at: f64) {
        let request_id = id as u64;
        self.handle(Input::Departed { request_id }, at);
    }

    /// The caller aborted: the requests in flight are given up. Returns the error to reject
    /// with.
    pub fn abandon(&mut self) -> JsValue {
        self.handle(Input::Abandoned, now());
        let error = ProfileError::new(
            ErrorCode::Aborted,
            "the call was aborted through its AbortSignal",
        );
        to_js_error(&error.with_vendor(self.client.key()))
    }

    /// What finished since the last report, for `onBatch` (each request's results, when
    /// `batches`) and `onProgress`; `undefined` when nothing did.
    pub fn report(&mut self, batches: bool) -> JsValue {
        let events = self.call.take_events();
        if events.is_empty() {
            return JsValue::UNDEFINED;
        }
        let stats = self.call.stats(now());
        let batches = batches.then(|| {
            events
                .iter()
                .map(|event| Batch {
                    event,
                    stats: &stats,
                })
                .collect()
        });
        to_js(&Report {
            batches,
            progress: self.call.progress(),
        })
    }

    /// What the call resolves with, once `poll` said `finished`.
    pub fn outcome(&mut self) -> JsValue {
        let json = self.call.outcome_json(now());
        js_sys::JSON::parse(&json).expect("serde_json writes valid JSON")
    }
}

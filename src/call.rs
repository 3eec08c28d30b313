//! One call in progress, as js/shell/run.js drives it: poll the core's [`Call`] for what to do,
//! perform it in JS (fetch, timers, abort), hand back what happened. Each method converts in,
//! calls the core, converts out; what an outcome means is decided in the core, never in JS.

use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::Client;
use crate::js::{from_json, from_tape, get, now, read_id, to_js_error};
use improfiles_core::call::{DynCall, Ended, Input, Output};
use improfiles_core::{http::HttpRequest, json::tape::to_tape, model::ProfileError};

#[wasm_bindgen(skip_typescript)]
pub struct CallHandle {
    client: Rc<Client>,
    call: Box<dyn DynCall>,
    /// Requests out that wait for the caller's signature (a few: a list, not a hash map).
    unsigned: Vec<(u64, HttpRequest)>,
    /// How many ids the call has read from its input.
    fed: u64,
}

impl CallHandle {
    fn complete(&mut self, id: f64, at: f64, ended: Ended) -> NotInlined<()> {
        self.unsigned.retain(|(unsigned, _)| *unsigned != id as u64);
        let mut session = self.client.session.borrow_mut();
        self.call.ended(id as u64, ended, at, &mut session);
        Ok(())
    }

    pub fn new(client: Rc<Client>, call: Box<dyn DynCall>) -> Self {
        CallHandle {
            client,
            call,
            unsigned: Vec::new(),
            fed: 0,
        }
    }

    fn handle(&mut self, input: Input, at: f64) {
        let mut session = self.client.session.borrow_mut();
        self.call.handle(input, at, &mut session);
    }
}

/// What run.js calls in its loop returns: never an error, but a second result,
/// so that Node 20 does not inline the call into its JS (it inlines one with a single result,
/// and deoptimizing that aborted the process: see "Node 20 aborting" in BENCHMARKS.md).
pub type NotInlined<T> = Result<T, JsValue>;

#[wasm_bindgen]
impl CallHandle {
    /// `{ send }`, `{ waitMs }`, `{ wait }` (for an answer or a free slot), `{ needIds }` (read
    /// up to that many from the input, then `feed`), `{ finished }`, or `{ failed }` with the
    /// error to reject with. `held_ms`: how long the loop waited for the caller since the last.
    pub fn poll(&mut self, held_ms: f64) -> NotInlined<JsValue> {
        let step = Object::new();
        let set = |key: &str, value: &JsValue| {
            let _ = Reflect::set(&step, &key.into(), value);
        };
        let mut session = self.client.session.borrow_mut();
        session.scheduler.on_held(held_ms);
        let output = self.call.poll(now(), &mut session);
        match output {
            Output::Send(out) => {
                let (id, prepared) = (out.request_id, out.prepared);
                let sign = prepared.external_signature.as_ref();
                let sign_with = sign.map(|s| (s.nonce.as_str(), s.timestamp.as_str()));
                let request = prepared.http.to_shell_json(id, sign_with);
                set("send", &from_json(&request));
                if sign.is_some() {
                    self.unsigned.push((id, prepared.http));
                }
            }
            Output::WaitUntil(at) => set("waitMs", &(at - now()).into()),
            Output::WaitForResponses | Output::WaitForCapacity => set("wait", &true.into()),
            Output::NeedIds(count) => set("needIds", &(count as f64).into()),
            Output::Finished => set("finished", &true.into()),
            Output::Failed(error) => set("failed", &to_js_error(&error)),
        }
        Ok(step.into())
    }

    /// Puts what the caller's signer returned into request `id`: the request to send, or
    /// `null` when the signature is unusable (the call then fails).
    pub fn signed(&mut self, id: f64, signature: JsValue) -> NotInlined<JsValue> {
        let at = self
            .unsigned
            .iter()
            .position(|(unsigned, _)| *unsigned == id as u64);
        let Some((_, mut http)) = at.map(|at| self.unsigned.swap_remove(at)) else {
            return Ok(JsValue::NULL);
        };
        let vendor = &self.client.vendor;
        let signature = crate::js::text_of(&signature)
            .ok_or_else(|| ProfileError::invalid_config("config.signer must return a string"));
        let applied = signature.and_then(|s| vendor.apply_external_signature(&mut http, &s));
        Ok(match applied {
            Ok(()) => from_json(&http.to_shell_json(id as u64, None)),
            Err(error) => {
                self.handle(Input::Fatal(error), now());
                JsValue::NULL
            }
        })
    }

    /// Request `id` was answered at `at` (epoch ms): its status, its headers as name, value,
    /// name… joined by line breaks (one string: an array of strings crossed as a `Vec<String>`,
    /// whose conversion was 0.8 KB of every build), and its body.
    pub fn answered(
        &mut self,
        id: f64,
        at: f64,
        status: f64,
        headers: &str,
        body: Vec<u8>,
    ) -> NotInlined<()> {
        self.complete(id, at, Ended::answered(status, headers, body))
    }

    /// Request `id` ended at `at` with no answer, in js/shell/run.js's words: what happened
    /// and what was said of it.
    pub fn failed(&mut self, id: f64, at: f64, kind: &str, text: Option<String>) -> NotInlined<()> {
        self.complete(id, at, Ended::named(kind, text))
    }

    /// More ids from the call's input (`ended`: there are no more). One that is not a string
    /// of well-formed UTF-16 fails the call.
    pub fn feed(&mut self, ids: Array, ended: bool) -> NotInlined<()> {
        let vendor = self.client.vendor.key();
        let fed = self.fed;
        self.fed += u64::from(ids.length());
        let read = || {
            let mut list = Vec::with_capacity(ids.length() as usize);
            for (i, id) in ids.iter().enumerate() {
                list.push(read_id(&id, Some(fed + i as u64), vendor)?);
            }
            Ok(list)
        };
        let input = match read() {
            Ok(ids) => Input::Ids { ids, ended },
            Err(error) => Input::Fatal(error),
        };
        self.handle(input, now());
        Ok(())
    }

    /// Request `id` left only at `at`: it waited for a shared limiter's permit.
    pub fn departed(&mut self, id: f64, at: f64) -> NotInlined<()> {
        let request_id = id as u64;
        self.handle(Input::Departed { request_id }, at);
        Ok(())
    }

    /// The caller aborted: the requests in flight are given up. Returns the error to reject
    /// with.
    pub fn abandon(&mut self) -> NotInlined<JsValue> {
        self.handle(Input::Abandoned, now());
        let error = ProfileError::aborted(self.client.vendor.key());
        Ok(to_js_error(&error))
    }

    /// What finished since the last report, for `onBatch` (each request's results, when
    /// `batches`) and `onProgress` (when `progress`); `undefined` when nothing did, or
    /// nobody listens (then nothing is converted).
    pub fn report(&mut self, batches: bool, progress: bool) -> NotInlined<JsValue> {
        let report = self.call.report(now(), batches);
        Ok(match report {
            Some(report) if batches || progress => from_tape(&to_tape(&report)),
            _ => JsValue::UNDEFINED,
        })
    }

    /// The results collected since the last time (`Collected`, in core/src/call/), or
    /// `undefined`, for js/shell/run.js to keep in place: wasm memory would never shrink back.
    pub fn collected(&mut self) -> NotInlined<JsValue> {
        let collected = self.call.collected();
        Ok(collected.map_or(JsValue::UNDEFINED, |tape| from_tape(&tape)))
    }

    /// What the call resolves with, once `poll` said `finished`: made a part at a time, so
    /// that a result of any size works (no string holds all of it).
    pub fn outcome(&mut self) -> NotInlined<JsValue> {
        let parts = self.call.outcome(now());
        let outcome = from_tape(&parts.head);
        for (key, part) in parts.parts {
            let list: Array = get(&outcome, key).unchecked_into();
            let push = get(&list, "push").unchecked_into::<js_sys::Function>();
            let _ = push.apply(&list, &from_tape(&part).unchecked_into());
        }
        Ok(outcome)
    }
}

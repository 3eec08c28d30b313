//! The vendor modules and the interface a call drives them through.
//!
//! A vendor is pure: it validates its config, builds request descriptions from
//! (ids, time, nonce) and turns responses into profiles and failures. Adding a vendor is one
//! more module here, with its [`descriptor::Descriptor`] in [`DESCRIPTORS`]; the scheduler and
//! the calls do not change.

pub mod descriptor;
#[cfg(feature = "easemob")]
pub mod easemob;
#[cfg(feature = "kaixin")]
pub mod kaixin;
#[cfg(feature = "rongcloud")]
pub mod rongcloud;
#[cfg(feature = "tencent")]
pub mod tencent;

use std::borrow::Cow;

use crate::config::CommonConfig;
use crate::credential::{CredentialState, Held};
use crate::http::{HttpRequest, HttpResponse};
use crate::json::{Obj, Object, Value};
use crate::model::{ErrorCode, Failure, Profile, ProfileError, RawJson, VendorKey};
use crate::reader::ObjectReader;
use descriptor::Descriptor;

/// Fresh per-attempt inputs, supplied by the caller so that vendor modules stay pure.
#[derive(Clone, Debug)]
pub struct RequestContext<'a> {
    /// Wall-clock time, epoch milliseconds.
    pub now_ms: f64,
    /// A fresh random nonce (32 characters of `[0-9a-z]`).
    pub nonce: String,
    /// A fresh uniformly random 32-bit number (Tencent's `random` query parameter).
    pub random: u32,
    /// The base URL to send to (the primary or a backup host).
    pub base_url: &'a str,
    /// The call's `fields` option, already checked by [`Vendor::check_fields`].
    pub fields: Option<&'a [String]>,
    /// The credential the client obtained or made ([`Vendor::credential_step`] was Ready).
    pub credential: Option<&'a Held>,
}

/// Inputs a signer callback receives when the user signs outside this library.
#[derive(Clone, Debug, PartialEq)]
pub struct SignatureRequest {
    pub nonce: String,
    pub timestamp: String,
}

#[derive(Clone, Debug)]
pub struct PreparedRequest {
    pub http: HttpRequest,
    /// Set when the request still needs a signature from the user's `signer` callback; the
    /// shell obtains it and calls [`Vendor::apply_external_signature`].
    pub external_signature: Option<SignatureRequest>,
    /// Credentials this request carries beyond the configured secrets (a generated UserSig,
    /// an obtained token): the call keeps them while it is out and blanks them out of any
    /// error text about it ([`crate::call::Call::ended`]).
    pub redact: Vec<String>,
    /// Which obtained credential (token) signed this request, for [`Vendor::credential_rejected`].
    pub credential_generation: u64,
}

impl PreparedRequest {
    /// A request that needs nothing beyond the vendor's config.
    pub fn new(http: HttpRequest) -> Self {
        PreparedRequest {
            http,
            external_signature: None,
            redact: Vec::new(),
            credential_generation: 0,
        }
    }
}

/// What a vendor that obtains its own credential (an Easemob app token) needs before it can
/// build requests.
#[derive(Debug)]
pub enum CredentialStep {
    /// Requests can be built now.
    Ready,
    /// Another request is obtaining the credential: wait for it.
    Wait,
    /// Nothing to try before this time (a failed fetch backs off).
    WaitUntil(f64),
    /// Send this request and hand its outcome to [`Vendor::on_credential_response`].
    Fetch(PreparedRequest),
}

/// One page of a vendor's user listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub profiles: Vec<Profile>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
}

/// What one response meant.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponseOutcome {
    /// The request worked: per-id results. `transient` ids failed for a reason worth another
    /// try in a later request; ids of the request that appear nowhere are the call's to settle.
    Parsed {
        profiles: Vec<Profile>,
        failures: Vec<Failure>,
        transient: Vec<Failure>,
    },
    /// The request as a whole failed; `retry_after_ms` is the vendor's requested pause.
    Failed {
        error: ProfileError,
        retry_after_ms: Option<f64>,
    },
    /// The credential the request carried was refused (HTTP 401): see
    /// [`Vendor::credential_rejected`].
    CredentialRejected(ProfileError),
}

/// The failure of an asked id that a good response does not mention at all.
pub fn unaccounted(id: &str) -> Failure {
    Failure::new(
        id,
        ErrorCode::InvalidResponse,
        "the vendor's response did not account for this id",
    )
}

impl ResponseOutcome {
    /// What one response means for each of `ids`, when nothing will be retried
    /// (`client.parseResponse`): every id once, as a profile or a failure (transient ones
    /// included, marked retryable). A refused credential is the one error, as it is the one
    /// reason a `getProfiles` call rejects after sending.
    pub fn settle_all(self, ids: &[&str]) -> Result<(Vec<Profile>, Vec<Failure>), ProfileError> {
        match self {
            ResponseOutcome::Parsed {
                profiles,
                mut failures,
                transient,
            } => {
                failures.extend(transient);
                let mut named = vec![false; ids.len()];
                let mut in_order = InOrder::default();
                let answered = profiles.iter().map(|p| p.id.as_str());
                for id in answered.chain(failures.iter().map(|f| f.id.as_str())) {
                    if let Some(at) = in_order.find(ids, id) {
                        named[at] = true;
                    }
                }
                let missing: Vec<Failure> = unseen(ids, &named).map(unaccounted).collect();
                failures.extend(missing);
                Ok((profiles, failures))
            }
            ResponseOutcome::Failed { error, .. } if error.code == ErrorCode::AuthFailed => {
                Err(error)
            }
            ResponseOutcome::Failed { error, .. } => Ok((
                Vec::new(),
                ids.iter().map(|id| error.to_failure(id)).collect(),
            )),
            ResponseOutcome::CredentialRejected(error) => Err(error),
        }
    }
}

/// What an answer meant: what it held, or why the request as a whole failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer<T> {
    Parsed(T),
    /// The request as a whole failed; `retry_after_ms` is the vendor's requested pause.
    Failed {
        error: ProfileError,
        retry_after_ms: Option<f64>,
    },
    /// The credential the request carried was refused (see [`Vendor::credential_rejected`]).
    CredentialRejected(ProfileError),
}

/// What one page request meant.
pub type PageOutcome = Answer<Page>;

pub trait Vendor {
    fn key(&self) -> VendorKey;
    fn common(&self) -> &CommonConfig;
    /// The hosts to send to, in order of preference: the base URL, then any backups.
    fn base_urls(&self) -> Vec<String> {
        vec![self.common().base_url.clone()]
    }
    /// Checks one id against the vendor's rules; the message names the problem, not the id.
    fn validate_id(&self, id: &str) -> Result<(), String>;
    /// Checks a call's `fields` option and returns the list to request (deduplicated).
    fn check_fields(&self, fields: &[String]) -> Result<Vec<String>, String> {
        let _ = fields;
        Err(format!(
            "options.fields does not apply to {}",
            self.key().as_str()
        ))
    }
    /// Why no request can be sent at `now_ms` with the configured credential (a provided
    /// UserSig that has run out), so the call fails before sending anything doomed.
    fn credential_error(&self, now_ms: f64) -> Option<ProfileError> {
        let _ = now_ms;
        None
    }
    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest;
    fn parse_response(
        &self,
        ids: &[&str],
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> ResponseOutcome;
    /// Whether a credential must be obtained first (see [`CredentialStep`]); a vendor that
    /// makes its own (a UserSig) makes it here, so that requests built next carry it.
    fn credential_step(&self, credentials: &mut CredentialState, now_ms: f64) -> CredentialStep {
        let _ = (credentials, now_ms);
        CredentialStep::Ready
    }
    /// The outcome of a [`CredentialStep::Fetch`] request (`None`: it got no response). An
    /// error that is not retryable ends the call; a retryable one is tried again later.
    fn on_credential_response(
        &self,
        credentials: &mut CredentialState,
        response: Option<&HttpResponse>,
        now_ms: f64,
    ) -> Result<(), ProfileError> {
        let _ = (credentials, response, now_ms);
        Ok(())
    }
    /// A request signed with credential `generation` was refused. True when sending it again
    /// can work (a fresh credential is on its way or already here); false when the refusal
    /// is final (a configured token, or a credential obtained after an earlier refusal).
    fn credential_rejected(&self, credentials: &mut CredentialState, generation: u64) -> bool {
        let _ = (credentials, generation);
        false
    }
    /// The vendor's user listing, when it has one.
    fn listing(&self) -> Option<&dyn Listing> {
        None
    }
    /// Puts a signature obtained from the user's `signer` into a prepared request.
    fn apply_external_signature(
        &self,
        request: &mut HttpRequest,
        signature: &str,
    ) -> Result<(), ProfileError> {
        let _ = (request, signature);
        Err(ProfileError::new(
            ErrorCode::Unsupported,
            format!("{} takes no external signer", self.key().as_str()),
        ))
    }
    /// Every configured secret, for redacting text that crosses into JS (error messages of
    /// user callbacks and of fetch).
    fn secrets(&self) -> Vec<&str>;
    /// A summary of the config that is safe to print: no secret in it.
    fn describe(&self) -> Object;
    /// The vendor account a rate limit applies to (an app key, an SDKAppID…), for keys in a
    /// limiter shared between processes. Never a secret.
    fn rate_account(&self) -> String;
}

/// A vendor's cursor-paged user listing (Easemob's `GET /users?limit&cursor`).
pub trait Listing {
    /// The largest page the vendor serves.
    fn max_page_size(&self) -> u32;
    fn build_page_request(
        &self,
        page_size: u32,
        cursor: Option<&str>,
        ctx: &RequestContext,
    ) -> PreparedRequest;
    fn parse_page_response(&self, response: &HttpResponse, ctx: &ParseContext) -> PageOutcome;
}

#[derive(Clone, Copy, Debug, Default)]
pub struct ParseContext {
    pub now_ms: f64,
    pub include_raw: bool,
}

/// Every vendor, as its module describes itself: the one list the project's vendor lists
/// (the command line's, the console's, the TypeScript union) are made from.
/// A build holds the vendors of its features (the package's per-vendor entry points). A
/// `static`, not a `const`: each crate naming a `const` gets its own copy of its texts.
pub static DESCRIPTORS: &[Descriptor] = &[
    #[cfg(feature = "rongcloud")]
    rongcloud::DESCRIPTOR,
    #[cfg(feature = "tencent")]
    tencent::PORTRAIT_GET,
    #[cfg(feature = "tencent")]
    tencent::IM_GET_ATTR,
    #[cfg(feature = "easemob")]
    easemob::DESCRIPTOR,
    #[cfg(feature = "kaixin")]
    kaixin::DESCRIPTOR,
];

/// The descriptor of vendor `key`.
pub fn descriptor(key: VendorKey) -> &'static Descriptor {
    DESCRIPTORS
        .iter()
        .find(|d| d.vendor == key)
        .expect("a descriptor per vendor")
}

/// Builds the vendor a config names, validating all of it.
pub fn from_config(input: &ObjectReader) -> Result<Box<dyn Vendor>, ProfileError> {
    let name = input.required_string("vendor")?;
    if let Some(descriptor) = DESCRIPTORS.iter().find(|d| d.vendor.as_str() == name) {
        return (descriptor.build)(input);
    }
    Err(ProfileError::invalid_config(match VendorKey::parse(&name) {
        Some(key) => format!(
            "config.vendor \"{name}\" is not in this build: import it from \"{}\" (or \"improfiles\")",
            key.entry()
        ),
        None => {
            let known = crate::model::joined(VendorKey::ALL.iter().map(|v| v.as_str()), ", ");
            format!("config.vendor must be one of {known}")
        }
    }))
}

/// The common part of [`Vendor::describe`].
pub fn describe_common(key: VendorKey, common: &CommonConfig) -> Object {
    let mut map = Object::new();
    map.insert("vendor", key.as_str());
    map.insert("baseUrl", common.base_url.clone());
    map.insert("rateLimit", common.rate_limit);
    let concurrency = common
        .concurrency
        .map_or_else(|| "auto".into(), Value::from);
    map.insert("concurrency", concurrency);
    map.insert("retries", common.retries);
    map.insert("timeoutMs", common.timeout_ms);
    map.insert("maxRetryAfterMs", common.max_retry_after_ms);
    map.insert("maxResponseBytes", common.max_response_bytes);
    map.insert("batchSize", common.batch_size);
    map
}

/// Checks shared by every vendor's id rules: not empty, no control characters, a length cap.
pub fn check_id_common(id: &str, max_chars: usize) -> Result<(), String> {
    if id.is_empty() {
        return Err("an id must not be empty".into());
    }
    // One pass over the chars that checks and counts.
    let mut len = 0;
    for c in id.chars() {
        if c.is_control() {
            return Err("an id must not contain control characters".into());
        }
        len += 1;
    }
    if len > max_chars {
        return Err(format!(
            "an id must be at most {max_chars} characters (got {len})"
        ));
    }
    Ok(())
}

/// Pairs a response's items with the ids the request asked for (distinct, as a call's and a
/// loader's batches are), in response order. Items naming an id nobody asked for, or one
/// already named, are dropped (the contract: ids nobody asked for are ignored). Also returns
/// the asked ids that no item named.
///
/// Items are found among the ids in the order asked first (`InOrder`, below).
pub fn match_asked<'a, T>(
    ids: &[&'a str],
    items: impl IntoIterator<Item = T>,
    id_of: impl Fn(&T) -> Option<Cow<'_, str>>,
) -> (Vec<(&'a str, T)>, Vec<&'a str>) {
    let mut seen = vec![false; ids.len()];
    let mut in_order = InOrder::default();
    let mut matched = Vec::with_capacity(ids.len());
    for item in items {
        let Some(named) = id_of(&item) else { continue };
        let Some(at) = in_order.find(ids, &named) else {
            continue;
        };
        if !std::mem::replace(&mut seen[at], true) {
            matched.push((ids[at], item));
        }
    }
    (matched, unseen(ids, &seen).collect())
}

/// Where an id an answer names is among the ids a request asked for. Vendors mostly answer in
/// the order asked, so the id after the last one found is tried first, and only an id out of
/// that order is looked for among them all. A request asks for at most a hundred: a hash
/// table per response cost more than the search.
#[derive(Default)]
struct InOrder {
    next: usize,
}

impl InOrder {
    fn find(&mut self, ids: &[&str], id: &str) -> Option<usize> {
        let at = if ids.get(self.next) == Some(&id) {
            self.next
        } else {
            ids.iter().position(|asked| *asked == id)?
        };
        self.next = at + 1;
        Some(at)
    }
}

/// The ids at the positions not `seen`, but for a repeat of one that was: a caller's list
/// (`parseResponse`) can hold an id twice, and one answer accounts for both, as it did when
/// this was a set of names.
fn unseen<'i, 'a>(ids: &'i [&'a str], seen: &'i [bool]) -> impl Iterator<Item = &'a str> + 'i {
    let named = move |id: &str| {
        ids.iter()
            .zip(seen)
            .any(|(other, seen)| *seen && *other == id)
    };
    let unseen = ids.iter().zip(seen).filter(|(_, seen)| !**seen);
    unseen.map(|(id, _)| *id).filter(move |id| !named(id))
}

/// An item of a response matched to the id it answers, with its text when asked for.
pub type Matched<'a, T> = (&'a str, T, Option<RawJson>);

/// [`match_asked`] over a response's items as [`crate::json::List`] reads them (an item that is
/// not an object is no item), each matched one with its text when `raw` names where the
/// items are (`includeRaw`: the body's text and the items' key, read once more).
pub fn match_items<'a, T>(
    ids: &[&'a str],
    items: Vec<Obj<T>>,
    id_of: impl Fn(&T) -> Option<Cow<'_, str>>,
    raw: Option<(&str, &str)>,
) -> (Vec<Matched<'a, T>>, Vec<&'a str>) {
    let items = crate::json::present(items.into_iter().map(Obj::into_inner), raw);
    let (matched, unnamed) = match_asked(ids, items, |(item, _)| id_of(item));
    let matched = matched.into_iter();
    let matched = matched.map(|(id, (item, raw))| (id, item, raw.map(RawJson::new)));
    (matched.collect(), unnamed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(all(
        feature = "rongcloud",
        feature = "tencent",
        feature = "easemob",
        feature = "kaixin"
    ))]
    fn every_vendor_key_has_one_descriptor_in_the_keys_order() {
        let keys: Vec<VendorKey> = DESCRIPTORS.iter().map(|d| d.vendor).collect();
        assert_eq!(keys, VendorKey::ALL);
        for d in DESCRIPTORS {
            assert!(
                !d.modes.is_empty() && d.modes[0].browser_safe,
                "{}",
                d.title
            );
            assert!(
                std::path::Path::new("..").join(d.docs).exists(),
                "{}",
                d.docs
            );
        }
    }

    #[test]
    fn items_match_asked_ids_in_order_or_out_of_it() {
        let ids = ["a", "b", "c", "d", "e"];
        fn id_of<'t>(item: &'t (&str, u32)) -> Option<Cow<'t, str>> {
            (!item.0.is_empty()).then_some(Cow::Borrowed(item.0))
        }
        let matched = |items: &[(&str, u32)]| {
            let (matched, unnamed) = match_asked(&ids, items.iter().copied(), id_of);
            let matched: Vec<(&str, u32)> =
                matched.into_iter().map(|(id, (_, n))| (id, n)).collect();
            (matched, unnamed)
        };
        let in_order = [("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)];
        assert_eq!(matched(&in_order), (in_order.to_vec(), vec![]));
        // Out of order, an id nobody asked for, one without an id, one named twice (the
        // first answer counts) and two never named.
        let (found, unnamed) =
            matched(&[("c", 1), ("x", 2), ("", 3), ("a", 4), ("c", 5), ("b", 6)]);
        assert_eq!(found, [("c", 1), ("a", 4), ("b", 6)]);
        assert_eq!(unnamed, ["d", "e"]);
        // After an item out of order, the next in order is still found.
        let (found, unnamed) = matched(&[("b", 1), ("c", 2), ("a", 3), ("b", 4), ("e", 5)]);
        assert_eq!(found, [("b", 1), ("c", 2), ("a", 3), ("e", 5)]);
        assert_eq!(unnamed, ["d"]);
        // A caller's list may repeat an id: one item answers every copy.
        let (found, unnamed) = match_asked(&["a", "b", "a"], [("a", 1)], id_of);
        assert_eq!(found.len(), 1);
        assert_eq!(unnamed, ["b"]);
    }

    #[test]
    fn settling_a_response_accounts_for_every_asked_id() {
        let profile = |id: &str| Profile::new(VendorKey::RongCloud, id);
        let parsed = ResponseOutcome::Parsed {
            profiles: vec![profile("a")],
            failures: vec![Failure::new("b", ErrorCode::NotFound, "no")],
            transient: vec![ProfileError::new(ErrorCode::VendorError, "later")
                .retryable(true)
                .to_failure("c")],
        };
        let (profiles, failures) = parsed.settle_all(&["a", "b", "c", "d"]).unwrap();
        assert_eq!(profiles.len(), 1);
        let codes: Vec<(&str, ErrorCode, bool)> = failures
            .iter()
            .map(|f| (f.id.as_str(), f.code, f.retryable))
            .collect();
        assert_eq!(
            codes,
            [
                ("b", ErrorCode::NotFound, false),
                ("c", ErrorCode::VendorError, true),
                ("d", ErrorCode::InvalidResponse, false)
            ]
        );
        // Answered out of the order asked, and an id nobody asked for.
        let parsed = ResponseOutcome::Parsed {
            profiles: vec![profile("c"), profile("x")],
            failures: vec![Failure::new("a", ErrorCode::NotFound, "no")],
            transient: vec![],
        };
        let (_, failures) = parsed.settle_all(&["a", "b", "c", "d"]).unwrap();
        let ids: Vec<&str> = failures.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "d"]);
        // An id asked for twice is accounted for by one answer.
        let parsed = ResponseOutcome::Parsed {
            profiles: vec![profile("a")],
            failures: vec![],
            transient: vec![],
        };
        let (_, failures) = parsed.settle_all(&["a", "b", "a", "b"]).unwrap();
        let ids: Vec<&str> = failures.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["b", "b"]);
        let failed = ResponseOutcome::Failed {
            error: ProfileError::new(ErrorCode::Timeout, "slow"),
            retry_after_ms: None,
        };
        assert_eq!(failed.settle_all(&["a", "b"]).unwrap().1.len(), 2);
        let denied = ResponseOutcome::Failed {
            error: ProfileError::new(ErrorCode::AuthFailed, "bad signature"),
            retry_after_ms: None,
        };
        assert!(denied.settle_all(&["a"]).is_err());
        let refused =
            ResponseOutcome::CredentialRejected(ProfileError::new(ErrorCode::AuthFailed, "no"));
        assert_eq!(
            refused.settle_all(&["a"]).unwrap_err().code,
            ErrorCode::AuthFailed
        );
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::{PreparedRequest, RequestContext, Vendor};
    use crate::credential::CredentialState;
    use crate::model::ProfileError;
    use crate::reader::ObjectReader;
    use crate::reader::PlainObject;

    /// A request for `ids` as a call builds it: after the vendor's credential step, carrying
    /// the credential held in `credentials`.
    pub fn request(
        vendor: &dyn Vendor,
        credentials: &mut CredentialState,
        ids: &[&str],
        ctx: &RequestContext,
    ) -> PreparedRequest {
        let _ = vendor.credential_step(credentials, ctx.now_ms);
        let ctx = RequestContext {
            credential: credentials.held(),
            ..ctx.clone()
        };
        vendor.build_request(ids, &ctx)
    }

    /// Runs a vendor's `from_config` over a JSON config literal (no function-valued keys).
    pub fn from_json<T>(
        json: &str,
        build: fn(&ObjectReader) -> Result<T, ProfileError>,
    ) -> Result<T, ProfileError> {
        build(&PlainObject::from_json(json, &[]).config())
    }

    /// The error a config literal is refused with.
    pub fn refusal<T>(
        json: &str,
        build: fn(&ObjectReader) -> Result<T, ProfileError>,
    ) -> ProfileError {
        match from_json(json, build) {
            Ok(_) => panic!("config accepted: {json}"),
            Err(error) => error,
        }
    }
}

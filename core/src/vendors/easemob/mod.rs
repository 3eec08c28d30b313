//! Easemob (Agora Chat) users (docs/vendors/easemob.md): the cursor-paged listing
//! `GET {base}/{org}/{app}/users?limit=N&cursor=C` and the single lookup
//! `GET {base}/{org}/{app}/users/{username}`, with a Bearer app token that is either given or
//! obtained here with `POST {base}/{org}/{app}/token` (client credentials), cached until
//! shortly before it expires and renewed once after a 401 — one renewal however many
//! requests were refused at the same time.

use crate::config::{CommonConfig, VendorLimits};
use crate::credential::CredentialState;
use crate::hash_index::{hash_str, HashIndex};
use crate::http::{percent_encode, HttpRequest, HttpResponse};
use crate::json::write::object;
use crate::json::{json_fields, member_named, List, Members, Object, Raw, Shallow};
use crate::model::{
    ErrorCode, Failure, Profile, ProfileError, RawJson, Secret, VendorCode, VendorKey,
};
use crate::reader::ObjectReader;
use crate::vendors::descriptor::{Descriptor, Field, Mode};
use crate::vendors::{
    check_id_common, describe_common, CredentialStep, Listing, Page, PageOutcome, ParseContext,
    PreparedRequest, RequestContext, ResponseOutcome, Vendor,
};

/// The vendor documentation: 100 calls per second per App Key for this and the other user APIs.
pub const DEFAULT_RATE_LIMIT: f64 = 100.0;
/// The vendor documentation: `limit` is 1..100.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Easemob usernames are at most 64 characters.
const MAX_USERNAME_CHARS: usize = 64;
/// A token is replaced this long before it expires (or at half its life, if that is sooner).
const TOKEN_RENEWAL_MARGIN_MS: f64 = 60_000.0;
/// Failed token requests back off from this delay, doubling, up to the cap.
const TOKEN_RETRY_BASE_MS: f64 = 500.0;
const TOKEN_RETRY_CAP_MS: f64 = 8_000.0;

/// Easemob, for the project ([`super::descriptor::Descriptor`]).
pub const DESCRIPTOR: Descriptor = Descriptor {
    vendor: VendorKey::Easemob,
    title: "Easemob",
    docs: "docs/vendors/easemob.md",
    account: &[
        Field::text("orgName", "Org name", "EASEMOB_ORG_NAME"),
        Field::text("appName", "App name", "EASEMOB_APP_NAME"),
    ],
    modes: &[
        Mode {
            id: "token",
            label: "App token (browser-safe)",
            browser_safe: true,
            fields: &[Field::secret("token", "App token", "EASEMOB_TOKEN")],
        },
        Mode {
            id: "client",
            label: "Client ID + secret (local testing only)",
            browser_safe: false,
            fields: &[
                Field::text("clientId", "Client ID", "EASEMOB_CLIENT_ID"),
                Field::secret("clientSecret", "Client secret", "EASEMOB_CLIENT_SECRET"),
            ],
        },
    ],
    default_base_url: None,
    base_url_env: Some("EASEMOB_BASE_URL"),
    default_rate_limit: DEFAULT_RATE_LIMIT,
    max_batch_size: 1,
    lists_users: true,
    build: |input| Ok(Box::new(Easemob::from_config(input)?)),
};

enum Auth {
    Static(Secret),
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
}

pub struct Easemob {
    common: CommonConfig,
    org_name: String,
    app_name: String,
    auth: Auth,
}

impl Easemob {
    pub fn from_config(input: &ObjectReader) -> Result<Self, ProfileError> {
        // Checked first so the message can say why there is no default.
        if input.string("baseUrl")?.is_none() {
            return Err(ProfileError::invalid_config(
                "config.baseUrl is required for easemob (hosts are per cluster, e.g. https://a1.easemob.com)",
            ));
        }
        let common = CommonConfig::parse(
            input,
            &VendorLimits {
                default_base_url: None,
                max_batch_size: 1,
                default_rate_limit: DEFAULT_RATE_LIMIT,
            },
        )?;
        let org_name = path_segment(input, "orgName")?;
        let app_name = path_segment(input, "appName")?;
        let token = input.secret("token")?;
        let client_id = input.string("clientId")?;
        let client_secret = input.secret("clientSecret")?;
        let auth =
            match (token, client_id, client_secret) {
                (Some(token), None, None) => Auth::Static(token),
                (None, Some(client_id), Some(client_secret)) => Auth::ClientCredentials {
                    client_id,
                    client_secret,
                },
                (Some(_), _, _) => return Err(ProfileError::invalid_config(
                    "config takes either token or clientId + clientSecret for easemob, not both",
                )),
                (None, Some(_), None) | (None, None, Some(_)) => {
                    return Err(ProfileError::invalid_config(
                        "config.clientId and config.clientSecret go together for easemob",
                    ))
                }
                (None, None, None) => return Err(ProfileError::invalid_config(
                    "config.token or config.clientId + config.clientSecret is required for easemob",
                )),
            };
        Ok(Easemob {
            common,
            org_name,
            app_name,
            auth,
        })
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) -> ProfileError {
        ProfileError::new(code, message).with_vendor(VendorKey::Easemob)
    }

    fn app_url(&self, base_url: &str) -> String {
        format!(
            "{base_url}/{}/{}",
            percent_encode(&self.org_name),
            percent_encode(&self.app_name)
        )
    }

    /// A GET with the current token; its generation goes along for 401 handling.
    fn authorized_get(&self, url: String, ctx: &RequestContext) -> PreparedRequest {
        let (token, generation) = match (&self.auth, ctx.credential) {
            (Auth::Static(token), _) => (token.expose().to_owned(), 0),
            (Auth::ClientCredentials { .. }, Some(held)) => {
                (held.value().to_owned(), held.generation())
            }
            // Not reached when the call follows credential_step; the server's 401 would then
            // come back through credential_rejected.
            (Auth::ClientCredentials { .. }, None) => (String::new(), 0),
        };
        let mut prepared = PreparedRequest::new(HttpRequest {
            method: "GET",
            url,
            headers: vec![
                ("Accept".to_owned(), "application/json".to_owned()),
                ("Authorization".to_owned(), format!("Bearer {token}")),
            ],
            body: None,
        });
        if matches!(self.auth, Auth::ClientCredentials { .. }) {
            prepared.redact.push(token);
        }
        prepared.credential_generation = generation;
        prepared
    }

    /// Easemob's error body: `{"error": "...", "error_description": "..."}`.
    fn error_parts(body: &str) -> (Option<String>, String) {
        let parsed = crate::json::parse::<Shallow>(body).ok();
        let member = |key| parsed.as_ref()?.member(key)?.text();
        let description =
            member("error_description").map(|d| crate::model::first_chars(&d, 200).to_owned());
        (member("error"), description.unwrap_or_default())
    }

    /// Classifies a non-200 answer. `Ok(failure)` is a per-id verdict (the user does not
    /// exist); `Err` is about the whole request.
    fn classify(&self, response: &HttpResponse, now_ms: f64) -> Result<ErrorCode, RequestVerdict> {
        let (kind, description) = Self::error_parts(&response.body);
        let status = response.status;
        let detail = match (&kind, description.is_empty()) {
            (Some(k), false) => format!(" ({k}: {description})"),
            (Some(k), true) => format!(" ({k})"),
            (None, _) => String::new(),
        };
        let failed = |code: ErrorCode, retryable: bool, what: &str| {
            let mut error = self
                .error(
                    code,
                    format!(
                        "Easemob {what} (HTTP {}){detail}",
                        crate::model::digits(status)
                    ),
                )
                .with_status(status)
                .retryable(retryable);
            if let Some(kind) = &kind {
                error = error.with_vendor_code(VendorCode::Text(kind.clone()));
            }
            error
        };
        Err(match (status, kind.as_deref()) {
            (404, Some("organization_application_not_found")) => RequestVerdict::Failed(
                failed(ErrorCode::AuthFailed, false, "has no such org/app"),
                None,
            ),
            (404, _) => return Ok(ErrorCode::NotFound),
            (401, _) => {
                RequestVerdict::Rejected(failed(ErrorCode::AuthFailed, false, "refused the token"))
            }
            (429, _) => RequestVerdict::Failed(
                failed(ErrorCode::RateLimited, true, "rate limit reached"),
                response.retry_after_ms(now_ms),
            ),
            (403, _) => RequestVerdict::Failed(
                failed(ErrorCode::PermissionDenied, false, "denied access"),
                None,
            ),
            (400 | 413, _) => RequestVerdict::Failed(
                failed(ErrorCode::InvalidInput, false, "refused the request"),
                None,
            ),
            (500..=599, _) => RequestVerdict::Failed(
                failed(ErrorCode::VendorError, true, "server error"),
                response.retry_after_ms(now_ms),
            ),
            _ => RequestVerdict::Failed(
                failed(ErrorCode::VendorError, false, "returned an error"),
                None,
            ),
        })
    }

    /// The `entities` of an answer, and its `cursor` when it has one.
    fn entities<'t>(
        &self,
        body: &'t str,
        include_raw: bool,
    ) -> Result<(Vec<Entity<'t>>, Option<String>), ProfileError> {
        let unreadable = |why: &str| {
            ProfileError::unreadable_response(
                VendorKey::Easemob,
                200,
                format!("Easemob sent an unreadable answer: {why}"),
            )
        };
        let Some(answer) = crate::json::read_object::<Answer>(body) else {
            return Err(unreadable("not a JSON object"));
        };
        let entities = match answer.entities {
            Some(List(Some(items))) => items,
            None => Vec::new(),
            Some(List(None)) => return Err(unreadable("entities is not an array")),
        };
        let raw = include_raw.then_some((body, "entities"));
        let entities = crate::json::objects(entities, raw).into_iter();
        let entities = entities
            .map(|(members, raw)| Entity { members, raw })
            .collect();
        let cursor = answer.cursor.as_ref().and_then(Shallow::as_str);
        let cursor = cursor.filter(|c| !c.is_empty()).map(str::to_owned);
        Ok((entities, cursor))
    }
}

json_fields! {
    /// An answer, as far as it is read ([`crate::json`]: any JSON is taken).
    struct Answer<'a> {
        "entities" => entities: Option<List<Shallow<'a>>>,
        "cursor" => cursor: Option<Shallow<'a>>,
    }
}

/// A user entity: its members, and its text when `includeRaw` asked for it.
struct Entity<'a> {
    members: Members<'a>,
    raw: Option<Raw<'a>>,
}

impl Entity<'_> {
    fn username(&self) -> Option<Shallow<'_>> {
        member_named(&self.members, "username").map(|value| Shallow::of(*value))
    }
}

/// Which entity answers an id: the first whose username is the id, ignoring ASCII case
/// (usernames are case-insensitive at Easemob, which stores them in lowercase). Each username
/// is read and lowercased once and found by hash: `parseResponse` of a listing's hundred
/// entities for its hundred ids compared every pair, a third of its time.
struct Usernames {
    lowercase: Vec<Option<String>>,
    index: HashIndex,
}

impl Usernames {
    fn of(entities: &[Entity]) -> Self {
        let lowercase: Vec<Option<String>> = entities
            .iter()
            .map(|e| e.username()?.as_str().map(str::to_ascii_lowercase))
            .collect();
        let mut usernames = Usernames {
            lowercase,
            index: HashIndex::default(),
        };
        for at in 0..usernames.lowercase.len() {
            let Some(name) = &usernames.lowercase[at] else {
                continue;
            };
            if usernames.find(name).is_none() {
                let rehash = |p: u32| {
                    usernames.lowercase[p as usize]
                        .as_deref()
                        .map_or(0, hash_str)
                };
                usernames.index.insert(hash_str(name), at as u32, &rehash);
            }
        }
        usernames
    }

    fn find(&self, lowercase: &str) -> Option<usize> {
        let is = &mut |p: u32| self.lowercase[p as usize].as_deref() == Some(lowercase);
        self.index.find(hash_str(lowercase), is).map(|p| p as usize)
    }

    /// The position of the first entity answering `id`.
    fn first(&self, id: &str) -> Option<usize> {
        self.find(&id.to_ascii_lowercase())
    }
}

enum RequestVerdict {
    Failed(ProfileError, Option<f64>),
    Rejected(ProfileError),
}

/// An org or app name: it goes into every path, so it must be a plain segment.
fn path_segment(input: &ObjectReader, key: &str) -> Result<String, ProfileError> {
    let value = input.required_string(key)?;
    if value.contains(['/', '?', '#']) || value.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ProfileError::invalid_config(format!(
            "config.{key} must be the bare {key} (no slashes, spaces or control characters)"
        )));
    }
    Ok(value)
}

/// username → id, nickname → name, created → createdAt, modified → updatedAt,
/// activated → active; everything else (uuid, type, notification_*, …) → custom.
fn normalize(entity: &Entity, id: &str) -> Profile {
    let mut profile = Profile::new(VendorKey::Easemob, id);
    for (key, raw) in &entity.members {
        let value = || Shallow::of(*raw);
        match key.as_ref() {
            "username" => {}
            "nickname" => profile.name = value().text(),
            "created" => profile.created_at = value().number(),
            "modified" => profile.updated_at = value().number(),
            "activated" => {
                profile.active = match value() {
                    Shallow::Bool(b) => Some(b),
                    _ => None,
                }
            }
            _ => profile.custom.insert(key.as_ref(), RawJson::new(*raw)),
        }
    }
    profile.raw = entity.raw.map(RawJson::new);
    profile
}

impl Vendor for Easemob {
    fn key(&self) -> VendorKey {
        VendorKey::Easemob
    }

    fn common(&self) -> &CommonConfig {
        &self.common
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        check_id_common(id, MAX_USERNAME_CHARS)
    }

    fn credential_step(&self, credentials: &mut CredentialState, now_ms: f64) -> CredentialStep {
        let Auth::ClientCredentials {
            client_id,
            client_secret,
        } = &self.auth
        else {
            return CredentialStep::Ready;
        };
        if credentials.current(now_ms).is_some() {
            return CredentialStep::Ready;
        }
        let fetching = &mut credentials.fetching;
        if fetching.in_progress {
            return CredentialStep::Wait;
        }
        if now_ms < fetching.not_before_ms {
            return CredentialStep::WaitUntil(fetching.not_before_ms);
        }
        fetching.in_progress = true;
        let mut body = String::new();
        object(&mut body, |o| {
            o.add("grant_type", "client_credentials")
                .add("client_id", client_id)
                .add("client_secret", client_secret.expose());
        });
        CredentialStep::Fetch(PreparedRequest::new(HttpRequest {
            method: "POST",
            url: format!("{}/token", self.app_url(&self.common.base_url)),
            headers: vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("Accept".to_owned(), "application/json".to_owned()),
            ],
            body: Some(body),
        }))
    }

    fn on_credential_response(
        &self,
        credentials: &mut CredentialState,
        response: Option<&HttpResponse>,
        now_ms: f64,
    ) -> Result<(), ProfileError> {
        if !matches!(self.auth, Auth::ClientCredentials { .. }) {
            return Ok(());
        }
        credentials.fetching.in_progress = false;
        let token_error = |code: ErrorCode, retryable: bool, what: String| {
            self.error(code, format!("Easemob token request: {what}"))
                .retryable(retryable)
        };
        let outcome = match response {
            None => Err(token_error(ErrorCode::Network, true, "no response".into())),
            Some(r) if r.status == 200 => {
                let body = crate::json::parse::<Shallow>(&r.body).ok();
                let member = |key| body.as_ref()?.member(key);
                let token = member("access_token");
                let token = token
                    .as_ref()
                    .and_then(Shallow::as_str)
                    .filter(|t| !t.is_empty());
                let expires_in = member("expires_in").and_then(|s| s.number());
                let expires_in = expires_in.filter(|s| *s > 0.0);
                // It goes into an Authorization header: checked like a token the caller gives.
                let header_safe = token.filter(|t| t.bytes().all(|b| b.is_ascii_graphic()));
                match (token, header_safe, expires_in) {
                    (Some(_), None, _) => Err(token_error(
                        ErrorCode::InvalidResponse,
                        false,
                        "the access_token holds characters a header cannot carry".into(),
                    )),
                    (_, Some(token), Some(seconds)) => Ok((token.to_owned(), seconds * 1000.0)),
                    _ => Err(token_error(
                        ErrorCode::InvalidResponse,
                        true,
                        "the answer has no access_token and expires_in".into(),
                    )),
                }
            }
            Some(r) => {
                let (kind, description) = Self::error_parts(&r.body);
                let what = format!(
                    "HTTP {}{}{}",
                    crate::model::digits(r.status),
                    kind.map(|k| format!(" {k}")).unwrap_or_default(),
                    if description.is_empty() {
                        String::new()
                    } else {
                        format!(": {description}")
                    }
                );
                let (code, retryable) = match r.status {
                    429 => (ErrorCode::RateLimited, true),
                    500..=599 => (ErrorCode::VendorError, true),
                    _ => (ErrorCode::AuthFailed, false),
                };
                Err(token_error(code, retryable, what).with_status(r.status))
            }
        };
        let fetching = &mut credentials.fetching;
        match outcome {
            Ok((value, lifetime_ms)) => {
                let renew_at_ms =
                    now_ms + lifetime_ms - TOKEN_RENEWAL_MARGIN_MS.min(lifetime_ms / 2.0);
                credentials.store(Secret::new(value), now_ms, renew_at_ms);
                Ok(())
            }
            Err(error) if error.retryable && fetching.failures < self.common.retries => {
                fetching.failures += 1;
                let delay = (TOKEN_RETRY_BASE_MS * 2f64.powi(fetching.failures as i32 - 1))
                    .min(TOKEN_RETRY_CAP_MS);
                let retry_after = response.and_then(|r| r.retry_after_ms(now_ms));
                fetching.not_before_ms = now_ms + retry_after.unwrap_or(delay).max(delay);
                Err(error)
            }
            Err(error) => {
                fetching.failures = 0;
                Err(error.retryable(false))
            }
        }
    }

    fn credential_rejected(&self, credentials: &mut CredentialState, generation: u64) -> bool {
        matches!(self.auth, Auth::ClientCredentials { .. }) && credentials.rejected(generation)
    }

    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest {
        let username = ids.first().copied().unwrap_or_default();
        let url = format!(
            "{}/users/{}",
            self.app_url(ctx.base_url),
            percent_encode(username)
        );
        self.authorized_get(url, ctx)
    }

    fn parse_response(
        &self,
        ids: &[&str],
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> ResponseOutcome {
        if response.status != 200 {
            return match self.classify(response, ctx.now_ms) {
                Ok(code) => ResponseOutcome::Parsed {
                    profiles: Vec::new(),
                    failures: ids
                        .iter()
                        .map(|id| Failure {
                            id: (*id).to_owned(),
                            code,
                            message: "Easemob has no user with this username".into(),
                            vendor_code: Some(VendorCode::Text(
                                "service_resource_not_found".into(),
                            )),
                            retryable: false,
                        })
                        .collect(),
                    transient: Vec::new(),
                },
                Err(RequestVerdict::Rejected(error)) => ResponseOutcome::CredentialRejected(error),
                Err(RequestVerdict::Failed(error, retry_after_ms)) => ResponseOutcome::Failed {
                    error,
                    retry_after_ms,
                },
            };
        }
        let entities = match self.entities(&response.body, ctx.include_raw) {
            Ok((entities, _)) => entities,
            Err(error) => {
                return ResponseOutcome::Failed {
                    error,
                    retry_after_ms: None,
                }
            }
        };
        let mut profiles = Vec::new();
        let mut failures = Vec::new();
        let usernames = Usernames::of(&entities);
        for &id in ids {
            match usernames.first(id).map(|at| &entities[at]) {
                Some(entity) => profiles.push(normalize(entity, id)),
                None => failures.push(Failure {
                    id: id.to_owned(),
                    code: ErrorCode::NotFound,
                    message: "Easemob answered without this user".into(),
                    vendor_code: None,
                    retryable: false,
                }),
            }
        }
        ResponseOutcome::Parsed {
            profiles,
            failures,
            transient: Vec::new(),
        }
    }

    fn listing(&self) -> Option<&dyn Listing> {
        Some(self)
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.auth {
            Auth::Static(token) => vec![token.expose()],
            Auth::ClientCredentials { client_secret, .. } => vec![client_secret.expose()],
        }
    }

    fn rate_account(&self) -> String {
        format!("{}#{}", self.org_name, self.app_name)
    }

    fn describe(&self) -> Object {
        let mut map = describe_common(VendorKey::Easemob, &self.common);
        map.insert("orgName", self.org_name.clone());
        map.insert("appName", self.app_name.clone());
        let auth = match &self.auth {
            Auth::Static(_) => "token",
            Auth::ClientCredentials { client_id, .. } => {
                map.insert("clientId", client_id.clone());
                "clientCredentials"
            }
        };
        map.insert("auth", auth);
        map
    }
}

impl Listing for Easemob {
    fn max_page_size(&self) -> u32 {
        MAX_PAGE_SIZE
    }

    fn build_page_request(
        &self,
        page_size: u32,
        cursor: Option<&str>,
        ctx: &RequestContext,
    ) -> PreparedRequest {
        let mut url = format!("{}/users?limit={page_size}", self.app_url(ctx.base_url));
        if let Some(cursor) = cursor {
            url.push_str("&cursor=");
            url.push_str(&percent_encode(cursor));
        }
        self.authorized_get(url, ctx)
    }

    fn parse_page_response(&self, response: &HttpResponse, ctx: &ParseContext) -> PageOutcome {
        if response.status != 200 {
            return match self.classify(response, ctx.now_ms) {
                Ok(code) => PageOutcome::Failed {
                    error: self
                        .error(
                            code,
                            "Easemob has no user listing for this org/app (HTTP 404)",
                        )
                        .with_status(404),
                    retry_after_ms: None,
                },
                Err(RequestVerdict::Rejected(error)) => PageOutcome::CredentialRejected(error),
                Err(RequestVerdict::Failed(error, retry_after_ms)) => PageOutcome::Failed {
                    error,
                    retry_after_ms,
                },
            };
        }
        match self.entities(&response.body, ctx.include_raw) {
            Ok((entities, cursor)) => {
                let profiles = entities
                    .iter()
                    .filter_map(|entity| {
                        let id = entity.username()?.text()?;
                        Some(normalize(entity, &id))
                    })
                    .collect();
                PageOutcome::Parsed(Page { profiles, cursor })
            }
            Err(error) => PageOutcome::Failed {
                error,
                retry_after_ms: None,
            },
        }
    }
}

#[cfg(test)]
mod tests;

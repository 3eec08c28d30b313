//! RongCloud "Batch Query User Profiles" (docs/vendors/rongcloud.md):
//! `POST {base}/user/profile/batch/query.json`, a form body with one `userId` field per id
//! (at most 100), signed with `App-Key`/`Nonce`/`Timestamp`/`Signature` headers.

use std::borrow::Cow;

use crate::config::{CommonConfig, VendorLimits};
use crate::http::{form_encode, HttpRequest, HttpResponse};
use crate::json::{json_fields, List, Obj, Object, Raw, Shallow};
use crate::model::{
    joined, ErrorCode, Failure, Gender, Profile, ProfileError, RawJson, Secret, VendorCode,
    VendorKey,
};
use crate::reader::ObjectReader;
use crate::signing;
use crate::vendors::descriptor::{Descriptor, Field, FieldKind, Mode};
use crate::vendors::{
    check_id_common, describe_common, match_items, ParseContext, PreparedRequest, RequestContext,
    ResponseOutcome, SignatureRequest, Vendor,
};

pub const DEFAULT_BASE_URL: &str = "https://api.rong-api.com";
/// RongCloud's primary hosts per data center and their backups (docs/vendors/rongcloud.md): the
/// backup is used by default when the base URL is one of these primaries.
const HOST_PAIRS: [(&str, &str); 5] = [
    ("https://api.rong-api.com", "https://api-b.rong-api.com"),
    (
        "https://api.sg-light-api.com",
        "https://api-b.sg-light-api.com",
    ),
    (
        "https://api.sg-b-light-api.com",
        "https://api-b.sg-b-light-api.com",
    ),
    (
        "https://api.us-light-api.com",
        "https://api-b.us-light-api.com",
    ),
    (
        "https://api.sau-light-api.com",
        "https://api-b.sau-light-api.com",
    ),
];
pub const MAX_BATCH_SIZE: usize = 100;
/// The vendor documentation: "Rate Limit: 100 requests per second".
pub const DEFAULT_RATE_LIMIT: f64 = 100.0;
/// RongCloud user ids are at most 64 bytes.
const MAX_ID_BYTES: usize = 64;
/// The vendor documentation's example nonce is short; RongCloud caps it at 18 characters.
const MAX_NONCE_CHARS: usize = 18;
const PATH: &str = "/user/profile/batch/query.json";

/// RongCloud, for the project ([`super::descriptor::Descriptor`]).
pub const DESCRIPTOR: Descriptor = Descriptor {
    vendor: VendorKey::RongCloud,
    title: "RongCloud",
    docs: "docs/vendors/rongcloud.md",
    account: &[Field::text("appKey", "App key", "RONGCLOUD_APP_KEY")],
    modes: &[
        Mode {
            id: "signer",
            label: "Signer endpoint (browser-safe)",
            browser_safe: true,
            fields: &[Field {
                key: "signer",
                label: "Signer URL (returns SHA1(secret + nonce + timestamp))",
                kind: FieldKind::Function,
                env: None,
                optional: false,
            }],
        },
        Mode {
            id: "appSecret",
            label: "App secret (local testing only)",
            browser_safe: false,
            fields: &[Field::secret(
                "appSecret",
                "App secret",
                "RONGCLOUD_APP_SECRET",
            )],
        },
    ],
    default_base_url: Some(DEFAULT_BASE_URL),
    base_url_env: None,
    default_rate_limit: DEFAULT_RATE_LIMIT,
    max_batch_size: MAX_BATCH_SIZE,
    lists_users: false,
    build: |input| Ok(Box::new(RongCloud::from_config(input)?)),
};

enum Signing {
    Secret(Secret),
    /// The user's `signer(nonce, timestamp)` callback, which the shell holds.
    External,
}

pub struct RongCloud {
    common: CommonConfig,
    app_key: String,
    backup_base_url: Option<String>,
    signing: Signing,
}

impl RongCloud {
    pub fn from_config(input: &ObjectReader) -> Result<Self, ProfileError> {
        let common = CommonConfig::parse(
            input,
            &VendorLimits {
                default_base_url: Some(DEFAULT_BASE_URL),
                max_batch_size: MAX_BATCH_SIZE,
                default_rate_limit: DEFAULT_RATE_LIMIT,
            },
        )?;
        let app_key = input.required_string("appKey")?;
        if app_key.chars().any(|c| c.is_control()) {
            return Err(ProfileError::invalid_config(
                "config.appKey must not contain control characters",
            ));
        }
        let secret = input.secret("appSecret")?;
        let signer = input.function("signer")?;
        let signing = match (secret, signer) {
            (Some(secret), false) => Signing::Secret(secret),
            (None, true) => Signing::External,
            (Some(_), true) => {
                return Err(ProfileError::invalid_config(
                    "config takes either appSecret or signer for rongcloud, not both",
                ))
            }
            (None, false) => {
                return Err(ProfileError::invalid_config(
                    "config.appSecret or config.signer is required for rongcloud",
                ))
            }
        };
        let backup_base_url = match input.string("backupBaseUrl")? {
            Some(url) => Some(crate::config::validate_base_url("backupBaseUrl", &url)?),
            None => HOST_PAIRS
                .iter()
                .find(|(primary, _)| primary.eq_ignore_ascii_case(&common.base_url))
                .map(|(_, backup)| (*backup).to_owned()),
        };
        Ok(RongCloud {
            common,
            app_key,
            backup_base_url,
            signing,
        })
    }

    /// What a body read as JSON means: the request's outcome, or why it failed as a whole.
    fn read_body(
        &self,
        ids: &[&str],
        body: Body,
        raw: Option<&str>,
        status: u16,
    ) -> Result<ResponseOutcome, ProfileError> {
        let code = body.code.as_ref().and_then(Shallow::as_i64);
        if status != 200 || code != Some(200) {
            let message = body.error_message.as_ref().or(body.msg.as_ref());
            let message = message.and_then(Shallow::as_str);
            return Err(self.request_error(status, code.filter(|c| *c != 200), message));
        }
        let Some(users) = body.user_list.and_then(List::into_inner) else {
            return Err(ProfileError::unreadable_response(
                VendorKey::RongCloud,
                200,
                "RongCloud response has no userList array",
            ));
        };
        let (matched, unnamed) =
            match_items(ids, users, User::id, raw.map(|text| (text, "userList")));
        let mut profiles = Vec::new();
        let mut failures = Vec::new();
        for (id, user, raw) in matched {
            match self.normalize(&user, id) {
                Ok(mut profile) => {
                    profile.raw = raw;
                    profiles.push(profile);
                }
                Err(why) => failures.push(Failure::new(
                    id,
                    ErrorCode::InvalidResponse,
                    format!("RongCloud sent an unreadable profile: {why}"),
                )),
            }
        }
        failures.extend(unnamed.into_iter().map(|id| {
            Failure::new(
                id,
                ErrorCode::NotFound,
                "RongCloud has no profile for this user id",
            )
        }));
        Ok(ResponseOutcome::Parsed {
            profiles,
            failures,
            transient: Vec::new(),
        })
    }

    fn error(&self, code: ErrorCode, message: String) -> ProfileError {
        ProfileError::new(code, message).with_vendor(VendorKey::RongCloud)
    }

    /// Classifies a failed request from its body `code` (when there is one) or else its status.
    fn request_error(
        &self,
        status: u16,
        code: Option<i64>,
        vendor_message: Option<&str>,
    ) -> ProfileError {
        let detail = vendor_message.map(|m| format!(": {m}")).unwrap_or_default();
        let (error_code, retryable, what) = match (code, status) {
            (Some(1001 | 1004 | 1006 | 1007), _) | (None, 401) => (
                ErrorCode::AuthFailed,
                false,
                "RongCloud refused the credentials",
            ),
            (Some(1008), _) | (None, 429) => {
                (ErrorCode::RateLimited, true, "RongCloud rate limit reached")
            }
            (Some(1000 | 1050), _) => (ErrorCode::VendorError, true, "RongCloud internal error"),
            (Some(1002 | 1003 | 1005), _) => (
                ErrorCode::InvalidInput,
                false,
                "RongCloud rejected the request parameters",
            ),
            (Some(1009 | 2007), _) | (None, 403 | 430) => (
                ErrorCode::PermissionDenied,
                false,
                "RongCloud denied access to the profile service",
            ),
            (None, 500..=599) => (ErrorCode::VendorError, true, "RongCloud server error"),
            (Some(_), 500..=599) => (ErrorCode::VendorError, true, "RongCloud server error"),
            _ => (ErrorCode::VendorError, false, "RongCloud returned an error"),
        };
        let mut error = self
            .error(
                error_code,
                format!("{what} (HTTP {}){detail}", crate::model::digits(status)),
            )
            .with_status(status)
            .retryable(retryable);
        if let Some(code) = code {
            error = error.with_vendor_code(VendorCode::Number(code));
        }
        error
    }

    fn normalize(&self, user: &User, id: &str) -> Result<Profile, String> {
        let mut profile = Profile::new(VendorKey::RongCloud, id);
        profile.version = user.version.as_ref().and_then(Shallow::number);
        each_member(user.user_profile.as_ref(), |key, raw| {
            let value = || Shallow::of(raw);
            match key {
                "name" => profile.name = value().text(),
                "portraitUri" => profile.avatar_url = value().text(),
                "email" => profile.email = value().text(),
                "birthday" => profile.birthday = value().text(),
                "location" => profile.location = value().text(),
                "gender" => profile.gender = gender(&value()),
                "role" => profile.role = value().number(),
                "level" => profile.level = value().number(),
                _ => profile.custom.insert(key, RawJson::new(raw)),
            }
        })
        .map_err(|e| format!("userProfile {e}"))?;
        each_member(user.user_ext_profile.as_ref(), |key, raw| {
            profile.custom.insert(key, RawJson::new(raw))
        })
        .map_err(|e| format!("userExtProfile {e}"))?;
        Ok(profile)
    }
}

json_fields! {
    /// A response body, as far as it is read ([`crate::json`]: any JSON is taken).
    struct Body<'a> {
        "code" => code: Option<Shallow<'a>>,
        "errorMessage" => error_message: Option<Shallow<'a>>,
        "msg" => msg: Option<Shallow<'a>>,
        "userList" => user_list: Option<List<Obj<User<'a>>>>,
    }
}

json_fields! {
    struct User<'a> {
        "userId" => user_id: Option<Shallow<'a>>,
        "version" => version: Option<Shallow<'a>>,
        "userProfile" => user_profile: Option<Shallow<'a>>,
        "userExtProfile" => user_ext_profile: Option<Shallow<'a>>,
    }
}

impl User<'_> {
    fn id(&self) -> Option<Cow<'_, str>> {
        self.user_id.as_ref().and_then(Shallow::text_ref)
    }
}

/// The vendor documentation's type table says `userProfile`/`userExtProfile` are JSON-encoded strings; its own
/// example sends objects. Accept both, and treat absent, null or empty as nothing: each member
/// of the object goes to `member`.
fn each_member(
    value: Option<&Shallow>,
    mut member: impl FnMut(&str, Raw),
) -> Result<(), &'static str> {
    let embedded;
    let members = match value {
        None | Some(Shallow::Null) => return Ok(()),
        Some(Shallow::Object(object)) => object,
        Some(Shallow::Str(s)) if s.trim().is_empty() => return Ok(()),
        Some(Shallow::Str(s)) => {
            embedded = crate::json::parse::<Shallow>(s);
            match &embedded {
                Ok(Shallow::Object(object)) => object,
                Ok(Shallow::Null) => return Ok(()),
                _ => return Err("is not a JSON object"),
            }
        }
        Some(_) => return Err("is neither an object nor a JSON string"),
    };
    for (key, raw) in members {
        member(key, *raw);
    }
    Ok(())
}

/// RongCloud codes gender as 0 unknown, 1 male, 2 female.
fn gender(value: &Shallow) -> Gender {
    match value.number() {
        Some(1.0) => Gender::Male,
        Some(2.0) => Gender::Female,
        _ => Gender::Unknown,
    }
}

impl Vendor for RongCloud {
    fn key(&self) -> VendorKey {
        VendorKey::RongCloud
    }

    fn common(&self) -> &CommonConfig {
        &self.common
    }

    fn base_urls(&self) -> Vec<String> {
        std::iter::once(self.common.base_url.clone())
            .chain(self.backup_base_url.clone())
            .collect()
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        check_id_common(id, MAX_ID_BYTES)?;
        if id.len() > MAX_ID_BYTES {
            return Err(format!(
                "a RongCloud user id must be at most {MAX_ID_BYTES} bytes"
            ));
        }
        Ok(())
    }

    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest {
        let nonce: String = ctx.nonce.chars().take(MAX_NONCE_CHARS).collect();
        let timestamp = crate::model::digits(ctx.now_ms.floor() as u64);
        let body = joined(
            ids.iter().map(|id| format!("userId={}", form_encode(id))),
            "&",
        );
        let mut headers = vec![
            ("App-Key".to_owned(), self.app_key.clone()),
            ("Nonce".to_owned(), nonce.clone()),
            ("Timestamp".to_owned(), timestamp.clone()),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ];
        let external_signature = match &self.signing {
            Signing::Secret(secret) => {
                let signature = signing::rongcloud::signature(secret.expose(), &nonce, &timestamp);
                headers.push(("Signature".to_owned(), signature));
                None
            }
            Signing::External => Some(SignatureRequest { nonce, timestamp }),
        };
        PreparedRequest {
            http: HttpRequest {
                method: "POST",
                url: format!("{}{PATH}", ctx.base_url),
                headers,
                body: Some(body),
            },
            external_signature,
            redact: Vec::new(),
            credential_generation: 0,
        }
    }

    fn apply_external_signature(
        &self,
        request: &mut HttpRequest,
        signature: &str,
    ) -> Result<(), ProfileError> {
        let usable = !signature.is_empty()
            && signature.len() <= 128
            && signature.bytes().all(|b| b.is_ascii_graphic());
        if !usable {
            return Err(self.error(
                ErrorCode::InvalidConfig,
                "config.signer must return a non-empty signature string of visible ASCII (a 40-character hex SHA1)".into(),
            ));
        }
        request.headers.retain(|(k, _)| k != "Signature");
        request
            .headers
            .push(("Signature".to_owned(), signature.to_owned()));
        Ok(())
    }

    fn parse_response(
        &self,
        ids: &[&str],
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> ResponseOutcome {
        let retry_after_ms = response.retry_after_ms(ctx.now_ms);
        let failed = |error| ResponseOutcome::Failed {
            error,
            retry_after_ms,
        };
        let Some(body) = crate::json::read_object::<Body>(&response.body) else {
            return failed(if response.status == 200 {
                ProfileError::unreadable_response(
                    VendorKey::RongCloud,
                    200,
                    "RongCloud sent a body that is not valid JSON",
                )
            } else {
                self.request_error(response.status, None, None)
            });
        };
        let raw = ctx.include_raw.then_some(response.body.as_str());
        self.read_body(ids, body, raw, response.status)
            .unwrap_or_else(failed)
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.signing {
            Signing::Secret(secret) => vec![secret.expose()],
            Signing::External => Vec::new(),
        }
    }

    fn rate_account(&self) -> String {
        self.app_key.clone()
    }

    fn describe(&self) -> Object {
        let mut map = describe_common(VendorKey::RongCloud, &self.common);
        map.insert("appKey", self.app_key.clone());
        if let Some(backup) = &self.backup_base_url {
            map.insert("backupBaseUrl", backup.clone());
        }
        let signing = match self.signing {
            Signing::Secret(_) => "appSecret",
            Signing::External => "signer",
        };
        map.insert("signing", signing);
        map
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::json::write::ToJson;
    use crate::reader::PlainObject;

    fn vendor(json: &str) -> Result<RongCloud, ProfileError> {
        crate::vendors::test_support::from_json(json, RongCloud::from_config)
    }

    fn client() -> RongCloud {
        vendor(r#"{"vendor":"rongcloud","appKey":"uwd1c0sxdlx2","appSecret":"Y1W2MeFwwwRxa0"}"#)
            .unwrap()
    }

    fn parse(body: &str, ids: &[&str]) -> ResponseOutcome {
        client().parse_response(ids, &HttpResponse::new(200, body), &ParseContext::default())
    }

    fn ctx() -> RequestContext<'static> {
        RequestContext {
            now_ms: 1_408_710_653_491.0,
            nonce: "14314".into(),
            random: 0,
            base_url: DEFAULT_BASE_URL,
            fields: None,
            credential: None,
        }
    }

    #[test]
    fn request_matches_the_documentation_and_is_signed() {
        let req = client().build_request(&["u1", "u2"], &ctx()).http;
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.url,
            "https://api.rong-api.com/user/profile/batch/query.json"
        );
        assert_eq!(req.body.as_deref(), Some("userId=u1&userId=u2"));
        assert_eq!(req.header("App-Key"), Some("uwd1c0sxdlx2"));
        assert_eq!(req.header("Nonce"), Some("14314"));
        assert_eq!(req.header("Timestamp"), Some("1408710653491"));
        assert_eq!(
            req.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            req.header("Signature"),
            Some("dd11a264276f438b045b3b236a2741ddc89d48df")
        );
    }

    #[test]
    fn nonce_is_capped_at_18_characters_and_ids_are_form_encoded() {
        let mut c = ctx();
        c.nonce = "0123456789abcdefghijklmnopqrstuv".into();
        let req = client().build_request(&["a b", "x&y=z"], &c).http;
        assert_eq!(req.header("Nonce"), Some("0123456789abcdefgh"));
        assert_eq!(req.body.as_deref(), Some("userId=a+b&userId=x%26y%3Dz"));
    }

    #[test]
    fn external_signer_leaves_the_signature_to_the_shell() {
        let plain = PlainObject::from_json(r#"{"vendor":"rongcloud","appKey":"k"}"#, &["signer"]);
        let vendor = RongCloud::from_config(&plain.config()).unwrap();
        let mut prepared = vendor.build_request(&["u1"], &ctx());
        assert_eq!(
            prepared.external_signature,
            Some(SignatureRequest {
                nonce: "14314".into(),
                timestamp: "1408710653491".into()
            })
        );
        assert_eq!(prepared.http.header("Signature"), None);
        vendor
            .apply_external_signature(&mut prepared.http, "abc123")
            .unwrap();
        assert_eq!(prepared.http.header("Signature"), Some("abc123"));
        assert!(vendor
            .apply_external_signature(&mut prepared.http, "bad\r\nheader")
            .is_err());
        assert!(vendor
            .apply_external_signature(&mut prepared.http, "")
            .is_err());
    }

    /// The vendor documentation's own response example, verbatim.
    const DOC_RESPONSE: &str = r#"{
"code": 200,
"userList": [
{
"userId": "u1",
"version": 12343433499942,
"userProfile": {"birthday":"20011221","level":2},
"userExtProfile": {"ext_1":"testext"}
},
{
"userId": "u2",
"userProfile": {"gender":1,"level":5}
}
]
}"#;

    #[test]
    fn parses_the_documented_sample_response() {
        let ResponseOutcome::Parsed {
            profiles,
            failures,
            transient,
        } = parse(DOC_RESPONSE, &["u1", "u2", "u3"])
        else {
            panic!("expected parsed");
        };
        assert_eq!(profiles.len(), 2);
        let u1 = &profiles[0];
        assert_eq!(u1.id, "u1");
        assert_eq!(u1.version, Some(12_343_433_499_942.0));
        assert_eq!(u1.birthday.as_deref(), Some("20011221"));
        assert_eq!(u1.level, Some(2.0));
        assert_eq!(u1.gender, Gender::Unknown);
        assert_eq!(
            u1.custom.get("ext_1"),
            Some(serde_json::Value::from("testext"))
        );
        let u2 = &profiles[1];
        assert_eq!((u2.gender, u2.level), (Gender::Male, Some(5.0)));
        assert!(u2.custom.is_empty());
        assert_eq!(failures.len(), 1);
        assert_eq!(
            (failures[0].id.as_str(), failures[0].code),
            ("u3", ErrorCode::NotFound)
        );
        assert!(transient.is_empty());
    }

    #[test]
    fn profiles_as_json_strings_per_the_type_table() {
        let body = r#"{"code":200,"userList":[{"userId":"u1","version":3,
            "userProfile":"{\"name\":\"Ann\",\"portraitUri\":\"https://x/a.png\",\"email\":\"a@x.io\",\"gender\":2,\"location\":\"Hangzhou\",\"role\":7,\"uniqueId\":\"A-1\"}",
            "userExtProfile":"{\"ext_vip\":\"gold\"}"}]}"#;
        let ResponseOutcome::Parsed { profiles, .. } = parse(body, &["u1"]) else {
            panic!()
        };
        let p = &profiles[0];
        assert_eq!(p.name.as_deref(), Some("Ann"));
        assert_eq!(p.avatar_url.as_deref(), Some("https://x/a.png"));
        assert_eq!(p.email.as_deref(), Some("a@x.io"));
        assert_eq!(p.gender, Gender::Female);
        assert_eq!(p.location.as_deref(), Some("Hangzhou"));
        assert_eq!(p.role, Some(7.0));
        assert_eq!(
            p.custom.get("uniqueId"),
            Some(serde_json::Value::from("A-1"))
        );
        assert_eq!(
            p.custom.get("ext_vip"),
            Some(serde_json::Value::from("gold"))
        );
    }

    #[test]
    fn gender_coding() {
        for (raw, want) in [
            ("0", Gender::Unknown),
            ("1", Gender::Male),
            ("2", Gender::Female),
            ("3", Gender::Unknown),
            ("\"1\"", Gender::Male),
            ("null", Gender::Unknown),
        ] {
            let v: Shallow = crate::json::parse(raw).unwrap();
            assert_eq!(gender(&v), want, "{raw}");
        }
    }

    #[test]
    fn ids_nobody_asked_for_and_duplicates_are_ignored() {
        let body = r#"{"code":200,"userList":[{"userId":"zz"},{"userId":"u1","userProfile":{"name":"a"}},{"userId":"u1","userProfile":{"name":"b"}}]}"#;
        let ResponseOutcome::Parsed {
            profiles, failures, ..
        } = parse(body, &["u1"])
        else {
            panic!()
        };
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].name.as_deref(), Some("a"));
        assert!(failures.is_empty());
    }

    #[test]
    fn an_unreadable_embedded_profile_fails_only_its_id() {
        let body = r#"{"code":200,"userList":[{"userId":"u1","userProfile":"{not json"},{"userId":"u2"}]}"#;
        let ResponseOutcome::Parsed {
            profiles, failures, ..
        } = parse(body, &["u1", "u2"])
        else {
            panic!()
        };
        assert_eq!(profiles.len(), 1);
        assert_eq!(
            (failures[0].id.as_str(), failures[0].code),
            ("u1", ErrorCode::InvalidResponse)
        );
    }

    fn failed(status: u16, body: &str) -> ProfileError {
        let response = HttpResponse::new(status, body).with_header("Retry-After", "1");
        match client().parse_response(&["u1"], &response, &ParseContext::default()) {
            ResponseOutcome::Failed { error, .. } => error,
            other => panic!("expected failure, got {other:?}"),
        }
    }

    #[test]
    fn error_codes_classify_per_the_documentation() {
        assert!(failed(429, "").message.contains("(HTTP 429)"));
        for (status, body, code, retryable) in [
            (
                401,
                r#"{"code":1004,"errorMessage":"signature error"}"#,
                ErrorCode::AuthFailed,
                false,
            ),
            (401, r#"{"code":1001}"#, ErrorCode::AuthFailed, false),
            (200, r#"{"code":1006}"#, ErrorCode::AuthFailed, false),
            (401, "", ErrorCode::AuthFailed, false),
            (429, r#"{"code":1008}"#, ErrorCode::RateLimited, true),
            (429, "Too Many Requests", ErrorCode::RateLimited, true),
            (500, r#"{"code":1000}"#, ErrorCode::VendorError, true),
            (504, r#"{"code":1050}"#, ErrorCode::VendorError, true),
            (
                502,
                "<html>bad gateway</html>",
                ErrorCode::VendorError,
                true,
            ),
            (400, r#"{"code":1002}"#, ErrorCode::InvalidInput, false),
            (400, r#"{"code":1005}"#, ErrorCode::InvalidInput, false),
            (430, r#"{"code":1009}"#, ErrorCode::PermissionDenied, false),
            (
                200,
                r#"{"code":200,"userList":[{"userId":"u1""#,
                ErrorCode::InvalidResponse,
                true,
            ),
            (200, r#"{"code":200}"#, ErrorCode::InvalidResponse, true),
        ] {
            let err = failed(status, body);
            assert_eq!(
                (err.code, err.retryable),
                (code, retryable),
                "{status} {body}"
            );
            assert_eq!(err.status, Some(status));
        }
        assert_eq!(
            failed(401, r#"{"code":1004}"#).vendor_code,
            Some(VendorCode::Number(1004))
        );
    }

    #[test]
    fn config_validation() {
        let base = r#""vendor":"rongcloud","appKey":"k","appSecret":"s""#;
        assert!(vendor(&format!("{{{base}}}")).is_ok());
        for bad in [
            r#"{"vendor":"rongcloud","appSecret":"s"}"#.to_owned(),
            r#"{"vendor":"rongcloud","appKey":"k"}"#.to_owned(),
            format!(r#"{{{base},"batchSize":101}}"#),
            format!(r#"{{{base},"batchSize":0}}"#),
            format!(r#"{{{base},"baseUrl":"http://example.com"}}"#),
            format!(r#"{{{base},"backupBaseUrl":"http://example.com"}}"#),
            format!(r#"{{{base},"rateLimit":-1}}"#),
            format!(r#"{{{base},"concurrency":1.5}}"#),
        ] {
            let err = vendor(&bad)
                .err()
                .unwrap_or_else(|| panic!("accepted {bad}"));
            assert_eq!(err.code, ErrorCode::InvalidConfig, "{bad}");
            assert!(!err.message.contains("\"s\""));
        }
        let v = vendor(&format!(
            r#"{{{base},"batchSize":100,"baseUrl":"http://127.0.0.1:9/"}}"#
        ))
        .unwrap();
        assert_eq!(v.common.base_url, "http://127.0.0.1:9");
        assert_eq!(
            (v.common.rate_limit, v.common.concurrency, v.common.retries),
            (100.0, None, 3)
        );
    }

    #[test]
    fn backup_hosts_default_per_data_center() {
        assert_eq!(
            client().base_urls(),
            ["https://api.rong-api.com", "https://api-b.rong-api.com"]
        );
        let sg =
            vendor(r#"{"appKey":"k","appSecret":"s","baseUrl":"https://api.sg-light-api.com/"}"#)
                .unwrap();
        assert_eq!(
            sg.base_urls(),
            [
                "https://api.sg-light-api.com",
                "https://api-b.sg-light-api.com"
            ]
        );
        let own = vendor(r#"{"appKey":"k","appSecret":"s","baseUrl":"https://a.io","backupBaseUrl":"https://b.io"}"#).unwrap();
        assert_eq!(own.base_urls(), ["https://a.io", "https://b.io"]);
        let local =
            vendor(r#"{"appKey":"k","appSecret":"s","baseUrl":"http://127.0.0.1:1"}"#).unwrap();
        assert_eq!(local.base_urls(), ["http://127.0.0.1:1"]);
    }

    #[test]
    fn describe_has_no_secret() {
        let text = client().describe().to_json();
        assert!(!text.contains("Y1W2MeFwwwRxa0"));
        assert!(text.contains("\"signing\":\"appSecret\""));
    }

    #[test]
    fn id_rules() {
        let c = client();
        assert!(c.validate_id("u1").is_ok());
        assert!(c.validate_id("").is_err());
        assert!(c.validate_id("a\nb").is_err());
        assert!(c.validate_id(&"x".repeat(64)).is_ok());
        assert!(c.validate_id(&"x".repeat(65)).is_err());
        assert!(c.validate_id(&"é".repeat(33)).is_err());
    }
}

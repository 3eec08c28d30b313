//! Tencent Cloud Chat's REST API, shared by its two endpoints we implement:
//! [`PortraitGet`] (`v4/profile/portrait_get`, docs/vendors/tencent-portrait-get.md, vendor key `tencent`) and
//! [`ImGetAttr`] (`v4/all_member_push/im_get_attr`, docs/vendors/tencent-im-get-attr.md, vendor key `tencent-attrs`).
//!
//! Both take the same credentials in the query string (`sdkappid`, `identifier`, `usersig`,
//! `random`, `contenttype=json`), answer HTTP 200 with `ActionStatus`/`ErrorCode` in the body
//! for every outcome but network-level ones, and share the public error codes 60000–79999.

mod im_get_attr;
mod portrait_get;

pub use im_get_attr::ImGetAttr;
pub use portrait_get::PortraitGet;

use std::borrow::Cow;

use crate::config::{CommonConfig, VendorLimits};
use crate::credential::CredentialState;
use crate::http::{percent_encode, HttpRequest, HttpResponse};
use crate::json::{json_fields, List, Obj, Object, Raw, Shallow};
use crate::model::{ErrorCode, ProfileError, Secret, VendorCode, VendorKey};
use crate::reader::ObjectReader;
use crate::signing::tls_sig::{decode_user_sig, UserSigIssuer};
use crate::vendors::descriptor::{Descriptor, Field, Mode};
use crate::vendors::{
    check_id_common, CredentialStep, PreparedRequest, RequestContext, ResponseOutcome,
};

json_fields! {
    /// A body of either endpoint: the members both have (`ActionStatus`, `ErrorCode`,
    /// `ErrorInfo`) and each one's list of accounts, read in one pass. One struct for both,
    /// and one for their items, so that a build holds one reader of each rather than two:
    /// a member the endpoint does not send stays `None`.
    struct Body<'a> {
        "ActionStatus" => action_status: Option<Shallow<'a>>,
        "ErrorCode" => error_code: Option<Shallow<'a>>,
        "ErrorInfo" => error_info: Option<Shallow<'a>>,
        "UserProfileItem" => profile_items: Option<List<Obj<Item<'a>>>>,
        "Fail_Account" => fail_account: Option<Shallow<'a>>,
        "UserAttrs" => user_attrs: Option<List<Obj<Item<'a>>>>,
    }
}

json_fields! {
    /// An account of either list: portrait_get's have tags and a result code, im_get_attr's
    /// their attributes.
    struct Item<'a> {
        "To_Account" => to_account: Option<Shallow<'a>>,
        "ProfileItem" => profile_item: Option<List<Obj<TagValue<'a>>>>,
        "ResultCode" => result_code: Option<Shallow<'a>>,
        "ResultInfo" => result_info: Option<Shallow<'a>>,
        "Attrs" => attrs: Option<Shallow<'a>>,
    }
}

json_fields! {
    struct TagValue<'a> {
        "Tag" => tag: Option<Shallow<'a>>,
        "Value" => value: Option<Raw<'a>>,
    }
}

impl Item<'_> {
    /// The account an item answers for, as `match_items` asks.
    fn account(&self) -> Option<Cow<'_, str>> {
        self.to_account.as_ref().and_then(Shallow::text_ref)
    }
}

/// The region → host table (docs/vendors/tencent-portrait-get.md).
pub const REGIONS: [(&str, &str); 8] = [
    ("china", "https://console.tim.qq.com"),
    ("singapore", "https://adminapisgp.im.qcloud.com"),
    ("seoul", "https://adminapikr.im.qcloud.com"),
    ("frankfurt", "https://adminapiger.im.qcloud.com"),
    ("silicon-valley", "https://adminapiusa.im.qcloud.com"),
    ("jakarta", "https://adminapiidn.im.qcloud.com"),
    ("tokyo", "https://adminapijpn.im.qcloud.com"),
    ("mumbai", "https://adminapiind.im.qcloud.com"),
];
/// Both APIs' documentation: at most 100 accounts per request.
pub const MAX_BATCH_SIZE: usize = 100;
/// Tencent UserIDs (and so the admin identifier) are at most 32 bytes.
const MAX_USER_ID_BYTES: usize = 32;
const DEFAULT_USER_SIG_TTL_SECONDS: u64 = 86_400;
/// Tencent's code for a UserSig past its expiry.
const USER_SIG_EXPIRED: i64 = 70001;

/// The keys both Tencent APIs take, for their descriptors ([`super::descriptor::Descriptor`]).
const ACCOUNT: &[Field] = &[
    Field::number("sdkAppId", "SDKAppID", "TENCENT_SDK_APP_ID"),
    Field::text("identifier", "Admin identifier", "TENCENT_IDENTIFIER"),
    Field::text("region", "Region", "TENCENT_REGION").optional(),
];
const MODES: &[Mode] = &[
    Mode {
        id: "userSig",
        label: "UserSig (browser-safe)",
        browser_safe: true,
        fields: &[Field::secret("userSig", "UserSig", "TENCENT_USER_SIG")],
    },
    Mode {
        id: "secretKey",
        label: "Secret key (local testing only)",
        browser_safe: false,
        fields: &[Field::secret(
            "secretKey",
            "Secret key",
            "TENCENT_SECRET_KEY",
        )],
    },
];

/// A Tencent API's descriptor: both take the same account and credentials.
const fn descriptor(
    vendor: VendorKey,
    title: &'static str,
    docs: &'static str,
    default_rate_limit: f64,
    build: fn(&ObjectReader) -> Result<Box<dyn super::Vendor>, ProfileError>,
) -> Descriptor {
    Descriptor {
        vendor,
        title,
        docs,
        account: ACCOUNT,
        modes: MODES,
        default_base_url: Some(REGIONS[0].1),
        base_url_env: None,
        default_rate_limit,
        max_batch_size: MAX_BATCH_SIZE,
        lists_users: false,
        build,
    }
}

/// `v4/profile/portrait_get` (vendor key `tencent`).
pub const PORTRAIT_GET: Descriptor = descriptor(
    VendorKey::Tencent,
    "Tencent Cloud Chat (portrait_get)",
    "docs/vendors/tencent-portrait-get.md",
    portrait_get::DEFAULT_RATE_LIMIT,
    |input| Ok(Box::new(PortraitGet::from_config(input)?)),
);

/// `v4/all_member_push/im_get_attr` (vendor key `tencent-attrs`).
pub const IM_GET_ATTR: Descriptor = descriptor(
    VendorKey::TencentAttrs,
    "Tencent Cloud Chat (im_get_attr)",
    "docs/vendors/tencent-im-get-attr.md",
    im_get_attr::DEFAULT_RATE_LIMIT,
    |input| Ok(Box::new(ImGetAttr::from_config(input)?)),
);

enum Credential {
    /// A UserSig the user made; `expires_at` (Unix seconds) when it could be decoded.
    Provided {
        user_sig: Secret,
        expires_at: Option<u64>,
    },
    /// Made here from the secret key, and renewed before it runs out.
    Issued(UserSigIssuer),
}

/// The config and credentials both endpoints share.
pub struct TencentAccess {
    key: VendorKey,
    common: CommonConfig,
    region: Option<&'static str>,
    sdk_app_id: u64,
    identifier: String,
    credential: Credential,
}

impl TencentAccess {
    fn from_config(
        input: &ObjectReader,
        key: VendorKey,
        default_rate_limit: f64,
    ) -> Result<Self, ProfileError> {
        let region = match input.string("region")? {
            None => None,
            Some(name) => Some(
                REGIONS
                    .iter()
                    .find(|(region, _)| *region == name)
                    .ok_or_else(|| {
                        let names = crate::model::joined(REGIONS.iter().map(|(r, _)| *r), ", ");
                        ProfileError::invalid_config(format!(
                            "config.region must be one of {names}"
                        ))
                    })?,
            ),
        };
        let default_base_url = region.unwrap_or(&REGIONS[0]).1;
        let common = CommonConfig::parse(
            input,
            &VendorLimits {
                default_base_url: Some(default_base_url),
                max_batch_size: MAX_BATCH_SIZE,
                default_rate_limit,
            },
        )?;
        if input.number("sdkAppId")?.is_none() {
            return Err(ProfileError::invalid_config(
                "config.sdkAppId is required (the SDKAppID number from the Chat console)",
            ));
        }
        let sdk_app_id = input.integer_in("sdkAppId", 1, u64::from(u32::MAX), 0)?;
        let identifier = input.required_string("identifier")?;
        check_id_common(&identifier, MAX_USER_ID_BYTES)
            .and_then(|()| check_bytes(&identifier))
            .map_err(|why| ProfileError::invalid_config(format!("config.identifier: {why}")))?;
        let user_sig = input.secret("userSig")?;
        let secret_key = input.secret("secretKey")?;
        let has_ttl = input.number("userSigTtlSeconds")?.is_some();
        let credential = match (user_sig, secret_key) {
            (Some(user_sig), None) => {
                if has_ttl {
                    return Err(ProfileError::invalid_config(
                        "config.userSigTtlSeconds applies only with config.secretKey",
                    ));
                }
                let expires_at = match decode_user_sig(user_sig.expose()) {
                    Ok(doc) if doc.identifier != identifier => {
                        return Err(ProfileError::invalid_config(
                            "config.userSig was made for another identifier than config.identifier",
                        ))
                    }
                    Ok(doc) if doc.sdk_app_id != sdk_app_id => {
                        return Err(ProfileError::invalid_config(
                            "config.userSig was made for another SDKAppID than config.sdkAppId",
                        ))
                    }
                    Ok(doc) => Some(doc.expires_at()),
                    // Not a TLSSigAPIv2 document we can read: let the server judge it.
                    Err(_) => None,
                };
                Credential::Provided {
                    user_sig,
                    expires_at,
                }
            }
            (None, Some(secret_key)) => {
                let ttl = input.integer_in(
                    "userSigTtlSeconds",
                    60,
                    10 * 365 * 86_400,
                    DEFAULT_USER_SIG_TTL_SECONDS,
                )?;
                Credential::Issued(UserSigIssuer::new(
                    secret_key,
                    identifier.clone(),
                    sdk_app_id,
                    ttl,
                ))
            }
            (Some(_), Some(_)) => {
                return Err(ProfileError::invalid_config(format!(
                    "config takes either userSig or secretKey for {}, not both",
                    key.as_str()
                )))
            }
            (None, None) => {
                return Err(ProfileError::invalid_config(format!(
                    "config.userSig or config.secretKey is required for {}",
                    key.as_str()
                )))
            }
        };
        Ok(TencentAccess {
            key,
            common,
            region: region.map(|(name, _)| *name),
            sdk_app_id,
            identifier,
            credential,
        })
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) -> ProfileError {
        ProfileError::new(code, message).with_vendor(self.key)
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        check_id_common(id, MAX_USER_ID_BYTES)?;
        check_bytes(id)
    }

    fn credential_error(&self, now_ms: f64) -> Option<ProfileError> {
        match &self.credential {
            Credential::Provided {
                expires_at: Some(expires_at),
                ..
            } if unix_seconds(now_ms) >= *expires_at => Some(self.error(
                ErrorCode::AuthFailed,
                format!(
                    "config.userSig expired at Unix time {}; make a new one, or give config.secretKey so that UserSigs are made and renewed for you",
                    crate::model::digits(*expires_at)
                ),
            )),
            _ => None,
        }
    }

    /// A UserSig made from the secret key is made (or renewed) before requests are built.
    fn credential_step(&self, credentials: &mut CredentialState, now_ms: f64) -> CredentialStep {
        if let Credential::Issued(issuer) = &self.credential {
            issuer.current(credentials, now_ms);
        }
        CredentialStep::Ready
    }

    /// A POST of `body` to `path` with the credentials in the query string.
    fn request(&self, path: &str, body: String, ctx: &RequestContext) -> PreparedRequest {
        let (user_sig, redact, generation) = match (&self.credential, ctx.credential) {
            (Credential::Provided { user_sig, .. }, _) => {
                (user_sig.expose().to_owned(), Vec::new(), 0)
            }
            (Credential::Issued(_), Some(held)) => (
                held.value().to_owned(),
                vec![held.value().to_owned()],
                held.generation(),
            ),
            // Not reached when the call follows credential_step: the server refuses it.
            (Credential::Issued(_), None) => (String::new(), Vec::new(), 0),
        };
        let url = format!(
            "{}{path}?sdkappid={}&identifier={}&usersig={}&random={}&contenttype=json",
            ctx.base_url,
            crate::model::digits(self.sdk_app_id),
            percent_encode(&self.identifier),
            query_user_sig(&user_sig),
            ctx.random
        );
        PreparedRequest {
            http: HttpRequest {
                method: "POST",
                url,
                headers: vec![("Content-Type".to_owned(), "application/json".to_owned())],
                body: Some(body),
            },
            external_signature: None,
            redact,
            credential_generation: generation,
        }
    }

    /// Checks the parts every Tencent response shares (its status, then `ActionStatus` and
    /// `ErrorCode`) and returns the body of one that succeeded, borrowing from the response.
    /// `classify` knows the endpoint's own error codes; the public ones are here.
    fn envelope<'t>(
        &self,
        response: &'t HttpResponse,
        now_ms: f64,
        classify: fn(i64) -> Option<(ErrorCode, bool, &'static str)>,
    ) -> Result<Body<'t>, ResponseOutcome> {
        let retry_after_ms = response.retry_after_ms(now_ms);
        let failed = |error: ProfileError| ResponseOutcome::Failed {
            error: error.with_status(response.status),
            retry_after_ms,
        };
        if response.status != 200 {
            let (code, retryable, what) = match response.status {
                429 => (ErrorCode::RateLimited, true, "rate limit reached"),
                500..=599 => (ErrorCode::VendorError, true, "server or gateway error"),
                401 | 403 => (ErrorCode::AuthFailed, false, "request refused"),
                _ => (ErrorCode::VendorError, false, "unexpected HTTP status"),
            };
            let message = format!(
                "Tencent Cloud Chat {what} (HTTP {})",
                crate::model::digits(response.status)
            );
            return Err(failed(self.error(code, message).retryable(retryable)));
        }
        let Some(body) = crate::json::read_object::<Body>(&response.body) else {
            return Err(failed(ProfileError::unreadable_response(
                self.key,
                response.status,
                "Tencent Cloud Chat sent a body that is not a JSON object",
            )));
        };
        fn text<'m>(member: &'m Option<Shallow>) -> Option<&'m str> {
            member.as_ref()?.as_str()
        }
        let code = body.error_code.as_ref().and_then(Shallow::as_i64);
        let code = code.unwrap_or(0);
        match text(&body.action_status) {
            Some("OK") if code == 0 => Ok(body),
            Some("OK" | "FAIL") | None if code != 0 => {
                let info = text(&body.error_info).unwrap_or_default();
                let error = self.request_error(code, info, classify);
                // A UserSig this module made, refused as expired: the call asks
                // `credential_rejected` whether a fresh one is worth a second try.
                if code == USER_SIG_EXPIRED && matches!(self.credential, Credential::Issued(_)) {
                    return Err(ResponseOutcome::CredentialRejected(
                        error.with_status(response.status),
                    ));
                }
                Err(failed(error))
            }
            _ => Err(failed(ProfileError::unreadable_response(
                self.key,
                response.status,
                "Tencent Cloud Chat sent a body without a usable ActionStatus and ErrorCode",
            ))),
        }
    }

    fn request_error(
        &self,
        code: i64,
        info: &str,
        classify: fn(i64) -> Option<(ErrorCode, bool, &'static str)>,
    ) -> ProfileError {
        let (error_code, retryable, what) = classify(code).unwrap_or_else(|| public_error(code));
        let detail = if info.is_empty() {
            String::new()
        } else {
            format!(": {}", clip(info))
        };
        self.error(
            error_code,
            format!(
                "Tencent Cloud Chat error {}, {what}{detail}",
                crate::model::digits(code)
            ),
        )
        .with_vendor_code(VendorCode::Number(code))
        .retryable(retryable)
    }

    fn credential_rejected(&self, credentials: &mut CredentialState, generation: u64) -> bool {
        match &self.credential {
            Credential::Issued(_) => credentials.rejected(generation),
            Credential::Provided { .. } => false,
        }
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.credential {
            Credential::Provided { user_sig, .. } => vec![user_sig.expose()],
            Credential::Issued(issuer) => vec![issuer.secret_key()],
        }
    }

    fn rate_account(&self) -> String {
        crate::model::digits(self.sdk_app_id)
    }

    fn describe(&self) -> Object {
        let mut map = crate::vendors::describe_common(self.key, &self.common);
        if let Some(region) = self.region {
            map.insert("region", region);
        }
        map.insert("sdkAppId", self.sdk_app_id);
        map.insert("identifier", self.identifier.clone());
        let credential = match &self.credential {
            Credential::Provided { .. } => "userSig",
            Credential::Issued(issuer) => {
                map.insert("userSigTtlSeconds", issuer.ttl_seconds());
                "secretKey"
            }
        };
        map.insert("credential", credential);
        map
    }
}

/// Tencent UserIDs are byte-limited (UTF-8), not character-limited.
fn check_bytes(id: &str) -> Result<(), String> {
    if id.len() > MAX_USER_ID_BYTES {
        return Err(format!(
            "a Tencent Cloud Chat UserID must be at most {MAX_USER_ID_BYTES} bytes"
        ));
    }
    Ok(())
}

/// A UserSig's alphabet (base64 with `*-_`) is query-safe, and the official SDKs send it as
/// it is; anything else a user provides is percent-encoded.
fn query_user_sig(user_sig: &str) -> String {
    let url_safe = user_sig
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'_'));
    if url_safe {
        user_sig.to_owned()
    } else {
        percent_encode(user_sig)
    }
}

fn unix_seconds(now_ms: f64) -> u64 {
    (now_ms.max(0.0) / 1000.0).floor() as u64
}

/// Vendor text in our messages is cut short: it is for people, and a hostile body could be huge.
fn clip(text: &str) -> &str {
    crate::model::first_chars(text, 200)
}

/// The public error codes (60000–79999) both endpoints can return.
fn public_error(code: i64) -> (ErrorCode, bool, &'static str) {
    match code {
        60007 | 60011 | 60018 | 60019 => (ErrorCode::RateLimited, true, "call frequency limit"),
        60008 => (ErrorCode::VendorError, true, "the service timed out"),
        60004 | 60005 | 60010 | 60012 | 60015 => (
            ErrorCode::AuthFailed,
            false,
            "the account, UserSig or SDKAppID in the request was refused",
        ),
        60006 | 60016 | 60017 | 60020 | 60021 => (
            ErrorCode::PermissionDenied,
            false,
            "the app may not use this API",
        ),
        70000..=70999 => (
            ErrorCode::AuthFailed,
            false,
            "the UserSig or admin identifier was refused",
        ),
        _ => (ErrorCode::VendorError, false, "request failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::CredentialState;
    use crate::json::write::ToJson;
    use crate::signing::tls_sig::user_sig;
    use crate::vendors::test_support::{from_json, refusal, request};
    use crate::vendors::Vendor;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    fn config(extra: &str) -> String {
        format!(
            r#"{{"vendor":"tencent","sdkAppId":1400000000,"identifier":"admin","secretKey":"{KEY}"{extra}}}"#
        )
    }

    fn ctx(now_ms: f64) -> RequestContext<'static> {
        RequestContext {
            now_ms,
            nonce: String::new(),
            random: 4_294_967_295,
            base_url: "https://console.tim.qq.com",
            fields: None,
            credential: None,
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        url.split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    #[test]
    fn regions_map_to_their_hosts_and_base_url_wins() {
        for (region, host) in REGIONS {
            let vendor = from_json(
                &config(&format!(r#","region":"{region}""#)),
                PortraitGet::from_config,
            )
            .unwrap();
            assert_eq!(vendor.common().base_url, host, "{region}");
        }
        let default = from_json(&config(""), PortraitGet::from_config).unwrap();
        assert_eq!(default.common().base_url, "https://console.tim.qq.com");
        let explicit = from_json(
            &config(r#","region":"seoul","baseUrl":"http://127.0.0.1:9/"}"#).replace("}}", "}"),
            PortraitGet::from_config,
        )
        .unwrap();
        assert_eq!(explicit.common().base_url, "http://127.0.0.1:9");
        let err = refusal(&config(r#","region":"mars""#), PortraitGet::from_config);
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert!(err.message.contains("silicon-valley"));
    }

    #[test]
    fn default_rates_and_batch_sizes_follow_the_vendor_documentation() {
        let portrait = from_json(&config(""), PortraitGet::from_config).unwrap();
        assert_eq!(portrait.common().rate_limit, 200.0);
        assert_eq!(portrait.common().batch_size, 100);
        let attrs = from_json(&config(""), ImGetAttr::from_config).unwrap();
        assert_eq!(attrs.common().rate_limit, 100.0);
        assert_eq!(attrs.common().batch_size, 100);
        let err = refusal(&config(r#","batchSize":101"#), ImGetAttr::from_config);
        assert_eq!(err.code, ErrorCode::InvalidConfig);
    }

    #[test]
    fn bad_configs_are_refused_without_echoing_secrets() {
        let cases = [
            r#"{"sdkAppId":"1400000000","identifier":"admin","secretKey":"s3cr3t-key"}"#,
            r#"{"sdkAppId":1.5,"identifier":"admin","secretKey":"s3cr3t-key"}"#,
            r#"{"identifier":"admin","secretKey":"s3cr3t-key"}"#,
            r#"{"sdkAppId":1400000000,"secretKey":"s3cr3t-key"}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin"}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"s3cr3t-key","userSig":"s3cr3t-sig"}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","userSig":"s3cr3t-sig","userSigTtlSeconds":600}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"s3cr3t-key","userSigTtlSeconds":5}"#,
            r#"{"sdkAppId":1400000000,"identifier":"an-identifier-well-over-32-bytes-long","secretKey":"s3cr3t-key"}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"s3cr3t-key","fields":["Tag_Profile_IM_Nik"]}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"s3cr3t-key","fields":[]}"#,
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"s3cr3t-key","baseUrl":"http://console.tim.qq.com"}"#,
        ];
        for case in cases {
            let err = refusal(case, PortraitGet::from_config);
            assert_eq!(err.code, ErrorCode::InvalidConfig, "{case}");
            assert!(!err.message.contains("s3cr3t"), "{}", err.message);
        }
    }

    #[test]
    fn a_provided_user_sig_is_checked_against_the_config() {
        let sig = user_sig(KEY, "admin", 1_400_000_000, 1_700_000_000, 86_400);
        let ok = format!(r#"{{"sdkAppId":1400000000,"identifier":"admin","userSig":"{sig}"}}"#);
        let vendor = from_json(&ok, ImGetAttr::from_config).unwrap();
        assert!(vendor.credential_error(1_700_000_000_000.0).is_none());
        let expired = vendor.credential_error(1_700_086_400_000.0).unwrap();
        assert_eq!(expired.code, ErrorCode::AuthFailed);
        assert!(expired.message.contains("at Unix time 1700086400;"));
        assert!(!expired.message.contains(&sig));

        let other_admin =
            format!(r#"{{"sdkAppId":1400000000,"identifier":"root","userSig":"{sig}"}}"#);
        let err = refusal(&other_admin, ImGetAttr::from_config);
        assert!(err.message.contains("identifier") && !err.message.contains(&sig));
        let other_app =
            format!(r#"{{"sdkAppId":1400000001,"identifier":"admin","userSig":"{sig}"}}"#);
        assert!(from_json(&other_app, ImGetAttr::from_config).is_err());

        // A UserSig we cannot read is the server's to judge.
        let opaque = r#"{"sdkAppId":1400000000,"identifier":"admin","userSig":"opaque"}"#;
        let vendor = from_json(opaque, ImGetAttr::from_config).unwrap();
        assert!(vendor.credential_error(f64::MAX).is_none());
        let url = request(&vendor, &mut CredentialState::default(), &["a"], &ctx(0.0))
            .http
            .url;
        assert!(url.contains("usersig=opaque&"));
    }

    #[test]
    fn the_query_carries_a_fresh_user_sig_made_from_the_clock() {
        let vendor = from_json(
            &config(r#","identifier":"ad min""#).replace(r#""identifier":"admin","#, ""),
            ImGetAttr::from_config,
        )
        .unwrap();
        let now_ms = 1_569_910_200_000.0;
        let prepared = request(
            &vendor,
            &mut CredentialState::default(),
            &["a", "b"],
            &ctx(now_ms),
        );
        let http = &prepared.http;
        assert_eq!(http.method, "POST");
        assert!(http
            .url
            .starts_with("https://console.tim.qq.com/v4/all_member_push/im_get_attr?"));
        let query = query(&http.url);
        let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["sdkappid", "identifier", "usersig", "random", "contenttype"]
        );
        assert_eq!(query[0].1, "1400000000");
        assert_eq!(query[1].1, "ad%20min");
        assert_eq!(query[3].1, "4294967295");
        assert_eq!(query[4].1, "json");
        let doc = decode_user_sig(&query[2].1).unwrap();
        assert_eq!(
            (
                doc.identifier.as_str(),
                doc.sdk_app_id,
                doc.time,
                doc.expire
            ),
            ("ad min", 1_400_000_000, 1_569_910_200, 86_400)
        );
        assert_eq!(
            doc.sig,
            crate::signing::tls_sig::tls_sig(KEY, "ad min", 1_400_000_000, 1_569_910_200, 86_400)
        );
        assert_eq!(prepared.redact, vec![query[2].1.clone()]);
        assert_eq!(http.body.as_deref(), Some(r#"{"To_Account":["a","b"]}"#));
        assert!(!vendor.describe().to_json().contains(KEY));
        assert_eq!(vendor.secrets(), vec![KEY]);
    }

    #[test]
    fn public_error_codes_are_classified() {
        let vendor = from_json(&config(""), ImGetAttr::from_config).unwrap();
        let outcome = |code: i64| {
            let body = format!(r#"{{"ActionStatus":"FAIL","ErrorCode":{code},"ErrorInfo":"x"}}"#);
            match vendor.parse_response(&["a"], &HttpResponse::new(200, body), &Default::default())
            {
                ResponseOutcome::Failed { error, .. } => (error.code, error.retryable),
                other => panic!("{other:?}"),
            }
        };
        for code in [60007, 60011, 60018, 60019] {
            assert_eq!(outcome(code), (ErrorCode::RateLimited, true), "{code}");
        }
        for code in [70003, 70009, 70013, 70014, 70016, 70020] {
            assert_eq!(outcome(code), (ErrorCode::AuthFailed, false), "{code}");
        }
        assert_eq!(outcome(90001), (ErrorCode::InvalidInput, false));
        assert_eq!(outcome(90018), (ErrorCode::InvalidInput, false));
        assert_eq!(outcome(91000), (ErrorCode::VendorError, true));
        assert_eq!(outcome(12345), (ErrorCode::VendorError, false));
        // The numbers its messages show, as written by `model::digits`.
        let message = |response: HttpResponse| match vendor.parse_response(
            &["a"],
            &response,
            &Default::default(),
        ) {
            ResponseOutcome::Failed { error, .. } => error.message,
            other => panic!("{other:?}"),
        };
        let refused = r#"{"ActionStatus":"FAIL","ErrorCode":90001,"ErrorInfo":"x"}"#;
        assert!(message(HttpResponse::new(200, refused))
            .starts_with("Tencent Cloud Chat error 90001, "));
        assert_eq!(
            message(HttpResponse::new(503, "")),
            "Tencent Cloud Chat server or gateway error (HTTP 503)"
        );
    }

    #[test]
    fn an_expired_user_sig_it_made_is_renewed_once() {
        let vendor = from_json(&config(""), PortraitGet::from_config).unwrap();
        let expired = HttpResponse::new(
            200,
            r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"usersig expired"}"#,
        );
        let rejected = |vendor: &dyn Vendor| {
            matches!(
                vendor.parse_response(&["a"], &expired, &Default::default()),
                ResponseOutcome::CredentialRejected(e) if e.code == ErrorCode::AuthFailed
            )
        };
        let state = &mut CredentialState::default();
        let first = request(&vendor, state, &["a"], &ctx(1_569_910_200_000.0));
        assert!(rejected(&vendor));
        assert!(vendor.credential_rejected(state, first.credential_generation));
        assert!(
            vendor.credential_rejected(state, first.credential_generation),
            "another request refused with the same UserSig is sent again too"
        );
        let second = request(&vendor, state, &["a"], &ctx(1_569_990_000_000.0));
        assert_eq!(
            second.credential_generation,
            first.credential_generation + 1
        );
        assert_ne!(second.redact, first.redact, "a UserSig made now");
        assert!(
            !vendor.credential_rejected(state, second.credential_generation),
            "once"
        );

        let provided = format!(
            r#"{{"vendor":"tencent","sdkAppId":1400000000,"identifier":"admin","userSig":"{}"}}"#,
            second.redact[0]
        );
        let provided = from_json(&provided, PortraitGet::from_config).unwrap();
        assert!(!rejected(&provided), "a UserSig the caller gave is final");
    }

    #[test]
    fn transport_level_replies_are_classified() {
        let vendor = from_json(&config(""), PortraitGet::from_config).unwrap();
        let outcome = |response: HttpResponse| match vendor.parse_response(
            &["a"],
            &response,
            &Default::default(),
        ) {
            ResponseOutcome::Failed {
                error,
                retry_after_ms,
            } => (error.code, error.retryable, retry_after_ms),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            outcome(HttpResponse::new(502, "<html>bad gateway</html>")),
            (ErrorCode::VendorError, true, None)
        );
        assert_eq!(
            outcome(HttpResponse::new(429, "").with_header("Retry-After", "3")),
            (ErrorCode::RateLimited, true, Some(3000.0))
        );
        assert_eq!(
            outcome(HttpResponse::new(200, r#"{"ActionStatus":"OK","#)),
            (ErrorCode::InvalidResponse, true, None)
        );
        assert_eq!(
            outcome(HttpResponse::new(
                200,
                r#"{"ActionStatus":"OK","ErrorCode":0}"#
            )),
            (ErrorCode::InvalidResponse, true, None)
        );
        assert_eq!(
            outcome(HttpResponse::new(
                200,
                r#"{"ActionStatus":"FAIL","ErrorCode":0}"#
            )),
            (ErrorCode::InvalidResponse, true, None)
        );
    }
}

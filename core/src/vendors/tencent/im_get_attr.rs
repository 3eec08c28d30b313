//! `POST /v4/all_member_push/im_get_attr` (docs/vendors/tencent-im-get-attr.md): the app-defined attributes of up to 100
//! accounts. An account comes back with its `Attrs` (possibly `{}`), or not at all when it
//! does not exist.

use super::{Item, TencentAccess};
use crate::config::CommonConfig;
use crate::credential::CredentialState;
use crate::http::HttpResponse;
use crate::json::write::object;
use crate::json::{List, Object, Shallow};
use crate::model::{ErrorCode, Failure, Profile, ProfileError, RawJson, VendorKey};
use crate::reader::ObjectReader;
use crate::vendors::{
    match_items, CredentialStep, ParseContext, PreparedRequest, RequestContext, ResponseOutcome,
    Vendor,
};

const PATH: &str = "/v4/all_member_push/im_get_attr";
/// The vendor documentation: "Maximum call frequency: 100 times/second".
pub const DEFAULT_RATE_LIMIT: f64 = 100.0;

pub struct ImGetAttr {
    access: TencentAccess,
}

impl ImGetAttr {
    pub fn from_config(input: &ObjectReader) -> Result<Self, ProfileError> {
        let access =
            TencentAccess::from_config(input, VendorKey::TencentAttrs, DEFAULT_RATE_LIMIT)?;
        if input.string_list("fields")?.is_some() {
            return Err(ProfileError::invalid_config(
                "config.fields does not apply to tencent-attrs: im_get_attr returns every attribute",
            ));
        }
        Ok(ImGetAttr { access })
    }
}

/// im_get_attr's own error codes (docs/vendors/tencent-im-get-attr.md).
fn classify(code: i64) -> Option<(ErrorCode, bool, &'static str)> {
    Some(match code {
        90001 => (
            ErrorCode::InvalidInput,
            false,
            "the request JSON was refused",
        ),
        90018 => (
            ErrorCode::InvalidInput,
            false,
            "too many accounts in one request",
        ),
        91000 => (ErrorCode::VendorError, true, "internal service error"),
        _ => return None,
    })
}

impl Vendor for ImGetAttr {
    fn key(&self) -> VendorKey {
        VendorKey::TencentAttrs
    }

    fn common(&self) -> &CommonConfig {
        &self.access.common
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        self.access.validate_id(id)
    }

    fn credential_error(&self, now_ms: f64) -> Option<ProfileError> {
        self.access.credential_error(now_ms)
    }

    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest {
        let mut body = String::with_capacity(32 * ids.len() + 16);
        object(&mut body, |o| {
            o.add("To_Account", ids);
        });
        self.access.request(PATH, body, ctx)
    }

    fn parse_response(
        &self,
        ids: &[&str],
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> ResponseOutcome {
        let body = match self.access.envelope(response, ctx.now_ms, classify) {
            Ok(read) => read,
            Err(outcome) => return outcome,
        };
        let items = match body.user_attrs {
            Some(List(Some(items))) => items,
            // No account of the request has attributes (or exists).
            None => Vec::new(),
            Some(List(None)) => {
                return ResponseOutcome::Failed {
                    error: ProfileError::unreadable_response(
                        self.key(),
                        response.status,
                        "Tencent Cloud Chat sent a UserAttrs that is not an array",
                    ),
                    retry_after_ms: None,
                }
            }
        };
        let raw = ctx
            .include_raw
            .then_some((response.body.as_str(), "UserAttrs"));
        let (matched, unnamed) = match_items(ids, items, Item::account, raw);
        let (mut profiles, mut failures) = (Vec::new(), Vec::new());
        for (id, item, raw) in matched {
            let mut profile = Profile::new(VendorKey::TencentAttrs, id);
            match item.attrs {
                Some(Shallow::Object(attrs)) => {
                    for (key, value) in attrs {
                        profile.custom.insert(key, RawJson::new(value));
                    }
                }
                None | Some(Shallow::Null) => {}
                Some(_) => {
                    failures.push(Failure::new(
                        id,
                        ErrorCode::InvalidResponse,
                        "Tencent Cloud Chat sent Attrs that are not an object",
                    ));
                    continue;
                }
            }
            profile.raw = raw;
            profiles.push(profile);
        }
        failures.extend(unnamed.into_iter().map(|id| {
            Failure::new(
                id,
                ErrorCode::NotFound,
                "Tencent Cloud Chat returned no attributes for this account",
            )
        }));
        ResponseOutcome::Parsed {
            profiles,
            failures,
            transient: Vec::new(),
        }
    }

    fn credential_step(&self, credentials: &mut CredentialState, now_ms: f64) -> CredentialStep {
        self.access.credential_step(credentials, now_ms)
    }

    fn credential_rejected(&self, credentials: &mut CredentialState, generation: u64) -> bool {
        self.access.credential_rejected(credentials, generation)
    }

    fn secrets(&self) -> Vec<&str> {
        self.access.secrets()
    }

    fn rate_account(&self) -> String {
        self.access.rate_account()
    }

    fn describe(&self) -> Object {
        self.access.describe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendors::test_support::{from_json, refusal, request};

    fn vendor() -> ImGetAttr {
        from_json(
            r#"{"sdkAppId":88888888,"identifier":"admin","secretKey":"k"}"#,
            ImGetAttr::from_config,
        )
        .unwrap()
    }

    fn parse(body: &str, ids: &[&str]) -> (Vec<Profile>, Vec<Failure>) {
        let ctx = ParseContext {
            include_raw: true,
            ..Default::default()
        };
        match vendor().parse_response(ids, &HttpResponse::new(200, body), &ctx) {
            ResponseOutcome::Parsed {
                profiles,
                failures,
                transient,
            } => {
                assert!(transient.is_empty());
                (profiles, failures)
            }
            other => panic!("{other:?}"),
        }
    }

    /// The vendor documentation's sample response, verbatim.
    const DOC_RESPONSE: &str = r#"{"ActionStatus": "OK","ErrorInfo": "","ErrorCode": 0,"UserAttrs": [{"To_Account": "Zhang Xiaohong","Attrs": {"sex" : "Female","city": "New York"}},{"To_Account": "abc","Attrs": {}},{"To_Account": "Chen Xiaoming","Attrs": {"sex": "M","city": "Shenzhen"}}]}"#;

    #[test]
    fn the_documented_sample_response_parses() {
        let (profiles, failures) = parse(
            DOC_RESPONSE,
            &["Zhang Xiaohong", "Chen Xiaoming", "abc", "nobody"],
        );
        assert_eq!(profiles.len(), 3);
        let zhang = &profiles[0];
        assert_eq!(zhang.id, "Zhang Xiaohong");
        assert_eq!(zhang.vendor, VendorKey::TencentAttrs);
        assert_eq!(
            zhang.custom.to_value(),
            serde_json::json!({"sex": "Female", "city": "New York"})
        );
        assert_eq!(zhang.gender, crate::model::Gender::Unknown);
        assert!(zhang.raw.is_some());
        assert_eq!(profiles[1].id, "abc");
        assert!(
            profiles[1].custom.is_empty(),
            "{{}} is a profile with no attributes"
        );
        assert_eq!(profiles[2].custom.get("city").unwrap(), "Shenzhen");
        assert_eq!(failures.len(), 1);
        assert_eq!(
            (failures[0].id.as_str(), failures[0].code),
            ("nobody", ErrorCode::NotFound)
        );
    }

    #[test]
    fn the_documented_sample_request_is_what_we_send() {
        let ctx = RequestContext {
            now_ms: 0.0,
            nonce: String::new(),
            random: 99_999_999,
            base_url: "https://console.tim.qq.com",
            fields: None,
            credential: None,
        };
        let prepared = request(
            &vendor(),
            &mut CredentialState::default(),
            &["Zhang Xiaohong", "Chen Xiaoming", "abc"],
            &ctx,
        );
        let body: serde_json::Value =
            serde_json::from_str(prepared.http.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"To_Account": ["Zhang Xiaohong","Chen Xiaoming","abc"]})
        );
        assert_eq!(
            prepared.http.header("content-type"),
            Some("application/json")
        );
    }

    #[test]
    fn odd_bodies_are_handled() {
        let (profiles, failures) = parse(
            r#"{"ActionStatus":"OK","ErrorCode":0,"UserAttrs":[{"To_Account":"a","Attrs":"x"},{"To_Account":"b"},{"Attrs":{}},7]}"#,
            &["a", "b"],
        );
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].id, "b");
        assert_eq!(failures[0].code, ErrorCode::InvalidResponse);
        let (profiles, failures) = parse(r#"{"ActionStatus":"OK","ErrorCode":0}"#, &["a"]);
        assert!(profiles.is_empty());
        assert_eq!(failures[0].code, ErrorCode::NotFound);
    }

    #[test]
    fn fields_do_not_apply() {
        assert!(vendor()
            .check_fields(&["Tag_Profile_IM_Nick".into()])
            .is_err());
        let err = refusal(
            r#"{"sdkAppId":1,"identifier":"admin","secretKey":"k","fields":["sex"]}"#,
            ImGetAttr::from_config,
        );
        assert_eq!(err.code, ErrorCode::InvalidConfig);
    }
}

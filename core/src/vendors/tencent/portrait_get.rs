//! `POST /v4/profile/portrait_get` (docs/vendors/tencent-portrait-get.md): profile fields ("tags") of up to 100 accounts,
//! with a result code per account.

use super::{Item, TencentAccess};
use crate::call::ids::IdTable;
use crate::config::CommonConfig;
use crate::credential::CredentialState;
use crate::http::HttpResponse;
use crate::json::write::object;
use crate::json::{List, Object, Shallow};
use crate::model::{
    ErrorCode, Failure, Gender, Profile, ProfileError, RawJson, VendorCode, VendorKey,
};
use crate::reader::ObjectReader;
use crate::vendors::{
    match_items, CredentialStep, ParseContext, PreparedRequest, RequestContext, ResponseOutcome,
    Vendor,
};

const PATH: &str = "/v4/profile/portrait_get";
/// The vendor documentation: "Maximum call frequency: 200 calls per second".
pub const DEFAULT_RATE_LIMIT: f64 = 200.0;
/// Tencent's standard profile fields: the default TagList, and every non-custom tag a
/// `fields` list may name.
pub const STANDARD_TAGS: [&str; 12] = [
    "Tag_Profile_IM_Nick",
    "Tag_Profile_IM_Gender",
    "Tag_Profile_IM_BirthDay",
    "Tag_Profile_IM_Location",
    "Tag_Profile_IM_SelfSignature",
    "Tag_Profile_IM_AllowType",
    "Tag_Profile_IM_Language",
    "Tag_Profile_IM_Image",
    "Tag_Profile_IM_MsgSettings",
    "Tag_Profile_IM_AdminForbidType",
    "Tag_Profile_IM_Level",
    "Tag_Profile_IM_Role",
];
const CUSTOM_TAG_PREFIX: &str = "Tag_Profile_Custom_";

pub struct PortraitGet {
    access: TencentAccess,
    tags: Vec<String>,
}

impl PortraitGet {
    pub fn from_config(input: &ObjectReader) -> Result<Self, ProfileError> {
        let access = TencentAccess::from_config(input, VendorKey::Tencent, DEFAULT_RATE_LIMIT)?;
        let tags = match input.string_list("fields")? {
            Some(fields) => check_tags(&fields)
                .map_err(|why| ProfileError::invalid_config(format!("config.fields: {why}")))?,
            None => STANDARD_TAGS.iter().map(|t| (*t).to_owned()).collect(),
        };
        Ok(PortraitGet { access, tags })
    }

    fn normalize(item: &Item, id: &str) -> Profile {
        let mut profile = Profile::new(VendorKey::Tencent, id);
        let entries = match &item.profile_item {
            Some(List(Some(entries))) => entries.as_slice(),
            _ => &[],
        };
        for entry in entries {
            let Some(entry) = &entry.0 else { continue };
            let Some(tag) = entry.tag.as_ref().and_then(Shallow::as_str) else {
                continue;
            };
            let value = || entry.value.map_or(Shallow::Null, Shallow::of);
            match tag {
                "Tag_Profile_IM_Nick" => profile.name = value().text(),
                "Tag_Profile_IM_Gender" => profile.gender = gender(&value()),
                "Tag_Profile_IM_BirthDay" => profile.birthday = value().text(),
                "Tag_Profile_IM_Location" => profile.location = value().text(),
                "Tag_Profile_IM_SelfSignature" => profile.signature = value().text(),
                "Tag_Profile_IM_Image" => profile.avatar_url = value().text(),
                "Tag_Profile_IM_Level" => profile.level = value().number(),
                "Tag_Profile_IM_Role" => profile.role = value().number(),
                other => profile
                    .custom
                    .insert(other, entry.value.map_or_else(RawJson::null, RawJson::new)),
            }
        }
        profile
    }
}

/// Checks tag names (standard ones, or `Tag_Profile_Custom_` and a key of letters, digits and
/// underscores) and drops repeats, keeping the first: found by the table that finds a call's
/// repeated ids, linear in the number of tags.
fn check_tags(fields: &[String]) -> Result<Vec<String>, String> {
    let mut seen = IdTable::default();
    let mut tags = Vec::new();
    for field in fields {
        let custom_key = field.strip_prefix(CUSTOM_TAG_PREFIX);
        let known = STANDARD_TAGS.contains(&field.as_str())
            || custom_key.is_some_and(|key| {
                (1..=64).contains(&key.len())
                    && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            });
        if !known {
            let shown = crate::model::quoted_name(field);
            return Err(format!(
                "unknown profile tag {shown}: use a standard tag ({}) or {CUSTOM_TAG_PREFIX}<key>",
                crate::model::joined(STANDARD_TAGS, ", ")
            ));
        }
        if seen.insert(field).is_some() {
            tags.push(field.clone());
        }
    }
    Ok(tags)
}

/// Tencent codes gender as `Gender_Type_Male` / `Gender_Type_Female` / `Gender_Type_Unknown`.
fn gender(value: &Shallow) -> Gender {
    match value.as_str() {
        Some("Gender_Type_Male") => Gender::Male,
        Some("Gender_Type_Female") => Gender::Female,
        _ => Gender::Unknown,
    }
}

/// portrait_get's own error codes (docs/vendors/tencent-portrait-get.md), at request level.
fn classify(code: i64) -> Option<(ErrorCode, bool, &'static str)> {
    Some(match code {
        40001 | 40002 => (
            ErrorCode::InvalidInput,
            false,
            "the request parameters were refused",
        ),
        40009 => (
            ErrorCode::InvalidInput,
            false,
            "a requested profile tag does not exist in this app",
        ),
        40003 => (
            ErrorCode::NotFound,
            false,
            "the requested account does not exist",
        ),
        40004 => (
            ErrorCode::AuthFailed,
            false,
            "the identifier is not an app admin",
        ),
        40006 => (ErrorCode::VendorError, true, "internal server error"),
        40007 => (
            ErrorCode::PermissionDenied,
            false,
            "no permission to read these profile fields",
        ),
        _ => return None,
    })
}

/// What one account's `ResultCode` means: its failure and whether to ask again later.
fn account_failure(id: &str, code: i64, info: &str) -> (Failure, bool) {
    let (error_code, retryable, what) = match code {
        40003 => (ErrorCode::NotFound, false, "the account does not exist"),
        40006 => (ErrorCode::VendorError, true, "internal server error"),
        40007 => (
            ErrorCode::PermissionDenied,
            false,
            "no permission to read this account's profile fields",
        ),
        _ => (
            ErrorCode::VendorError,
            false,
            "the account could not be read",
        ),
    };
    let detail = if info.is_empty() {
        String::new()
    } else {
        format!(" ({})", super::clip(info))
    };
    let failure = Failure {
        id: id.to_owned(),
        code: error_code,
        message: format!(
            "Tencent Cloud Chat result {}: {what}{detail}",
            crate::model::digits(code)
        ),
        vendor_code: Some(VendorCode::Number(code)),
        retryable,
    };
    (failure, retryable)
}

impl Vendor for PortraitGet {
    fn key(&self) -> VendorKey {
        VendorKey::Tencent
    }

    fn common(&self) -> &CommonConfig {
        &self.access.common
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        self.access.validate_id(id)
    }

    fn check_fields(&self, fields: &[String]) -> Result<Vec<String>, String> {
        if fields.is_empty() {
            return Err("options.fields must name at least one profile tag".into());
        }
        check_tags(fields).map_err(|why| format!("options.fields: {why}"))
    }

    fn credential_error(&self, now_ms: f64) -> Option<ProfileError> {
        self.access.credential_error(now_ms)
    }

    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest {
        let tags = ctx.fields.unwrap_or(&self.tags);
        let mut body = String::with_capacity(32 * (ids.len() + tags.len()) + 32);
        object(&mut body, |o| {
            o.add("To_Account", ids).add("TagList", tags);
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
        let Some(items) = body.profile_items.and_then(List::into_inner) else {
            return ResponseOutcome::Failed {
                error: ProfileError::unreadable_response(
                    self.key(),
                    response.status,
                    "Tencent Cloud Chat response has no UserProfileItem array",
                ),
                retry_after_ms: None,
            };
        };
        let raw = ctx
            .include_raw
            .then_some((response.body.as_str(), "UserProfileItem"));
        let (matched, unnamed) = match_items(ids, items, Item::account, raw);
        let (mut profiles, mut failures, mut transient) = (Vec::new(), Vec::new(), Vec::new());
        for (id, item, raw) in matched {
            match item.result_code.as_ref().map(Shallow::as_i64) {
                None | Some(Some(0)) => {
                    let mut profile = Self::normalize(&item, id);
                    profile.raw = raw;
                    profiles.push(profile);
                }
                Some(Some(code)) => {
                    let info = item.result_info.as_ref().and_then(Shallow::as_str);
                    let (failure, again) = account_failure(id, code, info.unwrap_or_default());
                    if again {
                        transient.push(failure);
                    } else {
                        failures.push(failure);
                    }
                }
                Some(None) => failures.push(Failure::new(
                    id,
                    ErrorCode::InvalidResponse,
                    "Tencent Cloud Chat sent a ResultCode that is not a number",
                )),
            }
        }
        // An account left out, or named only in Fail_Account, failed for no stated reason:
        // ask for it again in a later request.
        for id in unnamed {
            let listed = match &body.fail_account {
                Some(Shallow::List(failed)) => {
                    failed.iter().any(|f| Shallow::of(*f).as_str() == Some(id))
                }
                _ => false,
            };
            let message = if listed {
                "Tencent Cloud Chat listed the account in Fail_Account without a result"
            } else {
                "Tencent Cloud Chat left the account out of its response"
            };
            transient.push(Failure {
                retryable: true,
                ..Failure::new(id, ErrorCode::VendorError, message)
            });
        }
        ResponseOutcome::Parsed {
            profiles,
            failures,
            transient,
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
        let mut map = self.access.describe();
        map.insert("fields", self.tags.clone());
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Gender;
    use crate::vendors::test_support::{from_json, refusal, request};

    fn vendor() -> PortraitGet {
        from_json(
            r#"{"sdkAppId":88888888,"identifier":"admin","secretKey":"k"}"#,
            PortraitGet::from_config,
        )
        .unwrap()
    }

    fn parse(body: &str, ids: &[&str]) -> (Vec<Profile>, Vec<Failure>, Vec<Failure>) {
        match vendor().parse_response(ids, &HttpResponse::new(200, body), &ParseContext::default())
        {
            ResponseOutcome::Parsed {
                profiles,
                failures,
                transient,
            } => (profiles, failures, transient),
            other => panic!("{other:?}"),
        }
    }

    fn ctx(fields: Option<&[String]>) -> RequestContext<'_> {
        RequestContext {
            now_ms: 1_700_000_000_000.0,
            nonce: String::new(),
            random: 99_999_999,
            base_url: "https://console.tim.qq.com",
            fields,
            credential: None,
        }
    }

    /// The vendor documentation's fourth sample response ("multiple profile fields of multiple users"),
    /// verbatim: three accounts read and `id4` failing with 40006 and listed in Fail_Account.
    const DOC_MULTI: &str = r#"{
"UserProfileItem":
[
{"To_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest1"},{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_NeedConfirm"},{"Tag":"Tag_Profile_IM_SelfSignature","Value":"I'm Test1"},{"Tag":"Tag_Profile_Custom_Test","Value":"Custom Data1"}],"ResultCode":0,"ResultInfo":""},
{"To_Account":"id2","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest2"},{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_DenyAny"},{"Tag":"Tag_Profile_IM_SelfSignature","Value":"I'm Test2"},{"Tag":"Tag_Profile_Custom_Test","Value":"Custom Data2"}],"ResultCode":0,"ResultInfo":""},
{"To_Account":"id3","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest3"},{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_AllowAny"},{"Tag":"Tag_Profile_IM_SelfSignature","Value":"I'm Test3"},{"Tag":"Tag_Profile_Custom_Test","Value":"Custom Data3"}],"ResultCode":0,"ResultInfo":""},
{"To_Account":"id4","ResultCode":40006,"ResultInfo":"Err_Profile_PortraitGet_Read_Custom_Data_Fail"}
],
"Fail_Account":["id4"],
"ActionStatus":"OK",
"ErrorCode":0,
"ErrorInfo":"",
"ErrorDisplay":""
}"#;

    #[test]
    fn the_documented_multi_user_sample_gives_three_profiles_and_one_transient_failure() {
        let (profiles, failures, transient) = parse(DOC_MULTI, &["id1", "id2", "id3", "id4"]);
        assert_eq!(profiles.len(), 3);
        assert!(failures.is_empty());
        let p = &profiles[0];
        assert_eq!(p.id, "id1");
        assert_eq!(p.vendor, VendorKey::Tencent);
        assert_eq!(p.name.as_deref(), Some("NickNameTest1"));
        assert_eq!(p.signature.as_deref(), Some("I'm Test1"));
        assert_eq!(p.gender, Gender::Unknown);
        assert_eq!(
            p.custom.to_value(),
            serde_json::json!({
                "Tag_Profile_IM_AllowType": "AllowType_Type_NeedConfirm",
                "Tag_Profile_Custom_Test": "Custom Data1"
            })
        );
        assert_eq!(
            profiles[2].custom.get("Tag_Profile_IM_AllowType").unwrap(),
            "AllowType_Type_AllowAny"
        );
        assert_eq!(transient.len(), 1);
        let t = &transient[0];
        assert_eq!(
            (t.id.as_str(), t.code, t.retryable),
            ("id4", ErrorCode::VendorError, true)
        );
        assert_eq!(t.vendor_code, Some(VendorCode::Number(40006)));
        assert!(t
            .message
            .contains("Err_Profile_PortraitGet_Read_Custom_Data_Fail"));
    }

    #[test]
    fn the_documented_single_user_samples_parse() {
        let one = r#"{"UserProfileItem":[{"To_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest1"}],"ResultCode":0,"ResultInfo":""}],"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorDisplay":""}"#;
        let (profiles, failures, transient) = parse(one, &["id1"]);
        assert_eq!(profiles[0].name.as_deref(), Some("NickNameTest1"));
        assert!(profiles[0].custom.is_empty());
        assert!(failures.is_empty() && transient.is_empty());

        let three = r#"{"UserProfileItem":[{"To_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest1"}],"ResultCode":0,"ResultInfo":""},{"To_Account":"id2","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest2"}],"ResultCode":0,"ResultInfo":""},{"To_Account":"id3","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest3"}],"ResultCode":0,"ResultInfo":""}],"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorDisplay":""}"#;
        let (profiles, _, _) = parse(three, &["id1", "id2", "id3"]);
        let names: Vec<_> = profiles.iter().map(|p| p.name.clone().unwrap()).collect();
        assert_eq!(names, ["NickNameTest1", "NickNameTest2", "NickNameTest3"]);

        let multi_fields = r#"{"UserProfileItem":[{"To_Account":"id1","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"NickNameTest1"},{"Tag":"Tag_Profile_IM_AllowType","Value":"AllowType_Type_NeedConfirm"},{"Tag":"Tag_Profile_IM_SelfSignature","Value":"I'm Test1"},{"Tag":"Tag_Profile_Custom_Test","Value":"Custom Data1"}],"ResultCode":0,"ResultInfo":""}],"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ErrorDisplay":""}"#;
        let (profiles, _, _) = parse(multi_fields, &["id1"]);
        assert_eq!(profiles[0].custom.len(), 2);
    }

    #[test]
    fn every_standard_tag_maps_to_its_field() {
        let body = r#"{"ActionStatus":"OK","ErrorCode":0,"UserProfileItem":[{"To_Account":"a","ResultCode":0,"ProfileItem":[
            {"Tag":"Tag_Profile_IM_Nick","Value":"Ann"},
            {"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Female"},
            {"Tag":"Tag_Profile_IM_BirthDay","Value":19900101},
            {"Tag":"Tag_Profile_IM_Location","Value":"CN-44-03"},
            {"Tag":"Tag_Profile_IM_SelfSignature","Value":"hi"},
            {"Tag":"Tag_Profile_IM_Image","Value":"https://cdn/a.png"},
            {"Tag":"Tag_Profile_IM_Level","Value":7},
            {"Tag":"Tag_Profile_IM_Role","Value":3},
            {"Tag":"Tag_Profile_IM_Language","Value":0},
            {"Tag":"Tag_Profile_IM_MsgSettings","Value":1},
            {"Tag":"Tag_Profile_IM_AdminForbidType","Value":"AdminForbid_Type_None"},
            {"Tag":"Tag_Profile_Custom_Vip","Value":"gold"}
        ]},{"To_Account":"b","ResultCode":0,"ProfileItem":[{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Male"}]},
        {"To_Account":"c","ResultCode":0,"ProfileItem":[{"Tag":"Tag_Profile_IM_Gender","Value":"Gender_Type_Unknown"}]}]}"#;
        let (profiles, _, _) = parse(body, &["a", "b", "c"]);
        let a = &profiles[0];
        assert_eq!(a.name.as_deref(), Some("Ann"));
        assert_eq!(a.gender, Gender::Female);
        assert_eq!(a.birthday.as_deref(), Some("19900101"));
        assert_eq!(a.location.as_deref(), Some("CN-44-03"));
        assert_eq!(a.signature.as_deref(), Some("hi"));
        assert_eq!(a.avatar_url.as_deref(), Some("https://cdn/a.png"));
        assert_eq!((a.level, a.role), (Some(7.0), Some(3.0)));
        // In the vendor's order.
        let keys: Vec<&str> = a.custom.keys().collect();
        assert_eq!(
            keys,
            [
                "Tag_Profile_IM_Language",
                "Tag_Profile_IM_MsgSettings",
                "Tag_Profile_IM_AdminForbidType",
                "Tag_Profile_Custom_Vip"
            ]
        );
        assert_eq!(profiles[1].gender, Gender::Male);
        assert_eq!(profiles[2].gender, Gender::Unknown);
    }

    #[test]
    fn result_codes_become_failures_and_strays_are_ignored() {
        let body = r#"{"ActionStatus":"OK","ErrorCode":0,"UserProfileItem":[
            {"To_Account":"gone","ResultCode":40003,"ResultInfo":"no such account"},
            {"To_Account":"secret","ResultCode":40007},
            {"To_Account":"odd","ResultCode":40099},
            {"To_Account":"nobody-asked","ResultCode":0,"ProfileItem":[]},
            {"To_Account":"dup","ResultCode":0,"ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"first"}]},
            {"To_Account":"dup","ResultCode":0,"ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"second"}]}
        ],"Fail_Account":["gone","secret","odd","listed"]}"#;
        let (profiles, failures, transient) =
            parse(body, &["gone", "secret", "odd", "dup", "listed", "missing"]);
        assert_eq!(profiles.len(), 1);
        assert_eq!(profiles[0].name.as_deref(), Some("first"));
        let codes: Vec<_> = failures.iter().map(|f| (f.id.as_str(), f.code)).collect();
        assert_eq!(
            codes,
            [
                ("gone", ErrorCode::NotFound),
                ("secret", ErrorCode::PermissionDenied),
                ("odd", ErrorCode::VendorError)
            ]
        );
        let again: Vec<_> = transient.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(again, ["listed", "missing"]);
    }

    #[test]
    fn request_level_codes_of_portrait_get() {
        let outcome = |code: i64| {
            let body = format!(r#"{{"ActionStatus":"FAIL","ErrorCode":{code},"ErrorInfo":"e"}}"#);
            match vendor().parse_response(
                &["a"],
                &HttpResponse::new(200, body),
                &Default::default(),
            ) {
                ResponseOutcome::Failed { error, .. } => (error.code, error.retryable),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(outcome(40001), (ErrorCode::InvalidInput, false));
        assert_eq!(outcome(40002), (ErrorCode::InvalidInput, false));
        assert_eq!(outcome(40009), (ErrorCode::InvalidInput, false));
        assert_eq!(outcome(40003), (ErrorCode::NotFound, false));
        assert_eq!(outcome(40004), (ErrorCode::AuthFailed, false));
        assert_eq!(outcome(40006), (ErrorCode::VendorError, true));
        assert_eq!(outcome(40007), (ErrorCode::PermissionDenied, false));
        assert_eq!(outcome(60007), (ErrorCode::RateLimited, true));
        assert_eq!(outcome(70009), (ErrorCode::AuthFailed, false));
    }

    #[test]
    fn the_tag_list_comes_from_the_call_the_config_or_the_standard_set() {
        let body = |prepared: PreparedRequest| -> serde_json::Value {
            serde_json::from_str(prepared.http.body.as_deref().unwrap()).unwrap()
        };
        let standard = body(request(
            &vendor(),
            &mut CredentialState::default(),
            &["id1", "id2"],
            &ctx(None),
        ));
        assert_eq!(standard["To_Account"], serde_json::json!(["id1", "id2"]));
        assert_eq!(standard["TagList"], serde_json::json!(STANDARD_TAGS));

        let configured = from_json(
            r#"{"sdkAppId":1,"identifier":"admin","secretKey":"k","fields":["Tag_Profile_IM_Nick","Tag_Profile_Custom_Test","Tag_Profile_IM_Nick"]}"#,
            PortraitGet::from_config,
        )
        .unwrap();
        let tags = body(request(
            &configured,
            &mut CredentialState::default(),
            &["a"],
            &ctx(None),
        ))["TagList"]
            .clone();
        assert_eq!(
            tags,
            serde_json::json!(["Tag_Profile_IM_Nick", "Tag_Profile_Custom_Test"])
        );

        let call = configured
            .check_fields(&["Tag_Profile_IM_Image".into()])
            .unwrap();
        let tags = body(request(
            &configured,
            &mut CredentialState::default(),
            &["a"],
            &ctx(Some(&call)),
        ))["TagList"]
            .clone();
        assert_eq!(tags, serde_json::json!(["Tag_Profile_IM_Image"]));
        assert!(configured.check_fields(&[]).is_err());
        for bad in [
            "Tag_Profile_IM_Nickname",
            "Tag_Profile_Custom_",
            "Tag_Profile_Custom_a-b",
            "nick",
        ] {
            let err = configured.check_fields(&[bad.into()]).unwrap_err();
            assert!(err.contains("unknown profile tag"), "{bad}: {err}");
        }
    }

    #[test]
    fn config_fields_are_checked() {
        let err = refusal(
            r#"{"sdkAppId":1,"identifier":"admin","secretKey":"k","fields":["Tag_Profile_IM_Nick", 3]}"#,
            PortraitGet::from_config,
        );
        assert_eq!(err.code, ErrorCode::InvalidConfig);
    }
}

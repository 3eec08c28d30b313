//! Kaixin001 `users/show` (docs/vendors/kaixin.md): `GET {base}/users/show.json|xml?uids=a,b&fields=...`,
//! at most 50 uids per request, signed with OAuth 1.0a HMAC-SHA1 in the query string (as in
//! the vendor documentation's example) or carrying an OAuth 2 `access_token`. JSON and XML answers normalize
//! into the same profiles.

mod json;
mod user;
mod xml;

use json::json_users;
use user::User;
use xml::{xml_text, xml_users};

use crate::config::{CommonConfig, VendorLimits};
use crate::http::{joined_pairs, percent_encode, sort_pairs, HttpRequest, HttpResponse};
use crate::json::{Object, Shallow};
use crate::model::{
    joined, position_of, ErrorCode, Failure, ProfileError, Secret, VendorCode, VendorKey,
};
use crate::reader::ObjectReader;
use crate::signing::{digest, oauth1, sha1};
use crate::vendors::descriptor::{Descriptor, Field, Mode};
use crate::vendors::{
    check_id_common, describe_common, match_asked, ParseContext, PreparedRequest, RequestContext,
    ResponseOutcome, Vendor,
};

pub const DEFAULT_BASE_URL: &str = "https://api.kaixin001.com";
/// The vendor documentation: "最多不能超过50个".
pub const MAX_BATCH_SIZE: usize = 50;
/// The vendor documentation states no rate; this is a conservative default.
pub const DEFAULT_RATE_LIMIT: f64 = 10.0;
const MAX_ID_CHARS: usize = 64;
/// Every field the vendor documentation lists (its "all fields" list plus `pinyin` from the field table).
pub const FIELDS: [&str; 36] = [
    "uid",
    "name",
    "gender",
    "hometown",
    "city",
    "status",
    "logo120",
    "logo50",
    "birthday",
    "bodyform",
    "blood",
    "marriage",
    "trainwith",
    "interest",
    "favbook",
    "favmovie",
    "favtv",
    "idol",
    "motto",
    "wishlist",
    "intro",
    "education",
    "schooltype",
    "school",
    "class",
    "year",
    "career",
    "company",
    "dept",
    "beginyear",
    "beginmonth",
    "endyear",
    "endmonth",
    "isStar",
    "online",
    "pinyin",
];
/// The vendor documentation's basic fields, returned when `fields` is not given.
pub const BASIC_FIELDS: [&str; 4] = ["uid", "name", "gender", "logo50"];
/// The fields the vendor documentation types as arrays: in XML, containers of one element per entry.
pub(crate) const LIST_FIELDS: [&str; 2] = ["education", "career"];

/// Kaixin001, for the project ([`super::descriptor::Descriptor`]).
pub const DESCRIPTOR: Descriptor = Descriptor {
    vendor: VendorKey::Kaixin,
    title: "Kaixin001",
    docs: "docs/vendors/kaixin.md",
    account: &[],
    modes: &[
        Mode {
            id: "oauth2",
            label: "OAuth 2 access token",
            browser_safe: true,
            fields: &[Field::secret(
                "accessToken",
                "Access token",
                "KAIXIN_ACCESS_TOKEN",
            )],
        },
        Mode {
            id: "oauth1",
            label: "OAuth 1.0a (local testing only)",
            browser_safe: false,
            fields: &[
                Field::text("oauth1.consumerKey", "Consumer key", "KAIXIN_CONSUMER_KEY"),
                Field::secret(
                    "oauth1.consumerSecret",
                    "Consumer secret",
                    "KAIXIN_CONSUMER_SECRET",
                ),
                Field::secret("oauth1.token", "Token", "KAIXIN_TOKEN"),
                Field::secret("oauth1.tokenSecret", "Token secret", "KAIXIN_TOKEN_SECRET"),
            ],
        },
    ],
    default_base_url: Some(DEFAULT_BASE_URL),
    base_url_env: None,
    default_rate_limit: DEFAULT_RATE_LIMIT,
    max_batch_size: MAX_BATCH_SIZE,
    lists_users: false,
    build: |input| Ok(Box::new(Kaixin::from_config(input)?)),
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Xml => "xml",
        }
    }
}

enum Auth {
    OAuth1 {
        consumer_key: String,
        consumer_secret: Secret,
        token: Secret,
        token_secret: Secret,
    },
    OAuth2 {
        access_token: Secret,
    },
}

pub struct Kaixin {
    common: CommonConfig,
    auth: Auth,
    format: Format,
    fields: Vec<String>,
}

impl Kaixin {
    pub fn from_config(input: &ObjectReader) -> Result<Self, ProfileError> {
        let common = CommonConfig::parse(
            input,
            &VendorLimits {
                default_base_url: Some(DEFAULT_BASE_URL),
                max_batch_size: MAX_BATCH_SIZE,
                default_rate_limit: DEFAULT_RATE_LIMIT,
            },
        )?;
        let oauth1 = input.object("oauth1")?;
        let access_token = input.secret("accessToken")?;
        let auth = match (oauth1, access_token) {
            (Some(oauth1), None) => Auth::OAuth1 {
                consumer_key: oauth1.required_string("consumerKey")?,
                consumer_secret: required_secret(&oauth1, "consumerSecret")?,
                token: required_secret(&oauth1, "token")?,
                token_secret: required_secret(&oauth1, "tokenSecret")?,
            },
            (None, Some(access_token)) => Auth::OAuth2 { access_token },
            (Some(_), Some(_)) => {
                return Err(ProfileError::invalid_config(
                    "config takes either oauth1 or accessToken for kaixin, not both",
                ))
            }
            (None, None) => {
                return Err(ProfileError::invalid_config(
                    "config.oauth1 ({ consumerKey, consumerSecret, token, tokenSecret }) or config.accessToken is required for kaixin",
                ))
            }
        };
        let format = match input.string("format")?.as_deref() {
            None | Some("json") => Format::Json,
            Some("xml") => Format::Xml,
            Some(_) => {
                return Err(ProfileError::invalid_config(
                    "config.format must be \"json\" or \"xml\"",
                ))
            }
        };
        let fields = match input.string_list("fields")? {
            Some(fields) => check_fields(&fields)
                .map_err(|why| ProfileError::invalid_config(format!("config.fields: {why}")))?,
            None => BASIC_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        };
        Ok(Kaixin {
            common,
            auth,
            format,
            fields,
        })
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>) -> ProfileError {
        ProfileError::new(code, message).with_vendor(VendorKey::Kaixin)
    }

    /// Classifies a non-200 answer by the vendor documentation's status list.
    fn status_error(&self, status: u16, body: &str) -> ProfileError {
        let detail = error_text(body);
        let (code, retryable, what) = match status {
            400 if looks_like_rate_limit(&detail) || !looks_like_invalid_request(&detail) => (
                ErrorCode::RateLimited,
                true,
                "Kaixin001 refused the request (HTTP 400: over the rate limit)",
            ),
            400 => (
                ErrorCode::InvalidInput,
                false,
                "Kaixin001 refused the request as invalid (HTTP 400)",
            ),
            401 => (
                ErrorCode::AuthFailed,
                false,
                "Kaixin001 refused the credentials (HTTP 401)",
            ),
            403 => (
                ErrorCode::PermissionDenied,
                false,
                "Kaixin001 denied access to these profiles (HTTP 403)",
            ),
            404 => (
                ErrorCode::NotFound,
                false,
                "Kaixin001 has no such resource (HTTP 404)",
            ),
            429 => (
                ErrorCode::RateLimited,
                true,
                "Kaixin001 rate limit (HTTP 429)",
            ),
            500..=599 => (
                ErrorCode::VendorError,
                true,
                "Kaixin001 server error or API closed for maintenance",
            ),
            _ => (ErrorCode::VendorError, false, "Kaixin001 returned an error"),
        };
        let message = if detail.is_empty() {
            what.to_owned()
        } else {
            format!("{what}: {detail}")
        };
        self.error(code, message)
            .with_status(status)
            .retryable(retryable)
            .with_vendor_code(VendorCode::Number(i64::from(status)))
    }
}

fn required_secret(input: &ObjectReader, key: &str) -> Result<Secret, ProfileError> {
    Ok(Secret::new(input.required_string(key)?))
}

/// Checks field names against the vendor documentation's list, drops repeats, and puts `uid` first: without
/// it the answer could not be matched to the ids asked for.
fn check_fields(fields: &[String]) -> Result<Vec<String>, String> {
    let mut out = vec!["uid".to_owned()];
    for field in fields {
        if !FIELDS.contains(&field.as_str()) {
            let shown = crate::model::quoted_name(field);
            return Err(format!(
                "unknown Kaixin001 field {shown}; the fields are {}",
                joined(FIELDS, ", ")
            ));
        }
        if !out.contains(field) {
            out.push(field.clone());
        }
    }
    Ok(out)
}

/// The human-readable part of an error body (JSON `error`/`error_msg`, or XML text), short.
fn error_text(body: &str) -> String {
    let text = match crate::json::parse::<Shallow>(body) {
        Ok(object @ Shallow::Object(_)) => ["error", "error_msg", "error_description", "message"]
            .iter()
            .find_map(|k| object.member(k)?.text())
            .unwrap_or_default(),
        _ if body.trim_start().starts_with('<') => xml_text(body),
        _ => String::new(),
    };
    // Its words, one space between them, at most 200 characters.
    let words = crate::model::joined(text.split_whitespace(), " ");
    crate::model::first_chars(&words, 200).to_owned()
}

fn looks_like_rate_limit(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["rate", "limit", "frequen", "too many", "频率", "频繁"]
        .iter()
        .any(|hint| position_of(&lower, hint).is_some())
}

fn looks_like_invalid_request(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["invalid", "param", "missing", "参数", "不合法"]
        .iter()
        .any(|hint| position_of(&lower, hint).is_some())
}

impl Vendor for Kaixin {
    fn key(&self) -> VendorKey {
        VendorKey::Kaixin
    }

    fn common(&self) -> &CommonConfig {
        &self.common
    }

    fn validate_id(&self, id: &str) -> Result<(), String> {
        check_id_common(id, MAX_ID_CHARS)?;
        if id.contains(',') || id.chars().any(char::is_whitespace) {
            return Err("a Kaixin001 uid must not contain commas or spaces".into());
        }
        Ok(())
    }

    fn check_fields(&self, fields: &[String]) -> Result<Vec<String>, String> {
        if fields.is_empty() {
            return Err("options.fields must name at least one field".into());
        }
        check_fields(fields).map_err(|why| format!("options.fields: {why}"))
    }

    fn build_request(&self, ids: &[&str], ctx: &RequestContext) -> PreparedRequest {
        let url = format!("{}/users/show.{}", ctx.base_url, self.format.as_str());
        let fields = ctx.fields.unwrap_or(&self.fields);
        let mut params: Vec<(String, String)> = vec![
            ("uids".into(), joined(ids, ",")),
            ("fields".into(), joined(fields, ",")),
        ];
        match &self.auth {
            Auth::OAuth1 {
                consumer_key,
                consumer_secret,
                token,
                token_secret,
            } => oauth1::sign(
                "GET",
                &url,
                &mut params,
                &oauth1::Credentials {
                    consumer_key,
                    consumer_secret: consumer_secret.expose(),
                    token: token.expose(),
                    token_secret: token_secret.expose(),
                },
                &oauth1::Protocol {
                    nonce: &ctx.nonce,
                    timestamp: (ctx.now_ms.max(0.0) / 1000.0).floor() as u64,
                    version: Some("1.0"),
                },
            ),
            Auth::OAuth2 { access_token } => {
                params.push(("access_token".into(), access_token.expose().to_owned()))
            }
        }
        // Sorted by name, as in the vendor documentation's example URL.
        sort_pairs(&mut params);
        let encoded: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (percent_encode(k), percent_encode(v)))
            .collect();
        let query = joined_pairs(&encoded);
        PreparedRequest::new(HttpRequest {
            method: "GET",
            url: format!("{url}?{query}"),
            headers: Vec::new(),
            body: None,
        })
    }

    fn parse_response(
        &self,
        ids: &[&str],
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> ResponseOutcome {
        if response.status != 200 {
            return ResponseOutcome::Failed {
                error: self.status_error(response.status, &response.body),
                retry_after_ms: response.retry_after_ms(ctx.now_ms),
            };
        }
        let users = match self.format {
            Format::Json => json_users(&response.body, ctx.include_raw),
            Format::Xml => xml_users(&response.body, ctx.include_raw),
        };
        let users = match users {
            Ok(users) => users,
            Err(why) => {
                return ResponseOutcome::Failed {
                    error: ProfileError::unreadable_response(
                        VendorKey::Kaixin,
                        200,
                        format!("Kaixin001 sent an unreadable answer: {why}"),
                    ),
                    retry_after_ms: None,
                }
            }
        };
        let (matched, unnamed) = match_asked(ids, users, User::uid);
        let profiles = matched
            .into_iter()
            .map(|(id, user)| user.into_profile(id))
            .collect();
        let failures = unnamed
            .into_iter()
            .map(|id| {
                Failure::new(
                    id,
                    ErrorCode::NotFound,
                    "Kaixin001 returned no profile for this uid (unknown, or not public)",
                )
            })
            .collect();
        ResponseOutcome::Parsed {
            profiles,
            failures,
            transient: Vec::new(),
        }
    }

    fn secrets(&self) -> Vec<&str> {
        match &self.auth {
            Auth::OAuth1 {
                consumer_secret,
                token,
                token_secret,
                ..
            } => vec![
                consumer_secret.expose(),
                token.expose(),
                token_secret.expose(),
            ],
            Auth::OAuth2 { access_token } => vec![access_token.expose()],
        }
    }

    fn rate_account(&self) -> String {
        match &self.auth {
            Auth::OAuth1 { consumer_key, .. } => consumer_key.clone(),
            // Kaixin limits per app; with only a token, a digest of it stands for the app:
            // SHA-1, which OAuth 1.0a brings into this build anyway (SHA-256 was 4 KB more).
            Auth::OAuth2 { access_token } => {
                let digest = sha1::sha1(&[access_token.expose().as_bytes()]);
                format!("oauth2-{}", digest::hex(&digest[..8]))
            }
        }
    }

    fn describe(&self) -> Object {
        let mut map = describe_common(VendorKey::Kaixin, &self.common);
        let auth = match &self.auth {
            Auth::OAuth1 { consumer_key, .. } => {
                map.insert("consumerKey", consumer_key.clone());
                "oauth1"
            }
            Auth::OAuth2 { .. } => "oauth2",
        };
        map.insert("auth", auth);
        map.insert("format", self.format.as_str());
        map.insert("fields", self.fields.clone());
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::write::ToJson;
    use crate::model::{Gender, Profile};
    use crate::vendors::test_support;

    fn vendor_with(json: &str) -> Result<Kaixin, ProfileError> {
        test_support::from_json(json, Kaixin::from_config)
    }

    fn refusal(json: &str) -> ProfileError {
        test_support::refusal(json, Kaixin::from_config)
    }

    const OAUTH1: &str = r#""oauth1":{"consumerKey":"614387522049a16db8b17635ec558189","consumerSecret":"cs-secret","token":"f1988aeb1c7114821d9d7966bc8992","tokenSecret":"ts-secret"}"#;

    fn vendor(extra: &str) -> Kaixin {
        vendor_with(&format!("{{{OAUTH1}{extra}}}")).unwrap()
    }

    fn parse(vendor: &Kaixin, body: &str, ids: &[&str]) -> (Vec<Profile>, Vec<Failure>) {
        let ctx = ParseContext {
            include_raw: false,
            ..Default::default()
        };
        match vendor.parse_response(ids, &HttpResponse::new(200, body), &ctx) {
            ResponseOutcome::Parsed {
                profiles, failures, ..
            } => (profiles, failures),
            other => panic!("{other:?}"),
        }
    }

    /// The vendor documentation's XML sample, verbatim (including its stray spaces).
    const DOC_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<user>
<uid>46765</uid>
<name>刘一</name>
<gender>0</gender>
<hometown>北京</hometown>
<city>北京</city>
<status>2</status>
<logo120>http://pic1.kaixin001.com.cn/logo/4/67/120_46765_2.jpg</logo120>
<logo50>http: //pic1.kaixin001.com.cn/logo/4/67/50_46765_2.jpg</logo50>
<birthday>80后1月1日</birthday>
<bodyform>0</bodyform>
<blood>1</blood>
<marriage>1</marriage>
<trainwith>迈克尔 乔丹</trainwith>
<interest>打篮球</interest>
<favbook>武 侠小说</favbook>
<favmovie>美国大片</favmovie>
<favtv>美 剧</favtv>
<idol>迈克尔 乔丹</idol>
<motto>成功没有捷径</motto>
<wishlist>买套房子</wishlist>
<intro>我是一个纯粹的人,一个高尚的人,一个脱离低级趣味的人..</intro>
<education>
<college>
<schooltype>0</schooltype>
<school>北京大学</school>
<class>软件与微电子学院 11</class>
<year>2011</year>
</college>
</education>
<career>
<job>
<company>开心网</company>
<dept>技术</dept>
<beginyear>2011</beginyear>
<beginmonth>01</beginmonth>
<endyear>2011</endyear>
<endmonth>12</endmonth>
</job>
</career>
<isStar>0</isStar>
</user>"#;

    /// The vendor documentation's JSON sample, verbatim.
    const DOC_JSON: &str = r#"{
    "users": [{
        "uid": "46765",
        "name": "刘一",
        "gender": "0",
        "hometown": "北京",
        "city": "北京",
        "status": "2",
        "logo120": "http://pic1.kaixin001.com.cn/logo/4/67/120_46765_2.jpg",
        "logo50": "http://pic1.kaixin001.com.cn/logo/4/67/50_46765_2.jpg",
        "birthday": "80后1月1日",
        "blood": "1",
        "marriage": "1",
        "trainwith": "迈克尔 乔丹",
        "interest": "打篮球",
        "favbook": "武侠小说",
        "favmovie": "美国大片",
        "favtv": "美剧",
        "idol": "迈克尔 乔丹",
        "motto": "成功没有捷径",
        "wishlist": "买套房子",
        "intro": "我是一个纯粹的人,一个高尚的人,一个脱离低级趣味的人..",
        "education": [{
            "schooltype": "0",
            "school": "北京大学",
            "class": "软件与微电子学院 11",
            "year": "2011"
        }],
        "career": [{
            "company": "开心网",
            "dept": "技术",
            "beginyear": "2011",
            "beginmonth": "01",
            "endyear": "2011",
            "endmonth": "12"
        }],
        "online": "0",
        "isStar": "0"
    }, {
        "uid": "13749",
        "name": "剑峰丙",
        "gender": "0",
        "hometown": "厦门",
        "city": "北京",
        "status": "0",
        "logo120": "http://img.kaixin001.com.cn/i/120_0_0.gif",
        "logo50": "http://img.kaixin001.com.cn/i/50_0_0.gif",
        "birthday": "1986年11月27日",
        "blood": "0",
        "marriage": "2",
        "trainwith": "女生,喜欢运动的",
        "interest": "游泳,打球",
        "favbook": "",
        "favmovie": "倩女幽魂",
        "favtv": "金婚,美好世界",
        "idol": "林依晨,王力宏",
        "motto": "什么都没有",
        "wishlist": "想干嘛干嘛",
        "intro": "一个拉拉拉拉的人",
        "education": [{
            "schooltype": "1",
            "school": "北京市第二十四中学",
            "class": "21",
            "year": "2010"
        }, {
            "schooltype": "0",
            "school": "北京大学",
            "class": "EECS 21",
            "year": "2009"
        }],
        "career": [{
            "company": "开心网",
            "dept": "技术",
            "beginyear": "2011",
            "beginmonth": "02",
            "endyear": "",
            "endmonth": ""
        }, {
            "company": "搜狐",
            "dept": "技术",
            "beginyear": "1994",
            "beginmonth": "10",
            "endyear": "2001",
            "endmonth": "11"
        }, {
            "company": "新浪",
            "dept": "开发工程",
            "beginyear": "1993",
            "beginmonth": "03",
            "endyear": "1997",
            "endmonth": "05"
        }],
        "isStar": "0"
    }]
}"#;

    #[test]
    fn the_documented_json_sample_normalizes() {
        let (profiles, failures) = parse(&vendor(""), DOC_JSON, &["46765", "13749", "1"]);
        assert_eq!(profiles.len(), 2);
        let liu = &profiles[0];
        assert_eq!(liu.id, "46765");
        assert_eq!(liu.vendor, VendorKey::Kaixin);
        assert_eq!(liu.name.as_deref(), Some("刘一"));
        assert_eq!(liu.gender, Gender::Male);
        assert_eq!(liu.location.as_deref(), Some("北京"));
        assert_eq!(
            liu.avatar_url.as_deref(),
            Some("http://pic1.kaixin001.com.cn/logo/4/67/120_46765_2.jpg")
        );
        assert_eq!(liu.birthday.as_deref(), Some("80后1月1日"));
        assert_eq!(liu.custom.get("hometown").unwrap(), "北京");
        assert_eq!(
            liu.custom.get("education").unwrap()[0]["school"],
            "北京大学"
        );
        assert_eq!(liu.custom.get("career").unwrap()[0]["company"], "开心网");
        assert_eq!(liu.custom.get("isStar").unwrap(), "0");
        assert_eq!(liu.custom.get("online").unwrap(), "0");
        assert!(!liu.custom.contains_key("uid") && !liu.custom.contains_key("logo120"));
        assert_eq!(
            profiles[1]
                .custom
                .get("career")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(failures.len(), 1);
        assert_eq!(
            (failures[0].id.as_str(), failures[0].code),
            ("1", ErrorCode::NotFound)
        );
    }

    #[test]
    fn the_documented_xml_sample_normalizes_like_its_json() {
        let xml = vendor(r#","format":"xml""#);
        let (profiles, failures) = parse(&xml, DOC_XML, &["46765"]);
        assert!(failures.is_empty());
        let from_xml = &profiles[0];
        let (json_profiles, _) = parse(&vendor(""), DOC_JSON, &["46765"]);
        let from_json = &json_profiles[0];
        // The two samples differ only where the vendor documentation's XML has typos (stray spaces), has
        // bodyform, and lacks online.
        assert_eq!(from_xml.name, from_json.name);
        assert_eq!(from_xml.gender, from_json.gender);
        assert_eq!(from_xml.location, from_json.location);
        assert_eq!(from_xml.avatar_url, from_json.avatar_url);
        assert_eq!(from_xml.birthday, from_json.birthday);
        assert_eq!(
            from_xml.custom.get("education").unwrap(),
            from_json.custom.get("education").unwrap()
        );
        assert_eq!(
            from_xml.custom.get("career").unwrap(),
            from_json.custom.get("career").unwrap()
        );
        assert_eq!(from_xml.custom.get("favbook").unwrap(), "武 侠小说");
        assert_eq!(from_xml.custom.get("bodyform").unwrap(), "0");
        assert_eq!(
            from_xml.custom.get("logo50").unwrap(),
            "http: //pic1.kaixin001.com.cn/logo/4/67/50_46765_2.jpg"
        );
        // The fields in the document's order, as the JSON answer's are.
        let at = |key: &str| DOC_XML.find(&format!("<{key}>")).unwrap_or(usize::MAX);
        let keys: Vec<&str> = from_xml.custom.keys().collect();
        assert!(keys.windows(2).all(|w| at(w[0]) < at(w[1])), "{keys:?}");
    }

    #[test]
    fn several_users_in_xml_entities_and_empty_elements() {
        let body = r#"<?xml version="1.0"?><users>
            <user><uid>1</uid><name>A &amp; B &#x4E00;</name><gender>1</gender><logo50>l50</logo50><logo120/></user>
            <user><uid>2</uid><name><![CDATA[<b>]]></name><gender>2</gender><career></career><education/></user>
            <user><uid>99</uid></user>
        </users>"#;
        let (profiles, failures) = parse(&vendor(r#","format":"xml""#), body, &["1", "2", "3"]);
        assert_eq!(profiles[0].name.as_deref(), Some("A & B 一"));
        assert_eq!(profiles[0].gender, Gender::Female);
        assert_eq!(
            profiles[0].avatar_url.as_deref(),
            Some("l50"),
            "logo120 empty: logo50"
        );
        assert_eq!(profiles[1].name.as_deref(), Some("<b>"));
        assert_eq!(profiles[1].gender, Gender::Unknown);
        assert_eq!(
            profiles[1].custom.get("career").unwrap(),
            serde_json::json!([])
        );
        assert_eq!(
            profiles[1].custom.get("education").unwrap(),
            serde_json::json!([])
        );
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].id, "3");
    }

    #[test]
    fn broken_bodies_are_retryable_invalid_responses() {
        for (format, body) in [
            ("json", r#"{"users":[{"uid":"1""#),
            ("json", "<html>oops</html>"),
            ("xml", "<users><user><uid>1</uid></users>"),
            ("xml", "<users><user><uid>1</uid></user>"),
            ("xml", "<html><body>502</body></html>"),
            ("xml", "&bogus;"),
        ] {
            let v = vendor(&format!(r#","format":"{format}""#));
            match v.parse_response(&["1"], &HttpResponse::new(200, body), &Default::default()) {
                ResponseOutcome::Failed { error, .. } => {
                    assert_eq!(
                        (error.code, error.retryable),
                        (ErrorCode::InvalidResponse, true),
                        "{body}"
                    )
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn statuses_follow_the_documentation() {
        let v = vendor("");
        let classify = |status: u16, body: &str| match v.parse_response(
            &["1"],
            &HttpResponse::new(status, body),
            &Default::default(),
        ) {
            ResponseOutcome::Failed { error, .. } => (error.code, error.retryable),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            classify(400, r#"{"error":"40003: request rate over limit"}"#),
            (ErrorCode::RateLimited, true)
        );
        assert_eq!(classify(400, ""), (ErrorCode::RateLimited, true));
        assert_eq!(
            classify(400, r#"{"error":"invalid parameter uids"}"#),
            (ErrorCode::InvalidInput, false)
        );
        assert_eq!(classify(401, ""), (ErrorCode::AuthFailed, false));
        assert_eq!(classify(403, ""), (ErrorCode::PermissionDenied, false));
        assert_eq!(classify(404, ""), (ErrorCode::NotFound, false));
        assert_eq!(classify(500, ""), (ErrorCode::VendorError, true));
        assert_eq!(classify(502, "<html/>"), (ErrorCode::VendorError, true));
    }

    #[test]
    fn an_error_body_is_shown_as_its_words_and_at_most_200_characters() {
        assert_eq!(
            error_text(r#"{"error":"  rate\n\tover   limit "}"#),
            "rate over limit"
        );
        assert_eq!(
            error_text("<error> <code>40003</code>\n  too  many </error>"),
            "40003 too many"
        );
        let long = format!(r#"{{"error_msg":"{}"}}"#, "频率 ".repeat(150));
        let shown = error_text(&long);
        assert_eq!(shown.chars().count(), 200);
        assert!(shown.starts_with("频率 频率") && shown.ends_with("频率 频率"));
        assert_eq!(error_text("not an error body"), "");
    }

    fn query(url: &str) -> Vec<(String, String)> {
        url.split_once('?')
            .unwrap()
            .1
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn ctx() -> RequestContext<'static> {
        RequestContext {
            now_ms: 1_310_104_648_000.0,
            nonce: "b54da9c5ab5fcbb0763fad0a35fd7f14".into(),
            random: 0,
            base_url: DEFAULT_BASE_URL,
            fields: None,
            credential: None,
        }
    }

    #[test]
    fn oauth1_requests_look_like_the_documented_example() {
        let request = vendor("").build_request(&["13745", "13749"], &ctx()).http;
        assert_eq!(request.method, "GET");
        assert!(request
            .url
            .starts_with("https://api.kaixin001.com/users/show.json?"));
        let names: Vec<String> = query(&request.url).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "fields",
                "oauth_consumer_key",
                "oauth_nonce",
                "oauth_signature",
                "oauth_signature_method",
                "oauth_timestamp",
                "oauth_token",
                "oauth_version",
                "uids"
            ]
        );
        let q: std::collections::HashMap<_, _> = query(&request.url).into_iter().collect();
        assert_eq!(q["uids"], "13745%2C13749");
        assert_eq!(q["fields"], "uid%2Cname%2Cgender%2Clogo50");
        assert_eq!(q["oauth_timestamp"], "1310104648");
        assert_eq!(q["oauth_nonce"], "b54da9c5ab5fcbb0763fad0a35fd7f14");
        assert_eq!(q["oauth_version"], "1.0");
        assert_eq!(q["oauth_signature_method"], "HMAC-SHA1");
        // The signature is over these very parameters (independent verification runs in the
        // Node tests, with the npm oauth-1.0a package in the emulator).
        let signed: Vec<(String, String)> = [
            ("fields", "uid,name,gender,logo50"),
            ("oauth_consumer_key", "614387522049a16db8b17635ec558189"),
            ("oauth_nonce", "b54da9c5ab5fcbb0763fad0a35fd7f14"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1310104648"),
            ("oauth_token", "f1988aeb1c7114821d9d7966bc8992"),
            ("oauth_version", "1.0"),
            ("uids", "13745,13749"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let base = oauth1::signature_base_string(
            "GET",
            "https://api.kaixin001.com/users/show.json",
            &signed,
        );
        assert_eq!(
            q["oauth_signature"],
            percent_encode(&oauth1::hmac_sha1(&base, "cs-secret", "ts-secret"))
        );
        assert!(!request.url.contains("cs-secret") && !request.url.contains("ts-secret"));
    }

    #[test]
    fn the_rate_account_names_the_app_never_a_token() {
        let oauth1 = vendor_with(r#"{"oauth1":{"consumerKey":"ck","consumerSecret":"cs","token":"t","tokenSecret":"ts"}}"#).unwrap();
        assert_eq!(oauth1.rate_account(), "ck");
        let oauth2 = vendor_with(r#"{"accessToken":"at-123"}"#).unwrap();
        let account = oauth2.rate_account();
        // The first 16 hex digits of `printf %s at-123 | sha1sum`.
        assert_eq!(account, "oauth2-2e35db50b6e914bd");
        let other = vendor_with(r#"{"accessToken":"at-124"}"#).unwrap();
        assert_ne!(other.rate_account(), account);
    }

    #[test]
    fn oauth2_xml_and_fields() {
        let v = vendor_with(
            r#"{"accessToken":"at-123","format":"xml","fields":["name","city","name"]}"#,
        )
        .unwrap();
        let request = v.build_request(&["1"], &ctx()).http;
        assert!(request
            .url
            .starts_with("https://api.kaixin001.com/users/show.xml?"));
        let q: std::collections::HashMap<_, _> = query(&request.url).into_iter().collect();
        assert_eq!(q["access_token"], "at-123");
        assert_eq!(q["fields"], "uid%2Cname%2Ccity");
        assert!(!q.contains_key("oauth_signature"));
        let call = v.check_fields(&["logo120".into()]).unwrap();
        let c = RequestContext {
            fields: Some(&call),
            ..ctx()
        };
        let q: std::collections::HashMap<_, _> = query(&v.build_request(&["1"], &c).http.url)
            .into_iter()
            .collect();
        assert_eq!(q["fields"], "uid%2Clogo120");
        assert!(v
            .check_fields(&["nickname".into()])
            .unwrap_err()
            .contains("unknown Kaixin001 field"));
        // A caller's field name is shown quoted, its control characters escaped.
        let err = v.check_fields(&["nick\nname\u{1}".into()]).unwrap_err();
        assert!(
            err.starts_with(r#"options.fields: unknown Kaixin001 field "nick\nname\u0001"; the fields are uid, "#),
            "{err}"
        );
        assert_eq!(v.secrets(), vec!["at-123"]);
        assert!(!v.describe().to_json().contains("at-123"));
    }

    #[test]
    fn bad_configs_are_refused() {
        for case in [
            r#"{}"#,
            r#"{"oauth1":{"consumerKey":"k","consumerSecret":"s3cr3t","token":"t"}}"#,
            r#"{"oauth1":"k:s3cr3t"}"#,
            r#"{"accessToken":"s3cr3t","oauth1":{"consumerKey":"k","consumerSecret":"s3cr3t","token":"t","tokenSecret":"s3cr3t"}}"#,
            r#"{"accessToken":"s3cr3t","format":"yaml"}"#,
            r#"{"accessToken":"s3cr3t","fields":["uid","nickname"]}"#,
            r#"{"accessToken":"s3cr3t","batchSize":51}"#,
            r#"{"accessToken":"s3cr3t","baseUrl":"http://api.kaixin001.com"}"#,
        ] {
            let err = refusal(case);
            assert_eq!(err.code, ErrorCode::InvalidConfig, "{case}");
            assert!(!err.message.contains("s3cr3t"), "{}", err.message);
        }
        let err = refusal(r#"{"oauth1":{"consumerKey":"k","consumerSecret":"s","token":"t"}}"#);
        assert!(
            err.message.contains("config.oauth1.tokenSecret"),
            "{}",
            err.message
        );
        let v = vendor("");
        assert_eq!(v.common().batch_size, 50);
        assert_eq!(v.common().rate_limit, 10.0);
        assert!(v.validate_id("1,2").is_err());
        assert!(v.validate_id("12345").is_ok());
    }
}

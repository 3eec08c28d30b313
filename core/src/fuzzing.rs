//! Harnesses for hostile input, shared by the property tests (`cargo test`) and the cargo-fuzz
//! targets under `fuzz/` (feature `fuzzing`). A panic inside wasm aborts the module instance
//! for every later call, so each entry point here must return, whatever its input, and check
//! the invariants the rest of the crate relies on.

use std::collections::HashSet;
use std::rc::Rc;

use crate::json::Value;

use crate::call::{Batch, BatchOptions};
use crate::credential::CredentialState;
use crate::http::HttpResponse;
use crate::model::ErrorCode;
use crate::reader::ObjectReader;
use crate::simulation::{assert_accounted, Reply, Scripted, Simulation};
use crate::vendors::{from_config, ParseContext, RequestContext, ResponseOutcome, Vendor};

const BASE_URL: &str = "https://fuzz.test";
const NOW_MS: f64 = 1_700_000_000_000.0;

/// One client config per way a vendor is driven (Kaixin in both formats, Easemob with a
/// token and with client credentials). Small batches, so that ten ids make several requests.
const CONFIGS: [&str; 7] = [
    r#"{"vendor":"rongcloud","appKey":"k","appSecret":"fuzz-app-secret","batchSize":3}"#,
    r#"{"vendor":"tencent","sdkAppId":1400000001,"identifier":"admin","secretKey":"fuzz-secret-key","batchSize":4}"#,
    r#"{"vendor":"tencent-attrs","sdkAppId":1400000001,"identifier":"admin","secretKey":"fuzz-secret-key","batchSize":4}"#,
    r#"{"vendor":"easemob","orgName":"org","appName":"app","token":"fuzz-static-token"}"#,
    r#"{"vendor":"easemob","orgName":"org","appName":"app","clientId":"id","clientSecret":"fuzz-client-secret"}"#,
    r#"{"vendor":"kaixin","oauth1":{"consumerKey":"ck","consumerSecret":"fuzz-consumer-secret","token":"t","tokenSecret":"fuzz-token-secret"},"batchSize":3}"#,
    r#"{"vendor":"kaixin","format":"xml","accessToken":"fuzz-access-token","batchSize":2}"#,
];

/// How many configurations `select` picks from.
pub const VENDOR_COUNT: u8 = CONFIGS.len() as u8;

/// The ids every harness asks for: valid for every vendor. Response templates name them
/// as `$0`…`$9`, so that fuzzed bodies can answer the requests they belong to.
pub const IDS: [&str; 10] = [
    "1001", "1002", "user3", "4", "1005", "6", "user7", "1008", "9", "1010",
];

/// The vendor of configuration `selector % VENDOR_COUNT`, on the fuzz host.
pub fn vendor(selector: u8) -> Rc<dyn Vendor> {
    let json = CONFIGS[usize::from(selector % VENDOR_COUNT)];
    let Ok(Value::Object(mut values)) = crate::json::parse(json) else {
        panic!("a valid literal")
    };
    values.insert("baseUrl", BASE_URL);
    let built = from_config(&ObjectReader::config(&values, &[]));
    Rc::from(built.expect("the harness configs are valid"))
}

/// Replaces `$0`…`$9` in `template` with the ids of the request being answered.
pub fn fill(template: &str, ids: &[&str]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        let digit = chars.peek().and_then(|d| d.to_digit(10));
        match (c, digit) {
            ('$', Some(d)) => {
                chars.next();
                out.push_str(ids.get(d as usize).copied().unwrap_or(""));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses one response to a request for `ids` with every entry point that reads response
/// bodies: the batch parser, the listing parser and the credential parser. Checks that a
/// parsed response only speaks of asked ids, each once.
pub fn check_response(selector: u8, status: u16, retry_after: Option<&str>, body: &str) {
    let vendor = vendor(selector);
    let batch = vendor.common().batch_size.min(IDS.len());
    let ids = &IDS[..batch];
    let mut response = HttpResponse::new(status, fill(body, ids));
    if let Some(value) = retry_after {
        response = response.with_header("Retry-After", value);
    }
    let ctx = ParseContext {
        now_ms: NOW_MS,
        include_raw: status % 2 == 0,
    };
    match vendor.parse_response(ids, &response, &ctx) {
        ResponseOutcome::Parsed {
            profiles,
            failures,
            transient,
        } => {
            let named = profiles.iter().map(|p| (&p.id, p.vendor)).chain(
                failures
                    .iter()
                    .chain(&transient)
                    .map(|f| (&f.id, vendor.key())),
            );
            let mut seen = HashSet::new();
            for (id, key) in named {
                assert!(ids.contains(&id.as_str()), "an id nobody asked for: {id:?}");
                assert!(seen.insert(id.clone()), "{id:?} is settled twice");
                assert_eq!(key, vendor.key());
            }
        }
        ResponseOutcome::Failed {
            error,
            retry_after_ms,
        } => {
            assert!(!error.message.is_empty());
            assert!(retry_after_ms.map_or(true, |ms| ms.is_finite() && ms >= 0.0));
        }
        ResponseOutcome::CredentialRejected(error) => assert!(!error.message.is_empty()),
    }
    if let Some(listing) = vendor.listing() {
        let _ = listing.parse_page_response(&response, &ctx);
    }
    let _ = vendor.on_credential_response(&mut CredentialState::default(), Some(&response), NOW_MS);
}

/// Builds a client from any JSON config, and when it is accepted, a request for `ids` (those
/// the vendor accepts) with `fields` (if the vendor accepts them).
pub fn check_config_and_request(config: &str, ids: &[String], fields: &[String], nonce: u64) {
    let Ok(Value::Object(values)) = crate::json::parse::<Value>(config) else {
        return;
    };
    let functions: Vec<String> = values
        .iter()
        .filter(|(_, v)| v.as_str() == Some("<function>"))
        .map(|(k, _)| k.to_owned())
        .collect();
    let Ok(vendor) = from_config(&ObjectReader::config(&values, &functions)) else {
        return;
    };
    let _ = vendor.describe();
    let valid: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| vendor.validate_id(id).is_ok())
        .take(vendor.common().batch_size)
        .collect();
    if valid.is_empty() {
        return;
    }
    let fields = vendor.check_fields(fields).ok();
    let mut credentials = CredentialState::default();
    let _ = vendor.credential_step(&mut credentials, NOW_MS);
    for base_url in vendor.base_urls() {
        let ctx = RequestContext {
            now_ms: NOW_MS,
            nonce: format!("{nonce:032x}"),
            random: nonce as u32,
            base_url: &base_url,
            fields: fields.as_deref(),
            credential: credentials.held(),
        };
        let prepared = vendor.build_request(&valid, &ctx);
        assert!(
            prepared.http.url.starts_with(&base_url),
            "{} is not under {base_url}",
            prepared.http.url
        );
    }
}

/// Reads `data` as a caller's UserSig is read: inflated as a zlib stream (at most 16 KiB
/// out), and as text through the whole decoding. Neither may panic, and the inflater never
/// hands back more than its limit.
pub fn check_user_sig(data: &[u8]) {
    const LIMIT: usize = 16 * 1024;
    if let Ok(inflated) = crate::signing::zlib::inflate(data, LIMIT) {
        assert!(inflated.len() <= LIMIT, "{} bytes inflated", inflated.len());
    }
    let _ = crate::signing::tls_sig::decode_user_sig(&String::from_utf8_lossy(data));
}

/// What the simulated vendor does with one request of [`run_job`].
#[derive(Clone, Debug)]
pub enum Step {
    /// A response; `$0`… in the body stand for the request's ids.
    Respond {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    Timeout,
    Network,
}

/// Drives a whole `getProfiles` call of the first `count` of [`IDS`] against a vendor that
/// answers each request with the next step of `script` (and with network errors once it runs
/// out). The call must end and, unless it rejects as the contract allows, account for every
/// id exactly once.
pub fn run_job(selector: u8, count: usize, script: &[Step]) {
    let vendor = vendor(selector);
    let asked: Vec<&str> = IDS[..count.clamp(1, IDS.len())].to_vec();
    let Ok(work) = Batch::of(vendor.as_ref(), &asked, BatchOptions::default()) else {
        panic!("valid ids were refused");
    };
    let mut sim = Simulation::new(vendor, work, NOW_MS);
    let mut steps = script.iter();
    let outcome = sim.run(|_, _| {
        let reply = match steps.next() {
            Some(Step::Respond {
                status,
                retry_after,
                body,
            }) => {
                let mut response = HttpResponse::new(*status, fill(body, &asked));
                if let Some(value) = retry_after {
                    response = response.with_header("Retry-After", value);
                }
                Reply::Respond(response)
            }
            Some(Step::Timeout) => Reply::Timeout,
            Some(Step::Network) | None => Reply::Network,
        };
        Scripted::after(3.0, reply)
    });
    match outcome {
        Ok(result) => assert_accounted(&asked, &result),
        Err(error) => assert!(
            matches!(error.code, ErrorCode::AuthFailed | ErrorCode::InvalidConfig),
            "a call may reject only for its credential or config, not {error:?}"
        ),
    }
}

/// The same harnesses as the fuzz targets, driven by proptest on every `cargo test`: bodies
/// built from each vendor's response shapes with random values in every slot, truncated at
/// random, or random text; configs with random values under real keys; random call scripts.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use proptest::prelude::*;
    use serde_json::{Map, Value};

    use super::*;

    /// Response shapes of each harness vendor (in [`CONFIGS`] order), with the same id twice
    /// and ids nobody asked for; `%V` is a slot for any JSON value, `%S` for any text.
    const TEMPLATES: [&[&str]; 7] = [
        &[
            r#"{"code":200,"userList":[{"userId":"$0","userProfile":%V,"userExtProfile":%V,"version":%V},{"userId":"$1","userProfile":%V},{"userId":"$0"},{"userId":%V}]}"#,
            r#"{"code":%V,"errorMessage":%V,"userList":%V}"#,
        ],
        &[
            r#"{"ActionStatus":"OK","ErrorCode":0,"UserProfileItem":[{"To_Account":"$0","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":%V},{"Tag":%V,"Value":%V}],"ResultCode":%V},{"To_Account":"$0","ResultCode":40006},{"To_Account":%V,"ResultCode":%V}],"Fail_Account":%V}"#,
            r#"{"ActionStatus":%V,"ErrorCode":%V,"ErrorInfo":%V}"#,
        ],
        &[
            r#"{"ActionStatus":%V,"ErrorCode":%V,"ErrorInfo":%V,"UserAttrs":[{"To_Account":"$0","Attrs":%V},{"To_Account":"$1","Attrs":{"city":%V}},{"To_Account":"$0","Attrs":{}},{"To_Account":%V}]}"#,
        ],
        &[
            r#"{"entities":[{"username":"$0","nickname":%V,"created":%V,"modified":%V,"activated":%V},{"username":"$0"},{"username":%V}],"cursor":%V,"count":%V}"#,
            r#"{"error":%V,"error_description":%V,"exception":%V}"#,
        ],
        &[
            r#"{"access_token":%V,"expires_in":%V,"application":%V}"#,
            r#"{"entities":[{"username":"$0","created":%V},{"username":"$0"}]}"#,
        ],
        &[
            r#"{"users":[{"uid":%V,"name":%V,"gender":%V,"education":%V,"career":%V},{"uid":"$1","logo50":%V},{"uid":"$1"}]}"#,
            r#"{"users":[{"uid":"$0","name":"a","gender":"1"},{"uid":"$0","birthday":%V,"city":%V}],"error":%V}"#,
        ],
        &[
            r#"<?xml version="1.0" encoding="UTF-8"?><users><user><uid>$0</uid><name>%S</name><gender>%S</gender><education><school>%S</school></education></user><user><uid>$0</uid></user><user><uid>%S</uid></user></users>"#,
            r#"<?xml version="1.0"?><user><uid>$0</uid><career>%S</career><%S>%S</%S></user>"#,
            r#"<error><code>%S</code><msg>%S</msg></error>"#,
        ],
    ];

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(Value::from("$0")),
            Just(Value::from("Gender_Type_Male")),
            Just(Value::from("{\"name\":\"x\"}")),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-zA-Z_]{1,8}|\\$0", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A template of the vendor with its slots filled: JSON values in `%V`, text in `%S`.
    fn shaped_body(selector: u8) -> impl Strategy<Value = String> {
        let templates = TEMPLATES[usize::from(selector)];
        (
            prop::sample::select(templates),
            prop::collection::vec(json_value(), 12),
            prop::collection::vec("[^\\x00]{0,10}|<[a-z]{1,3}>|&[a-z#0-9]{0,5};?|\\$[0-9]", 12),
        )
            .prop_map(|(template, values, texts)| {
                let mut body = template.to_owned();
                for value in values {
                    body = body.replacen("%V", &value.to_string(), 1);
                }
                for text in texts {
                    body = body.replacen("%S", &text, 1);
                }
                body
            })
    }

    fn body(selector: u8) -> impl Strategy<Value = String> {
        prop_oneof![
            4 => shaped_body(selector),
            2 => (shaped_body(selector), any::<prop::sample::Index>()).prop_map(|(body, cut)| {
                let end = cut.index(body.len() + 1);
                String::from_utf8_lossy(&body.as_bytes()[..end]).into_owned()
            }),
            1 => any::<String>(),
        ]
    }

    fn status() -> impl Strategy<Value = u16> {
        prop_oneof![
            4 => Just(200u16),
            2 => prop::sample::select(vec![400u16, 401, 403, 404, 429, 500, 502, 503]),
            1 => any::<u16>(),
        ]
    }

    fn retry_after() -> impl Strategy<Value = Option<String>> {
        prop::option::of(prop_oneof![
            "[0-9]{1,6}(\\.[0-9]{1,3})?",
            Just("Sun, 06 Nov 1994 08:49:37 GMT".to_owned()),
            "[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            ".{0,30}",
        ])
    }

    fn step(selector: u8) -> impl Strategy<Value = Step> {
        prop_oneof![
            8 => (status(), retry_after(), body(selector)).prop_map(|(status, retry_after, body)| {
                Step::Respond { status, retry_after, body }
            }),
            1 => Just(Step::Timeout),
            1 => Just(Step::Network),
        ]
    }

    proptest! {
        #[test]
        fn any_response_to_any_vendor_is_read_without_panic(
            (selector, body) in (0..VENDOR_COUNT).prop_flat_map(|s| (Just(s), body(s))),
            status in status(),
            retry_after in retry_after(),
        ) {
            check_response(selector, status, retry_after.as_deref(), &body);
        }

        #[test]
        fn any_config_and_ids_are_refused_or_built_without_panic(
            selector in 0..VENDOR_COUNT,
            replaced in prop::collection::vec(("[a-zA-Z]{1,14}", json_value()), 0..4),
            ids in prop::collection::vec(prop_oneof![".{0,8}", "[0-9]{1,70}", "\\PC{60,80}"], 1..6),
            fields in prop::collection::vec(prop_oneof!["[A-Za-z_]{1,30}", Just("Tag_Profile_IM_Nick".to_owned()), Just("logo120".to_owned())], 0..4),
            nonce in any::<u64>(),
        ) {
            let mut config: Map<String, Value> =
                serde_json::from_str(CONFIGS[usize::from(selector)]).unwrap();
            config.insert("baseUrl".into(), BASE_URL.into());
            for (key, value) in replaced {
                config.insert(key, value);
            }
            let text = Value::Object(config).to_string();
            check_config_and_request(&text, &ids, &fields, nonce);
        }

        #[test]
        fn any_user_sig_is_read_without_panic(
            data in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..300),
                // A stored stream with a byte changed: past the header more often.
                (prop::collection::vec(any::<u8>(), 0..200), any::<prop::sample::Index>(), any::<u8>())
                    .prop_map(|(data, at, byte)| {
                        let mut stream = crate::signing::zlib::stored(&data);
                        let at = at.index(stream.len());
                        stream[at] = byte;
                        stream
                    }),
            ],
        ) {
            check_user_sig(&data);
        }

        #[test]
        fn every_call_ends_and_accounts_for_every_id(
            (selector, script) in (0..VENDOR_COUNT)
                .prop_flat_map(|s| (Just(s), prop::collection::vec(step(s), 0..24))),
            count in 1..=IDS.len(),
        ) {
            run_job(selector, count, &script);
        }
    }
}

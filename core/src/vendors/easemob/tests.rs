use super::*;
use crate::vendors::test_support::{from_json, refusal};
use serde_json::json;

fn vendor(json: &str) -> Result<Easemob, ProfileError> {
    from_json(json, Easemob::from_config)
}

const CREDENTIALS: &str = r#"{"orgName":"org","appName":"app","baseUrl":"https://a1.easemob.com","clientId":"id","clientSecret":"s3cr3t"}"#;

fn ctx() -> RequestContext<'static> {
    RequestContext {
        now_ms: 0.0,
        nonce: String::new(),
        random: 0,
        base_url: "https://a1.easemob.com",
        fields: None,
        credential: None,
    }
}

/// The vendor documentation's first sample response, verbatim.
const DOC_PAGE_1: &str = r#"{
"action": "get",
"path": "/users",
"uri": "https://XXXX/XXXX/XXXX/users",
"entities": [
{
"uuid": "ab90eff0-XXXX-XXXX-9174-8f161649a182",
"type": "user",
"created": 1542356511855,
"modified": 1542356511855,
"username": "XXXX",
"activated": true,
"nickname": "user1"
},
{
"uuid": "b2aade90-XXXX-XXXX-a974-f3368f82e4f1",
"type": "user",
"created": 1542356523769,
"modified": 1542356523769,
"username": "user2",
"activated": true,
"nickname": "user2"
}
],
"timestamp": 1542558467056,
"duration": 11,
"cursor": "LTgzXXXX2tB",
"count": 2
}"#;

#[test]
fn the_documented_sample_pages_parse() {
    let v = vendor(CREDENTIALS).unwrap();
    let PageOutcome::Parsed(page) = v.parse_page_response(
        &HttpResponse::new(200, DOC_PAGE_1),
        &ParseContext::default(),
    ) else {
        panic!("not a page");
    };
    assert_eq!(page.cursor.as_deref(), Some("LTgzXXXX2tB"));
    let ids: Vec<&str> = page.profiles.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["XXXX", "user2"]);
    let p = &page.profiles[1];
    assert_eq!(p.name.as_deref(), Some("user2"));
    assert_eq!(
        (p.created_at, p.updated_at, p.active),
        (
            Some(1_542_356_523_769.0),
            Some(1_542_356_523_769.0),
            Some(true)
        )
    );
    assert_eq!(
        p.custom.to_value(),
        json!({"uuid": "b2aade90-XXXX-XXXX-a974-f3368f82e4f1", "type": "user"})
    );
    let last = r#"{"action":"get","entities":[{"uuid":"u","type":"user","created":1,"modified":2,"username":"z","activated":false,"notifier_name":"cert","device_token":"t"}],"count":1}"#;
    let PageOutcome::Parsed(page) =
        v.parse_page_response(&HttpResponse::new(200, last), &ParseContext::default())
    else {
        panic!("not a page");
    };
    assert_eq!(page.cursor, None, "no cursor: the last page");
    assert_eq!(page.profiles[0].active, Some(false));
    assert_eq!(page.profiles[0].custom.get("device_token").unwrap(), "t");
}

/// The ids `parse_response` answers, in order, with the `nickname` of the entity each got
/// (`None` for a failure).
fn answers(ids: &[&str], entities: &str) -> Vec<(String, Option<String>)> {
    let body = format!(r#"{{"entities":{entities}}}"#);
    let outcome = vendor(CREDENTIALS).unwrap().parse_response(
        ids,
        &HttpResponse::new(200, &body),
        &ParseContext::default(),
    );
    let ResponseOutcome::Parsed {
        profiles, failures, ..
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert!(failures.iter().all(|f| f.code == ErrorCode::NotFound));
    let mut out: Vec<(String, Option<String>)> =
        profiles.into_iter().map(|p| (p.id, p.name)).collect();
    out.extend(failures.into_iter().map(|f| (f.id, None)));
    out
}

#[test]
fn an_id_gets_the_first_entity_whose_username_it_is_in_any_ascii_case() {
    let entities = r#"[{"username":"bob","nickname":"b1"},{"nickname":"none"},
        {"username":7,"nickname":"number"},{"username":"\u0041lice","nickname":"a1"},
        {"username":"BOB","nickname":"b2"},{"username":"ülf","nickname":"u1"}]"#;
    let got = answers(
        &["Bob", "alice", "bob", "7", "ÜLF", "ülf", "carol"],
        entities,
    );
    let want = [
        ("Bob", Some("b1")),
        ("alice", Some("a1")),
        ("bob", Some("b1")),
        ("ülf", Some("u1")),
        ("7", None),
        ("ÜLF", None),
        ("carol", None),
    ];
    let want: Vec<(String, Option<String>)> = want
        .iter()
        .map(|(id, name)| ((*id).into(), name.map(Into::into)))
        .collect();
    assert_eq!(
        got, want,
        "only ASCII letters fold; a number is no username"
    );
}

proptest::proptest! {
    #[test]
    fn answers_agree_with_comparing_every_pair(
        names in proptest::collection::vec("[aAbB]{1,2}", 0..12),
        ids in proptest::collection::vec("[aAbBc]{1,2}", 0..12),
    ) {
        let entities: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(at, name)| format!(r#"{{"username":"{name}","nickname":"{at}"}}"#))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let got = answers(&ids, &format!("[{}]", entities.join(",")));
        let first = |id: &str| names.iter().position(|n| n.eq_ignore_ascii_case(id));
        let mut want: Vec<(String, Option<String>)> = ids
            .iter()
            .filter_map(|id| Some(((*id).to_owned(), Some(first(id)?.to_string()))))
            .collect();
        want.extend(ids.iter().filter(|id| first(id).is_none()).map(|id| ((*id).to_owned(), None)));
        proptest::prop_assert_eq!(got, want);
    }
}

#[test]
fn requests_carry_the_token_and_encode_paths() {
    let v = vendor(
        r#"{"orgName":"org","appName":"app","baseUrl":"https://a1.easemob.com","token":"tok"}"#,
    )
    .unwrap();
    let mut s = CredentialState::default();
    let one = v.build_request(&["a b/c"], &ctx()).http;
    assert_eq!(one.url, "https://a1.easemob.com/org/app/users/a%20b%2Fc");
    assert_eq!(one.header("Authorization"), Some("Bearer tok"));
    let page = v.build_page_request(25, Some("c+/="), &ctx()).http;
    assert_eq!(
        page.url,
        "https://a1.easemob.com/org/app/users?limit=25&cursor=c%2B%2F%3D"
    );
    assert!(matches!(
        v.credential_step(&mut s, 0.0),
        CredentialStep::Ready
    ));
    assert!(
        !v.credential_rejected(&mut s, 0),
        "a configured token cannot be renewed"
    );
}

#[test]
fn statuses_classify() {
    let v = vendor(CREDENTIALS).unwrap();
    let outcome = |status: u16, body: &str| {
        v.parse_response(
            &["u"],
            &HttpResponse::new(status, body),
            &ParseContext::default(),
        )
    };
    match outcome(404, r#"{"error":"service_resource_not_found"}"#) {
        ResponseOutcome::Parsed { failures, .. } => {
            assert_eq!(failures[0].code, ErrorCode::NotFound)
        }
        other => panic!("{other:?}"),
    }
    match outcome(404, r#"{"error":"organization_application_not_found"}"#) {
        ResponseOutcome::Failed { error, .. } => assert_eq!(error.code, ErrorCode::AuthFailed),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        outcome(401, r#"{"error":"unauthorized"}"#),
        ResponseOutcome::CredentialRejected(_)
    ));
    match outcome(429, "") {
        ResponseOutcome::Failed { error, .. } => assert_eq!(
            (
                error.code,
                error.retryable,
                error.message.contains("(HTTP 429)")
            ),
            (ErrorCode::RateLimited, true, true)
        ),
        other => panic!("{other:?}"),
    }
    match outcome(200, "{oops") {
        ResponseOutcome::Failed { error, .. } => {
            assert_eq!(error.code, ErrorCode::InvalidResponse)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_token_fetch_is_shared_renewed_before_expiry_and_once_after_a_refusal() {
    let v = vendor(CREDENTIALS).unwrap();
    let mut s = CredentialState::default();
    let CredentialStep::Fetch(fetch) = v.credential_step(&mut s, 0.0) else {
        panic!("fetch first")
    };
    assert_eq!(fetch.http.url, "https://a1.easemob.com/org/app/token");
    let body: serde_json::Value =
        serde_json::from_str(fetch.http.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"grant_type":"client_credentials","client_id":"id","client_secret":"s3cr3t"})
    );
    assert!(
        matches!(v.credential_step(&mut s, 1.0), CredentialStep::Wait),
        "one fetch at a time"
    );
    let injected = HttpResponse::new(
        200,
        r#"{"access_token":"tok\r\nX-Evil: 1","expires_in":3600}"#,
    );
    let refused = v
        .on_credential_response(&mut s, Some(&injected), 5.0)
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::InvalidResponse);
    assert!(!refused.message.contains("Evil"), "{}", refused.message);
    assert!(matches!(
        v.credential_step(&mut s, 6.0),
        CredentialStep::Fetch(_)
    ));
    let token = HttpResponse::new(
        200,
        r#"{"access_token":"T1","expires_in":3600,"application":"x"}"#,
    );
    v.on_credential_response(&mut s, Some(&token), 10.0)
        .unwrap();
    assert!(matches!(
        v.credential_step(&mut s, 20.0),
        CredentialStep::Ready
    ));
    let with_token = RequestContext {
        credential: s.held(),
        ..ctx()
    };
    let request = v.build_request(&["u"], &with_token);
    assert_eq!(request.http.header("Authorization"), Some("Bearer T1"));
    assert_eq!(request.credential_generation, 1);
    assert_eq!(request.redact, vec!["T1".to_owned()]);
    // Renewed a minute before expiry.
    assert!(matches!(
        v.credential_step(&mut s, 10.0 + 3_540_000.0 - 1.0),
        CredentialStep::Ready
    ));
    assert!(matches!(
        v.credential_step(&mut s, 10.0 + 3_540_000.0),
        CredentialStep::Fetch(_)
    ));
    v.on_credential_response(
        &mut s,
        Some(&HttpResponse::new(
            200,
            r#"{"access_token":"T2","expires_in":3600}"#,
        )),
        3_600_000.0,
    )
    .unwrap();
    // Eight requests signed with T2 are refused: one renewal; those signed earlier just resend.
    assert!(v.credential_rejected(&mut s, 2));
    assert!(v.credential_rejected(&mut s, 2));
    assert!(v.credential_rejected(&mut s, 1));
    assert!(matches!(
        v.credential_step(&mut s, 3_600_001.0),
        CredentialStep::Fetch(_)
    ));
    assert!(matches!(
        v.credential_step(&mut s, 3_600_002.0),
        CredentialStep::Wait
    ));
    v.on_credential_response(
        &mut s,
        Some(&HttpResponse::new(
            200,
            r#"{"access_token":"T3","expires_in":3600}"#,
        )),
        3_600_010.0,
    )
    .unwrap();
    assert!(
        v.credential_rejected(&mut s, 2),
        "signed before the renewal: resend"
    );
    assert!(
        !v.credential_rejected(&mut s, 3),
        "the renewed token refused too: final"
    );
}

#[test]
fn token_fetch_failures_back_off_then_give_up_and_bad_credentials_are_final() {
    let v = vendor(CREDENTIALS).unwrap();
    let mut s = CredentialState::default();
    for attempt in 0..3 {
        let now = f64::from(attempt) * 10_000.0;
        assert!(matches!(
            v.credential_step(&mut s, now),
            CredentialStep::Fetch(_)
        ));
        let error = v
            .on_credential_response(&mut s, Some(&HttpResponse::new(503, "")), now)
            .unwrap_err();
        assert!(error.retryable);
        assert!(matches!(
            v.credential_step(&mut s, now + 1.0),
            CredentialStep::WaitUntil(_)
        ));
    }
    assert!(matches!(
        v.credential_step(&mut s, 40_000.0),
        CredentialStep::Fetch(_)
    ));
    let error = v
        .on_credential_response(&mut s, None, 40_000.0)
        .unwrap_err();
    assert!(!error.retryable, "retries exhausted");
    assert!(matches!(
        v.credential_step(&mut s, 40_001.0),
        CredentialStep::Fetch(_)
    ));
    let refused = v
        .on_credential_response(
            &mut s,
            Some(&HttpResponse::new(401, r#"{"error":"unauthorized"}"#)),
            40_001.0,
        )
        .unwrap_err();
    assert_eq!(
        (refused.code, refused.retryable),
        (ErrorCode::AuthFailed, false)
    );
    assert!(!refused.message.contains("s3cr3t"));
}

#[test]
fn bad_configs_are_refused() {
    for case in [
        r#"{"appName":"app","baseUrl":"https://h.com","token":"s3cr3t"}"#,
        r#"{"orgName":"org","baseUrl":"https://h.com","token":"s3cr3t"}"#,
        r#"{"orgName":"org","appName":"app","token":"s3cr3t"}"#,
        r#"{"orgName":"org","appName":"app","baseUrl":"https://h.com"}"#,
        r#"{"orgName":"org","appName":"app","baseUrl":"https://h.com","clientId":"id"}"#,
        r#"{"orgName":"org","appName":"app","baseUrl":"https://h.com","token":"s3cr3t","clientSecret":"s3cr3t"}"#,
        r#"{"orgName":"o/rg","appName":"app","baseUrl":"https://h.com","token":"s3cr3t"}"#,
        r#"{"orgName":"org","appName":"app","baseUrl":"https://h.com","token":"s3cr3t","batchSize":2}"#,
    ] {
        let err = refusal(case, Easemob::from_config);
        assert_eq!(err.code, ErrorCode::InvalidConfig, "{case}");
        assert!(!err.message.contains("s3cr3t"));
    }
}

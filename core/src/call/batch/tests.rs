//! `getProfiles` on the simulation harness: the accounting rule under every fault, retries,
//! pauses, the breaker, and results taken as they come.

use std::collections::BTreeSet;
use std::rc::Rc;

use serde_json::{json, Value};

use super::*;
use crate::http::HttpRequest;
use crate::reader::PlainObject;
use crate::scheduler::{CircuitBreaker, RetryBudget};
use crate::signing;
use crate::simulation::{self as sim, assert_accounted, Scripted, Simulation};
use crate::vendors::rongcloud::RongCloud;

fn rongcloud(extra: Value) -> Rc<dyn Vendor> {
    let mut config = json!({"appKey": "k", "appSecret": "s", "baseUrl": "https://primary.test"});
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let plain = PlainObject::from_json(&config.to_string(), &[]);
    Rc::new(RongCloud::from_config(&plain.config()).unwrap())
}

/// What the simulated vendor does with the n-th request it receives.
#[derive(Clone)]
enum Reply {
    Serve,
    Status(u16, &'static str),
    RateLimited(Option<&'static str>),
    Truncated,
    Timeout,
    Network,
    /// A vendor other than the RongCloud of [`serve`], with its own state.
    Respond(Rc<dyn Fn(&HttpRequest) -> HttpResponse>),
}

/// A RongCloud that knows the ids `u*`, checks every signature, and answers after 5 ms.
fn serve(request: &HttpRequest) -> HttpResponse {
    let nonce = request.header("Nonce").unwrap();
    let timestamp = request.header("Timestamp").unwrap();
    assert_eq!(
        request.header("Signature").unwrap(),
        signing::rongcloud::signature("s", nonce, timestamp)
    );
    let users: Vec<Value> = request
        .body
        .as_deref()
        .unwrap()
        .split('&')
        .filter_map(|pair| pair.strip_prefix("userId="))
        .filter(|id| id.starts_with('u'))
        .map(|id| json!({"userId": id, "userProfile": {"name": format!("name of {id}")}}))
        .collect();
    HttpResponse::new(200, json!({"code": 200, "userList": users}).to_string())
}

type Sim = Simulation<Batch>;

/// Runs a whole call; `script(n)` says what the vendor does with the n-th request, which
/// it answers after 5 ms.
fn run(
    vendor: Rc<dyn Vendor>,
    ids: &[impl AsRef<str>],
    script: impl Fn(usize) -> Reply,
) -> (Result<BatchResult, ProfileError>, Sim) {
    run_taking(vendor, ids, script, false)
}

/// `run`, taking what the call collects as it goes (`taking`) as js/shell/run.js does.
fn run_taking(
    vendor: Rc<dyn Vendor>,
    ids: &[impl AsRef<str>],
    script: impl Fn(usize) -> Reply,
    taking: bool,
) -> (Result<BatchResult, ProfileError>, Sim) {
    let work = Batch::of(vendor.as_ref(), ids, BatchOptions::default()).unwrap();
    let mut sim = Simulation::new(vendor, work, 1_700_000_000_000.0);
    if taking {
        sim = sim.taking_collected();
    }
    let result = sim.run(|n, request| {
        let reply = match script(n) {
            Reply::Serve => sim::Reply::Respond(serve(request)),
            Reply::Status(status, body) => sim::Reply::Respond(HttpResponse::new(status, body)),
            Reply::RateLimited(retry_after) => {
                let mut response = HttpResponse::new(429, r#"{"code":1008}"#);
                if let Some(value) = retry_after {
                    response = response.with_header("Retry-After", value);
                }
                sim::Reply::Respond(response)
            }
            Reply::Truncated => {
                let body = serve(request).body;
                sim::Reply::Respond(HttpResponse::new(200, &body[..body.len() / 2]))
            }
            Reply::Timeout => sim::Reply::Timeout,
            Reply::Network => sim::Reply::Network,
            Reply::Respond(vendor) => sim::Reply::Respond(vendor(request)),
        };
        Scripted::after(5.0, reply)
    });
    (result, sim)
}

fn ids(known: usize, unknown: usize) -> Vec<String> {
    (1..=known)
        .map(|i| format!("u{i}"))
        .chain((1..=unknown).map(|i| format!("x{i}")))
        .collect()
}

#[test]
fn results_taken_as_they_come_make_the_same_outcome_in_its_order() {
    // Faults early on: retried ids settle after later ones, out of the outcome's order.
    let asked = ids(900, 100);
    let script = |n: usize| match n % 5 {
        1 if n < 40 => Reply::Status(500, r#"{"code":1000}"#),
        3 if n < 40 => Reply::Timeout,
        _ => Reply::Serve,
    };
    let vendor = rongcloud(json!({"retries": 3}));
    let whole = run(Rc::clone(&vendor), &asked, script).0.unwrap();
    let (rest, sim) = run_taking(vendor, &asked, script, true);
    let rest = rest.unwrap();
    let taken = sim.collected.unwrap();
    assert!(taken.len() > 1 && rest.profiles.is_empty() && rest.failures.is_empty());
    // Put each in its place, as js/shell/run.js does.
    let mut places: Vec<Option<(bool, String)>> = vec![None; asked.len()];
    for part in &taken {
        let part = crate::model::write::read_tape(part);
        for (list, at, is_profile) in [
            ("profiles", "profileAt", true),
            ("failures", "failureAt", false),
        ] {
            let items = part[list].as_array().unwrap();
            for (item, at) in items.iter().zip(part[at].as_array().unwrap()) {
                let place = &mut places[at.as_u64().unwrap() as usize];
                assert!(place.is_none(), "one place, one result");
                *place = Some((is_profile, item["id"].as_str().unwrap().to_owned()));
            }
        }
    }
    let in_order = |profiles: bool| -> Vec<String> {
        let places = places.iter().flatten().filter(|(p, _)| *p == profiles);
        places.map(|(_, id)| id.clone()).collect()
    };
    let profiles: Vec<String> = whole.profiles.iter().map(|p| p.id.clone()).collect();
    let failures: Vec<String> = whole.failures.iter().map(|f| f.id.clone()).collect();
    assert_eq!((in_order(true), in_order(false)), (profiles, failures));
    assert_eq!(whole.profiles.len(), 900);
}

#[test]
fn every_fault_kind_recovers_and_every_id_is_accounted_for() {
    let asked = ids(1800, 200);
    // Request n meets a fault when n % 4 == 1, cycling through the kinds.
    let faults = [
        Reply::Status(500, r#"{"code":1000}"#),
        Reply::Status(502, "<html>bad gateway</html>"),
        Reply::Status(504, r#"{"code":1050}"#),
        Reply::RateLimited(None),
        Reply::RateLimited(Some("1")),
        Reply::Truncated,
        Reply::Timeout,
        Reply::Network,
    ];
    let script = |n: usize| {
        if n % 4 == 1 && n < 60 {
            faults[(n / 4) % faults.len()].clone()
        } else {
            Reply::Serve
        }
    };
    let (result, sim) = run(rongcloud(json!({"retries": 3})), &asked, script);
    let result = result.unwrap();
    assert_accounted(&asked, &result);
    assert_eq!(result.profiles.len(), 1800);
    assert!(result
        .failures
        .iter()
        .all(|f| f.code == ErrorCode::NotFound));
    assert!(result.stats.retries > 0 && result.stats.requests == sim.received.len());
}

#[test]
fn a_fault_that_never_clears_fails_its_ids_and_the_rest_goes_on() {
    let asked = ids(300, 0);
    let (result, _) = run(
        rongcloud(json!({"retries": 2, "concurrency": 1})),
        &asked,
        |n| {
            if n == 0 || n >= 3 {
                Reply::Status(503, "")
            } else {
                Reply::Serve
            }
        },
    );
    let result = result.unwrap();
    assert_accounted(&asked, &result);
    // Request 0 (u1..u100) fails, then requests 1 and 2 serve u101..u300, then its two
    // retries fail too.
    assert_eq!(result.profiles.len(), 200);
    assert!(result
        .failures
        .iter()
        .all(|f| f.code == ErrorCode::VendorError && f.retryable && f.id.len() <= 4));
}

#[test]
fn retry_after_pauses_every_request_of_the_client() {
    let asked = ids(1000, 0);
    let (result, sim) = run(rongcloud(json!({"concurrency": 1})), &asked, |n| {
        if n == 2 {
            Reply::RateLimited(Some("2"))
        } else {
            Reply::Serve
        }
    });
    assert_accounted(&asked, &result.unwrap());
    let limited_at = sim
        .answered
        .iter()
        .find(|a| a.status == Some(429))
        .unwrap()
        .at;
    let next_send = sim
        .received
        .iter()
        .map(|r| r.at)
        .find(|&t| t > limited_at)
        .unwrap();
    assert!(
        next_send - limited_at >= 2000.0,
        "sent {} ms after the 429",
        next_send - limited_at
    );
}

#[test]
fn a_dead_vendor_opens_the_breaker_and_the_queued_ids_fail_fast() {
    let asked = ids(5000, 0);
    let (result, sim) = run(rongcloud(json!({})), &asked, |_| Reply::Network);
    let result = result.unwrap();
    assert_accounted(&asked, &result);
    assert!(result.profiles.is_empty());
    // The breaker opens at the 10th failure in a row; what was in flight then still
    // comes back, but nothing more is sent.
    let threshold = CircuitBreaker::THRESHOLD as usize;
    assert!(
        sim.received.len() < threshold + 8,
        "{} requests to a dead vendor",
        sim.received.len()
    );
    let fast: Vec<&Failure> = result
        .failures
        .iter()
        .filter(|f| f.message.contains("in a row failed"))
        .collect();
    assert!(fast.len() >= 5000 - 100 * (threshold + 8));
    assert!(fast
        .iter()
        .all(|f| f.code == ErrorCode::VendorError && f.retryable));
    let last_send = sim.received.last().unwrap().at;
    assert!(
        sim.now - last_send < 1000.0,
        "the call ended without waiting out the retries"
    );
}

#[test]
fn retries_stop_when_the_budget_is_spent() {
    // Every other request fails: never ten in a row, so only the budget limits retries.
    let asked = ids(3000, 0);
    let vendor = rongcloud(json!({"batchSize": 1, "retries": 3, "rateLimit": 1000}));
    let (result, _) = run(vendor, &asked, |n| {
        if n % 2 == 0 {
            Reply::Status(503, "")
        } else {
            Reply::Serve
        }
    });
    let result = result.unwrap();
    assert_accounted(&asked, &result);
    let stats = result.stats;
    let first_attempts = stats.requests - stats.retries;
    // 500 tokens at 5 a retry, and 5 back for every retry that succeeds; 1 back for every
    // first attempt that succeeds.
    let bound =
        (RetryBudget::CAPACITY as usize + first_attempts) / RetryBudget::RETRY_COST as usize;
    assert!(
        stats.retries <= bound + stats.profiles,
        "{} retries for {} first attempts",
        stats.retries,
        first_attempts
    );
    let unpaid = result
        .failures
        .iter()
        .filter(|f| f.message.contains(BUDGET_SPENT) && f.retryable)
        .count();
    assert!(unpaid > 1000, "{unpaid} failures for want of budget");
    assert!(stats.retries < first_attempts);
}

#[test]
fn auth_failure_ends_the_call() {
    let (result, _) = run(rongcloud(json!({})), &["u1", "u2"], |_| {
        Reply::Status(401, r#"{"code":1004}"#)
    });
    let error = result.unwrap_err();
    assert_eq!(
        (error.code, error.status),
        (ErrorCode::AuthFailed, Some(401))
    );
}

#[test]
fn network_failures_move_traffic_to_the_backup_host() {
    let asked = ids(500, 0);
    let vendor = rongcloud(json!({"backupBaseUrl": "https://backup.test", "concurrency": 1}));
    let (result, sim) = run(vendor, &asked, |n| {
        if n == 0 {
            Reply::Network
        } else {
            Reply::Serve
        }
    });
    assert_eq!(result.unwrap().profiles.len(), 500);
    assert!(sim.received[0]
        .request
        .url
        .starts_with("https://primary.test/"));
    assert!(sim.received[1..]
        .iter()
        .all(|r| r.request.url.starts_with("https://backup.test/")));
}

#[test]
fn ids_read_as_requests_go_out_are_deduplicated_over_the_whole_stream() {
    use std::cell::Cell;
    // u1..u1200 then each again, with an id RongCloud refuses and ids nobody has.
    let stream: Vec<String> = (1..=1200)
        .map(|i| format!("u{i}"))
        .chain((1..=1200).map(|i| format!("u{i}")))
        .chain(["", "x1", "x2", "x1"].map(String::from))
        .collect();
    let pulled = Rc::new(Cell::new(0usize));
    let counting = {
        let pulled = Rc::clone(&pulled);
        stream
            .clone()
            .into_iter()
            .inspect(move |_| pulled.set(pulled.get() + 1))
    };
    let vendor = rongcloud(json!({}));
    let work = Batch::streaming(vendor.as_ref(), BatchOptions::default());
    let mut sim = Simulation::new(vendor, work, 0.0).reading(counting);
    let mut pulled_at_send = Vec::new();
    let result = sim
        .run(|_, request| {
            pulled_at_send.push(pulled.get());
            Scripted::after(5.0, sim::Reply::Respond(serve(request)))
        })
        .unwrap();
    assert_accounted(&stream, &result);
    assert_eq!(result.profiles.len(), 1200);
    let refused = result.failures.iter().find(|f| f.id.is_empty()).unwrap();
    assert_eq!(refused.code, ErrorCode::InvalidInput);
    // Each request goes once its 100 ids are read, and no more are read before it goes.
    let planned: Vec<usize> = (1..=12).map(|n| 100 * n).collect();
    assert_eq!(pulled_at_send[..12], planned);
    assert_eq!(sim.received.len(), 13, "the repeats cost no request");
}

#[test]
fn results_keep_first_seen_order_and_duplicates_collapse() {
    let (result, sim) = run(
        rongcloud(json!({"batchSize": 2})),
        &["u3", "x1", "u1", "u3", "u2", "x1"],
        |_| Reply::Serve,
    );
    let result = result.unwrap();
    assert_eq!(
        result
            .profiles
            .iter()
            .map(|p| p.id.as_str())
            .collect::<Vec<_>>(),
        ["u3", "u1", "u2"]
    );
    assert_eq!(
        result
            .failures
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>(),
        ["x1"]
    );
    assert_eq!(sim.received.len(), 2);
}

#[test]
fn answers_in_any_order_settle_each_id_once_as_itself() {
    // Each answer lists its users backwards, one of them twice, and one nobody asked for.
    let shuffled = Rc::new(|request: &HttpRequest| {
        let body: Value = serde_json::from_str(&serve(request).body).unwrap();
        let mut users = body["userList"].as_array().unwrap().clone();
        users.reverse();
        if let Some(first) = users.first().cloned() {
            users.push(first);
        }
        users.push(json!({"userId": "u999", "userProfile": {"name": "name of u999"}}));
        HttpResponse::new(200, json!({"code": 200, "userList": users}).to_string())
    });
    let asked = ids(250, 20);
    let (result, sim) = run(rongcloud(json!({})), &asked, |_| {
        Reply::Respond(shuffled.clone())
    });
    let result = result.unwrap();
    assert_accounted(&asked, &result);
    let profiles: Vec<(&str, &str)> = (result.profiles.iter())
        .map(|p| (p.id.as_str(), p.name.as_deref().unwrap()))
        .collect();
    let expected: Vec<(String, String)> = (1..=250)
        .map(|i| (format!("u{i}"), format!("name of u{i}")))
        .collect();
    let expected: Vec<(&str, &str)> = expected
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(profiles, expected);
    assert_eq!(result.failures.len(), 20);
    assert_eq!(sim.received.len(), 3);
}

#[test]
fn invalid_ids_are_refused_before_anything_is_planned() {
    let error = Batch::of(
        rongcloud(json!({})).as_ref(),
        &["ok", ""],
        BatchOptions::default(),
    )
    .err()
    .unwrap();
    assert_eq!(error.code, ErrorCode::InvalidInput);
    assert!(error.message.starts_with("ids[1]"));
}

fn tencent(config: Value) -> Rc<dyn Vendor> {
    let plain = PlainObject::from_json(&config.to_string(), &[]);
    Rc::new(crate::vendors::tencent::PortraitGet::from_config(&plain.config()).unwrap())
}

/// portrait_get where accounts `flaky*` fail with 40006 the first time they are asked
/// for and accounts `x*` do not exist. Records each request's accounts.
fn portrait_get_server(asked: Rc<std::cell::RefCell<Vec<Vec<String>>>>) -> Reply {
    let failed_once = Rc::new(std::cell::RefCell::new(BTreeSet::<String>::new()));
    Reply::Respond(Rc::new(move |request: &HttpRequest| {
        let body: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
        let accounts: Vec<String> = body["To_Account"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        asked.borrow_mut().push(accounts.clone());
        let items: Vec<Value> = accounts
            .iter()
            .map(|a| {
                if a.starts_with('x') {
                    json!({"To_Account": a, "ResultCode": 40003, "ResultInfo": "not found"})
                } else if a.starts_with("flaky") && failed_once.borrow_mut().insert(a.clone()) {
                    json!({"To_Account": a, "ResultCode": 40006, "ResultInfo": "try again"})
                } else {
                    json!({"To_Account": a, "ResultCode": 0, "ProfileItem": [
                        {"Tag": "Tag_Profile_IM_Nick", "Value": format!("nick {a}")}
                    ]})
                }
            })
            .collect();
        HttpResponse::new(
            200,
            json!({"ActionStatus": "OK", "ErrorCode": 0, "UserProfileItem": items}).to_string(),
        )
    }))
}

#[test]
fn tencent_retries_only_the_accounts_that_failed_transiently() {
    let vendor = tencent(json!({
        "sdkAppId": 1400000000, "identifier": "admin", "secretKey": "key",
        "baseUrl": "https://tencent.test"
    }));
    let ids: Vec<String> = (1..=240)
        .map(|i| format!("u{i}"))
        .chain((1..=5).map(|i| format!("flaky{i}")))
        .chain((1..=5).map(|i| format!("x{i}")))
        .collect();
    let asked = Rc::new(std::cell::RefCell::new(Vec::new()));
    let server = portrait_get_server(Rc::clone(&asked));
    let (result, sim) = run(vendor, &ids, |_| server.clone());
    let result = result.unwrap();
    assert_accounted(&ids, &result);
    assert_eq!(result.profiles.len(), 245, "flaky accounts end as profiles");
    assert!(result
        .failures
        .iter()
        .all(|f| f.code == ErrorCode::NotFound));
    let asked = asked.borrow();
    assert_eq!(asked.len(), 4, "three planned requests and one retry");
    assert_eq!(
        asked[3],
        (1..=5).map(|i| format!("flaky{i}")).collect::<Vec<_>>()
    );
    assert_eq!(result.stats.requests, 4);
    assert_eq!(result.stats.retries, 1);
    let randoms: BTreeSet<&str> = sim
        .received
        .iter()
        .map(|r| {
            r.request
                .url
                .split("random=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(randoms.len(), 4, "a fresh random per request");
}

#[test]
fn an_expired_user_sig_fails_the_call_before_anything_is_sent() {
    let sig = signing::tls_sig::user_sig("key", "admin", 1_400_000_000, 1_600_000_000, 3600);
    let vendor = tencent(json!({
        "sdkAppId": 1400000000, "identifier": "admin", "userSig": sig,
    }));
    let (result, sim) = run(vendor, &["u1"], |_| Reply::Serve);
    let error = result.unwrap_err();
    assert_eq!(error.code, ErrorCode::AuthFailed);
    assert!(!error.message.contains(&sig));
    assert!(sim.received.is_empty());
}

#[test]
fn settled_results_come_out_in_id_order_with_the_other_kind_s_ids_skipped() {
    // Ids 0..6: profiles for some, settled out of order; the rest failed (not in this list).
    let settled = vec![(4, "e"), (0, "a"), (5, "f"), (2, "c")];
    assert_eq!(in_id_order(settled, 6), ["a", "c", "e", "f"]);
    assert_eq!(in_id_order(Vec::<(usize, ())>::new(), 3), []);
}

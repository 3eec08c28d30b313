//! The JSON of what a call hands out: its counters, its reports to `onBatch` and
//! `onProgress`, and its outcome (the types of js/shell/types.d.ts, members in their order).

use super::pages::{Listed, PageResult};
use super::{BatchEvent, BatchReport, BatchResult, Progress, Report, Stats};
use crate::json::write::{object, Members, ToJson};

impl ToJson for Stats {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("requested", &self.requested)
                .add("profiles", &self.profiles)
                .add("failures", &self.failures)
                .add("requests", &self.requests)
                .add("retries", &self.retries)
                .add("elapsedMs", &self.elapsed_ms);
        });
    }
}

impl ToJson for Progress {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("done", &self.done)
                .add("total", &self.total)
                .add("failed", &self.failed)
                .add("requests", &self.requests)
                .add("retries", &self.retries);
        });
    }
}

impl BatchEvent {
    fn add_members(&self, o: &mut Members) {
        o.add("profiles", &self.profiles)
            .add("failures", &self.failures)
            .add_some("cursor", self.cursor.as_ref());
    }
}

impl ToJson for BatchEvent {
    fn write_json(&self, out: &mut String) {
        object(out, |o| self.add_members(o));
    }
}

/// The event's members and the call's counters, in one object.
impl ToJson for BatchReport {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            self.event.add_members(o);
            o.add("stats", &self.stats);
        });
    }
}

impl ToJson for Report {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add_some("batches", self.batches.as_ref())
                .add("progress", &self.progress);
        });
    }
}

impl ToJson for BatchResult {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("profiles", &self.profiles)
                .add("failures", &self.failures)
                .add("stats", &self.stats);
        });
    }
}

impl ToJson for PageResult {
    fn write_json(&self, out: &mut String) {
        object(out, |o| {
            o.add("profiles", &self.profiles)
                .add_some("cursor", self.cursor.as_ref());
        });
    }
}

/// One page or all of them, each as its own shape.
impl ToJson for Listed {
    fn write_json(&self, out: &mut String) {
        match self {
            Listed::Page(page) => page.write_json(out),
            Listed::All(all) => all.write_json(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::model::{ErrorCode, Failure, Profile, VendorKey};

    fn parsed(value: &impl ToJson) -> Value {
        serde_json::from_str(&value.to_json()).unwrap()
    }

    #[test]
    fn each_shape_has_the_members_of_the_contract() {
        let stats = Stats {
            requested: 3,
            profiles: 1,
            failures: 1,
            requests: 2,
            retries: 1,
            elapsed_ms: 12.5,
        };
        let event = BatchEvent {
            profiles: vec![Profile::new(VendorKey::Easemob, "a")],
            failures: vec![Failure::new("b", ErrorCode::NotFound, "gone")],
            cursor: None,
        };
        let report = Report {
            batches: Some(vec![BatchReport {
                event: BatchEvent {
                    cursor: Some("next".into()),
                    ..event.clone()
                },
                stats,
            }]),
            progress: Progress {
                done: 2,
                total: 3,
                failed: 1,
                requests: 2,
                retries: 1,
            },
        };
        let profile = json!({"vendor": "easemob", "id": "a", "gender": "unknown", "custom": {}});
        let failure =
            json!({"id": "b", "code": "not_found", "message": "gone", "retryable": false});
        let stats_json = json!({
            "requested": 3, "profiles": 1, "failures": 1, "requests": 2, "retries": 1,
            "elapsedMs": 12.5
        });
        assert_eq!(
            parsed(&report),
            json!({
                "batches": [{
                    "profiles": [profile], "failures": [failure], "cursor": "next",
                    "stats": stats_json
                }],
                "progress": {"done": 2, "total": 3, "failed": 1, "requests": 2, "retries": 1}
            })
        );
        let no_batches = Report {
            batches: None,
            ..report
        };
        assert!(parsed(&no_batches).get("batches").is_none());
        assert_eq!(
            parsed(&event),
            json!({"profiles": [profile], "failures": [failure]})
        );
        let result = BatchResult {
            profiles: event.profiles.clone(),
            failures: Vec::new(),
            stats,
        };
        let all = json!({"profiles": [profile], "failures": [], "stats": stats_json});
        assert_eq!(parsed(&Listed::All(result)), all);
        let last_page = PageResult {
            profiles: Vec::new(),
            cursor: None,
        };
        assert_eq!(parsed(&Listed::Page(last_page)), json!({"profiles": []}));
    }
}

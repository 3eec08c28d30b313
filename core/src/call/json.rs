//! What a call hands out, on tapes (json/src/tape.rs): its counters, its reports to
//! `onBatch` and `onProgress`, and its outcome (the types of js/shell/types.d.ts, members in
//! their order).

use super::pages::{Listed, PageResult};
use super::{BatchEvent, BatchReport, BatchResult, Progress, Report, Stats};
use crate::json::tape::{Tape, ToTape};
use crate::model::write::{known, Word};

/// `key: number` for each of `members`, in one object.
fn counters(tape: &mut Tape, members: &[(Word, f64)]) {
    tape.object(members.len());
    for &(key, value) in members {
        known(tape, key);
        tape.number(value);
    }
}

impl ToTape for Stats {
    fn write_tape(&self, tape: &mut Tape) {
        counters(
            tape,
            &[
                (Word::Requested, self.requested as f64),
                (Word::Profiles, self.profiles as f64),
                (Word::Failures, self.failures as f64),
                (Word::Requests, self.requests as f64),
                (Word::Retries, self.retries as f64),
                (Word::ElapsedMs, self.elapsed_ms),
            ],
        );
    }
}

impl ToTape for Progress {
    fn write_tape(&self, tape: &mut Tape) {
        counters(
            tape,
            &[
                (Word::Done, self.done as f64),
                (Word::Total, self.total as f64),
                (Word::Failed, self.failed as f64),
                (Word::Requests, self.requests as f64),
                (Word::Retries, self.retries as f64),
            ],
        );
    }
}

/// `[…]`: each item on the tape.
fn list<T: ToTape>(tape: &mut Tape, items: &[T]) {
    tape.array(items.len());
    for item in items {
        item.write_tape(tape);
    }
}

/// `cursor` when there is one; how many members that was.
fn cursor(tape: &mut Tape, cursor: &Option<String>) -> usize {
    match cursor {
        Some(cursor) => {
            known(tape, Word::Cursor);
            tape.string(cursor);
            1
        }
        None => 0,
    }
}

impl BatchEvent {
    /// Its members; how many.
    fn members(&self, tape: &mut Tape) -> usize {
        known(tape, Word::Profiles);
        list(tape, &self.profiles);
        known(tape, Word::Failures);
        list(tape, &self.failures);
        2 + cursor(tape, &self.cursor)
    }
}

impl ToTape for BatchEvent {
    fn write_tape(&self, tape: &mut Tape) {
        let open = tape.open_object();
        let members = self.members(tape);
        tape.close(open, members);
    }
}

/// The event's members and the call's counters, in one object.
impl ToTape for BatchReport {
    fn write_tape(&self, tape: &mut Tape) {
        let open = tape.open_object();
        let members = self.event.members(tape);
        known(tape, Word::Stats);
        self.stats.write_tape(tape);
        tape.close(open, members + 1);
    }
}

impl ToTape for Report {
    fn write_tape(&self, tape: &mut Tape) {
        tape.object(1 + usize::from(self.batches.is_some()));
        if let Some(batches) = &self.batches {
            known(tape, Word::Batches);
            list(tape, batches);
        }
        known(tape, Word::Progress);
        self.progress.write_tape(tape);
    }
}

impl ToTape for BatchResult {
    fn write_tape(&self, tape: &mut Tape) {
        tape.object(3);
        known(tape, Word::Profiles);
        list(tape, &self.profiles);
        known(tape, Word::Failures);
        list(tape, &self.failures);
        known(tape, Word::Stats);
        self.stats.write_tape(tape);
    }
}

impl ToTape for PageResult {
    fn write_tape(&self, tape: &mut Tape) {
        let open = tape.open_object();
        known(tape, Word::Profiles);
        list(tape, &self.profiles);
        let members = 1 + cursor(tape, &self.cursor);
        tape.close(open, members);
    }
}

/// One page or all of them, each as its own shape.
impl ToTape for Listed {
    fn write_tape(&self, tape: &mut Tape) {
        match self {
            Listed::Page(page) => page.write_tape(tape),
            Listed::All(all) => all.write_tape(tape),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::model::{ErrorCode, Failure, Profile, VendorKey};

    fn parsed(value: &impl ToTape) -> Value {
        crate::model::write::read_tape(&crate::json::tape::to_tape(value))
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

//! The work of a listing call (`listProfiles` / `listAllProfiles`): pages fetched one after
//! another, each needing the cursor of the one before.

use super::{Answer, BatchEvent, BatchResult, Output, Progress, Stats, Step, Work};
use crate::http::HttpResponse;
use crate::model::{ErrorCode, Profile, ProfileError, VendorKey};
use crate::vendors::{Listing, Page, ParseContext, PreparedRequest, RequestContext, Vendor};

#[derive(Clone, Debug)]
pub struct ListOptions {
    pub page_size: u32,
    /// Where to start (`listProfiles({cursor})`).
    pub cursor: Option<String>,
    /// Stop after one page (`listProfiles`), else follow the cursor to the end.
    pub single_page: bool,
    /// Stop once this many profiles are listed.
    pub max: Option<usize>,
    pub include_raw: bool,
    pub collect: bool,
    pub emit_batches: bool,
}

/// `listProfiles` (js/shell/types.d.ts) result: one page and where the next one starts.
#[derive(Clone, Debug, PartialEq)]
pub struct PageResult {
    pub profiles: Vec<Profile>,
    pub cursor: Option<String>,
}

/// What a listing resolves with: one page (`listProfiles`) or all of them (`listAllProfiles`).
#[derive(Clone, Debug, PartialEq)]
pub enum Listed {
    Page(PageResult),
    All(BatchResult),
}

/// A listing ends after this many empty pages in a row, whatever their cursors say.
pub const MAX_EMPTY_PAGES_IN_A_ROW: u32 = 3;

pub struct Pages {
    options: ListOptions,
    /// The cursor of the next page; `None` after the first page means the end.
    cursor: Option<String>,
    more: bool,
    attempt: u32,
    not_before: f64,
    profiles: Vec<Profile>,
    listed: usize,
    /// Pages in a row that listed nobody while the cursor moved on.
    empty_pages: u32,
}

fn listing(vendor: &dyn Vendor) -> &dyn Listing {
    vendor.listing().expect("checked in Pages::new")
}

impl Pages {
    /// What listing with a vendor that has no listing endpoint rejects with.
    pub fn unsupported(key: VendorKey) -> ProfileError {
        ProfileError::new(
            ErrorCode::Unsupported,
            format!(
                "{} has no user listing endpoint; use getProfiles",
                key.as_str()
            ),
        )
        .with_vendor(key)
    }

    /// Checks that the vendor lists users and that `page_size` fits.
    pub fn new(vendor: &dyn Vendor, options: ListOptions) -> Result<Self, ProfileError> {
        let key = vendor.key();
        let listing = vendor.listing().ok_or_else(|| Pages::unsupported(key))?;
        let max_page_size = listing.max_page_size();
        if !(1..=max_page_size).contains(&options.page_size) {
            return Err(ProfileError::invalid_input(format!(
                "options.pageSize must be a whole number from 1 to {max_page_size}"
            ))
            .with_vendor(key));
        }
        Ok(Pages {
            cursor: options.cursor.clone(),
            more: options.max != Some(0),
            options,
            attempt: 0,
            not_before: 0.0,
            profiles: Vec::new(),
            listed: 0,
            empty_pages: 0,
        })
    }
}

impl Work for Pages {
    /// The attempt the page request was.
    type Carried = u32;
    type Parsed = Page;
    type Outcome = Listed;

    fn planned(&self) -> usize {
        0
    }

    fn include_raw(&self) -> bool {
        self.options.include_raw
    }

    fn idle(&self, now: f64, in_flight: bool) -> Option<Output> {
        if in_flight {
            Some(Output::WaitForResponses)
        } else if !self.more {
            Some(Output::Finished)
        } else if now < self.not_before {
            Some(Output::WaitUntil(self.not_before))
        } else {
            None
        }
    }

    fn has_waiting(&self, now: f64, in_flight: bool) -> bool {
        self.idle(now, in_flight).is_none()
    }

    /// Without the next page there is no cursor to go on from: the call fails.
    fn fail_waiting(&mut self, error: &ProfileError, _: &mut Step) -> Result<(), ProfileError> {
        Err(error.clone())
    }

    fn build(&mut self, vendor: &dyn Vendor, ctx: RequestContext) -> (PreparedRequest, u32, u32) {
        let remaining = self.options.max.map(|m| m - self.listed);
        let page_size = remaining.map_or(self.options.page_size, |r| {
            self.options
                .page_size
                .min(u32::try_from(r).unwrap_or(u32::MAX))
        });
        let prepared = listing(vendor).build_page_request(page_size, self.cursor.as_deref(), &ctx);
        (prepared, self.attempt, self.attempt)
    }

    fn attempt(carried: &u32) -> u32 {
        *carried
    }

    fn parse(
        &self,
        vendor: &dyn Vendor,
        _: &u32,
        response: &HttpResponse,
        ctx: &ParseContext,
    ) -> Answer<Page> {
        listing(vendor).parse_page_response(response, ctx)
    }

    fn accept(&mut self, _: u32, page: Page, step: &mut Step) {
        let Page {
            mut profiles,
            cursor,
        } = page;
        self.attempt = 0;
        self.empty_pages = if profiles.is_empty() {
            self.empty_pages + 1
        } else {
            0
        };
        if let Some(max) = self.options.max {
            profiles.truncate(max - self.listed);
        }
        self.listed += profiles.len();
        step.stats.requested += profiles.len();
        step.stats.profiles += profiles.len();
        // A cursor that does not move would list the same page forever.
        let stuck = cursor.is_some() && cursor == self.cursor;
        // A vendor that keeps handing out new cursors with nothing behind them would keep a
        // listing going for ever (and a `max` never reached).
        let barren = self.empty_pages >= MAX_EMPTY_PAGES_IN_A_ROW;
        self.more = cursor.is_some()
            && !stuck
            && !barren
            && !self.options.single_page
            && self.options.max.map_or(true, |max| self.listed < max);
        step.events.push(if self.options.emit_batches {
            BatchEvent {
                profiles: profiles.clone(),
                failures: Vec::new(),
                cursor: cursor.clone().filter(|_| self.more),
            }
        } else {
            BatchEvent::default()
        });
        self.cursor = cursor;
        if self.options.collect || self.options.single_page {
            self.profiles.extend(profiles);
        }
    }

    fn retry(&mut self, _: u32, at: f64) {
        self.attempt += 1;
        self.not_before = at;
    }

    fn give_up(&mut self, _: u32, error: ProfileError, _: &mut Step) -> Result<(), ProfileError> {
        Err(error)
    }

    /// The same page goes again once the fresh credential is here.
    fn resend(&mut self, _: u32) {}

    fn progress(&self, stats: &Stats) -> Progress {
        Progress {
            done: self.listed,
            total: self.options.max.unwrap_or(self.listed).max(self.listed),
            failed: 0,
            requests: stats.requests,
            retries: stats.retries,
        }
    }

    fn outcome(&mut self, stats: Stats) -> Listed {
        let profiles = std::mem::take(&mut self.profiles);
        if self.options.single_page {
            return Listed::Page(PageResult {
                profiles,
                cursor: self.cursor.take(),
            });
        }
        Listed::All(BatchResult {
            profiles,
            failures: Vec::new(),
            stats,
        })
    }
}

#[cfg(test)]
mod tests {

    use serde_json::{json, Map, Value};

    use std::rc::Rc;

    use super::*;
    use crate::reader::PlainObject;
    use crate::simulation::{Reply, Scripted, Simulation};
    use crate::vendors::easemob::Easemob;

    fn easemob() -> Rc<dyn Vendor> {
        let plain = PlainObject::from_json(
            r#"{"orgName":"o","appName":"a","baseUrl":"https://h.test","token":"t"}"#,
            &[],
        );
        Rc::new(Easemob::from_config(&plain.config()).unwrap())
    }

    fn options(page_size: u32, max: Option<usize>) -> ListOptions {
        ListOptions {
            page_size,
            cursor: None,
            single_page: false,
            max,
            include_raw: false,
            collect: true,
            emit_batches: false,
        }
    }

    /// Lists users through `serve(request url) -> response`, each answered after 5 ms.
    fn run(
        options: ListOptions,
        serve: impl Fn(&str) -> HttpResponse,
    ) -> (Result<Listed, ProfileError>, Vec<String>) {
        let vendor = easemob();
        let work = Pages::new(vendor.as_ref(), options).unwrap();
        let mut sim = Simulation::new(vendor, work, 0.0);
        let outcome =
            sim.run(|_, request| Scripted::after(5.0, Reply::Respond(serve(&request.url))));
        let urls = sim.received.into_iter().map(|r| r.request.url).collect();
        (outcome, urls)
    }

    /// A directory of `total` users u1..u{total}; the cursor is the offset.
    fn directory(total: usize) -> impl Fn(&str) -> HttpResponse {
        move |url: &str| {
            let query: Map<String, Value> = url
                .split_once('?')
                .unwrap()
                .1
                .split('&')
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap();
                    (k.to_owned(), Value::from(v))
                })
                .collect();
            let limit: usize = query["limit"].as_str().unwrap().parse().unwrap();
            let offset: usize = query
                .get("cursor")
                .map_or(0, |c| c.as_str().unwrap().parse().unwrap());
            let end = (offset + limit).min(total);
            let entities: Vec<Value> = (offset + 1..=end)
                .map(|n| json!({"username": format!("u{n}")}))
                .collect();
            let mut body = json!({"entities": entities});
            if end < total {
                body["cursor"] = end.to_string().into();
            }
            HttpResponse::new(200, body.to_string())
        }
    }

    fn ids(outcome: Listed) -> Vec<String> {
        match outcome {
            Listed::All(result) => result.profiles.into_iter().map(|p| p.id).collect(),
            Listed::Page(page) => page.profiles.into_iter().map(|p| p.id).collect(),
        }
    }

    #[test]
    fn follows_the_cursor_to_the_end_in_order() {
        let (outcome, urls) = run(options(100, None), directory(250));
        let listed = ids(outcome.unwrap());
        assert_eq!(listed.len(), 250);
        assert_eq!(listed[0], "u1");
        assert_eq!(listed[249], "u250");
        assert_eq!(urls.len(), 3);
    }

    #[test]
    fn max_stops_early_and_asks_only_for_what_is_missing() {
        let (outcome, urls) = run(options(100, Some(150)), directory(1000));
        assert_eq!(ids(outcome.unwrap()).len(), 150);
        assert!(urls[1].contains("limit=50&cursor=100"), "{}", urls[1]);
    }

    #[test]
    fn a_cursor_that_does_not_move_ends_the_listing() {
        let serve =
            |_: &str| HttpResponse::new(200, r#"{"entities":[{"username":"a"}],"cursor":"same"}"#);
        let (outcome, urls) = run(options(10, None), serve);
        assert_eq!(ids(outcome.unwrap()).len(), 2);
        assert_eq!(urls.len(), 2);
    }

    #[test]
    fn empty_pages_with_ever_new_cursors_end_the_listing() {
        let page = std::cell::Cell::new(0);
        let serve = |_: &str| {
            page.set(page.get() + 1);
            let body = format!(r#"{{"entities":[],"cursor":"c{}"}}"#, page.get());
            HttpResponse::new(200, body)
        };
        let mut at_most_ten = options(10, Some(10));
        at_most_ten.page_size = 10;
        let (outcome, urls) = run(at_most_ten, serve);
        assert_eq!(ids(outcome.unwrap()).len(), 0);
        assert_eq!(urls.len(), MAX_EMPTY_PAGES_IN_A_ROW as usize);
    }

    #[test]
    fn a_failing_page_is_retried_then_fails_the_call() {
        let flaky = std::cell::Cell::new(0);
        let serve = |url: &str| {
            flaky.set(flaky.get() + 1);
            if flaky.get() == 2 {
                HttpResponse::new(503, "")
            } else {
                directory(150)(url)
            }
        };
        let (outcome, urls) = run(options(100, None), serve);
        assert_eq!(ids(outcome.unwrap()).len(), 150);
        assert_eq!(urls.len(), 3, "the second page was asked twice");

        let (outcome, _) = run(options(100, None), |_| HttpResponse::new(500, ""));
        assert_eq!(outcome.unwrap_err().code, ErrorCode::VendorError);
    }

    #[test]
    fn single_pages_and_page_size_limits() {
        let mut one = options(10, None);
        one.single_page = true;
        one.cursor = Some("20".into());
        let (outcome, _) = run(one, directory(100));
        match outcome.unwrap() {
            Listed::Page(page) => {
                assert_eq!(page.profiles[0].id, "u21");
                assert_eq!(page.cursor.as_deref(), Some("30"));
            }
            other => panic!("{other:?}"),
        }
        for bad in [0, 101] {
            let err = Pages::new(easemob().as_ref(), options(bad, None))
                .err()
                .unwrap();
            assert_eq!(err.code, ErrorCode::InvalidInput);
        }
    }
}

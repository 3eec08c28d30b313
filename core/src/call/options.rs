//! A call's options object, read and checked: what each call takes, its defaults, and the
//! keys whose values only the shell holds (callbacks, an `AbortSignal`).

use super::{BatchOptions, ListOptions};
use crate::model::ProfileError;
use crate::reader::ObjectReader;
use crate::vendors::Vendor;

/// The options of `getProfiles`.
pub const GET_PROFILES_KEYS: [&str; 6] = [
    "fields",
    "includeRaw",
    "collect",
    "signal",
    "onBatch",
    "onProgress",
];

/// The options of `listProfiles` and `listAllProfiles`.
pub const LIST_KEYS: [&str; 8] = [
    "pageSize",
    "cursor",
    "max",
    "includeRaw",
    "collect",
    "signal",
    "onBatch",
    "onProgress",
];

/// The options of `streamProfiles`: those of `getProfiles` but its results' (`onBatch`,
/// `collect`): the stream is the results.
pub const STREAM_KEYS: [&str; 4] = ["fields", "includeRaw", "signal", "onProgress"];

/// The options of `listPages`.
pub const LIST_PAGES_KEYS: [&str; 5] = ["pageSize", "max", "includeRaw", "signal", "onProgress"];

/// The options of `streamProfiles` (`stream`) or of `getProfiles`.
pub fn batch_keys(stream: bool) -> &'static [&'static str] {
    if stream {
        &STREAM_KEYS
    } else {
        &GET_PROFILES_KEYS
    }
}

/// The options of `listPages` (`stream`) or of `listProfiles` and `listAllProfiles`.
pub fn list_keys(stream: bool) -> &'static [&'static str] {
    if stream {
        &LIST_PAGES_KEYS
    } else {
        &LIST_KEYS
    }
}

/// Keys whose values are objects only the shell can use (an `AbortSignal`, a caller's
/// cache, a shared limiter): the shell keeps them as they are and checks them itself.
pub const HANDLE_KEYS: [&str; 3] = ["signal", "cacheMap", "limiter"];

/// `listProfiles` lists this many per page unless told; `listAllProfiles` this many.
pub const DEFAULT_PAGE_SIZE: u64 = 10;
pub const DEFAULT_PAGE_SIZE_ALL: u64 = 100;

/// The callbacks every call takes; checked here, kept by the shell.
fn check_callbacks(options: &ObjectReader) -> Result<bool, ProfileError> {
    options.function("onProgress")?;
    options.function("onBatch")
}

impl BatchOptions {
    pub fn read(options: &ObjectReader, vendor: &dyn Vendor) -> Result<Self, ProfileError> {
        let emit_batches = check_callbacks(options)?;
        let fields = options
            .strings("fields")?
            .map(|names| {
                vendor
                    .check_fields(&names)
                    .map_err(|why| options.error(why))
            })
            .transpose()?;
        Ok(BatchOptions {
            fields,
            include_raw: options.flag("includeRaw", false)?,
            collect: options.flag("collect", true)?,
            emit_batches,
        })
    }
}

impl ListOptions {
    /// `listProfiles` (`single_page`: one page from `cursor`) or `listAllProfiles` (every
    /// page, up to `max`).
    pub fn read(options: &ObjectReader, single_page: bool) -> Result<Self, ProfileError> {
        let emit_batches = check_callbacks(options)?;
        let default_page_size = if single_page {
            DEFAULT_PAGE_SIZE
        } else {
            DEFAULT_PAGE_SIZE_ALL
        };
        let page_size = options
            .whole_number("pageSize")?
            .unwrap_or(default_page_size);
        let (cursor, max) = if single_page {
            (options.text("cursor")?, None)
        } else {
            let max = options.whole_number("max")?;
            (None, max.map(|m| usize::try_from(m).unwrap_or(usize::MAX)))
        };
        Ok(ListOptions {
            page_size: u32::try_from(page_size).unwrap_or(u32::MAX),
            cursor,
            single_page,
            max,
            include_raw: options.flag("includeRaw", false)?,
            collect: options.flag("collect", true)?,
            emit_batches,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ErrorCode;
    use crate::reader::PlainObject;
    use crate::vendors::tencent::PortraitGet;
    use crate::vendors::test_support::from_json;

    #[test]
    fn list_defaults_and_which_keys_apply_to_which_call() {
        let object = PlainObject::from_json(r#"{"cursor": "c", "max": 5}"#, &["onBatch"]);
        let options = object.input("options", None);
        let one = ListOptions::read(&options, true).unwrap();
        assert_eq!(
            (one.page_size, one.cursor.as_deref(), one.max),
            (10, Some("c"), None)
        );
        assert!(one.emit_batches);
        let all = ListOptions::read(&options, false).unwrap();
        assert_eq!((all.page_size, all.cursor, all.max), (100, None, Some(5)));
    }

    #[test]
    fn batch_options_check_fields_with_the_vendor_and_callbacks_are_functions() {
        let vendor = from_json(
            r#"{"sdkAppId":1400000000,"identifier":"admin","secretKey":"k"}"#,
            PortraitGet::from_config,
        )
        .unwrap();
        let ok = PlainObject::from_json(
            r#"{"fields": ["Tag_Profile_IM_Nick"], "collect": false}"#,
            &[],
        );
        let read = BatchOptions::read(&ok.input("options", None), &vendor).unwrap();
        assert_eq!(read.fields.unwrap(), ["Tag_Profile_IM_Nick"]);
        assert!(!read.collect && !read.emit_batches);
        let bad = PlainObject::from_json(r#"{"onProgress": 3}"#, &[]);
        let err = BatchOptions::read(&bad.input("options", None), &vendor).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput);
        assert_eq!(err.message, "options.onProgress must be a function");
    }
}

//! Every response reader of every vendor. Input: a vendor selector byte, the HTTP status
//! (2 bytes, big-endian), then the body; a first body line `Retry-After: <value>` becomes
//! that header. `$0`…`$9` in the body stand for the asked ids.
#![no_main]

use improfiles_core::fuzzing::check_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, high, low, rest @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let (retry_after, body) = match text.strip_prefix("Retry-After: ") {
        Some(tail) => {
            let (value, body) = tail.split_once('\n').unwrap_or((tail, ""));
            (Some(value), body)
        }
        None => (None, text.as_ref()),
    };
    check_response(
        *selector,
        u16::from_be_bytes([*high, *low]),
        retry_after,
        body,
    );
});

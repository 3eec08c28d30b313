//! A whole `getProfiles` call against a scripted vendor: the call must end, and account for
//! every id exactly once unless it rejects for its credential. Input: a vendor selector byte,
//! an id-count byte, then steps separated by a `\n~~\n` line: `t` (timeout), `n` (network
//! error), or two status bytes (big-endian) followed by the body, where `$0`…`$9` stand for
//! the asked ids.
#![no_main]

use improfiles_core::fuzzing::{run_job, Step, IDS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [selector, count, rest @ ..] = data else {
        return;
    };
    let mut script = Vec::new();
    let mut remaining = rest;
    while !remaining.is_empty() && script.len() < 64 {
        let end = remaining
            .windows(SEPARATOR.len())
            .position(|w| w == SEPARATOR)
            .unwrap_or(remaining.len());
        script.push(step(&remaining[..end]));
        remaining = remaining.get(end + SEPARATOR.len()..).unwrap_or_default();
    }
    run_job(*selector, usize::from(*count) % IDS.len() + 1, &script);
});

const SEPARATOR: &[u8] = b"\n~~\n";

fn step(bytes: &[u8]) -> Step {
    match bytes {
        b"t" => Step::Timeout,
        [high, low, body @ ..] => Step::Respond {
            status: u16::from_be_bytes([*high, *low]),
            retry_after: None,
            body: String::from_utf8_lossy(body).into_owned(),
        },
        _ => Step::Network,
    }
}

//! Client construction from any config, then request building. Input text: the config JSON
//! on the first line, then one id per line, then optionally a line `--` followed by fields.
//! A config value `"<function>"` stands for a function (a RongCloud `signer`, say).
#![no_main]

use improfiles_core::fuzzing::check_config_and_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let config = lines.next().unwrap_or_default();
    let mut ids = Vec::new();
    let mut fields = Vec::new();
    let mut in_fields = false;
    for line in lines {
        match (line, in_fields) {
            ("--", false) => in_fields = true,
            (_, false) => ids.push(line.to_owned()),
            (_, true) => fields.push(line.to_owned()),
        }
    }
    let nonce = data
        .iter()
        .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(*b));
    check_config_and_request(config, &ids, &fields, nonce);
});

//! A caller's UserSig: the zlib inflater on the raw input, and the whole decoding (base64 in
//! the UserSig alphabet, inflate, the JSON document) on it as text.
#![no_main]

use improfiles_core::fuzzing::check_user_sig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check_user_sig(data));

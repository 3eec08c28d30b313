//! RongCloud's API signature: lowercase hex SHA1(appSecret + Nonce + Timestamp), sent in the
//! `Signature` header next to `App-Key`, `Nonce` and `Timestamp`.

use super::digest::hex;
use super::sha1::sha1;

pub fn signature(app_secret: &str, nonce: &str, timestamp: &str) -> String {
    hex(&sha1(&[
        app_secret.as_bytes(),
        nonce.as_bytes(),
        timestamp.as_bytes(),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_from_vendor_notes() {
        // Computed independently (`printf %s Y1W2MeFwwwRxa0143141408710653491 | sha1sum`).
        assert_eq!(
            signature("Y1W2MeFwwwRxa0", "14314", "1408710653491"),
            "dd11a264276f438b045b3b236a2741ddc89d48df"
        );
    }

    #[test]
    fn empty_inputs_are_sha1_of_nothing() {
        assert_eq!(
            signature("", "", ""),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
    }
}

//! Base64 (RFC 4648 §4), padded, in the two alphabets the signatures use: the standard one
//! (OAuth 1.0a's signature, Tencent's `TLS.sig`) and the UserSig's, which writes `*-_` for
//! `+/=` so a UserSig sits in a URL query unescaped. A few lines in place of the base64
//! crate's engines, 2 KB of every build that signs; its tests check these against that crate.

/// An alphabet: the 64 digits, then the padding character.
pub type Alphabet = [u8; 65];

pub const STANDARD: &Alphabet =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
pub const USER_SIG: &Alphabet =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_";

/// `bytes` in base64, padded to a multiple of 4 characters.
pub fn encode(bytes: &[u8], alphabet: &Alphabet) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let group = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..4 {
            let digit = match i <= chunk.len() {
                true => (group >> (18 - 6 * i)) & 63,
                false => 64,
            };
            out.push(char::from(alphabet[digit as usize]));
        }
    }
    out
}

/// The bytes `text` encodes; `None` unless it is canonical padded base64 in `alphabet`: a
/// multiple of 4 characters, padding only at the end, and no stray bits in the last digit.
pub fn decode(text: &str, alphabet: &Alphabet) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if text.len() % 4 != 0 {
        return None;
    }
    let pad = alphabet[64];
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for (n, chunk) in text.chunks(4).enumerate() {
        let last = (n + 1) * 4 == text.len();
        let padding = chunk.iter().rev().take_while(|&&c| c == pad).count();
        if padding > 2 || (padding > 0 && !last) {
            return None;
        }
        let mut group = 0u32;
        for &c in &chunk[..4 - padding] {
            let digit = alphabet[..64].iter().position(|&d| d == c)?;
            group = (group << 6) | digit as u32;
        }
        group <<= 6 * padding;
        let bytes = [(group >> 16) as u8, (group >> 8) as u8, group as u8];
        let kept = 3 - padding;
        if bytes[kept..].iter().any(|&b| b != 0) {
            return None;
        }
        out.extend_from_slice(&bytes[..kept]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::STANDARD as CRATE;
    use base64::Engine;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_4648_test_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(encode(plain.as_bytes(), STANDARD), encoded);
            assert_eq!(decode(encoded, STANDARD).unwrap(), plain.as_bytes());
        }
        assert_eq!(encode(&[0xfb, 0xff], STANDARD), "+/8=");
        assert_eq!(encode(&[0xfb, 0xff], USER_SIG), "*-8_");
        for bad in [
            "Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v!A==", "Zg=a", "*g==",
        ] {
            assert_eq!(decode(bad, STANDARD), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn encoding_is_the_base64_crates(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
            prop_assert_eq!(encode(&bytes, STANDARD), CRATE.encode(&bytes));
            let user_sig: String = CRATE.encode(&bytes).chars().map(|c| match c {
                '+' => '*',
                '/' => '-',
                '=' => '_',
                c => c,
            }).collect();
            prop_assert_eq!(encode(&bytes, USER_SIG), user_sig);
        }

        /// Any text, canonical or not, decodes as the crate decodes it, or fails as it does.
        #[test]
        fn decoding_is_the_base64_crates(text in "[A-Za-z0-9+/=]{0,24}") {
            prop_assert_eq!(decode(&text, STANDARD), CRATE.decode(&text).ok());
        }
    }
}

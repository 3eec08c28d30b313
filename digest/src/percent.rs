//! Percent-encoding, the two kinds requests need: a form body's and RFC 3986's (the one
//! OAuth 1.0a signs over, and a safe one for any query value).

/// `application/x-www-form-urlencoded` encoding of one value (WHATWG URL standard: space as
/// `+`, only `*-._` and alphanumerics left as they are).
pub fn form_encode(value: &str) -> String {
    let kept =
        |byte| matches!(byte, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_');
    encode(value, kept, Some('+'))
}

/// RFC 3986 percent-encoding: only the unreserved `ALPHA DIGIT - . _ ~` stay as they are,
/// every other byte becomes `%XX` with uppercase hex (the form OAuth 1.0a signs over, and a
/// safe one for any query value).
pub fn percent_encode(value: &str) -> String {
    let kept =
        |byte| matches!(byte, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~');
    encode(value, kept, None)
}

/// `value` with the bytes `kept` says as they are, a space as `space` if given, and every
/// other byte as `%XX`, uppercase hex, by table (`format!` cost an allocation per byte).
fn encode(value: &str, kept: impl Fn(u8) -> bool, space: Option<char>) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match space {
            _ if kept(byte) => out.push(char::from(byte)),
            Some(space) if byte == b' ' => out.push(space),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xF)]));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_reserved_bytes() {
        assert_eq!(form_encode("u1"), "u1");
        assert_eq!(form_encode("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn percent_encoding_leaves_only_unreserved_bytes() {
        assert_eq!(percent_encode("a-b._~Z9"), "a-b._~Z9");
        assert_eq!(percent_encode("a b+c*d/é"), "a%20b%2Bc%2Ad%2F%C3%A9");
    }
}

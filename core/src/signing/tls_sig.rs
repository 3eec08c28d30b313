//! Tencent Cloud Chat's UserSig (TLSSigAPIv2), made the way every official port makes it:
//! HMAC-SHA256 over a fixed text, a small JSON document carrying it, zlib, then base64 with
//! `+/=` swapped for `*-_` so the result can sit in a URL query unescaped.
//!
//! One difference from the ports: our zlib stream stores the document rather than compressing
//! it; every inflater reads it alike (see [`super::zlib`], which also reads a caller's own).
//!
//! [`UserSigIssuer`] keeps one UserSig in the client's [`CredentialState`] and renews it
//! before it runs out; it takes the time as an argument, so renewal is tested without waiting.

use super::base64::{self, STANDARD, USER_SIG};
use super::sha256::hmac_sha256;
use crate::credential::{CredentialState, Held};
use crate::json::Shallow;
use crate::model::{digits, Secret};

/// A decoded UserSig never needs to be large; the cap keeps a hostile one from ballooning.
const MAX_INFLATED_BYTES: usize = 16 * 1024;

/// `TLS.sig`: standard padded base64 of HMAC-SHA256(secret key, the TLS content lines).
pub fn tls_sig(
    secret_key: &str,
    identifier: &str,
    sdk_app_id: u64,
    time: u64,
    expire: u64,
) -> String {
    let content = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{}\nTLS.time:{}\nTLS.expire:{}\n",
        digits(sdk_app_id),
        digits(time),
        digits(expire)
    );
    let mac = hmac_sha256(secret_key.as_bytes(), content.as_bytes());
    base64::encode(&mac, STANDARD)
}

/// A complete UserSig valid from `time` (Unix seconds) for `expire` seconds.
pub fn user_sig(
    secret_key: &str,
    identifier: &str,
    sdk_app_id: u64,
    time: u64,
    expire: u64,
) -> String {
    let sig = tls_sig(secret_key, identifier, sdk_app_id, time, expire);
    let mut identifier_json = String::new();
    crate::json::write::string(&mut identifier_json, identifier);
    let document = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":{identifier_json},"TLS.sdkappid":{},"TLS.expire":{},"TLS.time":{},"TLS.sig":"{sig}"}}"#,
        digits(sdk_app_id),
        digits(expire),
        digits(time)
    );
    base64::encode(&super::zlib::stored(document.as_bytes()), USER_SIG)
}

/// The readable part of a UserSig (everything but proof that the HMAC is right, which only
/// the holder of the secret key can check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSigDocument {
    pub identifier: String,
    pub sdk_app_id: u64,
    pub time: u64,
    pub expire: u64,
    pub sig: String,
}

impl UserSigDocument {
    /// The document as written: every member must be there, the numbers written as numbers
    /// or, by older ports, as strings. Read through [`Shallow`], the reader every build holds
    /// already: a struct of its own brought a reader of its own.
    fn read(document: &Shallow) -> Option<UserSigDocument> {
        let member = |key| document.member(key);
        let text = |key| Some(member(key)?.as_str()?.to_owned());
        let number = |key| whole_number(&member(key)?);
        Some(UserSigDocument {
            identifier: text("TLS.identifier")?,
            sdk_app_id: number("TLS.sdkappid")?,
            time: number("TLS.time")?,
            expire: number("TLS.expire")?,
            sig: text("TLS.sig")?,
        })
    }

    /// The first Unix second at which the UserSig is no longer accepted.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// Older ports wrote the numbers as strings; accept both.
fn whole_number(value: &Shallow) -> Option<u64> {
    match value {
        Shallow::Number(n) => n.as_u64(),
        Shallow::Str(s) => crate::decimal::whole(s),
        _ => None,
    }
}

/// Why a caller's UserSig could not be read. No text of its own: the client then sends it
/// as it is and lets the server judge it, so nothing shows this to a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// A character outside the UserSig's base64 alphabet.
    NotBase64,
    /// Not a zlib stream that inflates within the cap.
    NotZlib,
    /// Not a JSON object with every member of a TLSSigAPIv2 document.
    NotADocument,
}

/// Reads a UserSig's document.
pub fn decode_user_sig(user_sig: &str) -> Result<UserSigDocument, Unreadable> {
    let compressed = base64::decode(user_sig.trim(), USER_SIG).ok_or(Unreadable::NotBase64)?;
    let json =
        super::zlib::inflate(&compressed, MAX_INFLATED_BYTES).map_err(|_| Unreadable::NotZlib)?;
    let text = String::from_utf8(json).map_err(|_| Unreadable::NotADocument)?;
    crate::json::parse::<Shallow>(&text)
        .ok()
        .and_then(|document| UserSigDocument::read(&document))
        .ok_or(Unreadable::NotADocument)
}

/// Makes UserSigs from the secret key, keeping the current one in a [`CredentialState`].
pub struct UserSigIssuer {
    secret_key: Secret,
    identifier: String,
    sdk_app_id: u64,
    ttl_seconds: u64,
}

impl UserSigIssuer {
    pub fn new(secret_key: Secret, identifier: String, sdk_app_id: u64, ttl_seconds: u64) -> Self {
        UserSigIssuer {
            secret_key,
            identifier,
            sdk_app_id,
            ttl_seconds,
        }
    }

    pub fn secret_key(&self) -> &str {
        self.secret_key.expose()
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// Seconds before expiry at which a held UserSig is replaced: half the lifetime, at
    /// most an hour. The margin covers the time a request spends queued and in flight, and a
    /// client clock running behind the server's.
    fn renewal_margin(&self) -> u64 {
        (self.ttl_seconds / 2).min(3600)
    }

    /// A UserSig valid at `now_ms` for at least the renewal margin: the one held, or a new
    /// one (after a refusal dropped it, or when it is due, or when the clock went back).
    pub fn current<'s>(&self, credentials: &'s mut CredentialState, now_ms: f64) -> &'s Held {
        if credentials.current(now_ms).is_none() {
            let now_s = (now_ms / 1000.0).floor().max(0.0) as u64;
            let sig = user_sig(
                self.secret_key.expose(),
                &self.identifier,
                self.sdk_app_id,
                now_s,
                self.ttl_seconds,
            );
            let renew_at_s = now_s + self.ttl_seconds - self.renewal_margin();
            credentials.store(
                Secret::new(sig),
                now_s as f64 * 1000.0,
                renew_at_s as f64 * 1000.0,
            );
        }
        credentials.held().expect("a UserSig is held")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

    #[test]
    fn known_answer_from_the_official_ports() {
        // docs/vendors/tencent-portrait-get.md: the value the official TLSSigAPIv2 ports give for these inputs.
        assert_eq!(
            tls_sig(KEY, "0", 1_400_000_000, 1_569_910_200, 15_552_000),
            "CpjuBdQs9ZwnuGAJR8onoOeI9fweX2vIMMY94iOJWJY="
        );
    }

    /// The document of a UserSig made from the known answer's inputs.
    fn known_document() -> UserSigDocument {
        UserSigDocument {
            identifier: "0".into(),
            sdk_app_id: 1_400_000_000,
            time: 1_569_910_200,
            expire: 15_552_000,
            sig: "CpjuBdQs9ZwnuGAJR8onoOeI9fweX2vIMMY94iOJWJY=".into(),
        }
    }

    #[test]
    fn a_user_sig_of_the_official_port_decodes() {
        // tls-sig-api-v2 (npm) with its clock at 1569910200: the known answer's inputs.
        let theirs = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwjDB4pTsxIKCzBQlK0MTAyiAyJRk5qYqWRmamllaGhoYwURTKwoyi8DipqZGcLXFmelKVkrOBVmlTimBxZZR5Xml7o5eQRb5efn*qZ6WaeWpEUZlnr6*kZYmmf5e4V6Rtkq1AAXZL70_";
        assert_eq!(decode_user_sig(theirs).unwrap(), known_document());
    }

    #[test]
    fn a_user_sig_decodes_to_its_document() {
        let sig = user_sig(KEY, "0", 1_400_000_000, 1_569_910_200, 15_552_000);
        assert!(sig
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c)));
        let doc = decode_user_sig(&sig).unwrap();
        assert_eq!(doc, known_document());
        assert_eq!(doc.expires_at(), 1_569_910_200 + 15_552_000);
    }

    #[test]
    fn identifiers_are_json_escaped_in_the_document() {
        let sig = user_sig(KEY, "a\"b\\c", 1, 2, 3);
        assert_eq!(decode_user_sig(&sig).unwrap().identifier, "a\"b\\c");
    }

    #[test]
    fn garbage_is_refused_for_what_it_is() {
        let cases = [
            ("not base64!", Unreadable::NotBase64),
            ("", Unreadable::NotZlib),
            // A zlib header and nothing after it.
            ("eJw_", Unreadable::NotZlib),
            ("AAAA", Unreadable::NotZlib),
        ];
        for (bad, why) in cases {
            assert_eq!(decode_user_sig(bad), Err(why), "{bad:?}");
        }
    }

    #[test]
    fn numbers_written_as_strings_are_read_and_nothing_else_is() {
        let sig_of =
            |document: &[u8]| base64::encode(&super::super::zlib::stored(document), USER_SIG);
        let document = |time: &str| {
            format!(
                r#"{{"TLS.ver":"2.0","TLS.identifier":"admin","TLS.sdkappid":"1400000000","TLS.expire":86400,"TLS.time":{time},"TLS.sig":"x"}}"#
            )
        };
        let read = decode_user_sig(&sig_of(document(r#""1700000000""#).as_bytes())).unwrap();
        assert_eq!(
            (read.sdk_app_id, read.time, read.expire),
            (1_400_000_000, 1_700_000_000, 86_400)
        );
        let refused = [
            r#""""#,
            r#""+1""#,
            r#""1.5""#,
            r#"" 1""#,
            "\"\u{661}\"",
            r#""18446744073709551616""#,
            "-1",
            "true",
        ];
        for time in refused {
            let sig = sig_of(document(time).as_bytes());
            assert_eq!(
                decode_user_sig(&sig),
                Err(Unreadable::NotADocument),
                "{time}"
            );
        }
        let mut not_utf8 = document("1").into_bytes();
        not_utf8[25] = 0xff;
        assert_eq!(
            decode_user_sig(&sig_of(&not_utf8)),
            Err(Unreadable::NotADocument)
        );
    }

    /// The UserSig `issuer` hands out at `now_s` (Unix seconds), keeping it in `state`.
    fn sig_at(issuer: &UserSigIssuer, state: &mut CredentialState, now_s: u64) -> String {
        issuer
            .current(state, now_s as f64 * 1000.0)
            .value()
            .to_owned()
    }

    #[test]
    fn the_issuer_renews_before_expiry_and_never_hands_out_an_expired_sig() {
        let ttl = 86_400;
        let issuer =
            UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1_400_000_001, ttl);
        let state = &mut CredentialState::default();
        let start = 1_700_000_000;
        let first = sig_at(&issuer, state, start);
        assert_eq!(
            sig_at(&issuer, state, start + 60),
            first,
            "cached while fresh"
        );
        let renew_at = start + ttl - 3600;
        assert_eq!(sig_at(&issuer, state, renew_at - 1), first);
        let second = sig_at(&issuer, state, renew_at);
        assert_ne!(second, first, "renewed an hour before expiry");
        assert_eq!(decode_user_sig(&second).unwrap().time, renew_at);
        for now in (start..start + 5 * ttl).step_by(997) {
            let doc = decode_user_sig(&sig_at(&issuer, state, now)).unwrap();
            assert!(
                doc.time <= now && now + 3600 <= doc.expires_at(),
                "at {now}"
            );
        }
    }

    #[test]
    fn a_short_ttl_renews_at_half_its_lifetime() {
        let issuer = UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1, 120);
        let state = &mut CredentialState::default();
        let first = sig_at(&issuer, state, 1000);
        assert_eq!(sig_at(&issuer, state, 1059), first);
        assert_ne!(sig_at(&issuer, state, 1060), first);
    }

    #[test]
    fn a_clock_that_goes_backwards_gets_a_fresh_sig() {
        let issuer = UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1, 86_400);
        let state = &mut CredentialState::default();
        sig_at(&issuer, state, 5000);
        let doc = decode_user_sig(&sig_at(&issuer, state, 4000)).unwrap();
        assert_eq!(doc.time, 4000);
    }
}

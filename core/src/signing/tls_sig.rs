//! Tencent Cloud Chat's UserSig (TLSSigAPIv2), made the way every official port makes it:
//! HMAC-SHA256 over a fixed text, a small JSON document carrying it, zlib, then base64 with
//! `+/=` swapped for `*-_` so the result can sit in a URL query unescaped.
//!
//! [`UserSigIssuer`] caches one UserSig and renews it before it runs out; it takes the time
//! as an argument, so renewal is tested without waiting.

use std::cell::{Cell, RefCell};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::config::Secret;

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
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdk_app_id}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes())
        .expect("HMAC accepts a key of any length");
    mac.update(content.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
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
    let document = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":{},"TLS.sdkappid":{sdk_app_id},"TLS.expire":{expire},"TLS.time":{time},"TLS.sig":"{sig}"}}"#,
        serde_json::Value::from(identifier)
    );
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(document.as_bytes(), 6);
    to_url_alphabet(&STANDARD.encode(compressed))
}

/// Standard base64's `+/=` and the UserSig alphabet's `*-_`, pair by pair.
const ALPHABET_SWAP: [(char, char); 3] = [('+', '*'), ('/', '-'), ('=', '_')];

fn to_url_alphabet(base64: &str) -> String {
    base64
        .chars()
        .map(|c| {
            ALPHABET_SWAP
                .iter()
                .find(|(b, _)| *b == c)
                .map_or(c, |(_, u)| *u)
        })
        .collect()
}

fn from_url_alphabet(user_sig: &str) -> String {
    user_sig
        .chars()
        .map(|c| {
            ALPHABET_SWAP
                .iter()
                .find(|(_, u)| *u == c)
                .map_or(c, |(b, _)| *b)
        })
        .collect()
}

/// The readable part of a UserSig (everything but proof that the HMAC is right, which only
/// the holder of the secret key can check).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct UserSigDocument {
    #[serde(rename = "TLS.identifier")]
    pub identifier: String,
    #[serde(rename = "TLS.sdkappid", deserialize_with = "number_or_string")]
    pub sdk_app_id: u64,
    #[serde(rename = "TLS.time", deserialize_with = "number_or_string")]
    pub time: u64,
    #[serde(rename = "TLS.expire", deserialize_with = "number_or_string")]
    pub expire: u64,
    #[serde(rename = "TLS.sig")]
    pub sig: String,
}

impl UserSigDocument {
    /// The first Unix second at which the UserSig is no longer accepted.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// Older ports wrote the numbers as strings; accept both.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Text(String),
    }
    match Either::deserialize(d)? {
        Either::Number(n) => Ok(n),
        Either::Text(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

/// Reads a UserSig's document. Errors say what is wrong, never echo the input.
pub fn decode_user_sig(user_sig: &str) -> Result<UserSigDocument, &'static str> {
    let compressed = STANDARD
        .decode(from_url_alphabet(user_sig.trim()))
        .map_err(|_| "is not in the UserSig base64 alphabet")?;
    let json =
        miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, MAX_INFLATED_BYTES)
            .map_err(|_| "is not zlib-compressed")?;
    serde_json::from_slice(&json).map_err(|_| "does not hold a TLSSigAPIv2 document")
}

/// Makes UserSigs from the secret key and keeps the current one until it is due for renewal.
pub struct UserSigIssuer {
    secret_key: Secret,
    identifier: String,
    sdk_app_id: u64,
    ttl_seconds: u64,
    current: RefCell<Option<(u64, Secret)>>,
    /// Counts the UserSigs made early because the server refused one, so a request can say
    /// which UserSig it carried ([`Self::renew_after_rejection`]).
    generation: Cell<u64>,
    /// The current UserSig was made after a refusal: if it is refused too, the refusal is final.
    after_rejection: Cell<bool>,
}

impl UserSigIssuer {
    pub fn new(secret_key: Secret, identifier: String, sdk_app_id: u64, ttl_seconds: u64) -> Self {
        UserSigIssuer {
            secret_key,
            identifier,
            sdk_app_id,
            ttl_seconds,
            current: RefCell::new(None),
            generation: Cell::new(0),
            after_rejection: Cell::new(false),
        }
    }

    /// Which UserSig requests made now carry, for [`Self::renew_after_rejection`].
    pub fn generation(&self) -> u64 {
        self.generation.get()
    }

    /// The server refused a UserSig of `generation` as expired (Tencent 70001; usually a
    /// client clock that is off, with a UserSig made long ago). True when sending again can
    /// work: a newer one is made already, or this was the first refusal and the next request
    /// gets one made now. False when the UserSig made after a refusal is refused too.
    pub fn renew_after_rejection(&self, generation: u64) -> bool {
        if generation < self.generation.get() {
            return true;
        }
        if self.after_rejection.get() {
            return false;
        }
        self.current.borrow_mut().take();
        self.generation.set(self.generation.get() + 1);
        self.after_rejection.set(true);
        true
    }

    pub fn secret_key(&self) -> &str {
        self.secret_key.expose()
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// Seconds before expiry at which a cached UserSig is replaced: half the lifetime, at
    /// most an hour. The margin covers the time a request spends queued and in flight, and a
    /// client clock running behind the server's.
    fn renewal_margin(&self) -> u64 {
        (self.ttl_seconds / 2).min(3600)
    }

    /// A UserSig valid at `now_s` (Unix seconds) for at least the renewal margin.
    pub fn user_sig_at(&self, now_s: u64) -> String {
        let mut current = self.current.borrow_mut();
        let fresh = current.as_ref().is_some_and(|(issued, _)| {
            now_s >= *issued && now_s < issued + self.ttl_seconds - self.renewal_margin()
        });
        if !fresh {
            // A renewal when it is due starts afresh; one forced by a refusal stays marked.
            if current.is_some() {
                self.after_rejection.set(false);
            }
            let sig = user_sig(
                self.secret_key.expose(),
                &self.identifier,
                self.sdk_app_id,
                now_s,
                self.ttl_seconds,
            );
            *current = Some((now_s, Secret::new(sig)));
        }
        current
            .as_ref()
            .map(|(_, sig)| sig.expose().to_owned())
            .expect("a UserSig was just stored")
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

    #[test]
    fn a_user_sig_decodes_to_its_document() {
        let sig = user_sig(KEY, "0", 1_400_000_000, 1_569_910_200, 15_552_000);
        assert!(sig
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "*-_".contains(c)));
        let doc = decode_user_sig(&sig).unwrap();
        assert_eq!(
            doc,
            UserSigDocument {
                identifier: "0".into(),
                sdk_app_id: 1_400_000_000,
                time: 1_569_910_200,
                expire: 15_552_000,
                sig: "CpjuBdQs9ZwnuGAJR8onoOeI9fweX2vIMMY94iOJWJY=".into(),
            }
        );
        assert_eq!(doc.expires_at(), 1_569_910_200 + 15_552_000);
    }

    #[test]
    fn identifiers_are_json_escaped_in_the_document() {
        let sig = user_sig(KEY, "a\"b\\c", 1, 2, 3);
        assert_eq!(decode_user_sig(&sig).unwrap().identifier, "a\"b\\c");
    }

    #[test]
    fn garbage_is_refused_without_echoing_it() {
        for bad in ["", "not base64!", "eJw_", "AAAA"] {
            let err = decode_user_sig(bad).unwrap_err();
            assert!(!err.contains(bad) || bad.is_empty());
        }
    }

    #[test]
    fn the_issuer_renews_before_expiry_and_never_hands_out_an_expired_sig() {
        let ttl = 86_400;
        let issuer =
            UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1_400_000_001, ttl);
        let start = 1_700_000_000;
        let first = issuer.user_sig_at(start);
        assert_eq!(issuer.user_sig_at(start + 60), first, "cached while fresh");
        let renew_at = start + ttl - 3600;
        assert_eq!(issuer.user_sig_at(renew_at - 1), first);
        let second = issuer.user_sig_at(renew_at);
        assert_ne!(second, first, "renewed an hour before expiry");
        assert_eq!(decode_user_sig(&second).unwrap().time, renew_at);
        for now in (start..start + 5 * ttl).step_by(997) {
            let doc = decode_user_sig(&issuer.user_sig_at(now)).unwrap();
            assert!(
                doc.time <= now && now + 3600 <= doc.expires_at(),
                "at {now}"
            );
        }
    }

    #[test]
    fn a_short_ttl_renews_at_half_its_lifetime() {
        let issuer = UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1, 120);
        let first = issuer.user_sig_at(1000);
        assert_eq!(issuer.user_sig_at(1059), first);
        assert_ne!(issuer.user_sig_at(1060), first);
    }

    #[test]
    fn a_clock_that_goes_backwards_gets_a_fresh_sig() {
        let issuer = UserSigIssuer::new(Secret::new(KEY.into()), "admin".into(), 1, 86_400);
        issuer.user_sig_at(5000);
        let doc = decode_user_sig(&issuer.user_sig_at(4000)).unwrap();
        assert_eq!(doc.time, 4000);
    }
}

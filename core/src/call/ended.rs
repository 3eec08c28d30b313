//! How a request ended, as the shell saw it, and as js/shell/run.js hands it in.

/// How a request ended, as the shell saw it, before it is put in words: every message about
/// it is made in [`super::Call::ended`], with the caller's secrets blanked out of whatever the
/// caller's own code (fetch, signer, limiter) said. js/shell/run.js hands it in through the
/// binding's `answered` (an answer: [`Ended::answered`]) or `failed` (the name of what
/// happened and what was said of it: [`Ended::named`]).
#[derive(Debug)]
pub enum Ended {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        /// The body as it came; invalid UTF-8 is read as U+FFFD, as `text()` would.
        body: Vec<u8>,
    },
    /// Its attempt's `timeoutMs` passed first.
    TimedOut,
    /// The body was larger than `maxResponseBytes`.
    TooLarge,
    /// The caller's signer threw an error of this type.
    SignerThrew(String),
    /// The shared limiter granted no permit within [`super::LIMITER_WAIT_MS`].
    PermitTimedOut,
    /// The shared limiter failed, saying this.
    NoPermit(String),
    /// There is no fetch to send with.
    NoFetch,
    /// fetch or the body failed, saying this.
    Network(String),
}

impl Ended {
    /// The outcome js/shell/run.js names `kind`: a word alone (`"timedOut"`…), or the one key
    /// of an object holding `text` (`{ network: why }`…). Any other is a network failure.
    pub fn named(kind: &str, text: Option<String>) -> Ended {
        match (kind, text) {
            ("timedOut", None) => Ended::TimedOut,
            ("tooLarge", None) => Ended::TooLarge,
            ("permitTimedOut", None) => Ended::PermitTimedOut,
            ("noFetch", None) => Ended::NoFetch,
            ("network", Some(why)) => Ended::Network(why),
            ("signerThrew", Some(kind)) => Ended::SignerThrew(kind),
            ("noPermit", Some(why)) => Ended::NoPermit(why),
            _ => Ended::Network("the request ended in an unknown way".into()),
        }
    }

    /// An answer as js/shell/run.js hands it in: its status as the response gave it, and its
    /// headers as name, value, name…. A status no HTTP response has is a network failure.
    pub fn answered(status: f64, headers: &str, body: Vec<u8>) -> Ended {
        let mut lines = headers.split('\n');
        let mut headers = Vec::new();
        while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
            headers.push((name.to_owned(), value.to_owned()));
        }
        match u16::try_from(status as i64) {
            Ok(code) if f64::from(code) == status => Ended::Response {
                status: code,
                headers,
                body,
            },
            _ => {
                // Written as JSON writes a number: `{}` of a double would bring float
                // formatting into every build for this one message.
                let mut status_text = String::new();
                crate::json::write::number(&mut status_text, status);
                Ended::Network(format!(
                    "the response's status {status_text} is not an HTTP status"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_of_the_shell_is_its_outcome_and_any_other_a_network_failure() {
        assert!(matches!(Ended::named("timedOut", None), Ended::TimedOut));
        assert!(matches!(Ended::named("noFetch", None), Ended::NoFetch));
        assert!(
            matches!(Ended::named("network", Some("ECONNRESET".into())), Ended::Network(why) if why == "ECONNRESET")
        );
        assert!(
            matches!(Ended::named("signerThrew", Some("TypeError".into())), Ended::SignerThrew(kind) if kind == "TypeError")
        );
        for (kind, text) in [
            ("timedOut", Some("x")),
            ("network", None),
            ("", None),
            ("__proto__", Some("x")),
        ] {
            let ended = Ended::named(kind, text.map(String::from));
            assert!(
                matches!(ended, Ended::Network(why) if why.contains("unknown way")),
                "{kind}"
            );
        }
    }

    #[test]
    fn an_answer_pairs_its_headers_and_needs_an_http_status() {
        let headers = "retry-after\n2\ncontent-type\napplication/json\nodd one out";
        let Ended::Response {
            status,
            headers,
            body,
        } = Ended::answered(429.0, headers, b"{}".to_vec())
        else {
            panic!("an answer")
        };
        assert_eq!(
            (status, headers, body),
            (
                429,
                vec![
                    ("retry-after".into(), "2".into()),
                    ("content-type".into(), "application/json".into())
                ],
                b"{}".to_vec()
            )
        );
        for status in [70_000.0, -1.0, 200.5, f64::NAN] {
            assert!(
                matches!(Ended::answered(status, "", Vec::new()), Ended::Network(_)),
                "{status}"
            );
        }
    }
}

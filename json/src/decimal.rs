//! Decimal text to a double and a double to the shortest decimal text, both exact, with
//! no tables.
//!
//! Why not std's `str::parse::<f64>` and a shortest-float writer (zmij, ryu): each carries a
//! table of 128-bit powers, 11 KB for std's and 10 KB for zmij's. Being random bits, the
//! tables barely compress, and together they were an eighth of every build's gzip
//! (BENCHMARKS.md, "Size"). Here a number that is not whole is rare: a vendor's level sent
//! as `2.5`, a rate limit of `0.5`, a `Retry-After: 1.5`. So:
//!
//! - **Reading.** Up to 19 significant digits and a power of ten up to 22 is one exact
//!   product or quotient of two doubles, correctly rounded (Clinger's fast path), here.
//! - **The rest**, reading past the fast path and writing any number that is not whole, is
//!   the slow path, exact either way. By default it is this crate's own, in `exact` (a
//!   quotient of big integers; the shortest digits that read back). With the feature
//!   `host-decimal` it is the host's, registered with `use_host`: a JS engine's `Number()`
//!   and `String()` are exact by ECMA-262, already loaded, and free, where `exact` is 3 KB
//!   gzip of a one-vendor .wasm (BENCHMARKS.md). The package's wasm build takes that
//!   feature; natively, in tests, the simulation and the fuzzers, `exact` serves.
//!
//! Either way a number is written as JavaScript's `Number.prototype.toString` lays it out
//! (`1e+21`, `1.5e-7`, `0.000001`), so a number we render as text reads as JS would show it.

#[cfg(not(feature = "host-decimal"))]
mod exact;

/// The whole number `text` is written as: one or more ASCII digits, nothing else, at most
/// `u64::MAX`. Every integer the crates read from text goes through here (a config's numbers
/// come as doubles): `str::parse` made a reader per integer type, 0.6 KB of a build each.
pub fn whole(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    text.bytes().try_fold(0u64, |n, byte| {
        let digit = byte.wrapping_sub(b'0');
        (digit < 10).then_some(())?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// The double `text` names: `[+-]digits[.digits][(e|E)[+-]digits]`, either side of the point
/// optional but not both. `None` for anything else or for a magnitude past `f64::MAX`.
pub fn parse(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, mut at) = match bytes.first()? {
        b'-' => (true, 1),
        b'+' => (false, 1),
        _ => (false, 0),
    };
    let start = at;
    let mut digits = Digits::default();
    let mut seen_digit = false;
    let mut seen_point = false;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'0'..=b'9' => {
                seen_digit = true;
                digits.push(byte - b'0');
                if seen_point {
                    digits.exponent -= 1;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        at += 1;
    }
    if !seen_digit {
        return None;
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        let negative_exponent = match bytes.get(at) {
            Some(b'-') => {
                at += 1;
                true
            }
            Some(b'+') => {
                at += 1;
                false
            }
            _ => false,
        };
        let start = at;
        let mut exponent: i64 = 0;
        while let Some(&byte @ b'0'..=b'9') = bytes.get(at) {
            // Past a million the answer is 0 or too large either way.
            exponent = (exponent * 10 + i64::from(byte - b'0')).min(1_000_000);
            at += 1;
        }
        if at == start {
            return None;
        }
        digits.exponent += if negative_exponent {
            -exponent
        } else {
            exponent
        };
    }
    if at != bytes.len() {
        return None;
    }
    let magnitude = digits.value(crate::sub(text, start..))?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Writes finite `x` as the shortest decimal that reads back as `x`, laid out as
/// JavaScript's `String(x)` lays it out.
pub fn write(out: &mut String, x: f64) {
    debug_assert!(x.is_finite());
    if x == 0.0 {
        out.push('0');
        return;
    }
    #[cfg(feature = "host-decimal")]
    (host().write)(x, out);
    #[cfg(not(feature = "host-decimal"))]
    exact::write(out, x);
}

/// A host's exact converters, for the slow path (the feature `host-decimal`).
#[cfg(feature = "host-decimal")]
#[derive(Clone, Copy)]
pub struct HostConverters {
    /// The nearest double to an unsigned decimal of [`parse`]'s grammar (ties to even), or
    /// infinity past the largest: JavaScript's `Number(text)`.
    pub parse: fn(&str) -> f64,
    /// Appends finite, nonzero `x` as JavaScript's `String(x)` writes it.
    pub write: fn(f64, &mut String),
}

#[cfg(feature = "host-decimal")]
static HOST: std::sync::OnceLock<HostConverters> = std::sync::OnceLock::new();

/// Registers the host's converters; the first registration stands. A build with
/// `host-decimal` registers before it converts anything: the package's binding does so
/// wherever it reads JS input and in its one export that reads none.
#[cfg(feature = "host-decimal")]
pub fn use_host(converters: HostConverters) {
    let _ = HOST.set(converters);
}

#[cfg(feature = "host-decimal")]
fn host() -> &'static HostConverters {
    HOST.get()
        .expect("decimal converters registered (use_host)")
}

/// A decimal as first read, with nothing allocated: the fast path needs only its first 19
/// significant digits, and most numbers take it. The rest reads the text again.
#[derive(Default)]
pub(crate) struct Digits {
    /// The first 19 significant digits, as a number.
    pub(crate) leading: u64,
    /// Significant digits read (leading zeros dropped).
    pub(crate) count: i64,
    /// The power of ten of the last digit read.
    pub(crate) exponent: i64,
}

impl Digits {
    fn push(&mut self, digit: u8) {
        if self.count == 0 && digit == 0 {
            return;
        }
        self.count += 1;
        if self.count <= 19 {
            self.leading = self.leading * 10 + u64::from(digit);
        }
    }

    /// The value of these digits, read from `unsigned` (the text after any sign).
    fn value(self, unsigned: &str) -> Option<f64> {
        if self.count == 0 {
            return Some(0.0);
        }
        // The digits are ≥ 10^(count - 1) and < 10^count in units of 10^exponent.
        let magnitude = self.count + self.exponent;
        if magnitude > 310 {
            return None;
        }
        if magnitude < -324 {
            return Some(0.0);
        }
        if self.count <= 19 {
            if let Some(fast) = fast_path(self.leading, self.exponent) {
                return Some(fast);
            }
        }
        #[cfg(feature = "host-decimal")]
        return Some((host().parse)(unsigned)).filter(|x| x.is_finite());
        #[cfg(not(feature = "host-decimal"))]
        exact::value(&self, unsigned)
    }
}

/// Exact powers of ten a double holds.
const POWERS: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// `mantissa · 10^exponent` in one correctly rounded operation, when both are exact doubles.
pub(crate) fn fast_path(mantissa: u64, exponent: i64) -> Option<f64> {
    if mantissa > 1 << 53 || exponent.unsigned_abs() > 22 {
        return None;
    }
    let power = POWERS[exponent.unsigned_abs() as usize];
    let mantissa = mantissa as f64;
    Some(if exponent < 0 {
        mantissa / power
    } else {
        mantissa * power
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_digits_only() {
        assert_eq!(whole("0"), Some(0));
        assert_eq!(whole("007"), Some(7));
        assert_eq!(whole("18446744073709551615"), Some(u64::MAX));
        for not in [
            "",
            "18446744073709551616",
            "+1",
            "-1",
            "1.0",
            "1e3",
            " 1",
            "1 ",
            "\u{661}",
        ] {
            assert_eq!(whole(not), None, "{not:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_number_or_past_a_double() {
        for text in [
            "",
            "-",
            "+",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "--1",
            "1 ",
            " 1",
            "0x10",
            "inf",
            "NaN",
            "1e309",
            "-1e400",
            "1e999999999999",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        assert_eq!(parse("1e-999999999999"), Some(0.0));
        assert_eq!(
            parse("-1e-400").map(f64::to_bits),
            Some((-0.0f64).to_bits())
        );
    }
}

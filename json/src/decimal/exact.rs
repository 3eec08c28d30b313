//! The slow path of `crate::decimal` done here, with no tables, where no host supplies it:
//!
//! - **Reading.** The digits divided by the power of ten as big integers, 65 quotient bits
//!   and a remainder, rounded to the double's bits, half to even. At most 800 digits are
//!   kept, plus one for any nonzero digit past them: no halfway point between two doubles
//!   has more than 767 significant digits, so that cut never moves the result.
//! - **Writing.** A double is exactly m·2^e, so its exact decimal digits are those of
//!   m·5^-e (or m·2^e). Rounded to 1, 2, … 17 digits, down and up, the first text that reads
//!   back as the same double is the shortest, and of two that do, the nearer.

use super::{fast_path, Digits};

/// Significant digits that stop keeping count after this many.
const KEPT_DIGITS: usize = 800;

/// The value of `digits`, past the fast path, read again from `unsigned` (the text after
/// any sign).
pub(super) fn value(digits: &Digits, unsigned: &str) -> Option<f64> {
    let significant = unsigned
        .bytes()
        .take_while(|b| !matches!(b, b'e' | b'E'))
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
        .skip_while(|&d| d == 0);
    let (mut whole, mut chunk, mut chunk_digits) = (Big::default(), 0, 0);
    let (mut kept, mut dropped_nonzero) = (0, false);
    for digit in significant {
        if kept == KEPT_DIGITS {
            dropped_nonzero |= digit != 0;
            continue;
        }
        kept += 1;
        chunk = chunk * 10 + u32::from(digit);
        chunk_digits += 1;
        if chunk_digits == 9 {
            whole.mul_small(1_000_000_000);
            whole.add_small(chunk);
            (chunk, chunk_digits) = (0, 0);
        }
    }
    whole.mul_small(10u32.pow(chunk_digits));
    whole.add_small(chunk);
    // Each digit past the kept ones moved the last kept one up a power of ten.
    let mut exponent = digits.exponent + (digits.count - kept as i64);
    if dropped_nonzero {
        // One more digit, 1, stands for everything past the kept ones: above the cut,
        // below its next step, and never exactly a halfway point.
        whole.mul_small(10);
        whole.add_small(1);
        exponent -= 1;
    }
    ratio_to_double(whole, exponent)
}

/// Writes finite, nonzero `x` as the shortest decimal that reads back as `x`, laid out as
/// JavaScript's `String(x)` lays it out.
pub(super) fn write(out: &mut String, x: f64) {
    if x < 0.0 {
        out.push('-');
    }
    let (digits, point) = shortest(x.abs());
    lay_out(out, &digits, point);
}

/// `whole · 10^exponent` rounded to the nearest double, half to even; `None` past the largest.
fn ratio_to_double(whole: Big, exponent: i64) -> Option<f64> {
    let (mut numerator, mut denominator) = (whole, Big::from(1));
    if exponent >= 0 {
        numerator.mul_pow10(exponent as u32);
    } else {
        denominator.mul_pow10(exponent.unsigned_abs() as u32);
    }
    // Scale so that the quotient has 64 or 65 bits: 11 or more below a double's 53.
    let shift = 64 - (numerator.bits() as i64 - denominator.bits() as i64);
    if shift >= 0 {
        numerator.shl(shift as u32);
    } else {
        denominator.shl(shift.unsigned_abs() as u32);
    }
    let (quotient, inexact) = numerator.divide(&denominator);
    // value = (quotient + a fraction) · 2^-shift; its top bit is 2^top.
    let length = 128 - i64::from(quotient.leading_zeros());
    let top = length - 1 - shift;
    // Bits a double keeps: 53, fewer below the smallest normal (subnormals end at 2^-1074).
    let keep = (top + 1075).min(53);
    let drop = length - keep;
    if drop >= 128 {
        return Some(0.0);
    }
    let drop = drop as u32;
    let mut mantissa = quotient >> drop;
    let rest = quotient & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if rest > half || (rest == half && (inexact || mantissa & 1 == 1)) {
        mantissa += 1;
    }
    let mantissa = mantissa as u64;
    if keep < 53 {
        // Subnormal: the mantissa is the bits, and a carry into bit 52 is the smallest
        // normal's exponent field, as it should be.
        return Some(f64::from_bits(mantissa));
    }
    let (mantissa, top) = if mantissa == 1 << 53 {
        (mantissa >> 1, top + 1)
    } else {
        (mantissa, top)
    };
    let biased = top + 1023;
    if biased >= 0x7ff {
        return None;
    }
    Some(f64::from_bits(
        (biased as u64) << 52 | (mantissa & ((1 << 52) - 1)),
    ))
}

/// The shortest digits of positive finite `x` that read back as `x`, and the power of ten
/// after their first: `x ≈ 0.d₁d₂… · 10^point`.
fn shortest(x: f64) -> (Vec<u8>, i64) {
    let (exact, point) = exact_digits(x);
    for length in 1..=17 {
        if exact.len() <= length {
            break;
        }
        let down = exact[..length].to_vec();
        let up = round_up(&down, point);
        // Nearer first; at a tie (the rest exactly 5), the even one first.
        let rest = &exact[length..];
        let above_half = rest[0] > 5 || (rest[0] == 5 && rest[1..].iter().any(|&d| d != 0));
        let tie = rest[0] == 5 && !above_half;
        let up_first = above_half || (tie && down[length - 1] % 2 == 1);
        let (first, second) = if up_first {
            (up, (down, point))
        } else {
            ((down, point), up)
        };
        for (digits, point) in [first, second] {
            if reads_back(&digits, point, x) {
                return (digits, point);
            }
        }
    }
    (exact, point)
}

/// `digits` plus one in its last place, carrying (`99` → `1`, one place higher).
fn round_up(digits: &[u8], point: i64) -> (Vec<u8>, i64) {
    let mut up = digits.to_vec();
    while let Some(last) = up.last_mut() {
        if *last < 9 {
            *last += 1;
            return (up, point);
        }
        up.pop();
    }
    (vec![1], point + 1)
}

fn reads_back(digits: &[u8], point: i64, x: f64) -> bool {
    let mantissa = digits.iter().fold(0u64, |n, &d| n * 10 + u64::from(d));
    let exponent = point - digits.len() as i64;
    let read = fast_path(mantissa, exponent)
        .or_else(|| ratio_to_double(Big::from(mantissa), exponent))
        .unwrap_or(f64::INFINITY);
    read == x
}

/// Every decimal digit of positive finite `x`, trailing zeros dropped, and its point as in
/// [`shortest`].
fn exact_digits(x: f64) -> (Vec<u8>, i64) {
    let bits = x.to_bits();
    let field = (bits >> 52) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if field == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, field - 1075)
    };
    let mut whole = Big::from(mantissa);
    let mut point_shift = 0;
    if exponent >= 0 {
        whole.shl(exponent as u32);
    } else {
        // m · 2^e = m · 5^-e · 10^e; 5^13 is the largest power of five in a limb.
        let mut fives = exponent.unsigned_abs();
        while fives >= 13 {
            whole.mul_small(1_220_703_125);
            fives -= 13;
        }
        whole.mul_small(5u32.pow(fives as u32));
        point_shift = exponent;
    }
    let mut digits = whole.into_decimal();
    let point = digits.len() as i64 + point_shift;
    while digits.last() == Some(&0) {
        digits.pop();
    }
    (digits, point)
}

/// JavaScript's layout of a number (ECMA-262, Number::toString): plain for a point from -5
/// to 21, with an exponent otherwise.
fn lay_out(out: &mut String, digits: &[u8], point: i64) {
    let push_digits = |out: &mut String, digits: &[u8]| {
        out.extend(digits.iter().map(|&d| char::from(b'0' + d)));
    };
    let count = digits.len() as i64;
    if count <= point && point <= 21 {
        push_digits(out, digits);
        out.extend((count..point).map(|_| '0'));
    } else if 0 < point && point <= 21 {
        let (whole, fraction) = digits.split_at(point as usize);
        push_digits(out, whole);
        out.push('.');
        push_digits(out, fraction);
    } else if -6 < point && point <= 0 {
        out.push_str("0.");
        out.extend((point..0).map(|_| '0'));
        push_digits(out, digits);
    } else {
        push_digits(out, &digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            push_digits(out, &digits[1..]);
        }
        out.push('e');
        out.push(if point > 0 { '+' } else { '-' });
        let exponent = (point - 1).unsigned_abs();
        push_digits(out, &Big::from(exponent).into_decimal());
    }
}

/// A whole number of any size: 32-bit limbs, least significant first, no zero limb on top.
#[derive(Default)]
struct Big(Vec<u32>);

impl From<u64> for Big {
    fn from(n: u64) -> Self {
        let mut big = Big(vec![n as u32, (n >> 32) as u32]);
        big.trim();
        big
    }
}

impl Big {
    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul_small(&mut self, factor: u32) {
        let mut carry = 0u64;
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.0 {
            if carry == 0 {
                return;
            }
            let sum = u64::from(*limb) + carry;
            *limb = sum as u32;
            carry = sum >> 32;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut exponent: u32) {
        while exponent >= 9 {
            self.mul_small(1_000_000_000);
            exponent -= 9;
        }
        self.mul_small(10u32.pow(exponent));
    }

    fn bits(&self) -> u32 {
        self.0
            .last()
            .map_or(0, |top| self.0.len() as u32 * 32 - top.leading_zeros())
    }

    fn shl(&mut self, bits: u32) {
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits > 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = *limb << bits | carry;
                carry = next;
            }
            if carry > 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, std::iter::repeat(0).take(limbs));
    }

    /// `self / divisor` (which must fit in 128 bits) and whether anything remained.
    fn divide(mut self, divisor: &Big) -> (u128, bool) {
        let mut quotient = 0u128;
        let top = self.bits().saturating_sub(divisor.bits());
        let mut shifted = Big(divisor.0.clone());
        shifted.shl(top);
        for bit in (0..=top).rev() {
            if self.at_least(&shifted) {
                self.subtract(&shifted);
                quotient |= 1 << bit;
            }
            shifted.shr1();
        }
        (quotient, !self.0.is_empty())
    }

    fn at_least(&self, other: &Big) -> bool {
        if self.0.len() != other.0.len() {
            return self.0.len() > other.0.len();
        }
        self.0.iter().rev().cmp(other.0.iter().rev()).is_ge()
    }

    fn subtract(&mut self, other: &Big) {
        let mut borrow = false;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let (difference, under) = limb.overflowing_sub(other.0.get(i).copied().unwrap_or(0));
            let (difference, under_again) = difference.overflowing_sub(u32::from(borrow));
            *limb = difference;
            borrow = under || under_again;
        }
        self.trim();
    }

    fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = *limb >> 1 | carry;
            carry = next;
        }
        self.trim();
    }

    /// Decimal digits, most significant first; `[]` for zero.
    fn into_decimal(mut self) -> Vec<u8> {
        let mut chunks = Vec::new();
        while !self.0.is_empty() {
            let mut remainder = 0u64;
            for limb in self.0.iter_mut().rev() {
                let current = remainder << 32 | u64::from(*limb);
                *limb = (current / 1_000_000_000) as u32;
                remainder = current % 1_000_000_000;
            }
            self.trim();
            chunks.push(remainder as u32);
        }
        let mut digits = Vec::with_capacity(chunks.len() * 9);
        for (i, chunk) in chunks.iter().rev().enumerate() {
            let text: [u8; 9] =
                std::array::from_fn(|at| (chunk / 10u32.pow(8 - at as u32) % 10) as u8);
            // The most significant chunk without its leading zeros.
            let skip = if i == 0 {
                text.iter().take_while(|&&d| d == 0).count()
            } else {
                0
            };
            digits.extend_from_slice(&text[skip..]);
        }
        digits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::{parse, write};
    use proptest::prelude::*;

    fn written(x: f64) -> String {
        let mut out = String::new();
        write(&mut out, x);
        out
    }

    /// What Node's `String(x)` printed (v20), an implementation independent of this one.
    #[test]
    fn writes_what_javascript_writes() {
        for (x, js) in [
            (0.1, "0.1"),
            (1.5, "1.5"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (2f64.powi(60), "1152921504606847000"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308 / 3.0, "5.992310449541053e+307"),
            (1234.5678, "1234.5678"),
            (9007199254740993.0, "9007199254740992"),
            (-0.0, "0"),
            (100.0, "100"),
            (f64::from_bits(14059423434500438609), "-2048149276122772.2"),
            // 2^50 + 0.75 is halfway between …2624.7 and …2624.8, both of which read back:
            // the even digit wins. 2^50 + 0.25 is halfway between …2624.2 and …2624.3.
            (2f64.powi(50) + 0.75, "1125899906842624.8"),
            (2f64.powi(50) + 0.25, "1125899906842624.2"),
        ] {
            assert_eq!(written(x), js, "{x:e}");
        }
    }

    #[test]
    fn reads_edge_cases_as_std_reads_them() {
        for text in [
            "0",
            "-0",
            "1",
            "0.1",
            "1e22",
            "1e23",
            "9007199254740993",
            "2.2250738585072011e-308",
            "2.2250738585072012e-308",
            "4.9406564584124654e-324",
            "2.4703282292062327e-324",
            "2.4703282292062328e-324",
            "1.7976931348623157e308",
            "1.7976931348623158e308",
            "0.000000000000000000000000000000000000000000001",
            "123456789012345678901234567890",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "1.00000000000000011102230246251565404236316680908203126",
            "+1.5",
            ".5",
            "5.",
            "1E+2",
        ] {
            let std: f64 = text.parse().unwrap();
            assert_eq!(parse(text).map(f64::to_bits), Some(std.to_bits()), "{text}");
        }
    }

    #[test]
    fn past_the_kept_digits_a_nonzero_digit_still_counts() {
        // The halfway point between 1 and the next double, then a 1 far past it: the
        // exact halfway would round down to even, anything above it rounds up.
        let halfway = "1.00000000000000011102230246251565404236316680908203125";
        let above = format!("{halfway}{}1", "0".repeat(900));
        assert_eq!(parse(halfway), Some(1.0));
        assert_eq!(parse(&above), Some(1.0 + f64::EPSILON));
        assert_eq!(parse(&format!("{halfway}{}", "0".repeat(900))), Some(1.0));
    }

    fn check_write(x: f64) -> Result<(), TestCaseError> {
        let std = format!("{:e}", x.abs());
        let (mantissa, exponent) = std.split_once('e').unwrap();
        let std_digits: Vec<u8> = mantissa
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        let (digits, point) = shortest(x.abs());
        if digits != std_digits {
            let (exact, _) = exact_digits(x.abs());
            let n = digits.len();
            prop_assert_eq!(n, std_digits.len());
            prop_assert!(exact.len() == n + 1 && exact[n] == 5 && digits[n - 1] % 2 == 0);
        }
        prop_assert_eq!(point - 1, exponent.parse::<i64>().unwrap());
        let text = written(x);
        prop_assert_eq!(text.parse::<f64>().unwrap(), x, "{}", text);
        Ok(())
    }

    proptest! {
        /// std's reader (dec2flt) is the independent implementation checked against.
        #[test]
        fn reads_every_double_as_std_reads_it(bits in any::<u64>(), digits in 1usize..=25) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite());
            for text in [format!("{x:e}"), format!("{x:.*e}", digits - 1), format!("{x:?}")] {
                let std: f64 = text.parse().unwrap();
                prop_assert_eq!(parse(&text).map(f64::to_bits), Some(std.to_bits()), "{}", text);
            }
        }

        /// std's shortest writer (`{:e}`, Grisu with a Dragon4 fallback) picks as many digits,
        /// and the same ones but at an exact tie, which it rounds up and JS to the even digit
        /// (Node prints 2048149276122772.25 as 2048149276122772.2, std as …772.3).
        #[test]
        fn writes_the_digits_std_writes(bits in any::<u64>()) {
            let x = f64::from_bits(bits);
            prop_assume!(x.is_finite() && x != 0.0);
            check_write(x)?;
        }

        #[test]
        fn writes_everyday_numbers_as_std(x in -1e7f64..1e7) {
            prop_assume!(x != 0.0);
            check_write(x)?;
        }
        #[test]
        fn reads_decimals_of_any_length(whole in "[0-9]{1,40}", fraction in "[0-9]{0,40}", exponent in -400i32..400) {
            let text = format!("{whole}.{fraction}e{exponent}");
            let std: f64 = text.parse().unwrap();
            let expected = std.is_finite().then(|| std.to_bits());
            prop_assert_eq!(parse(&text).map(f64::to_bits), expected, "{}", text);
        }
    }
}

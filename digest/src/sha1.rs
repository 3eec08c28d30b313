//! SHA-1 (FIPS 180-4) and HMAC-SHA1 (RFC 2104), for RongCloud's signature and OAuth 1.0a: the
//! 80 rounds as one loop, a fifth of the code of the sha1 crate's unrolled ones (BENCHMARKS.md).
//! A signature hashes a few hundred bytes, so their speed does not show next to a request's;
//! the tests check the known answers of FIPS 180-2 and RFC 2202 and, for any input, the sha1
//! and hmac crates'.

use super::digest::{self, Hash};

pub struct Sha1;

impl Hash for Sha1 {
    const INITIAL: [u32; 8] = [
        0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0, 0, 0, 0,
    ];
    const WORDS: usize = 5;

    fn compress(state: &mut [u32; 8], block: &[u32]) {
        let mut w = [0u32; 80];
        w[..16].copy_from_slice(block);
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [a, b, c, d, e, ..] = *state;
        let mut v = [a, b, c, d, e];
        for (i, w) in w.into_iter().enumerate() {
            let [a, b, c, d, e] = v;
            let (mix, k) = match i / 20 {
                0 => ((b & c) | (!b & d), 0x5a827999),
                2 => ((b & c) | (b & d) | (c & d), 0x8f1bbcdc),
                round => (b ^ c ^ d, if round == 1 { 0x6ed9eba1 } else { 0xca62c1d6 }),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(mix)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(w);
            v = [t, a, b.rotate_left(30), c, d];
        }
        for (word, add) in state.iter_mut().zip(v) {
            *word = word.wrapping_add(add);
        }
    }
}

/// The SHA-1 digest of `parts` one after another.
pub fn sha1(parts: &[&[u8]]) -> Vec<u8> {
    digest::digest::<Sha1>(parts)
}

/// HMAC-SHA1 of `message` keyed with `key`.
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    digest::hmac::<Sha1>(key, message)
}

#[cfg(test)]
mod tests {
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;
    use sha1::Digest;

    use super::*;
    use crate::digest::hex;

    #[test]
    fn fips_180_2_known_answers() {
        assert_eq!(
            hex(&sha1(&[b"abc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            hex(&sha1(&[
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
            ])),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex(&sha1(&[&[b'a'; 1_000_000]])),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
    }

    #[test]
    fn rfc_2202_known_answers() {
        let cases: [(&[u8], &[u8], &str); 4] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe",
                b"what do ya want for nothing?",
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (key, message, mac) in cases {
            assert_eq!(hex(&hmac_sha1(key, message)), mac);
        }
    }

    proptest! {
        #[test]
        fn the_sha1_and_hmac_crates_agree(
            key in prop::collection::vec(any::<u8>(), 0..150),
            message in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            prop_assert_eq!(sha1(&[&message]), sha1::Sha1::digest(&message).to_vec());
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
            mac.update(&message);
            prop_assert_eq!(hmac_sha1(&key, &message), mac.finalize().into_bytes().to_vec());
        }
    }
}

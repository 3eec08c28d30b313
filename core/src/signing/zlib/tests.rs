use super::*;

use proptest::prelude::*;

fn hex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

#[test]
fn adler32_known_answers() {
    // An empty input leaves the sums at their starting values, 1 and 0 (RFC 1950,
    // section 8); "Wikipedia" is the worked example of https://en.wikipedia.org/wiki/Adler-32.
    assert_eq!(adler32(b""), 1);
    assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
}

#[test]
fn streams_made_by_zlib_itself_inflate() {
    // Made by CPython's zlib module (the C library): `zlib.compress(doc, 6)`, a block with
    // the fixed codes …
    let fixed =
        hex("789cab560af109d62b4b2d52b25232d23350d201f3335352f34a32d332c1c2064ab500d4980b1b");
    assert_eq!(
        inflate(&fixed, 1024).unwrap(),
        br#"{"TLS.ver":"2.0","TLS.identifier":"0"}"#
    );
    // … and `zlib.compress(text, 9)` of this text, a block with its own codes and copies
    // from as far back as the text allows.
    let words = [
        "profile",
        "user",
        "name",
        "avatar",
        "gender",
        "开心",
        "rongcloud",
        "tencent",
        "easemob",
    ];
    let text = (0..400usize)
        .map(|i| words[(i * i * 7 + 3 * i) % 9])
        .collect::<Vec<_>>()
        .join(" ");
    let dynamic = hex(
        "78daedcb5b0ac0201043d1adccdeda540a651c7cecdf22ba09b95f2109274a7ede4fd6ab8a35f9256f166bdc7d9e7b4cf2fbaf2b028fc7e3f1783c1e8f3fc40fa8c335ab",
    );
    assert_eq!(dynamic[2] >> 1 & 3, 2, "a dynamic block");
    assert_eq!(inflate(&dynamic, 4096).unwrap(), text.as_bytes());
    assert_eq!(inflate(&dynamic, 2843), Err(Malformed::TooLarge));
}

#[test]
fn a_stored_stream_inflates_with_an_independent_inflater_and_ours() {
    // miniz_oxide's inflater checks the header, every block's length pair and the
    // Adler-32; the sizes cover no block content, one block exactly full, and a second.
    for size in [0, 1, 200, 65_535, 65_536, 140_000] {
        let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
        let stream = stored(&data);
        let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&stream).unwrap();
        assert_eq!(inflated, data, "{size} bytes");
        assert_eq!(inflate(&stream, size).unwrap(), data, "{size} bytes");
    }
}

#[test]
fn what_is_not_a_whole_zlib_stream_is_refused() {
    let good = stored(b"document");
    let with = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut stream = good.clone();
        edit(&mut stream);
        inflate(&stream, 1024).unwrap_err()
    };
    assert_eq!(with(&|s| s.truncate(1)), Malformed::TooShort);
    assert_eq!(with(&|s| s[0] = 0x79), Malformed::NotZlib);
    assert_eq!(with(&|s| s[1] = 0x02), Malformed::NotZlib);
    // FDICT set, and 0x7820 still a multiple of 31.
    assert_eq!(with(&|s| s[1] = 0x20), Malformed::PresetDictionary);
    assert_eq!(with(&|s| s[2] = 0b111), Malformed::ReservedBlockType);
    assert_eq!(with(&|s| s[3] ^= 1), Malformed::StoredLength);
    assert_eq!(with(&|s| s.truncate(s.len() - 6)), Malformed::EndsTooSoon);
    assert_eq!(with(&|s| *s.last_mut().unwrap() ^= 1), Malformed::Checksum);
    assert_eq!(with(&|s| s.push(0)), Malformed::Checksum);
    assert_eq!(with(&|s| s.truncate(s.len() - 1)), Malformed::Checksum);
}

#[test]
fn copies_from_the_whole_window() {
    // Noise no copy can shorten, with the same 300 bytes at its start and near 32 KiB later:
    // the copy's distance takes the last distance codes and their 13 extra bits.
    let mut state = 1u32;
    let mut noise = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect()
    };
    let chunk = noise(300);
    let data = [chunk.clone(), noise(32_000), chunk].concat();
    for level in [6, 9, 10] {
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(&data, level);
        assert!(
            stream.len() < data.len() - 200,
            "level {level} found the copy"
        );
        assert_eq!(inflate(&stream, data.len()).unwrap(), data, "level {level}");
    }
}

#[test]
fn a_code_with_more_codes_than_room_is_refused() {
    // Three 1-bit codes; two 1-bit and one 2-bit code fit no better. An incomplete code is
    // taken (as zlib takes a lone distance code), and fails only when a missing code comes.
    for lengths in [&[1, 1, 1][..], &[1, 1, 2], &[2, 2, 2, 2, 2]] {
        assert!(Huffman::new(lengths).is_err(), "{lengths:?}");
    }
    let incomplete = Huffman::new(&[0, 2, 0]).unwrap();
    let mut bits = Bits {
        input: &[0, 0xff, 0xff],
        at: 0,
        buffer: 0,
        count: 0,
    };
    assert_eq!(incomplete.decode(&mut bits), Ok(1));
    bits.buffer = 0;
    bits.count = 0;
    assert_eq!(incomplete.decode(&mut bits), Err(Malformed::MissingCode));
}

#[test]
fn a_bomb_stops_at_the_limit() {
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0; 1 << 20], 9);
    assert!(bomb.len() < 2_000);
    let error = inflate(&bomb, 16 * 1024).unwrap_err();
    assert_eq!(error, Malformed::TooLarge);
}

/// Bytes with runs and repeats in them, as compressors find copies in text.
fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            (any::<u8>(), 0usize..300).prop_map(|(b, n)| vec![b; n]),
            Just(b"TLS.identifier".to_vec()),
        ],
        0..12,
    )
    .prop_map(|chunks| chunks.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// miniz_oxide's deflater at every level (0 stores, 1 is its fast mode, 10 the most
    /// thorough), each block type among them: ours reads back what it wrote.
    #[test]
    fn what_miniz_oxide_deflates_inflates(data in data(), level in 0u8..=10) {
        let stream = miniz_oxide::deflate::compress_to_vec_zlib(&data, level);
        prop_assert_eq!(inflate(&stream, data.len()), Ok(data));
    }

    /// Damaged anywhere, a stream is read or refused, never a panic; where both inflaters
    /// read it, they agree.
    #[test]
    fn damaged_streams_never_panic(data in data(), level in 0u8..=10, at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let mut stream = miniz_oxide::deflate::compress_to_vec_zlib(&data, level);
        let at = at.index(stream.len());
        stream[at] ^= xor;
        let ours = inflate(&stream, 1 << 16);
        if let (Ok(ours), Ok(theirs)) = (&ours, miniz_oxide::inflate::decompress_to_vec_zlib(&stream)) {
            prop_assert_eq!(ours, &theirs);
        }
    }
}

//! The zlib streams (RFC 1950) of Tencent's UserSigs, both ways, and no more of zlib than that.
//!
//! Writing, a UserSig's document is *stored* (deflate's uncompressed blocks): any inflater reads
//! such a stream as it reads a compressed one, and the document is a couple of hundred bytes,
//! so compressing it would save some 50 characters of a UserSig. Reading, a caller's UserSig
//! (made by an official port, so compressed) is inflated by a small decoder after Mark
//! Adler's `puff.c` (zlib's `contrib/puff`): it decodes a Huffman code a bit at a time, which
//! is slow per byte and irrelevant for a few hundred bytes. A deflater and miniz_oxide's
//! inflater were 7.8 and 7.5 KB of every Tencent build's gzipped wasm (BENCHMARKS.md).

/// `data` as a zlib stream of stored deflate blocks (RFC 1951, section 3.2.4): the two-byte
/// header, blocks of at most 65,535 bytes each with its length and the length's complement,
/// and the Adler-32 of the data, big-endian.
pub fn stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 0xffff;
    // CM 8 (deflate), a 32 KiB window, FLEVEL 0; the pair is a multiple of 31 as FCHECK asks.
    let mut out = vec![0x78, 0x01];
    let mut rest = data;
    loop {
        let (block, tail) = rest.split_at(rest.len().min(BLOCK));
        let length = u16::try_from(block.len()).expect("a block holds at most 65,535 bytes");
        out.push(u8::from(tail.is_empty())); // BFINAL on the last block, BTYPE 00 (stored)
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
        if tail.is_empty() {
            break;
        }
        rest = tail;
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// RFC 1950's checksum: two sums modulo 65,521, the running sum of the bytes (from 1) and
/// the sum of those sums.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

/// Why a stream could not be read. No text of its own: nothing shows it to a user (a UserSig
/// that does not inflate is the server's to judge), and 17 texts were 0.4 KB of each Tencent
/// build's gzip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Too short for a zlib header.
    TooShort,
    /// Not a zlib header (deflate, a window of at most 32 KiB, a valid check).
    NotZlib,
    /// A preset dictionary, which no UserSig uses.
    PresetDictionary,
    /// A block of the reserved type.
    ReservedBlockType,
    /// A checksum that does not match, or bytes after it.
    Checksum,
    /// A stream that ends too soon.
    EndsTooSoon,
    /// A stored block whose length is not its complement's.
    StoredLength,
    /// More data than a UserSig holds (the caller's limit).
    TooLarge,
    /// A Huffman code with more codes than room.
    OversubscribedCode,
    /// A code its Huffman code lacks.
    MissingCode,
    /// A block with more codes than deflate has.
    TooManyCodes,
    /// A repeat of the previous code length with nothing before it.
    RepeatFirst,
    /// Code lengths past the block's count.
    LengthsOverrun,
    /// A block without an end-of-block code.
    NoEndOfBlock,
    /// A length code deflate does not have.
    BadLengthCode,
    /// A distance code deflate does not have.
    BadDistanceCode,
    /// A distance back past the start of the data.
    DistanceTooFar,
}

/// The data of the zlib stream `stream`, at most `limit` bytes of it; the stream must end
/// where its checksum does.
pub fn inflate(stream: &[u8], limit: usize) -> Result<Vec<u8>, Malformed> {
    let [cmf, flg, ..] = *stream else {
        return Err(Malformed::TooShort);
    };
    if cmf & 0x0f != 8 || cmf >> 4 > 7 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 {
        return Err(Malformed::NotZlib);
    }
    if flg & 0x20 != 0 {
        return Err(Malformed::PresetDictionary);
    }
    let mut bits = Bits {
        input: &stream[2..],
        at: 0,
        buffer: 0,
        count: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => stored_block(&mut bits, &mut out, limit)?,
            1 => codes(&mut bits, &mut out, limit, &fixed_tables())?,
            2 => {
                let tables = dynamic_tables(&mut bits)?;
                codes(&mut bits, &mut out, limit, &tables)?
            }
            _ => return Err(Malformed::ReservedBlockType),
        }
        if last {
            break;
        }
    }
    let checksum = bits.input.get(bits.at..).unwrap_or_default();
    if checksum != adler32(&out).to_be_bytes() {
        return Err(Malformed::Checksum);
    }
    Ok(out)
}

/// The input read a bit at a time, least significant bit of each byte first.
struct Bits<'a> {
    input: &'a [u8],
    /// The next byte not yet in `buffer`.
    at: usize,
    buffer: u32,
    count: u32,
}

impl Bits<'_> {
    /// The next `need` bits (at most 24) as a number, the first read its lowest bit.
    fn take(&mut self, need: u32) -> Result<u32, Malformed> {
        while self.count < need {
            let byte = *self.input.get(self.at).ok_or(Malformed::EndsTooSoon)?;
            self.at += 1;
            self.buffer |= u32::from(byte) << self.count;
            self.count += 8;
        }
        let value = self.buffer & ((1 << need) - 1);
        self.buffer >>= need;
        self.count -= need;
        Ok(value)
    }
}

/// A stored block: the rest of the current byte skipped, then LEN, NLEN and LEN bytes.
fn stored_block(bits: &mut Bits, out: &mut Vec<u8>, limit: usize) -> Result<(), Malformed> {
    bits.buffer = 0;
    bits.count = 0;
    let header = bits
        .input
        .get(bits.at..bits.at + 4)
        .ok_or(Malformed::EndsTooSoon)?;
    let length = u16::from_le_bytes([header[0], header[1]]);
    if length != !u16::from_le_bytes([header[2], header[3]]) {
        return Err(Malformed::StoredLength);
    }
    let start = bits.at + 4;
    let block = bits
        .input
        .get(start..start + usize::from(length))
        .ok_or(Malformed::EndsTooSoon)?;
    bits.at = start + block.len();
    if out.len() + block.len() > limit {
        return Err(Malformed::TooLarge);
    }
    out.extend_from_slice(block);
    Ok(())
}

/// A canonical Huffman code (RFC 1951, section 3.2.2) as `puff.c` keeps one: how many codes
/// there are of each length, and the symbols in code order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    /// The code whose symbol `n` has the code length `lengths[n]` (0: not used). A code with
    /// more codes than its lengths have room for is refused; an incomplete one is taken, and
    /// reading a code it lacks fails then.
    fn new(lengths: &[u8]) -> Result<Self, Malformed> {
        let mut counts = [0u16; 16];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        let mut left = 1i32;
        for &count in &counts[1..] {
            left = 2 * left - i32::from(count);
            if left < 0 {
                return Err(Malformed::OversubscribedCode);
            }
        }
        // Each length's first place in code order, then every used symbol in its place.
        let mut next = [0u16; 16];
        for length in 1..15 {
            next[length + 1] = next[length] + counts[length];
        }
        let mut symbols = vec![0; lengths.len() - usize::from(counts[0])];
        for (symbol, &length) in (0u16..).zip(lengths) {
            if length != 0 {
                symbols[usize::from(next[usize::from(length)])] = symbol;
                next[usize::from(length)] += 1;
            }
        }
        Ok(Huffman { counts, symbols })
    }

    /// The next symbol: the code read a bit at a time, compared with the first code of each
    /// length in turn.
    fn decode(&self, bits: &mut Bits) -> Result<u16, Malformed> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &self.counts[1..] {
            code |= bits.take(1)? as i32;
            let count = i32::from(count);
            if code - first < count {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Malformed::MissingCode)
    }
}

/// The codes of a block: literals and lengths, and distances.
struct Tables {
    lengths: Huffman,
    distances: Huffman,
}

/// The fixed codes of RFC 1951, section 3.2.6.
fn fixed_tables() -> Tables {
    let mut lengths = [8u8; 288];
    lengths[144..256].fill(9);
    lengths[256..280].fill(7);
    // Not `expect`: that formats the error with `Debug`, which a panic that cannot happen
    // should not bring into the .wasm (see `crate::model::sub`).
    let fixed = |lengths: &[u8]| {
        Huffman::new(lengths).unwrap_or_else(|_| unreachable!("the fixed codes are complete"))
    };
    Tables {
        lengths: fixed(&lengths),
        distances: fixed(&[5; 30]),
    }
}

/// A dynamic block's codes, read from its header (RFC 1951, section 3.2.7).
fn dynamic_tables(bits: &mut Bits) -> Result<Tables, Malformed> {
    const ORDER: [usize; 19] = [
        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
    ];
    let literals = bits.take(5)? as usize + 257;
    let distances = bits.take(5)? as usize + 1;
    let code_lengths = bits.take(4)? as usize + 4;
    if literals > 286 || distances > 30 {
        return Err(Malformed::TooManyCodes);
    }
    let mut lengths = [0u8; 19];
    for &symbol in &ORDER[..code_lengths] {
        lengths[symbol] = bits.take(3)? as u8;
    }
    let code_length_code = Huffman::new(&lengths)?;
    let mut lengths = Vec::with_capacity(literals + distances);
    while lengths.len() < literals + distances {
        let (length, repeat) = match code_length_code.decode(bits)? {
            symbol @ 0..=15 => (symbol as u8, 1),
            16 => {
                let previous = *lengths.last().ok_or(Malformed::RepeatFirst)?;
                (previous, 3 + bits.take(2)?)
            }
            17 => (0, 3 + bits.take(3)?),
            _ => (0, 11 + bits.take(7)?),
        };
        if lengths.len() + repeat as usize > literals + distances {
            return Err(Malformed::LengthsOverrun);
        }
        lengths.resize(lengths.len() + repeat as usize, length);
    }
    if lengths[256] == 0 {
        return Err(Malformed::NoEndOfBlock);
    }
    Ok(Tables {
        lengths: Huffman::new(&lengths[..literals])?,
        distances: Huffman::new(&lengths[literals..])?,
    })
}

/// A compressed block's literals and copies, up to its end-of-block code.
fn codes(
    bits: &mut Bits,
    out: &mut Vec<u8>,
    limit: usize,
    tables: &Tables,
) -> Result<(), Malformed> {
    const LENGTH_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115,
        131, 163, 195, 227, 258,
    ];
    const LENGTH_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DISTANCE_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
        2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
    ];
    const DISTANCE_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12,
        13, 13,
    ];
    loop {
        let symbol = usize::from(tables.lengths.decode(bits)?);
        if out.len() >= limit && symbol != 256 {
            return Err(Malformed::TooLarge);
        }
        match symbol {
            0..=255 => out.push(symbol as u8),
            256 => return Ok(()),
            _ => {
                let index = symbol - 257;
                let (&base, &extra) = LENGTH_BASE
                    .get(index)
                    .zip(LENGTH_EXTRA.get(index))
                    .ok_or(Malformed::BadLengthCode)?;
                let length = usize::from(base) + bits.take(u32::from(extra))? as usize;
                let index = usize::from(tables.distances.decode(bits)?);
                let (&base, &extra) = DISTANCE_BASE
                    .get(index)
                    .zip(DISTANCE_EXTRA.get(index))
                    .ok_or(Malformed::BadDistanceCode)?;
                let distance = usize::from(base) + bits.take(u32::from(extra))? as usize;
                if distance > out.len() {
                    return Err(Malformed::DistanceTooFar);
                }
                if out.len() + length > limit {
                    return Err(Malformed::TooLarge);
                }
                // Byte by byte: a copy may overlap what it writes (a run).
                for _ in 0..length {
                    out.push(out[out.len() - distance]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! What SHA-1 and SHA-256 share (FIPS 180-4): the message padded to 64-byte blocks ending in its
//! length in bits, each block folded into a state of 32-bit words by the hash's own
//! compression, the state's words big-endian as the digest; and HMAC (RFC 2104) over either.

/// One hash: its initial state, the state's words that make the digest, and its compression
/// of one 64-byte block. A state of fewer than eight words (SHA-1's five) leaves the rest 0.
pub trait Hash {
    const INITIAL: [u32; 8];
    const WORDS: usize;
    /// Folds one block of 16 words into the state.
    fn compress(state: &mut [u32; 8], block: &[u32]);
}

/// The digest of `parts` one after another.
pub fn digest<H: Hash>(parts: &[&[u8]]) -> Vec<u8> {
    let message = parts.concat();
    // The message, a 1 bit, zeros, and its length in bits as the last two words: whole
    // blocks of big-endian words.
    let mut words = vec![0u32; (message.len() + 8) / 64 * 16 + 16];
    for (i, byte) in message.iter().chain(&[0x80]).enumerate() {
        words[i / 4] |= u32::from(*byte) << (24 - i % 4 * 8);
    }
    let bits = (message.len() as u64).wrapping_mul(8);
    let end = words.len();
    words[end - 2] = (bits >> 32) as u32;
    words[end - 1] = bits as u32;
    let mut state = H::INITIAL;
    for block in words.chunks_exact(16) {
        H::compress(&mut state, block);
    }
    let mut out = Vec::with_capacity(H::WORDS * 4);
    for word in state.iter().take(H::WORDS) {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out
}

/// HMAC of `message` keyed with `key`.
pub fn hmac<H: Hash>(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        let key = digest::<H>(&[key]);
        block[..key.len()].copy_from_slice(&key);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let padded = |pad: u8| block.map(|b| b ^ pad);
    let inner = digest::<H>(&[&padded(0x36), message]);
    digest::<H>(&[&padded(0x5c), &inner])
}

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex(&[]), "");
    }
}

//! Hashes and MACs, in one place: SHA-256 and HMAC-SHA-256 (webhook signatures, signed
//! local URLs, dev tokens, fingerprints), and their hex form.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub type HmacSha256 = Hmac<Sha256>;

/// A MAC keyed with `key`, to `update` and `finalize` (or `verify_slice`).
#[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
pub fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// The HMAC-SHA-256 of `message` with `key`, in hex.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = hmac_sha256(key);
    mac.update(message);
    hex(&mac.finalize().into_bytes())
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        assert_eq!(
            hmac_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

//! `DB.password` encryption as the ZStack management server does it.
//!
//! Once the server has started it replaces the plaintext password in
//! zstack.properties by base64(AES-256-ECB(PKCS7, "crypt_key_for_v1::" +
//! password)), the key being the 32 ASCII bytes of the lowercase hex MD5 of
//! `ZStack open source`. The console must read both forms and, when it
//! changes the password, write the form the file already used.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit};
use base64::Engine as _;
use md5::{Digest, Md5};

use crate::secret::Secret;

/// Prefix of the plaintext before encryption.
pub const PLAIN_PREFIX: &str = "crypt_key_for_v1::";
const KEY_SEED: &str = "ZStack open source";

type Enc = ecb::Encryptor<aes::Aes256>;
type Dec = ecb::Decryptor<aes::Aes256>;

fn key() -> [u8; 32] {
    let digest = Md5::digest(KEY_SEED.as_bytes());
    let mut out = [0u8; 32];
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in digest.iter().enumerate() {
        out[2 * i] = HEX[(b >> 4) as usize];
        out[2 * i + 1] = HEX[(b & 15) as usize];
    }
    out
}

/// Encrypts `plain` into the form the server writes.
pub fn encrypt(plain: &Secret) -> String {
    let mut buf = zeroize::Zeroizing::new(Vec::with_capacity(PLAIN_PREFIX.len() + 64));
    buf.extend_from_slice(PLAIN_PREFIX.as_bytes());
    buf.extend_from_slice(plain.expose().as_bytes());
    let ct = Enc::new(&key().into()).encrypt_padded_vec_mut::<Pkcs7>(&buf);
    base64::engine::general_purpose::STANDARD.encode(ct)
}

/// Decrypts an encrypted value; `None` when `value` is not one (then it is
/// a plaintext password).
pub fn decrypt(value: &str) -> Option<Secret> {
    let ct = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    if ct.is_empty() || ct.len() % 16 != 0 {
        return None;
    }
    let pt = zeroize::Zeroizing::new(
        Dec::new(&key().into())
            .decrypt_padded_vec_mut::<Pkcs7>(&ct)
            .ok()?,
    );
    let text = std::str::from_utf8(&pt).ok()?;
    text.strip_prefix(PLAIN_PREFIX).map(Secret::from)
}

/// The password stored in a `DB.password` value, encrypted or not, and
/// whether it was encrypted.
pub fn read_password(value: &str) -> (Secret, bool) {
    match decrypt(value) {
        Some(s) => (s, true),
        None => (Secret::from(value.trim()), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_hex_md5() {
        // `printf 'ZStack open source' | md5sum`
        assert_eq!(&key(), b"c759180b8a5e3ab1fe32a0e803840751");
    }

    /// A vector made outside this code with the spec's algorithm:
    /// `printf 'crypt_key_for_v1::zstack.password' | openssl enc
    /// -aes-256-ecb -K $(printf c759...0751 | xxd -p -c 64) | base64`.
    const OPENSSL_VECTOR: &str = "REoVaLs+sSFz5WKl8KVzjPQOt0gyL7MpkkIx6PjNB6urlpkp4U1rQsDkHGekirfG";

    #[test]
    fn decrypts_openssl_vector() {
        assert_eq!(decrypt(OPENSSL_VECTOR).unwrap().expose(), "zstack.password");
        assert_eq!(encrypt(&Secret::from("zstack.password")), OPENSSL_VECTOR);
    }

    #[test]
    fn roundtrip() {
        let s = Secret::from("zstack.password");
        let enc = encrypt(&s);
        assert_ne!(enc, "zstack.password");
        assert_eq!(decrypt(&enc).unwrap().expose(), "zstack.password");
        let (p, was) = read_password(&enc);
        assert!(was);
        assert_eq!(p.expose(), "zstack.password");
    }

    #[test]
    fn plaintext_is_accepted() {
        for v in [
            "zstack.password",
            "abcdABCD",
            "",
            "QUJDREVGR0hJSktMTU5PUA==",
        ] {
            let (p, was) = read_password(v);
            assert!(!was, "{v}");
            assert_eq!(p.expose(), v);
        }
    }
}

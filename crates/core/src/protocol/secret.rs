//! Secrets: redacted wrappers, lookup hashes for high-entropy tokens, keyed
//! hashes for client secrets, derived refresh token successors,
//! constant-time comparison.

use aws_lc_rs::{aead, digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

/// A string that must never be printed: `Debug` and `Display` show `<redacted>`.
#[derive(Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

/// The storage key of a high-entropy value (code, token, session id): its
/// SHA-256, base64url. A database dump then holds nothing usable. No salt or
/// slow hash is needed because the values carry ≥128 random bits.
pub fn lookup_hash(value: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, value.as_bytes()))
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

const CLIENT_SECRET_PREFIX: &str = "hmac-sha256$";

/// Keyed hash of a machine-generated client secret: HMAC-SHA256 under the
/// installation's secret key. It verifies in about a microsecond, unlike a
/// password hash (which is what limits other servers' client_credentials
/// throughput), and a stolen database without the key is useless.
#[derive(Clone)]
pub struct ClientSecretHasher {
    key: hmac::Key,
}

impl std::fmt::Debug for ClientSecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientSecretHasher(<redacted>)")
    }
}

impl ClientSecretHasher {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    pub fn hash(&self, secret: &str) -> String {
        let tag = hmac::sign(&self.key, secret.as_bytes());
        format!(
            "{CLIENT_SECRET_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// Constant-time check of `secret` against a stored [`Self::hash`].
    pub fn verify(&self, secret: &str, stored: &str) -> bool {
        let Some(encoded) = stored.strip_prefix(CLIENT_SECRET_PREFIX) else {
            return false;
        };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(encoded) else {
            return false;
        };
        hmac::verify(&self.key, secret.as_bytes(), &tag).is_ok()
    }
}

/// Derives the refresh token that replaces another: HMAC-SHA256 of the old
/// token's clear text under an installation key. Rotation is therefore a
/// function: every use of one token (a retry in the grace period, on any
/// instance) yields the same successor, so a family never forks, and no
/// clear text has to be stored to answer a retry. Without the key, neither
/// the old token nor its lookup hash (all a database holds) tells the
/// successor.
#[derive(Clone)]
pub struct SuccessorKey {
    key: hmac::Key,
}

impl std::fmt::Debug for SuccessorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SuccessorKey(<redacted>)")
    }
}

impl SuccessorKey {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// The successor of `token`: 32 bytes, base64url like a random token.
    pub fn successor(&self, token: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, token.as_bytes()).as_ref())
    }
}

/// An HMAC key that signs what Portico hands to the browser to hand back
/// (the form_post relay, [`crate::endpoints::authorize::relay`]); verification is
/// constant-time.
#[derive(Clone)]
pub struct MacKey {
    key: hmac::Key,
}

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(<redacted>)")
    }
}

impl MacKey {
    pub fn new(key: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    pub fn sign(&self, message: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.key, message).as_ref())
    }

    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(signature)
            .is_ok_and(|tag| hmac::verify(&self.key, message, &tag).is_ok())
    }
}

/// Encryption of secrets kept at rest (authenticator app secrets):
/// AES-256-GCM under an installation key, a fresh random nonce per value.
/// A database dump without the key reveals nothing, and a value moved to
/// another record (`context` differs) or altered does not open.
pub struct SealingKey {
    key: aead::LessSafeKey,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(<redacted>)")
    }
}

impl SealingKey {
    /// `key`: 32 bytes or more (the first 32 are used). None when shorter.
    pub fn new(key: &[u8]) -> Option<Self> {
        let key = aead::UnboundKey::new(&aead::AES_256_GCM, key.get(..32)?).ok()?;
        Some(Self {
            key: aead::LessSafeKey::new(key),
        })
    }

    /// `plaintext` sealed with `nonce` (12 random bytes, never reused with
    /// this key), bound to `context`: base64url of nonce, ciphertext, tag.
    pub fn seal(&self, nonce: [u8; 12], context: &str, plaintext: &[u8]) -> Option<String> {
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(context.as_bytes()),
                &mut buf,
            )
            .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Some(URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext of a sealed value, if it was sealed with this key and
    /// `context` and is unaltered.
    pub fn open(&self, context: &str, sealed: &str) -> Option<Vec<u8>> {
        let raw = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let (nonce, rest) = raw.split_at_checked(12)?;
        let nonce = aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, aead::Aad::from(context.as_bytes()), &mut buf)
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "hunter22");
    }

    #[test]
    fn lookup_hash_is_stable_and_hides_the_value() {
        let h = lookup_hash("abc");
        assert_eq!(h, lookup_hash("abc"));
        assert_ne!(h, lookup_hash("abd"));
        assert!(!h.contains("abc"));
    }

    #[test]
    fn client_secret_hash_verifies_only_the_right_secret_and_key() {
        let h = ClientSecretHasher::new(b"k1");
        let stored = h.hash("s3cret");
        assert!(h.verify("s3cret", &stored));
        assert!(!h.verify("s3cres", &stored));
        assert!(!ClientSecretHasher::new(b"k2").verify("s3cret", &stored));
        assert!(!h.verify("s3cret", "plain"));
        assert!(!h.verify("s3cret", "hmac-sha256$!!"));
    }

    #[test]
    fn successors_are_stable_per_key_and_look_like_random_tokens() {
        let k = SuccessorKey::new(b"k1");
        let next = k.successor("rt1");
        assert_eq!(next, k.successor("rt1"));
        assert_eq!(next.len(), 43);
        assert_ne!(next, k.successor("rt2"));
        assert_ne!(next, SuccessorKey::new(b"k2").successor("rt1"));
        assert_ne!(next, lookup_hash("rt1"));
    }

    #[test]
    fn keyed_helpers_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", ClientSecretHasher::new(b"k1")),
            "ClientSecretHasher(<redacted>)"
        );
        assert_eq!(
            format!("{:?}", SuccessorKey::new(b"k1")),
            "SuccessorKey(<redacted>)"
        );
    }

    #[test]
    fn ct_eq_compares_content_and_length() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let k = SealingKey::new(&[1u8; 32]).unwrap();
        let sealed = k.seal([7u8; 12], "user-1", b"the totp secret").unwrap();
        assert!(!sealed.contains("totp"));
        assert_eq!(k.open("user-1", &sealed).unwrap(), b"the totp secret");
        assert_eq!(k.open("user-2", &sealed), None, "moved to another record");
        let other = SealingKey::new(&[2u8; 32]).unwrap();
        assert_eq!(other.open("user-1", &sealed), None, "another installation");
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            k.open("user-1", &URL_SAFE_NO_PAD.encode(bytes)),
            None,
            "altered"
        );
        assert_ne!(
            sealed,
            k.seal([8u8; 12], "user-1", b"the totp secret").unwrap()
        );
        assert!(SealingKey::new(&[0u8; 31]).is_none());
        assert!(!format!("{k:?}").contains('1'));
    }
}

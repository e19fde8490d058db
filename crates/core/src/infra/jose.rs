//! JWS signing and verification with Portico's own keys.
//!
//! Written by hand on purpose, and small: the JOSE crates available for
//! rustc 1.95 re-parse (and re-validate) the PKCS#8 private key on every
//! signature, which costs more than the signature itself on the token hot
//! path. Here the aws-lc key pairs are parsed once at start and kept. The
//! compact serialisation is only `b64(header).b64(payload).b64(sig)`; the
//! tests verify our tokens with an independent library (jsonwebtoken).

use crate::model::SigningKeyRecord;
use crate::model::UnixTime;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::types::SigningAlg;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

enum KeyInner {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A parsed signing key with its public half ready for verification.
pub struct SigningKey {
    pub kid: String,
    pub alg: SigningAlg,
    /// When it signs: from `signs_from`, until `signs_until` if set
    /// ([`SigningKeyRecord`]).
    pub signs_from: UnixTime,
    pub signs_until: Option<UnixTime>,
    inner: KeyInner,
    public: UnparsedPublicKey<Vec<u8>>,
    jwk: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("signs_from", &self.signs_from)
            .field("signs_until", &self.signs_until)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7638 thumbprint of the required public members, used as `kid`.
fn thumbprint(jwk_required_members: &Value) -> String {
    // serde_json's default map is ordered by key, which is the canonical
    // lexicographic order RFC 7638 requires.
    let canonical = jwk_required_members.to_string();
    b64(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()).as_ref())
}

impl SigningKey {
    /// Generate a fresh key and its storable record, signing from `now`.
    pub fn generate(alg: SigningAlg, now: UnixTime) -> Result<SigningKeyRecord> {
        let pkcs8 = match alg {
            SigningAlg::RS256 => {
                let kp =
                    RsaKeyPair::generate(KeySize::Rsa2048).map_err(OAuthError::server_error)?;
                let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp)
                    .map_err(OAuthError::server_error)?;
                der.as_ref().to_vec()
            }
            SigningAlg::ES256 => {
                let kp = EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(OAuthError::server_error)?;
                kp.to_pkcs8v1()
                    .map_err(OAuthError::server_error)?
                    .as_ref()
                    .to_vec()
            }
        };
        let parsed = Self::parse(alg, &pkcs8)?;
        Ok(SigningKeyRecord {
            kid: parsed.kid,
            alg: alg.as_str().to_owned(),
            private_pkcs8: pkcs8,
            created_at: now,
            signs_from: now,
            signs_until: None,
            retired_at: None,
        })
    }

    pub fn from_record(rec: &SigningKeyRecord) -> Result<Self> {
        let alg = SigningAlg::parse(&rec.alg)
            .ok_or_else(|| OAuthError::server_error("unknown key algorithm in store"))?;
        let mut key = Self::parse(alg, &rec.private_pkcs8)?;
        if key.kid != rec.kid {
            return Err(OAuthError::server_error(
                "stored key id does not match the key",
            ));
        }
        key.signs_from = rec.signs_from;
        key.signs_until = rec.signs_until;
        Ok(key)
    }

    fn parse(alg: SigningAlg, pkcs8: &[u8]) -> Result<Self> {
        match alg {
            SigningAlg::RS256 => {
                let kp = RsaKeyPair::from_pkcs8(pkcs8).map_err(OAuthError::server_error)?;
                let comps = RsaPublicKeyComponents::<Vec<u8>>::from(kp.public_key());
                let required = json!({"e": b64(&comps.e), "kty": "RSA", "n": b64(&comps.n)});
                let kid = thumbprint(&required);
                let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&comps.n), "e": b64(&comps.e)});
                let public = UnparsedPublicKey::new(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    kp.public_key().as_ref().to_vec(),
                );
                Ok(Self {
                    kid,
                    alg,
                    signs_from: 0,
                    signs_until: None,
                    inner: KeyInner::Rsa(kp),
                    public,
                    jwk,
                })
            }
            SigningAlg::ES256 => {
                let kp =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8)
                        .map_err(OAuthError::server_error)?;
                let point = kp.public_key().as_ref().to_vec();
                // Uncompressed SEC1 point: 0x04 || x (32) || y (32).
                if point.len() != 65 {
                    return Err(OAuthError::server_error(
                        "unexpected P-256 public key encoding",
                    ));
                }
                let (x, y) = (b64(&point[1..33]), b64(&point[33..65]));
                let required = json!({"crv": "P-256", "kty": "EC", "x": x, "y": y});
                let kid = thumbprint(&required);
                let jwk = json!({"kty": "EC", "use": "sig", "alg": "ES256", "kid": kid, "crv": "P-256", "x": x, "y": y});
                let public = UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point);
                Ok(Self {
                    kid,
                    alg,
                    signs_from: 0,
                    signs_until: None,
                    inner: KeyInner::Ec(kp),
                    public,
                    jwk,
                })
            }
        }
    }

    /// The public JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// Sign `claims` as a compact JWS with header `{alg, kid, typ}`.
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> Result<String> {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'a str,
            kid: &'a str,
            typ: &'a str,
        }
        let header = serde_json::to_vec(&Header {
            alg: self.alg.as_str(),
            kid: &self.kid,
            typ,
        })
        .map_err(OAuthError::server_error)?;
        let payload = serde_json::to_vec(claims).map_err(OAuthError::server_error)?;
        let mut out = String::with_capacity(header.len() * 2 + payload.len() * 2 + 400);
        URL_SAFE_NO_PAD.encode_string(&header, &mut out);
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut out);
        let rng = SystemRandom::new();
        let sig = match &self.inner {
            KeyInner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(&signature::RSA_PKCS1_SHA256, &rng, out.as_bytes(), &mut sig)
                    .map_err(OAuthError::server_error)?;
                sig
            }
            KeyInner::Ec(kp) => kp
                .sign(&rng, out.as_bytes())
                .map_err(OAuthError::server_error)?
                .as_ref()
                .to_vec(),
        };
        out.push('.');
        URL_SAFE_NO_PAD.encode_string(&sig, &mut out);
        Ok(out)
    }

    fn verify_signature(&self, signing_input: &[u8], sig: &[u8]) -> bool {
        self.public.verify(signing_input, sig).is_ok()
    }
}

/// Seconds `/jwks.json` may be cached (its `Cache-Control: max-age`).
pub const JWKS_MAX_AGE: i64 = 300;
/// Seconds between an instance's reloads of the key set from the store:
/// a rotation made elsewhere is seen within this long.
pub const KEY_REFRESH: i64 = 60;
/// Seconds of clock difference tolerated between us and relying parties.
pub const VERIFY_LEEWAY: i64 = 60;

/// Portico's key set: the unretired keys of both algorithms, each used by
/// time. For each alg one key signs (the newest whose `signs_from` has
/// come); a superseded key stays published and verifying for
/// `verify_grace` after it stopped signing, so every token it signed
/// expires before it goes, and JWKS caches have let it go by then too.
#[derive(Debug)]
pub struct KeySet {
    keys: Vec<SigningKey>,
    verify_grace: i64,
}

/// Why a token did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unverified {
    /// Well formed, but no key of ours (here, and not past its window) has
    /// its kid: a key rotated in elsewhere, or a retired one.
    UnknownKey,
    /// Malformed, or the signature does not match.
    Invalid,
}

impl std::fmt::Display for Unverified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnknownKey => "the token's key is unknown",
            Self::Invalid => "the token is malformed or its signature is invalid",
        })
    }
}

impl From<Unverified> for OAuthError {
    fn from(u: Unverified) -> Self {
        OAuthError::invalid_token(u.to_string())
    }
}

/// A verified token's header fields and claims.
#[derive(Debug, Clone)]
pub struct Verified {
    pub typ: Option<String>,
    pub claims: serde_json::Map<String, Value>,
}

impl KeySet {
    /// `verify_grace`: seconds a key keeps verifying after it stopped
    /// signing ([`crate::infra::provider::ProviderConfig::key_verify_grace`]).
    pub fn new(keys: Vec<SigningKey>, verify_grace: i64) -> Self {
        Self { keys, verify_grace }
    }

    /// The key that signs tokens of `alg` at `now`: of the keys whose
    /// signing time has come and not passed, the newest.
    pub fn key(&self, alg: SigningAlg, now: UnixTime) -> Result<&SigningKey> {
        self.keys
            .iter()
            .filter(|k| {
                k.alg == alg && k.signs_from <= now && k.signs_until.is_none_or(|u| now < u)
            })
            .max_by_key(|k| k.signs_from)
            .ok_or_else(|| OAuthError::server_error("no key for the algorithm"))
    }

    /// Whether `k` still verifies at `now`. Computed here from the current
    /// configuration rather than stored, so a longer token lifetime set
    /// later keeps old keys longer; it holds even when no sweeper runs.
    fn verifies(&self, k: &SigningKey, now: UnixTime) -> bool {
        k.signs_until
            .is_none_or(|u| now < u.saturating_add(self.verify_grace))
    }

    /// The keys published at `now`: every key that verifies, keys waiting
    /// to sign included (so caches know them before the first token).
    pub fn jwks(&self, now: UnixTime) -> Value {
        let keys: Vec<_> = self
            .keys
            .iter()
            .filter(|k| self.verifies(k, now))
            .map(|k| k.jwk.clone())
            .collect();
        json!({ "keys": keys })
    }

    /// The kids of every key held (published or not), oldest first per alg.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }

    /// [`Self::check`] as an `invalid_token` error.
    pub fn verify(&self, token: &str, now: UnixTime) -> Result<Verified> {
        Ok(self.check(token, now)?)
    }

    /// Verify a compact JWS signed by one of our keys that verifies at
    /// `now`, found by kid. Only the signature and structure are checked
    /// here; claims are checked by the caller.
    pub fn check(&self, token: &str, now: UnixTime) -> std::result::Result<Verified, Unverified> {
        let bad = || Unverified::Invalid;
        // Bound the work an attacker can make us do.
        if token.len() > 16 * 1024 {
            return Err(bad());
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let header: serde_json::Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|_| bad())?)
                .map_err(|_| bad())?;
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(SigningAlg::parse)
            .ok_or_else(bad)?;
        let kid = header.get("kid").and_then(Value::as_str).ok_or_else(bad)?;
        if header.contains_key("crit") {
            return Err(bad());
        }
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == kid && k.alg == alg && self.verifies(k, now))
            .ok_or(Unverified::UnknownKey)?;
        let sig = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let signing_input_len = h.len() + 1 + p.len();
        if !key.verify_signature(&token.as_bytes()[..signing_input_len], &sig) {
            return Err(bad());
        }
        let claims: serde_json::Map<String, Value> =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).map_err(|_| bad())?)
                .map_err(|_| bad())?;
        Ok(Verified {
            typ: header.get("typ").and_then(Value::as_str).map(str::to_owned),
            claims,
        })
    }
}

/// OIDC Core §3.1.3.6 at_hash / c_hash: the left half of SHA-256 of the
/// ASCII value, base64url (both RS256 and ES256 use SHA-256).
pub fn half_hash(value: &str) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    b64(&d.as_ref()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyset() -> KeySet {
        let rs =
            SigningKey::from_record(&SigningKey::generate(SigningAlg::RS256, 0).unwrap()).unwrap();
        let es =
            SigningKey::from_record(&SigningKey::generate(SigningAlg::ES256, 0).unwrap()).unwrap();
        KeySet::new(vec![rs, es], 0)
    }

    #[test]
    fn sign_then_verify_round_trips_for_both_algorithms() {
        let ks = keyset();
        for alg in [SigningAlg::RS256, SigningAlg::ES256] {
            let t = ks
                .key(alg, 0)
                .unwrap()
                .sign("JWT", &json!({"sub": "u1"}))
                .unwrap();
            let v = ks.verify(&t, 0).unwrap();
            assert_eq!(v.claims.get("sub").and_then(Value::as_str), Some("u1"));
            assert_eq!(v.typ.as_deref(), Some("JWT"));
        }
    }

    #[test]
    fn tampered_tokens_are_rejected() {
        let ks = keyset();
        let t = ks
            .key(SigningAlg::ES256, 0)
            .unwrap()
            .sign("JWT", &json!({"sub": "u1"}))
            .unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let forged_payload = b64(br#"{"sub":"admin"}"#);
        let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert!(ks.verify(&forged, 0).is_err());
        assert!(ks.verify("a.b", 0).is_err());
        assert!(ks.verify("a.b.c.d", 0).is_err());
        assert!(ks.verify("", 0).is_err());
    }

    #[test]
    fn alg_none_and_foreign_keys_are_rejected() {
        let ks = keyset();
        let header = b64(br#"{"alg":"none","kid":"x"}"#);
        let none = format!("{header}.{}.", b64(br#"{"sub":"u"}"#));
        assert!(ks.verify(&none, 0).is_err());
        let other = keyset();
        let t = other
            .key(SigningAlg::RS256, 0)
            .unwrap()
            .sign("JWT", &json!({"sub": "u1"}))
            .unwrap();
        assert!(ks.verify(&t, 0).is_err());
    }

    #[test]
    fn a_key_survives_its_record() {
        let rec = SigningKey::generate(SigningAlg::ES256, 5).unwrap();
        let k1 = SigningKey::from_record(&rec).unwrap();
        let k2 = SigningKey::from_record(&rec).unwrap();
        assert_eq!(k1.kid, k2.kid);
        assert_eq!(k1.jwk(), k2.jwk());
        let mut wrong = rec.clone();
        wrong.kid = "other".into();
        assert!(SigningKey::from_record(&wrong).is_err());
    }

    fn key_at(alg: SigningAlg, from: UnixTime, until: Option<UnixTime>) -> SigningKey {
        let rec = SigningKeyRecord {
            signs_from: from,
            signs_until: until,
            ..SigningKey::generate(alg, 0).unwrap()
        };
        SigningKey::from_record(&rec).unwrap()
    }

    #[test]
    fn each_alg_signs_with_its_newest_started_key_and_old_ones_verify_for_the_grace() {
        let old = key_at(SigningAlg::ES256, 0, Some(100));
        let new = key_at(SigningAlg::ES256, 100, None);
        let rs = key_at(SigningAlg::RS256, 0, None);
        let (old_kid, new_kid) = (old.kid.clone(), new.kid.clone());
        let ks = KeySet::new(vec![old, new, rs], 50);
        assert_eq!(ks.key(SigningAlg::ES256, 99).unwrap().kid, old_kid);
        assert_eq!(ks.key(SigningAlg::ES256, 100).unwrap().kid, new_kid);
        let t = ks
            .key(SigningAlg::ES256, 99)
            .unwrap()
            .sign("JWT", &json!({}))
            .unwrap();
        let published = |now| {
            ks.jwks(now)["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        // Published (and verifying) before it signs and until 100 + 50.
        assert!(published(0).contains(&new_kid));
        assert!(published(149).contains(&old_kid));
        assert!(ks.check(&t, 149).is_ok());
        assert!(!published(150).contains(&old_kid));
        assert_eq!(published(150).len(), 2);
        assert_eq!(ks.check(&t, 150).unwrap_err(), Unverified::UnknownKey);
        let mut forged = t.clone();
        forged.push('A');
        assert_eq!(ks.check(&forged, 10).unwrap_err(), Unverified::Invalid);
    }

    #[test]
    fn half_hash_matches_oidc_example() {
        // OIDC Core A.3 example: access token and its at_hash (RS256).
        assert_eq!(
            half_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}

//! PKCE (RFC 7636).

use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::ct_eq;
use crate::protocol::types::PkceMethod;
use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]. Challenges use the
/// same alphabet (S256 challenges are exactly 43 characters).
fn is_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

pub fn parse_method(m: Option<&str>) -> Result<PkceMethod> {
    match m {
        // RFC 7636 §4.3: absent means plain.
        None | Some("plain") => Ok(PkceMethod::Plain),
        Some("S256") => Ok(PkceMethod::S256),
        Some(_) => Err(OAuthError::invalid_request(
            "code_challenge_method must be S256 or plain",
        )),
    }
}

/// Validate a challenge at the authorization endpoint.
pub fn validate_challenge(challenge: &str, method: PkceMethod) -> Result<()> {
    let ok = match method {
        PkceMethod::S256 => challenge.len() == 43 && is_pkce_string(challenge),
        PkceMethod::Plain => is_pkce_string(challenge),
    };
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "code_challenge is malformed (RFC 7636 section 4.2)",
        ))
    }
}

/// Check a verifier against the stored challenge, in constant time.
pub fn verify(verifier: &str, challenge: &str, method: PkceMethod) -> bool {
    if !is_pkce_string(verifier) {
        return false;
    }
    match method {
        PkceMethod::S256 => {
            let computed =
                URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
            ct_eq(computed.as_bytes(), challenge.as_bytes())
        }
        PkceMethod::Plain => ct_eq(verifier.as_bytes(), challenge.as_bytes()),
    }
}

/// The S256 challenge of a verifier (for clients and tests).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert!(verify(VERIFIER, CHALLENGE, PkceMethod::S256));
    }

    #[test]
    fn wrong_verifier_fails() {
        let other = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert!(!verify(other, CHALLENGE, PkceMethod::S256));
    }

    #[test]
    fn plain_compares_directly() {
        assert!(verify(VERIFIER, VERIFIER, PkceMethod::Plain));
        assert!(!verify(VERIFIER, CHALLENGE, PkceMethod::Plain));
    }

    #[test]
    fn short_or_bad_verifiers_fail() {
        assert!(!verify("short", "short", PkceMethod::Plain));
        let bad = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX!";
        assert!(!verify(bad, bad, PkceMethod::Plain));
    }

    #[test]
    fn methods_parse() {
        assert_eq!(parse_method(None).unwrap(), PkceMethod::Plain);
        assert_eq!(parse_method(Some("S256")).unwrap(), PkceMethod::S256);
        assert!(parse_method(Some("s256")).is_err());
    }

    #[test]
    fn challenges_are_validated() {
        assert!(validate_challenge(CHALLENGE, PkceMethod::S256).is_ok());
        assert!(validate_challenge("abc", PkceMethod::S256).is_err());
        assert!(validate_challenge(&"a".repeat(129), PkceMethod::Plain).is_err());
    }
}

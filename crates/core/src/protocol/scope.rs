//! Scope parsing. DruID carries the entrypoint id in `scope` beside the
//! OIDC scopes, so every scope token is one of: a scope the client may ask
//! for, or the id of an entrypoint.

use crate::protocol::error::{OAuthError, Result};

pub const OPENID: &str = "openid";
pub const PROFILE: &str = "profile";
pub const EMAIL: &str = "email";
pub const PHONE: &str = "phone";
pub const OFFLINE_ACCESS: &str = "offline_access";
/// The scopes Portico itself understands.
pub const STANDARD_SCOPES: [&str; 5] = [OPENID, PROFILE, EMAIL, PHONE, OFFLINE_ACCESS];
/// The entrypoint used when the scope names none.
pub const DEFAULT_ENTRYPOINT: &str = "default";

/// A scope in plain words, for the consent screen.
pub fn describe(scope: &str) -> String {
    match scope {
        OPENID => "Know who you are when you sign in".into(),
        PROFILE => "See your name and profile details".into(),
        EMAIL => "See your email address".into(),
        PHONE => "See your phone number".into(),
        OFFLINE_ACCESS => "Stay connected when you are not using it".into(),
        other => format!("Use the permission \u{201c}{other}\u{201d}"),
    }
}

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
fn is_scope_token(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// Split a scope string into its tokens, deduplicated, in order.
/// Rejects characters RFC 6749 does not allow.
pub fn tokens(scope: Option<&str>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in scope.unwrap_or("").split(' ').filter(|t| !t.is_empty()) {
        if !is_scope_token(t) {
            return Err(OAuthError::invalid_scope(
                "the scope contains characters RFC 6749 does not allow",
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

pub fn join(scopes: &[String]) -> String {
    scopes.join(" ")
}

pub fn contains(scopes: &[String], s: &str) -> bool {
    scopes.iter().any(|x| x == s)
}

/// The scope tokens after sorting them into client scopes and an entrypoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub scopes: Vec<String>,
    pub entrypoint: Option<String>,
}

/// Sort `tokens` into scopes the client may ask for and at most one
/// entrypoint. `is_entrypoint` tells whether a token names an entrypoint.
/// Errors are `invalid_scope`.
pub fn classify(
    tokens: Vec<String>,
    allowed: &[String],
    is_entrypoint: impl Fn(&str) -> bool,
) -> Result<Classified> {
    let mut scopes = Vec::new();
    let mut entrypoint: Option<String> = None;
    for t in tokens {
        if contains(allowed, &t) {
            scopes.push(t);
        } else if STANDARD_SCOPES.contains(&t.as_str()) {
            return Err(OAuthError::invalid_scope(format!(
                "the client may not ask for the scope {t}"
            )));
        } else if is_entrypoint(&t) {
            if entrypoint.is_some() {
                return Err(OAuthError::invalid_scope(
                    "the scope names more than one entrypoint",
                ));
            }
            entrypoint = Some(t);
        } else {
            return Err(OAuthError::invalid_scope(format!(
                "unknown scope or entrypoint: {t}"
            )));
        }
    }
    Ok(Classified { scopes, entrypoint })
}

/// Scopes in plain words, for the consent screens.
pub(crate) fn scope_infos(scopes: &[String]) -> Vec<portico_api_types::ScopeInfo> {
    scopes
        .iter()
        .map(|s| portico_api_types::ScopeInfo {
            name: s.clone(),
            description: describe(s),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    fn allowed() -> Vec<String> {
        ["openid", "profile", "email", "offline_access"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn tokens_split_and_dedupe() {
        assert_eq!(
            tokens(Some("openid  email openid")).unwrap(),
            vec!["openid", "email"]
        );
        assert!(tokens(None).unwrap().is_empty());
    }

    #[test]
    fn tokens_reject_forbidden_characters() {
        assert_eq!(
            tokens(Some("open\"id")).unwrap_err().code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            tokens(Some("a\\b")).unwrap_err().code,
            ErrorCode::InvalidScope
        );
    }

    #[test]
    fn classify_finds_the_entrypoint() {
        let c = classify(tokens(Some("openid shop")).unwrap(), &allowed(), |t| {
            t == "shop"
        })
        .unwrap();
        assert_eq!(c.scopes, vec!["openid"]);
        assert_eq!(c.entrypoint.as_deref(), Some("shop"));
    }

    #[test]
    fn classify_rejects_unknown_tokens() {
        let e = classify(tokens(Some("openid nope")).unwrap(), &allowed(), |_| false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn classify_rejects_two_entrypoints() {
        let e = classify(tokens(Some("a b")).unwrap(), &allowed(), |_| true).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn classify_rejects_standard_scopes_the_client_may_not_use() {
        let only_openid = vec!["openid".to_owned()];
        let e = classify(
            tokens(Some("openid offline_access")).unwrap(),
            &only_openid,
            |_| true,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }
}

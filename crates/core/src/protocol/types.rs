//! The typed vocabulary of the specs, parsed once at the edge.

use serde::{Deserialize, Serialize};

/// The grant types of the token endpoint (RFC 6749 §4, RFC 8628 §3.4),
/// parsed once from the request; the endpoint matches on it exhaustively,
/// so a new grant cannot be half wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    Password,
    DeviceCode,
}

impl GrantType {
    pub const ALL: [Self; 5] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::DeviceCode,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

pub const GRANT_AUTHORIZATION_CODE: &str = GrantType::AuthorizationCode.as_str();
pub const GRANT_REFRESH_TOKEN: &str = GrantType::RefreshToken.as_str();
pub const GRANT_CLIENT_CREDENTIALS: &str = GrantType::ClientCredentials.as_str();
pub const GRANT_PASSWORD: &str = GrantType::Password.as_str();
/// RFC 8628 §3.4.
pub const GRANT_DEVICE_CODE: &str = GrantType::DeviceCode.as_str();

/// How the authorization response travels (OAuth 2.0 Multiple Response
/// Type Encoding Practices; Form Post Response Mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    #[default]
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "query" => Some(Self::Query),
            "fragment" => Some(Self::Fragment),
            "form_post" => Some(Self::FormPost),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PkceMethod {
    S256,
    #[serde(rename = "plain")]
    Plain,
}

/// OIDC Core §3.1.2.1 `prompt` values, parsed once at the authorization
/// endpoint (stored as the same words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
    /// OIDC Prompt Create 1.0: start on the sign-up screen.
    Create,
}

impl Prompt {
    pub const ALL: [Self; 5] = [
        Self::None,
        Self::Login,
        Self::Consent,
        Self::SelectAccount,
        Self::Create,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::SelectAccount => "select_account",
            Self::Create => "create",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// The response types Portico answers, normalised (OIDC Core §3: code,
/// implicit and hybrid flows).
pub const RESPONSE_TYPES: [&str; 7] = [
    "code",
    "token",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];

/// The authentication contexts Portico can achieve, weakest first: "0" an
/// existing session was reused, "1" the user typed credentials for this
/// very request. The acr claim always says which one happened.
pub const ACR_VALUES: [&str; 2] = ["0", "1"];

/// `response_type` with its values in the canonical order (code, id_token,
/// token), or None for anything Portico does not answer. Order does not
/// matter on the wire (OAuth 2.0 Multiple Response Types §3).
pub fn normalize_response_type(rt: &str) -> Option<String> {
    let mut parts: Vec<&str> = rt.split(' ').filter(|s| !s.is_empty()).collect();
    let rank = |s: &str| ["code", "id_token", "token"].iter().position(|x| *x == s);
    if parts.iter().any(|s| rank(s).is_none()) {
        return None;
    }
    parts.sort_by_key(|s| rank(s));
    let before = parts.len();
    parts.dedup();
    if parts.len() != before {
        return None;
    }
    let n = parts.join(" ");
    RESPONSE_TYPES.contains(&n.as_str()).then_some(n)
}

/// The JWS algorithms Portico signs with (RFC 7518 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "RS256" => Some(Self::RS256),
            "ES256" => Some(Self::ES256),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_stored_as_their_words_so_older_rows_still_load() {
        for p in Prompt::ALL {
            assert_eq!(Prompt::parse(p.as_str()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        let stored: Vec<Prompt> = serde_json::from_str(r#"["login","select_account"]"#).unwrap();
        assert_eq!(stored, [Prompt::Login, Prompt::SelectAccount]);
        assert_eq!(Prompt::parse("Login"), None);
    }

    #[test]
    fn grant_types_parse_back_to_themselves_and_nothing_else() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
        }
        assert_eq!(
            GrantType::parse("implicit"),
            None,
            "not a token endpoint grant"
        );
        assert_eq!(GrantType::parse("Password"), None);
    }
}

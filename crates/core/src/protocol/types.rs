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

/// The response types Portico answers (OIDC Core §3: the code, implicit
/// and hybrid flows). Parsed once at the edge, in any order (OAuth 2.0
/// Multiple Response Type Encoding Practices §3); stored and shown in the
/// canonical order code, id_token, token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
    IdToken,
    IdTokenToken,
    CodeIdToken,
    CodeToken,
    CodeIdTokenToken,
}

impl ResponseType {
    pub const ALL: [Self; 7] = [
        Self::Code,
        Self::Token,
        Self::IdToken,
        Self::IdTokenToken,
        Self::CodeIdToken,
        Self::CodeToken,
        Self::CodeIdTokenToken,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Token => "token",
            Self::IdToken => "id_token",
            Self::IdTokenToken => "id_token token",
            Self::CodeIdToken => "code id_token",
            Self::CodeToken => "code token",
            Self::CodeIdTokenToken => "code id_token token",
        }
    }

    /// The space-separated values in any order, each at most once; None for
    /// anything Portico does not answer.
    pub fn parse(rt: &str) -> Option<Self> {
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
        let canonical = parts.join(" ");
        Self::ALL.into_iter().find(|r| r.as_str() == canonical)
    }

    /// An authorization code is returned.
    pub fn has_code(self) -> bool {
        matches!(
            self,
            Self::Code | Self::CodeIdToken | Self::CodeToken | Self::CodeIdTokenToken
        )
    }

    /// An id_token is returned from the authorization endpoint.
    pub fn has_id_token(self) -> bool {
        matches!(
            self,
            Self::IdToken | Self::IdTokenToken | Self::CodeIdToken | Self::CodeIdTokenToken
        )
    }

    /// An access token is returned from the authorization endpoint.
    pub fn has_token(self) -> bool {
        matches!(
            self,
            Self::Token | Self::IdTokenToken | Self::CodeToken | Self::CodeIdTokenToken
        )
    }

    /// Where the response goes when the client names no response_mode:
    /// the fragment whenever a token or id_token is returned, the query for
    /// a code alone.
    pub fn default_mode(self) -> ResponseMode {
        if self == Self::Code {
            ResponseMode::Query
        } else {
            ResponseMode::Fragment
        }
    }
}

/// Stored as its words, so records written before the enum still load.
impl Serialize for ResponseType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResponseType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown response_type {s:?}")))
    }
}

/// The authentication contexts Portico can achieve, weakest first: "0" an
/// existing session was reused, "1" the user typed credentials for this
/// very request, [`ACR_MFA`] the session was authenticated with two factors
/// (password and authenticator app or recovery code) or a passkey with
/// user verification. The acr claim always says which one happened.
pub const ACR_VALUES: [&str; 3] = ["0", "1", ACR_MFA];

/// The acr of a multi-factor session. Asked for in `acr_values`, it makes
/// a session without a second factor step up before the request completes.
pub const ACR_MFA: &str = "urn:portico:acr:mfa";

/// Authentication method references (RFC 8176 §2).
pub mod amr {
    /// A password.
    pub const PWD: &str = "pwd";
    /// A one-time password: an authenticator app's code or a recovery code.
    pub const OTP: &str = "otp";
    /// Proof of possession of a software-secured key (a passkey: Portico
    /// asks for no attestation, so it cannot claim hardware).
    pub const SWK: &str = "swk";
    /// User presence and verification by the authenticator.
    pub const USER: &str = "user";
    /// More than one factor.
    pub const MFA: &str = "mfa";

    /// Whether `amr` records a multi-factor authentication.
    pub fn is_mfa(amr: &[String]) -> bool {
        amr.iter().any(|m| m == MFA)
    }

    /// The acr a session with `amr` achieved, `fresh` when the user
    /// authenticated for this very request.
    pub fn acr(amr: &[String], fresh: bool) -> &'static str {
        if is_mfa(amr) {
            super::ACR_MFA
        } else if fresh {
            "1"
        } else {
            "0"
        }
    }
}

/// The JWS algorithms Portico signs with (RFC 7518 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
}

impl SigningAlg {
    pub const ALL: [Self; 2] = [Self::RS256, Self::ES256];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
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
    fn response_types_parse_in_any_order_each_value_once() {
        for r in ResponseType::ALL {
            assert_eq!(ResponseType::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(
            ResponseType::parse("token id_token code"),
            Some(ResponseType::CodeIdTokenToken)
        );
        assert_eq!(
            ResponseType::parse(" token  code "),
            Some(ResponseType::CodeToken)
        );
        assert_eq!(ResponseType::parse("code code"), None);
        assert_eq!(ResponseType::parse("none"), None);
        assert_eq!(ResponseType::parse(""), None);
        assert_eq!(ResponseType::parse("Code"), None);
        // A client stored with the words in another order still loads.
        let stored: Vec<ResponseType> = serde_json::from_str(r#"["id_token code"]"#).unwrap();
        assert_eq!(stored, [ResponseType::CodeIdToken]);
        assert!(serde_json::from_str::<ResponseType>(r#""code none""#).is_err());
    }

    #[test]
    fn what_each_response_type_returns_and_where() {
        for r in ResponseType::ALL {
            let words: Vec<&str> = r.as_str().split(' ').collect();
            assert_eq!(r.has_code(), words.contains(&"code"), "{r:?}");
            assert_eq!(r.has_id_token(), words.contains(&"id_token"), "{r:?}");
            assert_eq!(r.has_token(), words.contains(&"token"), "{r:?}");
            let query = r == ResponseType::Code;
            assert_eq!(r.default_mode() == ResponseMode::Query, query, "{r:?}");
        }
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

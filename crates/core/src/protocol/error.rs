//! The error codes of RFC 6749 (§4.1.2.1, §5.2), RFC 6750, OIDC Core §3.1.2.6
//! and the DruID seed, and the error type every core operation returns.

use std::borrow::Cow;
use std::fmt;

/// An OAuth 2.0 / OIDC error code, spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    /// DruID: the redirect_uri is not registered for the client (never redirected).
    RedirectUriMismatch,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6: the request_uri is unknown, expired or used.
    InvalidRequestUri,
    /// RFC 6750 §3.1
    InvalidToken,
    /// RFC 6750 §3.1
    InsufficientScope,
    /// RFC 8628 §3.5: the user has not finished yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: poll less often (the interval grew by 5 seconds).
    SlowDown,
    /// RFC 8628 §3.5: the device_code expired.
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::RedirectUriMismatch => "redirect_uri_mismatch",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::InteractionRequired => "interaction_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidRequestUri => "invalid_request_uri",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with its RFC code and a description safe to show to the client
/// (never a secret, code or token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: ErrorCode,
    /// Private so that every description passes through [`clean`].
    description: Cow<'static, str>,
    /// Seconds the caller must wait before trying again (a lockout); sent
    /// as `Retry-After`.
    pub retry_after: Option<i64>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: clean(description.into()),
            retry_after: None,
        }
    }
    /// The `error_description`: only the characters RFC 6749 §5.2 allows,
    /// at most [`MAX_DESCRIPTION`] of them.
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The same error, telling the caller to wait `secs` seconds.
    #[must_use]
    /// The server's failure, not the request's: an internal error or a
    /// database that cannot be reached. Never to be turned into "invalid",
    /// "not found" or "inactive".
    pub fn is_ours(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
        )
    }

    pub fn retry_after(mut self, secs: i64) -> Self {
        self.retry_after = Some(secs);
        self
    }
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn access_denied(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::AccessDenied, d)
    }
    pub fn unauthorized_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, d)
    }
    /// An internal failure. The detail is logged; the client only learns that
    /// the server failed.
    pub fn server_error(detail: impl fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }
}

/// The longest `error_description` sent; anything longer is cut.
pub const MAX_DESCRIPTION: usize = 200;

/// RFC 6749 §5.2: error-description = 1*( %x20-21 / %x23-5B / %x5D-7E ),
/// printable ASCII without `"` and `\`.
fn is_description_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// A description RFC 6749 allows. Some descriptions repeat what the client
/// sent (a parameter name, a prompt value), and the same text reaches JSON,
/// redirect URIs, `WWW-Authenticate` headers and the error screen, so it is
/// made safe here, once, for every error: each other character becomes `?`
/// and a long text is cut, ending in `...`.
fn clean(d: Cow<'static, str>) -> Cow<'static, str> {
    if d.len() <= MAX_DESCRIPTION && d.chars().all(is_description_char) {
        return d;
    }
    let long = d.chars().count() > MAX_DESCRIPTION;
    let keep = if long {
        MAX_DESCRIPTION - 3
    } else {
        MAX_DESCRIPTION
    };
    let mut out: String = d
        .chars()
        .take(keep)
        .map(|c| if is_description_char(c) { c } else { '?' })
        .collect();
    if long {
        out.push_str("...");
    }
    Cow::Owned(out)
}

pub type Result<T, E = OAuthError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_input_never_reaches_the_description() {
        let e = OAuthError::invalid_request(format!(
            "unknown prompt value {}",
            "a\"b\\c\nd\r\te<script>alert(1)</script>\u{e9}\u{202e}\u{0}"
        ));
        assert_eq!(
            e.description(),
            "unknown prompt value a?b?c?d??e<script>alert(1)</script>???"
        );
        assert_eq!(
            e.to_string(),
            format!("invalid_request: {}", e.description())
        );
    }

    #[test]
    fn clean_descriptions_are_kept_as_they_are() {
        let e =
            OAuthError::invalid_scope("the scope is not allowed: a!#$%&'()*+,-./:;<=>?@[]^_`{|}~");
        assert_eq!(
            e.description(),
            "the scope is not allowed: a!#$%&'()*+,-./:;<=>?@[]^_`{|}~"
        );
        assert!(matches!(e.description, Cow::Borrowed(_)));
    }

    #[test]
    fn long_descriptions_are_cut() {
        let e = OAuthError::invalid_request("x".repeat(5000));
        assert_eq!(e.description().len(), MAX_DESCRIPTION);
        assert!(e.description().ends_with("..."));
        let exact = OAuthError::invalid_request("y".repeat(MAX_DESCRIPTION));
        assert_eq!(exact.description(), "y".repeat(MAX_DESCRIPTION));
    }

    proptest! {
        /// Whatever goes in, only RFC 6749 §5.2 characters come out, and
        /// never more than the cap.
        #[test]
        fn every_description_is_rfc_6749_text(input in "\\PC{0,300}|[\\x00-\\x7f]{0,300}") {
            let e = OAuthError::invalid_request(input);
            prop_assert!(e.description().len() <= MAX_DESCRIPTION);
            prop_assert!(e.description().chars().all(is_description_char));
        }
    }
}

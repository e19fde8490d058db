//! The records Portico keeps. Times are Unix seconds.

use crate::protocol::types::{PkceMethod, Prompt, ResponseMode, ResponseType, SigningAlg};
use portico_api_types::XMethod;
use serde::{Deserialize, Serialize};

mod factors;
pub use factors::{Ceremony, CeremonyKind, Factor, FactorKind, FactorKindExt};

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

/// A registered client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// Keyed hash of the secret ([`crate::protocol::secret::ClientSecretHasher`]).
    /// `None` means a public client (no secret; PKCE S256 required).
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<ResponseType>,
    /// Scopes the client may ask for (OIDC scopes; entrypoints are separate).
    pub scopes: Vec<String>,
    /// First-party clients skip the consent screen.
    pub first_party: bool,
    /// `RS256` (default) or `ES256`.
    pub id_token_signed_response_alg: Option<SigningAlg>,
    /// RFC 9126 §6: this client's authorization requests must be pushed.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Every sign-in for this client needs a second factor (or a passkey),
    /// whatever the entrypoint says.
    #[serde(default)]
    pub require_mfa: bool,
    /// Where RP-initiated logout may send the browser (matched exactly).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// RFC 7662: this client (a resource server) may call the introspection
    /// endpoint. Off unless configured: token metadata is for the servers
    /// that must check tokens, not for every app.
    #[serde(default)]
    pub introspection: bool,
    /// Created by `portico.toml`: disabled at start once the file no longer
    /// lists it. Clients saved before this field existed read as `false`.
    #[serde(default)]
    pub from_config: bool,
    /// Set while the client is disabled, saying who disabled it. A disabled
    /// client is treated as unknown everywhere ([`crate::Provider::client`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<DisabledBy>,
    /// Access tokens of this client issued (`iat`) before this time are
    /// dead, so the tokens it held before a disable (client_credentials
    /// ones have no grant to revoke) stay dead once it is enabled again.
    /// Set by [`crate::services::clients`]: past the second of the disable, then to
    /// the time of the enable (if later).
    #[serde(default)]
    pub tokens_not_before: UnixTime,
}

/// Who disabled a client: the difference decides whether listing it in
/// `portico.toml` again enables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisabledBy {
    /// `portico client disable`: only `portico client enable` undoes it.
    Admin,
    /// The config file stopped listing it: listing it again enables it.
    Config,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }
    pub fn is_disabled(&self) -> bool {
        self.disabled.is_some()
    }
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
}

/// An end user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The stable, opaque subject identifier (`sub`).
    pub id: String,
    /// Stored lower-cased.
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// As typed at sign-up, digits with an optional leading `+`.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// `YYYY-MM-DD` (the OIDC `birthdate` claim).
    #[serde(default)]
    pub birthdate: Option<String>,
    /// When the user accepted the entrypoint's terms at sign-up.
    #[serde(default)]
    pub terms_accepted_at: Option<UnixTime>,
    /// argon2id PHC string.
    pub password_hash: String,
    pub created_at: UnixTime,
    /// When the profile last changed (the `updated_at` claim).
    pub updated_at: UnixTime,
    /// Created by the person themselves at sign-up (not provisioned by
    /// the operator): such an account is never handed over to a
    /// provisioned person with the same email ([`crate::services::accounts`]).
    #[serde(default)]
    pub self_registered: bool,
    /// Set by an administrator: the account cannot sign in or get tokens
    /// ([`crate::services::accounts::usable`]) until enabled again.
    #[serde(default)]
    pub disabled_at: Option<UnixTime>,
}

/// An email as accounts are stored and looked up by: trimmed, lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

pub use portico_api_types::{Entrypoint, MfaPolicy};

/// A signed-in browser (SSO session). Stored by the hash of its cookie value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub auth_time: UnixTime,
    /// How the user authenticated (RFC 8176 values: `pwd`, `otp`, `swk`,
    /// `user`, `mfa`).
    pub amr: Vec<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("auth_time", &self.auth_time)
            .field("amr", &self.amr)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A validated authorization request waiting for the user (login, sign-up).
/// The browser only ever carries its opaque `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequest {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether redirect_uri was given (then the token request must repeat it).
    pub redirect_uri_given: bool,
    /// Normalised: the values of `response_type` in the order code,
    /// id_token, token, space separated.
    pub response_type: ResponseType,
    #[serde(default)]
    pub response_mode: ResponseMode,
    pub scopes: Vec<String>,
    pub entrypoint: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    pub x_method: XMethod,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<i64>,
    /// `acr_values`, in the client's order of preference.
    #[serde(default)]
    pub acr_values: Vec<String>,
    /// `ui_locales`, in the client's order of preference.
    #[serde(default)]
    pub ui_locales: Vec<String>,
    /// The session (its id hash) whose user typed their credentials for
    /// this very request: it satisfies prompt=login, max_age, reauthorize
    /// and acr "1" on later steps (consent) of the same request.
    #[serde(default)]
    pub login_session: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

/// What the user allowed one client: every token issued from one code (and
/// its refreshes) belongs to one grant, so revoking the grant kills them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub created_at: UnixTime,
    pub revoked_at: Option<UnixTime>,
    /// The SSO session (its id hash) the user gave this grant from, if
    /// any: signing out revokes the session's grants.
    #[serde(default)]
    pub session_id_hash: Option<String>,
}

/// An authorization code, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    pub code_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub user_id: String,
    pub session_id_hash: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<PkceMethod>,
    pub auth_time: UnixTime,
    /// The authentication context achieved ("0" SSO session, "1" credentials
    /// typed for this request).
    #[serde(default)]
    pub acr: Option<String>,
    /// The session's authentication methods (RFC 8176).
    #[serde(default)]
    pub amr: Vec<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for AuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCode")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A refresh token, stored by the hash of its value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_hash: String,
    pub grant_id: String,
    pub client_id: String,
    pub user_id: String,
    /// The scopes originally granted (a refresh may narrow, never widen).
    pub scopes: Vec<String>,
    pub auth_time: UnixTime,
    #[serde(default)]
    pub acr: Option<String>,
    #[serde(default)]
    pub amr: Vec<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshToken")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A signing key as stored: algorithm, key id, PKCS#8 private key and the
/// times that decide what it is used for. Keys are superseded by time, never
/// edited otherwise, so every instance that agrees on the clock agrees on
/// which key signs (see `services::keys`).
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub alg: String,
    /// Empty once the key is retired: nothing can sign with it again.
    pub private_pkcs8: Vec<u8>,
    pub created_at: UnixTime,
    /// The key signs from this time on (a rotated-in key is published
    /// before it signs, so caches of the JWKS learn it first).
    pub signs_from: UnixTime,
    /// Set when a successor is rotated in: the key signs until then and
    /// verifies for a while after. `None` is the current key of its alg.
    pub signs_until: Option<UnixTime>,
    /// When the key was retired: gone from the JWKS, private bytes erased.
    pub retired_at: Option<UnixTime>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Where a device authorization (RFC 8628) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Waiting for the user to enter the code.
    Pending,
    Approved,
    Denied,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// Who approved a device authorization, and the grant its tokens join.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceApproval {
    pub user_id: String,
    pub grant_id: String,
    pub auth_time: UnixTime,
    pub acr: Option<String>,
    pub amr: Vec<String>,
}

/// A device authorization request (RFC 8628 §3.1), stored by the hashes of
/// its device code (a lookup hash: 256 random bits) and of its user code (a
/// keyed hash: the user code has only about 34 bits).
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code_hash: String,
    pub user_code_hash: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub entrypoint: String,
    pub status: DeviceStatus,
    /// Set when the user allowed the device.
    pub approval: Option<DeviceApproval>,
    /// The polling interval the device must keep (grows on slow_down).
    pub interval: i64,
    pub last_polled_at: Option<UnixTime>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
    /// When the tokens were issued (the device code is then spent).
    pub used_at: Option<UnixTime>,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("client_id", &self.client_id)
            .field("status", &self.status)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A mail in the outbox. Its bodies may carry a link or a code: they are
/// forgotten once it is sent, and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: String,
    /// One address (`Name <addr>` is not used here: the bare address).
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub created_at: UnixTime,
    /// Sending attempts so far (counted when a sender claims the mail).
    pub attempts: i64,
    pub next_attempt_at: UnixTime,
}

impl std::fmt::Debug for OutboxMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMail")
            .field("id", &self.id)
            .field("recipient", &self.recipient)
            .field("subject", &self.subject)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// What a mailed token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTokenKind {
    /// Set a new password (the link of a reset mail).
    PasswordReset,
    /// Prove the address is the user's (the code and the link of a
    /// verification mail).
    VerifyEmail,
    /// Confirm a new address (the code mailed to it); the token's email is
    /// the new address.
    ChangeEmail,
    /// Put the old address back (the link mailed to it after a change);
    /// the token's email is the old address.
    UndoEmailChange,
}

impl EmailTokenKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
            Self::ChangeEmail => "change_email",
            Self::UndoEmailChange => "undo_email_change",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::PasswordReset,
            Self::VerifyEmail,
            Self::ChangeEmail,
            Self::UndoEmailChange,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A single-use token a mail carries, stored by hash.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailToken {
    pub token_hash: String,
    pub kind: EmailTokenKind,
    pub user_id: String,
    /// The address the mail went to: the token proves only that one.
    pub email: String,
    /// The authorization request to continue afterwards, if any.
    pub request_id: Option<String>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for EmailToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailToken")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A pushed authorization request (RFC 9126), stored by the hash of its
/// request_uri until it is used once or expires.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushedRequest {
    pub uri_hash: String,
    pub client_id: String,
    /// The authorization request parameters as pushed (client_id included,
    /// client credentials removed).
    pub params: Vec<(String, String)>,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for PushedRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushedRequest")
            .field("client_id", &self.client_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl AuthRequest {
    /// The acr the client prefers: the first of its acr_values Portico can
    /// achieve. Values Portico cannot achieve are ignored (acr_values is a
    /// voluntary request, OIDC Core §3.1.2.1); the claim then says what
    /// happened.
    pub fn wanted_acr(&self) -> Option<&str> {
        self.acr_values
            .iter()
            .map(String::as_str)
            .find(|v| crate::protocol::types::ACR_VALUES.contains(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Clients are stored as JSON: one saved before introspection and
    /// client disable existed loads as enabled, not from the config, and
    /// not allowed to introspect.
    #[test]
    fn clients_saved_before_disable_and_introspection_still_load() {
        let old = r#"{"id":"web","name":"Web","secret_hash":null,
            "redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code"],
            "response_types":["code"],"scopes":["openid"],"first_party":true,
            "id_token_signed_response_alg":null}"#;
        let c: Client = serde_json::from_str(old).unwrap();
        assert!(!c.introspection && !c.from_config && !c.is_disabled());
        assert_eq!(c.tokens_not_before, 0);
        let disabled = Client {
            disabled: Some(DisabledBy::Config),
            ..c
        };
        let json = serde_json::to_string(&disabled).unwrap();
        assert!(json.contains(r#""disabled":"config""#), "{json}");
        assert_eq!(serde_json::from_str::<Client>(&json).unwrap(), disabled);
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;
    use crate::protocol::secret::Secret;
    use crate::services::client_auth::{AuthMethod, PresentedCredentials};
    use crate::services::tokens::TokenResponse;

    /// Every type that holds a secret, a code, a token or a hash of one
    /// prints without it.
    #[test]
    fn debug_output_never_shows_secrets_codes_or_tokens() {
        let hidden = "SENSITIVE-VALUE";
        let shown = [
            format!("{:?}", Secret::new(hidden)),
            format!(
                "{:?}",
                PresentedCredentials {
                    client_id: "web".into(),
                    secret: Some(Secret::new(hidden)),
                    method: AuthMethod::ClientSecretBasic,
                }
            ),
            format!(
                "{:?}",
                TokenResponse {
                    access_token: hidden.into(),
                    token_type: "Bearer",
                    expires_in: 60,
                    scope: "openid".into(),
                    refresh_token: Some(hidden.into()),
                    id_token: Some(hidden.into()),
                }
            ),
            format!(
                "{:?}",
                User {
                    id: "u".into(),
                    email: "a@example.com".into(),
                    email_verified: false,
                    name: "A".into(),
                    given_name: None,
                    family_name: None,
                    phone_number: None,
                    birthdate: None,
                    terms_accepted_at: None,
                    password_hash: hidden.into(),
                    created_at: 0,
                    updated_at: 0,
                    self_registered: false,
                    disabled_at: None,
                }
            ),
            format!(
                "{:?}",
                Session {
                    id_hash: hidden.into(),
                    user_id: "u".into(),
                    auth_time: 0,
                    amr: vec!["pwd".into()],
                    created_at: 0,
                    expires_at: 0,
                }
            ),
            format!(
                "{:?}",
                AuthCode {
                    code_hash: hidden.into(),
                    grant_id: "g".into(),
                    client_id: "web".into(),
                    redirect_uri: "https://app.example/cb".into(),
                    redirect_uri_given: true,
                    user_id: "u".into(),
                    session_id_hash: hidden.into(),
                    scopes: vec![],
                    nonce: Some(hidden.into()),
                    code_challenge: Some(hidden.into()),
                    code_challenge_method: None,
                    auth_time: 0,
                    acr: None,
                    amr: vec![],
                    created_at: 0,
                    expires_at: 0,
                }
            ),
            format!(
                "{:?}",
                RefreshToken {
                    token_hash: hidden.into(),
                    grant_id: "g".into(),
                    client_id: "web".into(),
                    user_id: "u".into(),
                    scopes: vec![],
                    auth_time: 0,
                    acr: None,
                    amr: vec![],
                    created_at: 0,
                    expires_at: 0,
                }
            ),
            format!(
                "{:?}",
                SigningKeyRecord {
                    kid: "k".into(),
                    alg: "ES256".into(),
                    private_pkcs8: hidden.as_bytes().to_vec(),
                    created_at: 0,
                    signs_from: 0,
                    signs_until: None,
                    retired_at: None,
                }
            ),
            format!(
                "{:?}",
                PushedRequest {
                    uri_hash: hidden.into(),
                    client_id: "web".into(),
                    params: vec![("code_challenge".into(), hidden.into())],
                    created_at: 0,
                    expires_at: 0,
                }
            ),
            format!(
                "{:?}",
                crate::protocol::secret::ClientSecretHasher::new(hidden.as_bytes())
            ),
        ];
        for s in &shown {
            assert!(!s.contains(hidden), "{s}");
            assert!(!s.contains(&format!("{:?}", hidden.as_bytes())), "{s}");
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditEvent {
    LoginSucceeded,
    LoginFailed,
    /// Too many failures: a key is locked (the detail says which kind).
    LockedOut,
    SignedUp,
    SignedOut,
    ConsentGiven,
    ConsentDenied,
    /// x_method=reauthorize: the client's grants for the user are revoked
    /// until the user signs in and consents again.
    Reauthorized,
    TokensIssued,
    TokensRevoked,
    ClientAuthFailed,
    ClientCreated,
    ClientUpdated,
    /// A self-registered account removed because the operator provisioned
    /// its email (its grants revoked, its sessions ended).
    AccountReplaced,
    /// The client was disabled (its grants revoked with it).
    ClientDisabled,
    ClientEnabled,
    /// The client was deleted (its grants revoked and consents forgotten).
    ClientDeleted,
    /// A password reset link was mailed.
    PasswordResetRequested,
    /// The password was set with a reset link (sessions and grants ended).
    PasswordReset,
    /// The address was proven with a mailed code or link.
    EmailVerified,
    /// The address was changed (or the change undone from the old one).
    EmailChanged,
    /// A passkey or an authenticator app was added (the detail says which).
    FactorAdded,
    FactorRemoved,
    /// A wrong authentication code (app or recovery code).
    SecondFactorFailed,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesCreated,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed,
    /// The client got a new secret (the old one stopped working).
    ClientSecretRotated,
    /// An entrypoint was saved from the cockpit (created or changed).
    EntrypointSaved,
    /// A user was given a role (the detail says which).
    RoleGranted,
    RoleRevoked,
    /// A new signing key was rotated in (the detail names both kids and
    /// when the new one signs).
    KeyRotated,
    /// A signing key was retired before its time (an emergency).
    KeyRetired,
    /// An administrator made an account (with a password, or invited).
    UserCreated,
    /// An administrator disabled the account (its sessions and grants
    /// ended with it).
    UserDisabled,
    UserEnabled,
    /// An administrator cleared the account's lockouts.
    UserUnlocked,
    /// An administrator erased the account (its audit entries keep only
    /// the id).
    UserDeleted,
    /// An administrator ended the account's sessions and grants and, when
    /// mail is on, sent a reset link in place of the password.
    PasswordResetForced,
    /// An administrator ended sessions of the account (the detail says
    /// how many; their grants with them).
    SessionsRevoked,
    /// An administrator revoked grants of the account (the detail says
    /// how many).
    GrantsRevoked,
}

impl AuditEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LockedOut => "lockout",
            Self::SignedUp => "account.created",
            Self::SignedOut => "session.ended",
            Self::ConsentGiven => "consent.given",
            Self::ConsentDenied => "consent.denied",
            Self::Reauthorized => "reauthorize",
            Self::TokensIssued => "tokens.issued",
            Self::TokensRevoked => "tokens.revoked",
            Self::ClientAuthFailed => "client_auth.failed",
            Self::ClientCreated => "client.created",
            Self::ClientUpdated => "client.updated",
            Self::AccountReplaced => "account.replaced",
            Self::ClientDisabled => "client.disabled",
            Self::ClientEnabled => "client.enabled",
            Self::ClientDeleted => "client.deleted",
            Self::PasswordResetRequested => "password_reset.requested",
            Self::PasswordReset => "password.reset",
            Self::EmailVerified => "email.verified",
            Self::EmailChanged => "email.changed",
            Self::FactorAdded => "factor.added",
            Self::FactorRemoved => "factor.removed",
            Self::SecondFactorFailed => "second_factor.failed",
            Self::RecoveryCodesCreated => "recovery_codes.created",
            Self::RecoveryCodeUsed => "recovery_code.used",
            Self::ClientSecretRotated => "client.secret_rotated",
            Self::EntrypointSaved => "entrypoint.saved",
            Self::RoleGranted => "role.granted",
            Self::RoleRevoked => "role.revoked",
            Self::KeyRotated => "key.rotated",
            Self::KeyRetired => "key.retired",
            Self::UserCreated => "user.created",
            Self::UserDisabled => "user.disabled",
            Self::UserEnabled => "user.enabled",
            Self::UserUnlocked => "user.unlocked",
            Self::UserDeleted => "user.deleted",
            Self::PasswordResetForced => "password_reset.forced",
            Self::SessionsRevoked => "sessions.revoked",
            Self::GrantsRevoked => "grants.revoked",
        }
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: UnixTime,
    pub event: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    /// Who made the change, for changes made by someone other than the
    /// user the entry is about: `user:<id>` (an administrator),
    /// `client:<id>` (an admin API token), `cli`, `config`.
    pub actor: Option<String>,
}

/// Which entries to read: all given conditions hold; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// At or after.
    pub since: Option<UnixTime>,
    /// Before.
    pub until: Option<UnixTime>,
    /// The event name (`login.failed`).
    pub event: Option<String>,
    /// The actor, exactly as stored (`user:<id>`, `cli`).
    pub actor: Option<String>,
    /// Only entries older than this id: the cursor of the next page.
    pub before_id: Option<i64>,
    pub limit: i64,
}

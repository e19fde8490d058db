//! Wire types and paths of the cockpit's admin API (`/admin/api/v1/...`,
//! issue 19). The server derives the OpenAPI document from these types
//! (feature `openapi`, which only the server turns on); the console reads
//! them as plain serde types.

use serde::{Deserialize, Serialize};

/// Paths of the admin API. `{id}` is a path parameter.
pub mod paths {
    /// Where the admin API is mounted; every path below starts with it.
    pub const API: &str = "/admin/api/v1";
    /// The OpenAPI 3.1 document of the API (public: it holds no data).
    pub const OPENAPI: &str = "/admin/api/openapi.json";
    /// Who is calling: the signed-in administrator or the admin client.
    pub const ME: &str = "/admin/api/v1/me";
    pub const CLIENTS: &str = "/admin/api/v1/clients";
    pub const CLIENT: &str = "/admin/api/v1/clients/{id}";
    /// A new secret for the client, shown once.
    pub const CLIENT_SECRET: &str = "/admin/api/v1/clients/{id}/secret";
    pub const CLIENT_DISABLE: &str = "/admin/api/v1/clients/{id}/disable";
    pub const CLIENT_ENABLE: &str = "/admin/api/v1/clients/{id}/enable";
    pub const AUDIT: &str = "/admin/api/v1/audit";
    /// The signing keys (published, signing, next, retired).
    pub const KEYS: &str = "/admin/api/v1/keys";
    /// A new key per algorithm; the old ones keep verifying until the
    /// tokens they signed have expired.
    pub const KEYS_ROTATE: &str = "/admin/api/v1/keys/rotate";
    /// Retire a key now (a suspected compromise).
    pub const KEY_RETIRE: &str = "/admin/api/v1/keys/{kid}/retire";
    pub const ENTRYPOINTS: &str = "/admin/api/v1/entrypoints";
    pub const ENTRYPOINT: &str = "/admin/api/v1/entrypoints/{id}";
    /// The live preview of an entrypoint being edited (nothing is saved).
    pub const ENTRYPOINT_PREVIEW: &str = "/admin/api/v1/entrypoints/{id}/preview";
    /// Users: `?q=` searches email and name, `cursor` and `limit` page.
    pub const USERS: &str = "/admin/api/v1/users";
    pub const USER: &str = "/admin/api/v1/users/{id}";
    pub const USER_DISABLE: &str = "/admin/api/v1/users/{id}/disable";
    pub const USER_ENABLE: &str = "/admin/api/v1/users/{id}/enable";
    /// Clear the account's lockouts.
    pub const USER_UNLOCK: &str = "/admin/api/v1/users/{id}/unlock";
    /// End sessions and grants; with mail, a reset link replaces the password.
    pub const USER_PASSWORD_RESET: &str = "/admin/api/v1/users/{id}/password-reset";
    pub const USER_ROLE: &str = "/admin/api/v1/users/{id}/roles/{role}";
    pub const USER_SESSIONS: &str = "/admin/api/v1/users/{id}/sessions";
    /// End every session of the user (a POST: the collection stays).
    pub const USER_SESSIONS_END: &str = "/admin/api/v1/users/{id}/sessions/end";
    /// `{sid}`: the `id` of a [`super::SessionView`], never the cookie.
    pub const USER_SESSION: &str = "/admin/api/v1/users/{id}/sessions/{sid}";
    pub const USER_GRANTS: &str = "/admin/api/v1/users/{id}/grants";
    /// Revoke every grant of the user (a POST: the collection stays).
    pub const USER_GRANTS_REVOKE: &str = "/admin/api/v1/users/{id}/grants/revoke";
    pub const USER_GRANT: &str = "/admin/api/v1/users/{id}/grants/{gid}";
    /// Every path of the API, for the test that the document covers them.
    pub const ALL: [&str; 27] = [
        USER_SESSIONS_END,
        USER_GRANTS_REVOKE,
        ENTRYPOINTS,
        ENTRYPOINT,
        ENTRYPOINT_PREVIEW,
        USERS,
        USER,
        USER_DISABLE,
        USER_ENABLE,
        USER_UNLOCK,
        USER_PASSWORD_RESET,
        USER_ROLE,
        USER_SESSIONS,
        USER_SESSION,
        USER_GRANTS,
        USER_GRANT,
        KEYS,
        KEYS_ROTATE,
        KEY_RETIRE,
        ME,
        CLIENTS,
        CLIENT,
        CLIENT_SECRET,
        CLIENT_DISABLE,
        CLIENT_ENABLE,
        AUDIT,
        OPENAPI,
    ];
}

/// The OAuth scope an admin client's client_credentials token carries.
pub const ADMIN_SCOPE: &str = "portico:admin";

/// `GET /admin/api/v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// As the audit log names it: `user:<id>` or `client:<id>`.
    pub actor: String,
    /// The administrator's email; none for a client.
    pub email: Option<String>,
}

/// A registered client as the API shows it (never its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientView {
    pub id: String,
    pub name: String,
    /// Has a secret (a confidential client); false: public, PKCE S256.
    pub confidential: bool,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub scopes: Vec<String>,
    pub first_party: bool,
    pub id_token_signed_response_alg: Option<String>,
    pub require_pushed_authorization_requests: bool,
    pub require_mfa: bool,
    pub post_logout_redirect_uris: Vec<String>,
    pub introspection: bool,
    /// Listed in portico.toml: the file's values come back at each start.
    pub from_config: bool,
    pub disabled: bool,
}

/// `POST /admin/api/v1/clients` (with `id`) and `PUT .../clients/{id}`
/// (the path's id counts). The rules are the config file's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    /// Needed to create; on update, if given, the path's id.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub id: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub name: Option<String>,
    /// Create with a secret (shown once in the answer). On update a
    /// client keeps its secret or stays public.
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Default: authorization_code and refresh_token.
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    /// Default: code.
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
    /// Default: openid, profile, email, offline_access.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub first_party: bool,
    #[serde(default)]
    pub id_token_signed_response_alg: Option<String>,
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    #[serde(default)]
    pub require_mfa: bool,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    pub introspection: bool,
}

/// A created client, or a new secret: the secret is in this answer only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientWithSecret {
    pub client: ClientView,
    /// Shown once: only its hash is kept. None for a public client.
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ClientWithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientWithSecret")
            .field("client", &self.client)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// `GET /admin/api/v1/clients`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientList {
    pub items: Vec<ClientView>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub event: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
    /// Who made the change: `user:<id>`, `client:<id>`, `cli`, `config`.
    pub actor: Option<String>,
}

/// `GET /admin/api/v1/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` for the next (older) page; none on the last.
    pub next: Option<String>,
}

/// A signing key (never its private part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    pub kid: String,
    /// `RS256` or `ES256`.
    pub alg: String,
    /// `next` (published, signs from `signs_from`), `signing`, `verifying`
    /// (no longer signs; published until `verifying_until`), `retired`.
    pub state: String,
    pub verifying_until: Option<i64>,
    pub created_at: i64,
    pub signs_from: i64,
    pub signs_until: Option<i64>,
}

/// `GET /admin/api/v1/keys`, and what a rotation made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub items: Vec<KeyView>,
}

/// `POST /admin/api/v1/keys/rotate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    /// Absent: both.
    #[serde(default)]
    pub alg: Option<KeyAlg>,
    /// Sign with the new key at once (a suspected compromise) rather than
    /// after it has been published for 6 minutes.
    #[serde(default)]
    pub immediately: bool,
}

/// A signing algorithm Portico keys use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KeyAlg {
    RS256,
    ES256,
}

/// `GET /admin/api/v1/entrypoints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntrypointList {
    pub items: Vec<crate::EntrypointInfo>,
}

/// A colour pair people read, with its WCAG 2 contrast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContrastPair {
    /// The theme token in front (`text`, `on_primary`, `primary`, `error`).
    pub foreground: String,
    /// The token behind it (`surface`, `primary`).
    pub background: String,
    pub foreground_colour: String,
    pub background_colour: String,
    /// Rounded down to two decimals.
    pub ratio: f64,
    /// What WCAG AA needs (4.5 for text).
    pub needed: f64,
    pub passes: bool,
}

/// `POST /admin/api/v1/entrypoints/{id}/preview`: an entrypoint being
/// edited, as the login UI would show it, and what saving would refuse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntrypointPreview {
    /// Empty when it can be saved.
    pub problems: Vec<crate::FieldError>,
    /// The look and words the login UI would get.
    pub theme: crate::ThemeInfo,
    pub pairs: Vec<ContrastPair>,
}

/// A user in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    pub id: String,
    pub email: String,
    pub name: String,
    pub disabled: bool,
}

/// `GET /admin/api/v1/users`: by email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub items: Vec<UserSummary>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next: Option<String>,
}

/// A second factor of a user (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserFactor {
    pub id: String,
    /// `totp` or `passkey`.
    pub kind: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// One user: claims, roles, factors and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub phone_number: Option<String>,
    pub birthdate: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Made by the person at sign-up (not by an operator).
    pub self_registered: bool,
    /// When an administrator disabled the account; none: enabled.
    pub disabled_at: Option<i64>,
    pub roles: Vec<String>,
    pub factors: Vec<UserFactor>,
    /// Locked out of sign-in or codes until then (Unix seconds).
    pub locked_until: Option<i64>,
}

/// `POST /admin/api/v1/users`. Without a password the person is invited
/// by mail (a link to choose one); that needs an installation that sends
/// mail.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub name: String,
    /// At least 8 characters.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 1024))]
    pub password: Option<String>,
}

impl std::fmt::Debug for UserInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInput")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A created user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserCreated {
    pub user: UserView,
    /// An invitation was mailed (no password was given).
    pub invited: bool,
}

/// `POST .../users/{id}/password-reset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordResetForced {
    /// A reset link was mailed and the old password stopped working; false:
    /// mail is off, only sessions and grants ended.
    pub mailed: bool,
}

/// A signed-in browser of a user. The cookie never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// Opaque: names the session in `DELETE .../sessions/{sid}` only.
    pub id: String,
    pub created_at: i64,
    pub auth_time: i64,
    pub expires_at: i64,
    /// How the user signed in (RFC 8176: `pwd`, `otp`, `swk`, ...).
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionList {
    pub items: Vec<SessionView>,
}

/// A live grant: what a client may do for the user (its tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantView {
    pub id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    /// Given from a browser session (signing that session out revokes it).
    pub from_session: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantList {
    pub items: Vec<GrantView>,
}

/// How many were ended or revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_shown_once_and_passwords_never_reach_debug_output() {
        let created = ClientWithSecret {
            client: ClientView {
                id: "app".into(),
                name: "App".into(),
                confidential: true,
                redirect_uris: vec![],
                grant_types: vec![],
                response_types: vec![],
                scopes: vec![],
                first_party: false,
                id_token_signed_response_alg: None,
                require_pushed_authorization_requests: false,
                require_mfa: false,
                post_logout_redirect_uris: vec![],
                introspection: false,
                from_config: false,
                disabled: false,
            },
            client_secret: Some("the-client-secret".into()),
        };
        let input = UserInput {
            email: "a@example.com".into(),
            name: "A".into(),
            password: Some("hunter2-secret".into()),
        };
        let shown = format!("{created:?} {input:?}");
        for secret in ["the-client-secret", "hunter2-secret"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("app") && shown.contains("a@example.com"));
    }
}

//! Wire types of Portico's UI JSON API (`/api/ui/...`), shared by the axum
//! server and the Leptos app. Only serde: this crate must build for wasm32.

use serde::{Deserialize, Serialize};

pub mod admin;
mod entrypoint;
mod mfa;
pub use entrypoint::*;
pub use mfa::*;

/// The header every state-changing UI API request must carry (CSRF defence:
/// a cross-site page cannot set a custom header without a CORS preflight,
/// which Portico never grants).
/// The `error` codes of the UI API's answers, named once for the server
/// that sends them and the UI that translates them.
pub mod codes {
    /// The sign-in request has expired or was used.
    pub const REQUEST_NOT_FOUND: &str = "request_not_found";
    /// Wrong email or password (never says which).
    pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
    /// Something failed on the server.
    pub const SERVER_ERROR: &str = "server_error";
    /// Form fields need fixing (see `field_errors`).
    pub const VALIDATION_FAILED: &str = "validation_failed";
    /// Sign-up: the address has an account.
    pub const EMAIL_TAKEN: &str = "email_taken";
    /// The entrypoint does not offer sign-up.
    pub const SIGN_UP_NOT_OFFERED: &str = "sign_up_not_offered";
    /// Sign-up without a live authorization request.
    pub const SIGN_UP_NEEDS_REQUEST: &str = "sign_up_needs_request";
    /// A device user code that matches nothing.
    pub const INVALID_CODE: &str = "invalid_code";
    /// A device user code past its life.
    pub const EXPIRED_CODE: &str = "expired_code";
    /// A device user code already decided.
    pub const USED_CODE: &str = "used_code";
    /// Locked out for a while (with Retry-After).
    pub const TOO_MANY_ATTEMPTS: &str = "too_many_attempts";
    /// The request body is over the limit.
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    /// The request body is not the JSON expected.
    pub const INVALID_BODY: &str = "invalid_body";
    /// The screen needs a signed-in session.
    pub const LOGIN_REQUIRED: &str = "login_required";
    /// The UI's CSRF header is missing.
    pub const CSRF: &str = "csrf";
    /// Anything else the request got wrong.
    pub const INVALID_REQUEST: &str = "invalid_request";
    /// The UI could not reach the server (set by the UI itself).
    pub const NETWORK: &str = "network";
    /// A password reset or email link that is unknown, used, replaced or
    /// past its life.
    pub const INVALID_LINK: &str = "invalid_link";
    /// An email verification code that is wrong or past its life.
    pub const INVALID_VERIFICATION_CODE: &str = "invalid_verification_code";
    /// The feature needs email, and this installation sends none.
    pub const EMAIL_OFF: &str = "email_off";
    /// Adding or removing a sign-in factor needs a sign-in within the last
    /// five minutes: sign in again, then retry.
    pub const REAUTHENTICATE: &str = "reauthentication_required";
    /// The authentication code (app or recovery code) is not right.
    pub const INVALID_AUTHENTICATION_CODE: &str = "invalid_authentication_code";
    /// The password step was too long ago (or never happened): start the
    /// sign-in again.
    pub const SIGN_IN_EXPIRED: &str = "sign_in_expired";
    /// The passkey ceremony failed (wrong origin, unknown key, expired
    /// challenge, cancelled).
    pub const PASSKEY_FAILED: &str = "passkey_failed";
    /// This installation cannot offer passkeys (an IP-address issuer).
    pub const PASSKEYS_OFF: &str = "passkeys_off";
    /// No such sign-in factor on this account.
    pub const FACTOR_NOT_FOUND: &str = "factor_not_found";
    /// Admin API: no such thing (client, user, key).
    pub const NOT_FOUND: &str = "not_found";
    /// Admin API: it exists already.
    pub const CONFLICT: &str = "conflict";
    /// Admin API: signed in, but not an administrator.
    pub const FORBIDDEN: &str = "forbidden";
    /// Admin API: an administrator whose session lacks the second factor
    /// the policy asks for (sign in again, or add one first).
    pub const SECOND_FACTOR_REQUIRED: &str = "second_factor_required";
    /// Admin API: portico.toml sets this; change it there.
    pub const CONFIG_MANAGED: &str = "config_managed";
    /// The change would leave no enabled administrator.
    pub const LAST_ADMIN: &str = "last_admin";
    /// Admin API: the bearer token is invalid, expired or revoked.
    pub const INVALID_TOKEN: &str = "invalid_token";
    /// Admin API: the token does not carry `portico:admin`.
    pub const INSUFFICIENT_SCOPE: &str = "insufficient_scope";
}

/// The UI API's routes, named once for the server's router and the UI's
/// calls.
pub mod routes {
    /// Where the UI API is mounted; every path below starts with it.
    pub const UI_API: &str = "/api/ui";
    /// Followed by `/{id}`.
    pub const AUTH_REQUESTS: &str = "/api/ui/auth-requests";
    pub const SESSION: &str = "/api/ui/session";
    pub const THEME: &str = "/api/ui/theme";
    pub const LOGIN: &str = "/api/ui/login";
    pub const SIGN_UP: &str = "/api/ui/sign-up";
    pub const CONTINUE: &str = "/api/ui/continue";
    pub const CANCEL: &str = "/api/ui/cancel";
    pub const CONSENT: &str = "/api/ui/consent";
    pub const END_SESSION: &str = "/api/ui/end-session";
    pub const DEVICE_LOOKUP: &str = "/api/ui/device/lookup";
    pub const DEVICE_DECIDE: &str = "/api/ui/device/decide";
    pub const LOGOUT: &str = "/api/ui/logout";
    pub const AUTHORIZE_ERROR: &str = "/api/ui/authorize-error";
    /// Ask for a password reset link (always the same answer).
    pub const PASSWORD_RESET: &str = "/api/ui/password-reset";
    /// Set a new password with the link's token.
    pub const PASSWORD_RESET_COMPLETE: &str = "/api/ui/password-reset/complete";
    /// Verify an address with the mailed code or the link's token.
    pub const VERIFY_EMAIL: &str = "/api/ui/verify-email";
    /// Signed in with an unverified address: mail a new code.
    pub const VERIFY_EMAIL_RESEND: &str = "/api/ui/verify-email/resend";
    /// Signed in: mail a code to a new address ([`super::EmailChangeRequest`]).
    pub const EMAIL_CHANGE: &str = "/api/ui/email-change";
    /// Signed in: the code from the new address; it replaces the old one.
    pub const EMAIL_CHANGE_CONFIRM: &str = "/api/ui/email-change/confirm";
    /// The link mailed to the old address: put it back, end every session.
    pub const EMAIL_CHANGE_UNDO: &str = "/api/ui/email-change/undo";
    /// GET: which second factors the pending sign-in can use; POST: the
    /// "Authentication code" screen's "Verify".
    pub const SECOND_FACTOR: &str = "/api/ui/second-factor";
    /// "Sign in with a passkey": the challenge, then the signed assertion.
    pub const PASSKEY_BEGIN: &str = "/api/ui/passkey/begin";
    pub const PASSKEY_FINISH: &str = "/api/ui/passkey/finish";
    /// GET: the account security page.
    pub const ACCOUNT_SECURITY: &str = "/api/ui/account/security";
    /// "Set up authenticator app", then "Turn on".
    pub const TOTP_BEGIN: &str = "/api/ui/account/totp/begin";
    pub const TOTP_CONFIRM: &str = "/api/ui/account/totp/confirm";
    /// "Add a passkey": the creation options, then the new credential.
    pub const PASSKEY_ADD_BEGIN: &str = "/api/ui/account/passkeys/begin";
    pub const PASSKEY_ADD_FINISH: &str = "/api/ui/account/passkeys/finish";
    pub const FACTOR_RENAME: &str = "/api/ui/account/factors/rename";
    pub const FACTOR_REMOVE: &str = "/api/ui/account/factors/remove";
    /// A new set of recovery codes (the old set stops working).
    pub const RECOVERY_CODES: &str = "/api/ui/account/recovery-codes";

    /// The hosted UI's pages. Every move between them is a full page load
    /// that the server chooses.
    pub mod pages {
        pub const LOGIN: &str = "/login";
        pub const SIGN_UP: &str = "/sign-up";
        pub const CONSENT: &str = "/consent";
        /// The device flow's verification URI (RFC 8628 §3.2).
        pub const DEVICE: &str = "/device";
        pub const LOGOUT: &str = "/logout";
        /// "Reset your password": ask for a link.
        pub const FORGOT_PASSWORD: &str = "/forgot-password";
        /// The mailed link's page: `?token=...`, "New password".
        pub const RESET_PASSWORD: &str = "/reset-password";
        /// "Check your email": `?request=...&email=...` for the code, or
        /// the mailed link's `?token=...`.
        pub const VERIFY_EMAIL: &str = "/verify-email";
        /// The link mailed to the old address after a change: `?token=...`.
        pub const EMAIL_CHANGE_UNDO: &str = "/email-change/undo";
        /// The account page.
        pub const ACCOUNT: &str = "/";
        /// "Authentication code" after the password (`?request=...`,
        /// `?recovery=1` for a recovery code).
        pub const SECOND_FACTOR: &str = "/login/code";
        /// Passkeys, authenticator app and recovery codes. With
        /// `?request=...` it is the enrolment an entrypoint requires, and
        /// offers "Continue" once a factor is on.
        pub const ACCOUNT_SECURITY: &str = "/account/security";
        /// The cockpit (the admin console, `dist/admin/`): `/admin` and every
        /// page under it but the admin API.
        pub const ADMIN: &str = "/admin";

        /// Whether the cockpit's bundle has the page at `path`.
        pub fn is_admin(path: &str) -> bool {
            path == ADMIN || (path.starts_with("/admin/") && !path.starts_with("/admin/api/"))
        }

        /// The pages of the account bundle (`dist/account/`): the account
        /// pages and the mail screens. Every other page is the sign-in
        /// bundle's, which the login page loads.
        pub const ACCOUNT_BUNDLE: [&str; 6] = [
            ACCOUNT,
            ACCOUNT_SECURITY,
            FORGOT_PASSWORD,
            RESET_PASSWORD,
            VERIFY_EMAIL,
            EMAIL_CHANGE_UNDO,
        ];
    }
}

pub const CSRF_HEADER: &str = "x-portico-csrf";
/// The value of [`CSRF_HEADER`].
pub const CSRF_HEADER_VALUE: &str = "1";

/// Which screen the authorization request asked for (`x_method`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum XMethod {
    #[default]
    Login,
    SignUp,
    Reauthorize,
}

impl XMethod {
    /// The seed's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::SignUp => "sign_up",
            Self::Reauthorize => "reauthorize",
        }
    }
}

/// `GET /api/ui/auth-requests/{id}`: what the login screen shows about a
/// pending authorization request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthRequestInfo {
    pub id: String,
    pub client_name: String,
    pub x_method: XMethod,
    pub entrypoint: EntrypointInfo,
    /// What the client asks for, in plain words (the consent screen).
    #[serde(default)]
    pub scopes: Vec<ScopeInfo>,
    /// prompt=select_account: offer the signed-in account before the form.
    #[serde(default)]
    pub select_account: bool,
}

/// One requested scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeInfo {
    pub name: String,
    /// A sentence for people, e.g. "See your email address".
    pub description: String,
}

/// `POST /api/ui/consent`: the consent screen's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    pub request: String,
    pub allow: bool,
}

/// The entrypoint (DruID-style, carried in `scope`) behind a request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrypointInfo {
    pub id: String,
    pub display_name: String,
}

/// Whether an entrypoint asks new accounts to verify their address
/// (`email_verification`; only when the installation sends mail).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum EmailVerification {
    /// No verification mail; sign-up signs in at once.
    Off,
    /// A code is mailed; the request completes without it, and the address
    /// can be verified later.
    #[default]
    Optional,
    /// The request completes only once the address is verified.
    Required,
}

/// The languages the UI speaks, by their BCP 47 primary subtag.
pub const LOCALES: [&str; 2] = ["en", "es"];

/// Whether the sign-up form asks for a field, and whether it must be filled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FieldRule {
    #[default]
    Off,
    Optional,
    Required,
}

impl FieldRule {
    pub fn shown(self) -> bool {
        self != Self::Off
    }
}

fn required() -> FieldRule {
    FieldRule::Required
}

/// What an entrypoint's sign-up form asks for. The email and password are
/// always asked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignUpFields {
    #[serde(default = "required")]
    pub name: FieldRule,
    #[serde(default)]
    pub phone: FieldRule,
    #[serde(default)]
    pub birthdate: FieldRule,
    /// When set, the form has a required "I accept the terms" checkbox that
    /// links here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms_url: Option<String>,
}

impl Default for SignUpFields {
    fn default() -> Self {
        Self {
            name: FieldRule::Required,
            phone: FieldRule::Off,
            birthdate: FieldRule::Off,
            terms_url: None,
        }
    }
}

/// An entrypoint's own words for one locale; each replaces the built-in
/// text when set.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ThemeTexts {
    /// The sign-in screen's heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The line under the sign-in heading.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// The sign-in button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<String>,
    /// The sign-up button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_account: Option<String>,
    /// The "Continue" buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continue_label: Option<String>,
}

/// A theme with every token resolved: each is either the entrypoint's valid
/// value or the default. The UI sets the colours, font and radius as CSS
/// custom properties of the same names (`--color-primary`, ...).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeTokens {
    pub primary: String,
    pub on_primary: String,
    pub background: String,
    pub surface: String,
    pub text: String,
    pub error: String,
    /// Derived from the colours above, each checked for contrast.
    pub muted: String,
    pub border: String,
    pub error_surface: String,
    pub info_surface: String,
    pub warning_surface: String,
    pub warning: String,
    pub font_family: String,
    pub radius: String,
    /// None means Portico's own mark.
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default)]
    pub background_image: Option<String>,
}

/// `GET /api/ui/theme?request=&ui_locales=`: how every screen looks and
/// which language it speaks, for the entrypoint behind the request (or the
/// default one).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeInfo {
    pub entrypoint: EntrypointInfo,
    /// One of [`LOCALES`].
    pub locale: String,
    pub tokens: ThemeTokens,
    /// The entrypoint's words for `locale`.
    #[serde(default)]
    pub texts: ThemeTexts,
    pub sign_up: SignUpFields,
    /// Which screens the entrypoint offers.
    pub x_methods: Vec<XMethod>,
    /// Whether "Forgot password?" is offered (the installation sends mail).
    #[serde(default)]
    pub password_reset: bool,
    /// The entrypoint's verification policy in effect (`off` when the
    /// installation sends no mail).
    #[serde(default)]
    pub email_verification: EmailVerification,
    /// Whether "Sign in with a passkey" is offered (the issuer is a host
    /// name, which WebAuthn needs).
    #[serde(default)]
    pub passkeys: bool,
}

/// `POST /api/ui/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The pending authorization request, when the login is part of one.
    #[serde(default)]
    pub request: Option<String>,
    pub email: String,
    pub password: String,
    /// A page of this UI to return to after signing in when there is no
    /// request (the device page). The server only honours known pages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("request", &self.request)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `POST /api/ui/sign-up`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpRequest {
    #[serde(default)]
    pub request: Option<String>,
    #[serde(default)]
    pub name: String,
    pub email: String,
    pub password: String,
    /// Asked when the entrypoint's [`SignUpFields`] say so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// The terms checkbox.
    #[serde(default)]
    pub accept_terms: bool,
    /// As in [`LoginRequest::return_to`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

impl std::fmt::Debug for SignUpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpRequest")
            .field("request", &self.request)
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("accept_terms", &self.accept_terms)
            .finish()
    }
}

/// `POST /api/ui/continue`: continue a pending authorization request as the
/// signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinueRequest {
    pub request: String,
}

/// Where the browser goes next after a successful UI action. The UI only
/// navigates there; every protocol decision was taken by the server.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    pub redirect_to: String,
    /// When present, the browser must POST these fields to `redirect_to`
    /// (response_mode=form_post) instead of navigating there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_post: Option<Vec<(String, String)>>,
}

impl NextStep {
    pub fn go(redirect_to: impl Into<String>) -> Self {
        Self {
            redirect_to: redirect_to.into(),
            form_post: None,
        }
    }
}

impl std::fmt::Debug for NextStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL or the fields may carry a code or tokens.
        let cut = self
            .redirect_to
            .find(['?', '#'])
            .unwrap_or(self.redirect_to.len());
        f.debug_struct("NextStep")
            .field("redirect_to", &&self.redirect_to[..cut])
            .field("form_post", &self.form_post.as_ref().map(Vec::len))
            .finish()
    }
}

/// `GET /api/ui/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub signed_in: bool,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the signed-in account's address is verified.
    #[serde(default)]
    pub email_verified: bool,
}

/// `GET /api/ui/authorize-error?<the authorize query>`: why an authorization
/// request could not be redirected back to the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeErrorInfo {
    pub error: String,
    pub error_description: String,
}

/// `POST /api/ui/device/lookup`: the code the user typed on the device page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCodeRequest {
    pub user_code: String,
}

/// `POST /api/ui/device/decide`: the user's answer for a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDecisionRequest {
    pub user_code: String,
    pub allow: bool,
}

/// What the device confirmation screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The code as the device shows it (`XXXX-XXXX`).
    pub user_code: String,
    pub client_name: String,
    pub entrypoint: EntrypointInfo,
    /// What the device asks for, in plain words; empty for first-party
    /// clients, which only need the "is this your device?" confirmation.
    #[serde(default)]
    pub scopes: Vec<ScopeInfo>,
}

/// The answer to a device decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDone {
    /// True when the device was allowed.
    pub allowed: bool,
}

/// `GET /api/ui/end-session?<the logout query>`: what the "Sign out?"
/// screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndSessionInfo {
    /// The app that asked, when it said which it is.
    #[serde(default)]
    pub client_name: Option<String>,
}

/// `POST /api/ui/end-session`: the user chose "Sign out". `query` is the
/// logout request as received (the server checks it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndSessionRequest {
    pub query: String,
}

/// `POST /api/ui/password-reset`: mail a reset link to `email` if it has an
/// account. The answer is the same whether it has or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRequest {
    pub email: String,
    /// The authorization request to continue after the reset, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
}

/// The answer to every request that may send mail: the same for every
/// address, so it tells nobody whether an address has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAccepted {
    /// Always true: "if the address has an account, a mail is on its way".
    pub accepted: bool,
}

/// `POST /api/ui/password-reset/complete`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPasswordRequest {
    /// The token of the mailed link.
    pub token: String,
    pub password: String,
}

impl std::fmt::Debug for NewPasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPasswordRequest")
            .field("token", &"<redacted>")
            .field("password", &"<redacted>")
            .finish()
    }
}

/// `POST /api/ui/verify-email`: either the 6-digit `code` typed on the
/// "Check your email" screen (with the `email` it was sent to and the
/// pending `request`), or the `token` of the mailed link.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VerifyEmailRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl std::fmt::Debug for VerifyEmailRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyEmailRequest")
            .field("request", &self.request)
            .field("email", &self.email)
            .field("code", &self.code.as_ref().map(|_| "<redacted>"))
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `POST /api/ui/email-change` (signed in): mail a code to `new_email`.
/// The answer is [`MailAccepted`] whether or not the address is free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeRequest {
    pub new_email: String,
}

/// `POST /api/ui/email-change/confirm` (signed in): the code mailed to the
/// new address. The answer is the updated [`SessionInfo`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeConfirm {
    pub code: String,
}

impl std::fmt::Debug for EmailChangeConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChangeConfirm")
            .field("code", &"<redacted>")
            .finish()
    }
}

/// `POST /api/ui/email-change/undo`: the token of the link mailed to the
/// old address. The answer is a [`NextStep`] to the sign-in page.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailChangeUndo {
    pub token: String,
}

impl std::fmt::Debug for EmailChangeUndo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailChangeUndo")
            .field("token", &"<redacted>")
            .finish()
    }
}

/// One invalid form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    /// A stable machine code (`email_missing`, `password_too_short`, ...)
    /// the UI translates; `message` is the English text.
    #[serde(default)]
    pub code: String,
    pub message: String,
}

/// Every UI API error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// A stable machine code, e.g. `invalid_credentials`, `validation_failed`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_errors: Vec<FieldError>,
}

impl ApiError {
    /// The message for one field, if that field was rejected.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.field_errors
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.message.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_passwords_codes_and_tokens() {
        let login = LoginRequest {
            request: Some("req".into()),
            email: "a@example.com".into(),
            password: "hunter2-secret".into(),
            return_to: None,
        };
        let sign_up = SignUpRequest {
            request: None,
            name: "A".into(),
            email: "a@example.com".into(),
            password: "hunter2-secret".into(),
            phone_number: None,
            birthdate: None,
            accept_terms: true,
            return_to: None,
        };
        let next = NextStep {
            redirect_to: "https://app.example/cb?code=the-code#access_token=the-token".into(),
            form_post: Some(vec![("code".into(), "the-code".into())]),
        };
        let shown = format!("{login:?} {sign_up:?} {next:?}");
        for secret in ["hunter2-secret", "the-code", "the-token"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("a@example.com") && shown.contains("https://app.example/cb"));
    }

    #[test]
    fn x_method_uses_the_seed_spelling() {
        assert_eq!(
            serde_json::to_string(&XMethod::SignUp).unwrap(),
            "\"sign_up\""
        );
        let m: XMethod = serde_json::from_str("\"reauthorize\"").unwrap();
        assert_eq!(m, XMethod::Reauthorize);
    }

    #[test]
    fn passwords_never_appear_in_debug() {
        let l = LoginRequest {
            request: None,
            email: "a@b.c".into(),
            password: "hunter22".into(),
            return_to: None,
        };
        assert!(!format!("{l:?}").contains("hunter22"));
        let s = SignUpRequest {
            request: None,
            name: "A".into(),
            email: "a@b.c".into(),
            password: "hunter22".into(),
            phone_number: None,
            birthdate: None,
            accept_terms: true,
            return_to: None,
        };
        assert!(!format!("{s:?}").contains("hunter22"));
    }

    #[test]
    fn field_lookup_finds_the_named_field() {
        let e = ApiError {
            error: "validation_failed".into(),
            message: "Check the form".into(),
            field_errors: vec![FieldError {
                field: "email".into(),
                code: "email_missing".into(),
                message: "Enter an email".into(),
            }],
        };
        assert_eq!(e.field("email"), Some("Enter an email"));
        assert_eq!(e.field("password"), None);
    }
}

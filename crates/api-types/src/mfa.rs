//! Wire types of second factors: the "Authentication code" step, passkey
//! ceremonies and the account security page (issue 18).
//!
//! WebAuthn options and credentials travel as JSON text: the server's
//! WebAuthn library writes and reads them, the UI only hands them to the
//! browser's `navigator.credentials`, and this crate stays serde-only.

use serde::{Deserialize, Serialize};

/// `GET /api/ui/second-factor`: what the pending sign-in can be finished
/// with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorInfo {
    /// The account has an authenticator app.
    pub totp: bool,
    /// The account has a passkey ("Sign in with a passkey" finishes too).
    pub passkey: bool,
    /// Unused recovery codes remain.
    pub recovery_codes: bool,
}

/// `POST /api/ui/second-factor`: "Verify" on the "Authentication code"
/// screen, with the code from the app or a recovery code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorRequest {
    #[serde(default)]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
    #[serde(default)]
    pub code: String,
    /// The code is a recovery code.
    #[serde(default)]
    pub recovery: bool,
}

impl std::fmt::Debug for SecondFactorRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondFactorRequest")
            .field("request", &self.request)
            .field("recovery", &self.recovery)
            .finish_non_exhaustive()
    }
}

/// A WebAuthn challenge: pass `options` (JSON text) to
/// `navigator.credentials.create` or `.get`, then send the answer back with
/// `ceremony`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyChallenge {
    pub ceremony: String,
    pub options: String,
}

/// `POST /api/ui/passkey/finish`: the browser's signed assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySignIn {
    pub ceremony: String,
    /// The `PublicKeyCredential` as JSON text (base64url binary fields).
    pub credential: String,
    #[serde(default)]
    pub request: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// `POST /api/ui/passkey/begin` and `/api/ui/account/passkeys/begin`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyBegin {
    /// Conditional UI (the browser's autofill list) rather than a dialog.
    #[serde(default)]
    pub conditional: bool,
}

/// The kinds of second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorKind {
    Passkey,
    /// An authenticator app (TOTP).
    Totp,
}

/// One factor on the account security page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorInfo {
    pub id: String,
    pub kind: FactorKind,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// `GET /api/ui/account/security`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityInfo {
    pub email: String,
    pub factors: Vec<FactorInfo>,
    pub recovery_codes_left: u32,
    /// Changes need a fresh sign-in first (the last was over 5 minutes
    /// ago).
    pub reauthenticate: bool,
    /// This installation offers passkeys (its issuer is a host name).
    pub passkeys: bool,
}

/// `POST /api/ui/account/totp/begin`: "Set up authenticator app".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpSetup {
    pub ceremony: String,
    /// The secret as text, labelled "Setup key".
    pub setup_key: String,
    /// `otpauth://totp/...`, what the QR code holds.
    pub otpauth_uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

impl std::fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpSetup").finish_non_exhaustive()
    }
}

/// `POST /api/ui/account/totp/confirm`: "Turn on" with the "Code from your
/// app".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpConfirm {
    pub ceremony: String,
    pub code: String,
}

impl std::fmt::Debug for TotpConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpConfirm").finish_non_exhaustive()
    }
}

/// `POST /api/ui/account/passkeys/finish`: the new credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRegistration {
    pub ceremony: String,
    pub credential: String,
    #[serde(default)]
    pub name: String,
}

/// What adding a factor answers. `recovery_codes` is filled once, when the
/// account's first second factor was added: show them with "Download" and
/// "I have saved them".
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorAdded {
    pub factor: FactorInfo,
    #[serde(default)]
    pub recovery_codes: Vec<String>,
}

impl std::fmt::Debug for FactorAdded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactorAdded")
            .field("factor", &self.factor)
            .field("recovery_codes", &self.recovery_codes.len())
            .finish()
    }
}

/// `POST /api/ui/account/factors/rename`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorRename {
    pub id: String,
    pub name: String,
}

/// `POST /api/ui/account/factors/remove`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorRemove {
    pub id: String,
}

/// `POST /api/ui/account/recovery-codes`: a new set; the old set stops
/// working.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryCodes")
            .field("codes", &self.codes.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_codes_and_keys() {
        let shown = format!(
            "{:?} {:?} {:?} {:?}",
            SecondFactorRequest {
                request: None,
                return_to: None,
                code: "123456".into(),
                recovery: false
            },
            TotpSetup {
                ceremony: "cer".into(),
                setup_key: "JBSW Y3DP".into(),
                otpauth_uri: "otpauth://totp/x?secret=JBSWY3DP".into(),
                qr_svg: "<svg/>".into()
            },
            TotpConfirm {
                ceremony: "cer".into(),
                code: "654321".into(),
            },
            RecoveryCodes {
                codes: vec!["abcd-efgh".into()]
            }
        );
        for secret in ["123456", "JBSW", "654321", "abcd-efgh", "cer"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}

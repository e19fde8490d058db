//! Second factors and the short-lived ceremonies around them (issue 18).

use super::UnixTime;
pub use portico_api_types::FactorKind;

/// A sign-in factor beside the password: an authenticator app or a
/// passkey.
#[derive(Clone, PartialEq, Eq)]
pub struct Factor {
    pub id: String,
    pub user_id: String,
    pub kind: FactorKind,
    pub name: String,
    /// An app's key sealed under the installation's sealing key
    /// ([`crate::protocol::secret::SealingKey`], bound to the factor id);
    /// a passkey's public credential as the WebAuthn library's JSON.
    pub secret: String,
    /// A passkey's credential id (base64url), unique across accounts.
    pub credential_id: Option<String>,
    pub created_at: UnixTime,
    pub last_used_at: Option<UnixTime>,
    /// An app's last accepted time step: a code is accepted only for a
    /// newer step, so each code works once.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for Factor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Factor")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

impl FactorKindExt for FactorKind {
    fn as_str(&self) -> &'static str {
        match self {
            FactorKind::Passkey => "passkey",
            FactorKind::Totp => "totp",
        }
    }
    fn parse(s: &str) -> Option<FactorKind> {
        [FactorKind::Passkey, FactorKind::Totp]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The stored spelling of a [`FactorKind`] (the wire type lives in
/// api-types, which has no business with storage names).
pub trait FactorKindExt: Sized {
    fn as_str(&self) -> &'static str;
    fn parse(s: &str) -> Option<Self>;
}

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyKind {
    /// The password was right; the second factor is awaited. Its id is
    /// the value of a short-lived cookie.
    SecondFactor,
    /// "Sign in with a passkey": the WebAuthn challenge.
    PasskeySignIn,
    /// "Add a passkey": the WebAuthn challenge.
    PasskeyRegister,
    /// "Set up authenticator app": the new key, until "Turn on".
    TotpSetup,
}

impl CeremonyKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SecondFactor => "second_factor",
            Self::PasskeySignIn => "passkey_sign_in",
            Self::PasskeyRegister => "passkey_register",
            Self::TotpSetup => "totp_setup",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::SecondFactor,
            Self::PasskeySignIn,
            Self::PasskeyRegister,
            Self::TotpSetup,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A step of a multi-request ceremony, kept in the store (so any instance
/// can finish what another started) by the hash of its random id. Single
/// use and short-lived.
#[derive(Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub id_hash: String,
    pub kind: CeremonyKind,
    /// Whose ceremony it is (none for a passkey sign-in: the passkey says).
    pub user_id: Option<String>,
    /// The ceremony's state as JSON (WebAuthn state, a sealed app key, the
    /// methods used so far).
    pub state: String,
    pub created_at: UnixTime,
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for Ceremony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ceremony")
            .field("kind", &self.kind)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_keys_and_ceremony_state() {
        let f = Factor {
            id: "f1".into(),
            user_id: "u".into(),
            kind: FactorKind::Totp,
            name: "Phone".into(),
            secret: "sealed-key-material".into(),
            credential_id: None,
            created_at: 0,
            last_used_at: None,
            last_step: Some(7),
        };
        let c = Ceremony {
            id_hash: "ceremony-id-hash".into(),
            kind: CeremonyKind::TotpSetup,
            user_id: Some("u".into()),
            state: "{\"challenge\":\"secret-state\"}".into(),
            created_at: 0,
            expires_at: 1,
        };
        let shown = format!("{f:?} {c:?}");
        for s in ["sealed-key-material", "secret-state", "ceremony-id-hash"] {
            assert!(!shown.contains(s), "{s} in {shown}");
        }
    }

    #[test]
    fn kinds_round_trip_through_their_stored_names() {
        for k in [FactorKind::Passkey, FactorKind::Totp] {
            assert_eq!(FactorKind::parse(k.as_str()), Some(k));
        }
        for k in [
            CeremonyKind::SecondFactor,
            CeremonyKind::PasskeySignIn,
            CeremonyKind::PasskeyRegister,
            CeremonyKind::TotpSetup,
        ] {
            assert_eq!(CeremonyKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(CeremonyKind::parse("nope"), None);
    }
}

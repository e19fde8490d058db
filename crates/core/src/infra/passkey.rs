//! The WebAuthn relying party (passkeys), on webauthn-rs: it parses the
//! CBOR attestation and COSE keys, checks signatures, the challenge, the
//! origin (exactly the issuer's) and the rpId hash. This module only adapts
//! it to Portico: the relying party from the issuer, a stable WebAuthn user
//! handle per account, and JSON in and out.

use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

/// Why passkeys are off for an issuer, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Off {
    /// Browsers refuse IP addresses as relying-party ids (WebAuthn §5.1.3
    /// step 8 takes the rpId from a domain).
    IpAddress(String),
    /// The issuer has no host, or webauthn-rs refused it.
    Unusable(String),
}

impl std::fmt::Display for Off {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::IpAddress(host) => write!(
                f,
                "passkeys are off: the issuer's host {host} is an IP address, which browsers refuse as a \
                 WebAuthn relying-party id; use a host name (localhost for trials)"
            ),
            Self::Unusable(why) => write!(f, "passkeys are off: {why}"),
        }
    }
}

/// Portico as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
    pub rp_id: String,
}

/// A ceremony failed: wrong origin or rpId, bad signature, unknown
/// credential, expired challenge. The detail is for the log only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed(pub String);

fn failed(e: impl std::fmt::Display) -> Failed {
    Failed(e.to_string())
}

impl RelyingParty {
    /// The relying party of `issuer`: its host is the rpId, its origin the
    /// only origin accepted.
    pub fn for_issuer(issuer: &str, name: &str) -> Result<Self, Off> {
        let url = Url::parse(issuer)
            .map_err(|e| Off::Unusable(format!("the issuer is not a URL: {e}")))?;
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            Some(h @ (url::Host::Ipv4(_) | url::Host::Ipv6(_))) => {
                return Err(Off::IpAddress(h.to_string()));
            }
            None => return Err(Off::Unusable("the issuer has no host".into())),
        };
        let origin = Url::parse(&url.origin().ascii_serialization())
            .map_err(|e| Off::Unusable(e.to_string()))?;
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .map_err(|e| Off::Unusable(e.to_string()))?
            .rp_name(name)
            // The issuer's origin only; no subdomains, no other ports.
            .allow_subdomains(false)
            .allow_any_port(false)
            .build()
            .map_err(|e| Off::Unusable(e.to_string()))?;
        Ok(Self {
            webauthn,
            rp_id: host,
        })
    }

    /// Options for `navigator.credentials.create` (JSON) and the state to
    /// keep. The passkey is asked to be discoverable (a resident key), so
    /// "Sign in with a passkey" needs no email; `exclude` are the account's
    /// passkeys already registered.
    pub fn start_registration(
        &self,
        user_id: &str,
        email: &str,
        display_name: &str,
        exclude: Vec<Vec<u8>>,
    ) -> Result<(String, String), Failed> {
        let exclude = (!exclude.is_empty()).then_some(exclude);
        let (ccr, state): (CreationChallengeResponse, PasskeyRegistration) = self
            .webauthn
            .start_passkey_registration(user_handle(user_id), email, display_name, exclude)
            .map_err(failed)?;
        // webauthn-rs asks for no resident key; discoverable sign-in needs
        // one. Only the request changes: the checks at the finish are the
        // same either way.
        let mut options = serde_json::to_value(&ccr).map_err(failed)?;
        if let Some(sel) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(serde_json::Value::as_object_mut)
        {
            sel.insert("residentKey".into(), "required".into());
            sel.insert("requireResidentKey".into(), true.into());
        }
        Ok((
            options.to_string(),
            serde_json::to_string(&state).map_err(failed)?,
        ))
    }

    /// Check the browser's new credential against the kept state: the
    /// passkey (JSON) and its credential id.
    pub fn finish_registration(
        &self,
        credential: &str,
        state: &str,
    ) -> Result<(String, Vec<u8>), Failed> {
        let reg: RegisterPublicKeyCredential = serde_json::from_str(credential).map_err(failed)?;
        let state: PasskeyRegistration = serde_json::from_str(state).map_err(failed)?;
        let key: Passkey = self
            .webauthn
            .finish_passkey_registration(&reg, &state)
            .map_err(failed)?;
        let id = key.cred_id().to_vec();
        Ok((serde_json::to_string(&key).map_err(failed)?, id))
    }

    /// Options for `navigator.credentials.get` without a user (the browser
    /// offers the passkeys it has for this rpId), and the state to keep.
    /// `conditional`: for the autofill list rather than a dialog.
    pub fn start_sign_in(&self, conditional: bool) -> Result<(String, String), Failed> {
        let (mut rcr, state): (RequestChallengeResponse, DiscoverableAuthentication) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(failed)?;
        if !conditional {
            rcr.mediation = None;
        }
        Ok((
            serde_json::to_string(&rcr).map_err(failed)?,
            serde_json::to_string(&state).map_err(failed)?,
        ))
    }

    /// The credential id and the user handle an assertion names, to find
    /// the stored passkey with.
    pub fn identify(&self, credential: &str) -> Result<(Vec<u8>, Uuid), Failed> {
        let cred: PublicKeyCredential = serde_json::from_str(credential).map_err(failed)?;
        let (user, id) = self
            .webauthn
            .identify_discoverable_authentication(&cred)
            .map_err(failed)?;
        Ok((id.to_vec(), user))
    }

    /// Check an assertion against the kept state and the stored passkey
    /// (user verification required). Returns the passkey to store back
    /// (its signature counter moved on).
    pub fn finish_sign_in(
        &self,
        credential: &str,
        state: &str,
        passkey: &str,
    ) -> Result<String, Failed> {
        let cred: PublicKeyCredential = serde_json::from_str(credential).map_err(failed)?;
        let state: DiscoverableAuthentication = serde_json::from_str(state).map_err(failed)?;
        let mut key: Passkey = serde_json::from_str(passkey).map_err(failed)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(&cred, state, &key)
            .map_err(failed)?;
        if !result.user_verified() {
            return Err(Failed("the authenticator did not verify the user".into()));
        }
        key.update_credential(&result);
        serde_json::to_string(&key).map_err(failed)
    }
}

/// The WebAuthn user handle of an account: a UUID derived from its id
/// (webauthn-rs takes UUIDs; Portico's ids are not). Stable, so every
/// passkey of one account carries the same handle, and it reveals nothing
/// about the account (a hash, cut to 16 bytes).
pub fn user_handle(user_id: &str) -> Uuid {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("portico-webauthn-user:{user_id}").as_bytes(),
    );
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest.as_ref()[..16]);
    Uuid::from_bytes(b)
}

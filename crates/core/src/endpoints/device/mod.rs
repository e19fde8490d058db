//! The device flow's endpoints (RFC 8628): the device authorization
//! endpoint here (§3.1–3.2), and the user's side in [`verify`] (§3.3). The
//! device polls the token endpoint ([`crate::endpoints::token::device_code`]).

pub mod verify;

use crate::infra::provider::Provider;
use crate::infra::store::StoreError;
use crate::model::{DeviceAuthorization, DeviceStatus};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope::DEFAULT_ENTRYPOINT;
use crate::protocol::secret::lookup_hash;
use crate::protocol::types::GRANT_DEVICE_CODE;
use crate::services::client_auth;
use crate::services::entrypoint::classify_scope;
use crate::services::user_codes::{display_user_code, generate_user_code, user_code_hash};
use portico_api_types::routes::pages;
use serde::Serialize;
use std::net::IpAddr;

/// The device authorization response (RFC 8628 §3.2).
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct DeviceAuthorizationResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorizationResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorizationResponse")
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Handle `POST /oauth2/device_authorization`.
pub async fn authorize_device(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<IpAddr>,
) -> Result<DeviceAuthorizationResponse> {
    let params = Params::new(form);
    let client = client_auth::caller(p, authorization, &params, from).await?;
    if !client.allows_grant(GRANT_DEVICE_CODE) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use the device authorization grant",
        ));
    }
    let raw_scope = params.get("scope").filter(|s| !s.trim().is_empty());
    let classified = classify_scope(p, &client, raw_scope).await?;
    // RFC 6749 §3.3: without a scope, the client's registered scopes.
    let scopes = if raw_scope.is_none() {
        client.scopes.clone()
    } else {
        classified.scopes
    };
    let now = p.now();
    let device_code = p.random.token(32)?;
    let mut tries = 0;
    let user_code = loop {
        let code = generate_user_code(p.random.as_ref())?;
        let record = DeviceAuthorization {
            device_code_hash: lookup_hash(&device_code),
            user_code_hash: user_code_hash(p, &code),
            client_id: client.id.clone(),
            scopes: scopes.clone(),
            entrypoint: classified
                .entrypoint
                .clone()
                .unwrap_or_else(|| DEFAULT_ENTRYPOINT.to_owned()),
            status: DeviceStatus::Pending,
            approval: None,
            interval: p.config.device_poll_interval,
            last_polled_at: None,
            created_at: now,
            expires_at: now + p.config.device_code_ttl,
            used_at: None,
        };
        match p.store.put_device_authorization(&record, now).await {
            Ok(()) => break code,
            // A live device holds this user code: draw another.
            Err(StoreError::Conflict(_)) if tries < 8 => tries += 1,
            Err(e) => return Err(e.into()),
        }
    };
    let shown = display_user_code(&user_code);
    Ok(DeviceAuthorizationResponse {
        device_code,
        verification_uri: p.url(pages::DEVICE),
        verification_uri_complete: p.url(&format!("{}?user_code={shown}", pages::DEVICE)),
        user_code: shown,
        expires_in: p.config.device_code_ttl,
        interval: p.config.device_poll_interval,
    })
}

//! Fixtures for core's unit tests: an in-memory provider with a fixed clock.

use crate::endpoints::authorize::{Outcome, authorize};
use crate::endpoints::token::token;
use crate::infra::clock::{Clock, ManualClock};
use crate::infra::memory::MemoryStore;
use crate::infra::password::DUMMY_HASH;
use crate::infra::provider::{Provider, ProviderConfig};
use crate::infra::random::SequenceRandom;
use crate::model::{Client, Entrypoint, Session, User};
use crate::protocol::error::Result;
use crate::services::tokens::TokenResponse;
use base64::Engine;
use std::sync::Arc;

pub const T0: i64 = 1_700_000_000;
pub const ISSUER: &str = "https://id.example";
pub const CB: &str = "https://app.example/cb";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Kit {
    pub p: Provider,
    /// The store behind `p`, for what only tests do to it.
    pub memory: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub secret: &'static str,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

pub async fn kit() -> Kit {
    let store = Arc::new(MemoryStore::default());
    let memory = store.clone();
    let clock = Arc::new(ManualClock::new(T0));
    let p = Provider::new(
        ProviderConfig::new(ISSUER),
        store,
        clock.clone(),
        Arc::new(SequenceRandom::default()),
    )
    .await
    .unwrap();
    let secret = "confidential-secret";
    let base = Client {
        id: "web".into(),
        name: "Web App".into(),
        secret_hash: Some(p.client_secrets.hash(secret)),
        redirect_uris: strings(&[CB, "https://app.example/other"]),
        grant_types: strings(&["authorization_code", "refresh_token"]),
        response_types: vec![crate::protocol::types::ResponseType::Code],
        scopes: strings(&["openid", "profile", "email", "offline_access"]),
        first_party: true,
        id_token_signed_response_alg: None,
        require_pushed_authorization_requests: false,
        require_mfa: false,
        post_logout_redirect_uris: strings(&["https://app.example/bye"]),
        introspection: true,
        from_config: false,
        disabled: None,
        tokens_not_before: 0,
    };
    p.upsert_client(&base).await.unwrap();
    // A third-party client allowed every response type: consent applies.
    let rp = Client {
        id: "rp".into(),
        name: "Partner App".into(),
        grant_types: strings(&["authorization_code", "implicit", "refresh_token"]),
        response_types: crate::protocol::types::ResponseType::ALL.to_vec(),
        first_party: false,
        ..base.clone()
    };
    p.upsert_client(&rp).await.unwrap();
    let legacy = Client {
        id: "legacy".into(),
        grant_types: strings(&["password", "refresh_token"]),
        response_types: vec![],
        ..base.clone()
    };
    p.upsert_client(&legacy).await.unwrap();
    let public = Client {
        id: "spa".into(),
        name: "SPA".into(),
        secret_hash: None,
        redirect_uris: strings(&[CB]),
        ..base.clone()
    };
    p.upsert_client(&public).await.unwrap();
    let no_code = Client {
        id: "m2m".into(),
        grant_types: strings(&["refresh_token"]),
        ..base.clone()
    };
    p.upsert_client(&no_code).await.unwrap();
    // A public device client (RFC 8628), third-party.
    let tv = Client {
        id: "tv".into(),
        name: "TV".into(),
        secret_hash: None,
        redirect_uris: vec![],
        grant_types: strings(&[crate::protocol::types::GRANT_DEVICE_CODE, "refresh_token"]),
        response_types: vec![],
        first_party: false,
        ..base.clone()
    };
    p.upsert_client(&tv).await.unwrap();
    for (id, name) in [("default", "Portico"), ("shop", "The Shop")] {
        p.store
            .upsert_entrypoint(&Entrypoint::new(id, name))
            .await
            .unwrap();
    }
    p.store
        .create_user(&User {
            id: "user-1".into(),
            email: "ada@example.com".into(),
            email_verified: true,
            name: "Ada Lovelace".into(),
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            phone_number: None,
            birthdate: None,
            terms_accepted_at: None,
            password_hash: DUMMY_HASH.into(),
            created_at: T0,
            updated_at: T0 + 5,
            self_registered: false,
            disabled_at: None,
        })
        .await
        .unwrap();
    Kit {
        p,
        memory,
        clock,
        secret,
    }
}

impl Kit {
    /// Ada (`user-1`) disabled, with her sessions and grants left alive,
    /// so that only [`crate::services::accounts::usable`] refuses her.
    pub fn disable_ada_only(&self) {
        self.memory.mark_disabled_only("user-1", self.clock.now());
    }

    /// Give Ada a real password.
    pub async fn ada_password(&self, password: &str) {
        let mut ada = self.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.password_hash = crate::services::accounts::hash_password(
            &self.p,
            crate::protocol::secret::Secret::new(password),
        )
        .await
        .unwrap();
        self.p.store.upsert_user_by_email(&ada).await.unwrap();
    }

    pub async fn session(&self, auth_time: i64) -> Session {
        let s = Session {
            id_hash: format!("s-{auth_time}"),
            user_id: "user-1".into(),
            auth_time,
            amr: vec!["pwd".into()],
            created_at: auth_time,
            expires_at: auth_time + 3600 * 24,
        };
        self.p.store.create_session(&s).await.unwrap();
        s
    }
}

/// Query pairs from `k=v&...` written plainly (no encoding needed in tests).
pub fn q(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|x| !x.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The URL of a redirect outcome.
pub fn redirect_url(o: crate::endpoints::authorize::Outcome) -> String {
    match o {
        crate::endpoints::authorize::Outcome::Redirect(u) => u,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// The fragment parameters of a redirect URL.
pub fn fragment_params(url: &str) -> std::collections::HashMap<String, String> {
    let u = url::Url::parse(url).unwrap();
    url::form_urlencoded::parse(u.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// The query parameters of a redirect URL.
pub fn redirect_params(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

/// Run authorize with a session and return the code.
pub async fn code_for(k: &Kit, extra: &str) -> String {
    let s = k.session(k.clock.now()).await;
    let query = format!(
        "client_id=web&redirect_uri={CB}&response_type=code&scope=openid offline_access&nonce=n1{extra}"
    );
    let Outcome::Redirect(url) = authorize(&k.p, &q(&query), Some(&s)).await else {
        panic!()
    };
    redirect_params(&url).remove("code").unwrap()
}

/// A code (with openid offline_access) exchanged for tokens.
pub async fn tokens_for(k: &Kit) -> TokenResponse {
    let code = code_for(k, "").await;
    token_request(
        k,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
    )
    .await
    .unwrap()
}

pub async fn token_request(k: &Kit, form: &str) -> Result<TokenResponse> {
    token(&k.p, Some(&basic("web", k.secret)), &q(form), None).await
}

/// A kit whose installation sends mail.
pub async fn mailing_kit() -> Kit {
    let mut k = kit().await;
    k.p.config.mail = true;
    k
}

/// Every mail queued and not yet claimed (claims them all).
pub async fn queued_mails(k: &Kit) -> Vec<crate::model::OutboxMail> {
    k.p.store
        .claim_mail(i64::MAX / 2, i64::MAX / 2 + 1, 100)
        .await
        .unwrap()
}

/// The 6-digit code in a mail's text.
pub fn code_in(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_owned()
}

/// The `token` of the first link in a mail's text.
pub fn token_in(text: &str) -> String {
    let at = text.find("token=").unwrap() + "token=".len();
    text[at..]
        .split(['&', ' ', '\n'])
        .next()
        .unwrap()
        .to_owned()
}

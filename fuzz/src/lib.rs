//! What every fuzz target shares: one in-memory provider with a few
//! clients, a user and a session, and a runtime to drive the async core.
//! The targets assert one thing: no input makes Portico panic.

use portico_core::infra::clock::ManualClock;
use portico_core::infra::memory::MemoryStore;
use portico_core::infra::random::SequenceRandom;
use portico_core::model::{Client, Entrypoint, Session, User};
use portico_core::{Provider, ProviderConfig};
use std::sync::{Arc, OnceLock};

pub const WEB_SECRET: &str = "web-secret-web-secret-web-secret-0123456789";
pub const CB: &str = "https://app.example/cb";

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub p: Provider,
    pub session: Session,
}

/// Split fuzz input into form pairs, as the server does.
pub fn pairs(data: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(data).into_owned().collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The shared world, built once per fuzzing process.
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build)
}

#[allow(clippy::expect_used)]
fn build() -> World {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let now = 1_700_000_000;
    let p = rt.block_on(async {
        let p = Provider::new(
            ProviderConfig::new("https://id.example"),
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::new(now)),
            Arc::new(SequenceRandom::default()),
        )
        .await
        .expect("a provider");
        let web = Client {
            id: "web".into(),
            name: "Web".into(),
            secret_hash: Some(p.client_secrets.hash(WEB_SECRET)),
            redirect_uris: strings(&[CB]),
            grant_types: strings(&[
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "password",
                "implicit",
            ]),
            response_types: portico_core::protocol::types::ResponseType::ALL.to_vec(),
            scopes: strings(&["openid", "profile", "email", "offline_access", "phone"]),
            first_party: false,
            id_token_signed_response_alg: None,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            post_logout_redirect_uris: strings(&["https://app.example/bye"]),
            introspection: true,
            from_config: false,
            disabled: None,
            tokens_not_before: 0,
        };
        p.store.upsert_client(&web).await.expect("client");
        let spa = Client {
            id: "spa".into(),
            secret_hash: None,
            grant_types: strings(&[
                "authorization_code",
                "refresh_token",
                portico_core::protocol::types::GRANT_DEVICE_CODE,
            ]),
            ..web.clone()
        };
        p.store.upsert_client(&spa).await.expect("client");
        for (id, name) in [("default", "Portico"), ("shop", "Shop")] {
            p.store
                .upsert_entrypoint(&Entrypoint::new(id, name))
                .await
                .expect("entrypoint");
        }
        p.store
            .create_user(&User {
                id: "user-1".into(),
                email: "ada@example.com".into(),
                email_verified: true,
                name: "Ada".into(),
                given_name: None,
                family_name: None,
                phone_number: None,
                birthdate: None,
                terms_accepted_at: None,
                password_hash: portico_core::infra::password::DUMMY_HASH.into(),
                created_at: now,
                updated_at: now,
                self_registered: false,
                disabled_at: None,
            })
            .await
            .expect("user");
        p
    });
    let session = Session {
        id_hash: "fuzz-session".into(),
        user_id: "user-1".into(),
        auth_time: now - 10,
        amr: vec!["pwd".into()],
        created_at: now - 10,
        expires_at: now + 3600,
    };
    rt.block_on(p.store.create_session(&session))
        .expect("session");
    World { rt, p, session }
}

//! Clients in the cockpit: list, read, create, edit, a new secret, and
//! the disable, enable and delete the CLI also has. Checked by the same
//! rules as portico.toml ([`provision::client_record`]).

use super::{AdminError, AdminResult, conflict};
use crate::infra::provider::Provider;
use crate::model::{Client, DisabledBy};
use crate::protocol::secret::Secret;
use crate::services::audit::{self, Actor, Event};
use crate::services::clients::{self, Outcome};
use crate::services::provision::{self, ClientSpec, Problem};

/// Bits of a generated secret (base64url: 43 characters).
const SECRET_BYTES: usize = 32;

impl From<Problem> for AdminError {
    fn from(p: Problem) -> Self {
        Self::Invalid {
            field: p.field,
            message: p.message,
        }
    }
}

/// Every client, by id; with `query`, those whose id or name holds it
/// (ignoring case). Clients are few: filtered here, not in SQL.
pub async fn list(p: &Provider, query: Option<&str>) -> AdminResult<Vec<Client>> {
    let all = p.store.clients().await?;
    let Some(q) = query.map(str::to_lowercase).filter(|q| !q.is_empty()) else {
        return Ok(all);
    };
    Ok(all
        .into_iter()
        .filter(|c| c.id.to_lowercase().contains(&q) || c.name.to_lowercase().contains(&q))
        .collect())
}

pub async fn get(p: &Provider, id: &str) -> AdminResult<Client> {
    // No client id holds a control character (the rules refuse them), and
    // PostgreSQL would refuse a NUL in the query: not found, not an error.
    if id.chars().any(char::is_control) {
        return Err(AdminError::NotFound);
    }
    p.store.client(id).await?.ok_or(AdminError::NotFound)
}

/// Register a client. A confidential one gets a generated secret,
/// returned here once (only its hash is stored).
pub async fn create(
    p: &Provider,
    mut spec: ClientSpec,
    confidential: bool,
    actor: &Actor,
) -> AdminResult<(Client, Option<Secret>)> {
    let secret = if confidential {
        Some(Secret::new(p.random.token(SECRET_BYTES)?))
    } else {
        None
    };
    spec.secret = secret.clone();
    let mut rec = provision::client_record(p, &spec)?;
    rec.from_config = false;
    // Inserted only if absent, atomically: of two creates of one id, the
    // second is refused rather than silently replacing the first's secret.
    if !p.store.insert_client(&rec).await? {
        return Err(AdminError::Conflict(
            conflict::EXISTS,
            format!("a client with the id {} exists", rec.id),
        ));
    }
    // As for the config file: a deleted client of the same id may have
    // left grants made by an instance whose cache still had it.
    p.store.revoke_grants_of_client(&rec.id, p.now()).await?;
    let e = Event::ClientCreated.entry().client(&rec.id).actor(actor);
    audit::record(p, e).await?;
    Ok((rec, secret))
}

/// Change a client's settings; its secret and state stay. A client from
/// portico.toml may be edited, and the file's values come back at the
/// next start (the view says `from_config`).
pub async fn update(
    p: &Provider,
    id: &str,
    mut spec: ClientSpec,
    actor: &Actor,
) -> AdminResult<Client> {
    let before = get(p, id).await?;
    spec.id = id.to_owned();
    let rec = provision::edited_client_record(p, &spec, &before)?;
    if *actor == Actor::Client(id.to_owned())
        && !rec.scopes.iter().any(|s| s == provision::ADMIN_SCOPE)
    {
        return Err(AdminError::Conflict(
            conflict::EXISTS,
            format!(
                "{id} cannot take {} from itself: ask another administrator",
                provision::ADMIN_SCOPE
            ),
        ));
    }
    if rec != before {
        p.upsert_client(&rec).await?;
        let e = Event::ClientUpdated.entry().client(id).actor(actor);
        audit::record(p, e).await?;
    }
    Ok(rec)
}

/// A new secret, returned once; the old one stops working at once here
/// and within the client cache's lifetime elsewhere. A public client
/// becomes confidential. Refused for a client whose secret portico.toml
/// sets: the next start would put the file's back.
pub async fn rotate_secret(p: &Provider, id: &str, actor: &Actor) -> AdminResult<(Client, Secret)> {
    let mut c = get(p, id).await?;
    if c.from_config && c.secret_hash.is_some() {
        return Err(AdminError::Conflict(
            conflict::CONFIG_MANAGED,
            format!("the secret of {id} is set in portico.toml: change it there"),
        ));
    }
    let secret = Secret::new(p.random.token(SECRET_BYTES)?);
    c.secret_hash = Some(p.client_secrets.hash(secret.expose()));
    p.upsert_client(&c).await?;
    let e = Event::ClientSecretRotated.entry().client(id).actor(actor);
    audit::record(p, e).await?;
    Ok((c, secret))
}

fn found(o: Outcome) -> AdminResult<()> {
    match o {
        Outcome::NotFound => Err(AdminError::NotFound),
        Outcome::Done { .. } | Outcome::Unchanged => Ok(()),
    }
}

/// An admin client may not disable or delete itself with its own token:
/// the call would end its own access halfway through (another
/// administrator, or the CLI, can).
fn not_itself(id: &str, actor: &Actor) -> AdminResult<()> {
    if *actor == Actor::Client(id.to_owned()) {
        return Err(AdminError::Conflict(
            conflict::EXISTS,
            format!("{id} cannot disable or delete itself: ask another administrator"),
        ));
    }
    Ok(())
}

pub async fn disable(p: &Provider, id: &str, actor: &Actor) -> AdminResult<Client> {
    get(p, id).await?;
    not_itself(id, actor)?;
    found(
        clients::disable(
            p,
            id,
            DisabledBy::Admin,
            actor,
            "disabled by an administrator",
        )
        .await?,
    )?;
    get(p, id).await
}

pub async fn enable(p: &Provider, id: &str, actor: &Actor) -> AdminResult<Client> {
    get(p, id).await?;
    found(clients::enable(p, id, actor, "enabled by an administrator").await?)?;
    get(p, id).await
}

pub async fn delete(p: &Provider, id: &str, actor: &Actor) -> AdminResult<()> {
    get(p, id).await?;
    not_itself(id, actor)?;
    found(clients::delete(p, id, actor, "deleted by an administrator").await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::client_auth::{AuthMethod, PresentedCredentials, authenticate};
    use crate::testkit::*;

    fn spec(id: &str) -> ClientSpec {
        ClientSpec {
            id: id.into(),
            name: None,
            secret: None,
            redirect_uris: vec!["https://app.example/cb".into()],
            grant_types: provision::default_grants(),
            response_types: provision::default_response_types(),
            scopes: provision::default_scopes(),
            first_party: false,
            id_token_signed_response_alg: None,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            post_logout_redirect_uris: vec![],
            introspection: false,
        }
    }

    async fn authenticates(k: &Kit, id: &str, secret: &Secret) -> bool {
        let creds = PresentedCredentials {
            client_id: id.into(),
            secret: Some(secret.clone()),
            method: AuthMethod::ClientSecretBasic,
        };
        authenticate(&k.p, &creds, None).await.is_ok()
    }

    #[tokio::test]
    async fn a_created_secret_works_once_shown_and_a_rotated_one_replaces_it() {
        let k = kit().await;
        let admin = Actor::User("admin-1".into());
        let (c, secret) = create(&k.p, spec("api"), true, &admin).await.unwrap();
        let secret = secret.unwrap();
        assert!(!c.from_config);
        assert_eq!(secret.expose().len(), 43);
        assert!(authenticates(&k, "api", &secret).await);
        let (_, new) = rotate_secret(&k.p, "api", &admin).await.unwrap();
        assert!(authenticates(&k, "api", &new).await);
        assert!(
            !authenticates(&k, "api", &secret).await,
            "the old secret stops"
        );
        let again = create(&k.p, spec("api"), false, &admin).await;
        assert!(
            matches!(again, Err(AdminError::Conflict("conflict", _))),
            "{again:?}"
        );
        let log =
            k.p.store
                .audit_log(&audit::Filter {
                    client_id: Some("api".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
        let seen: Vec<(&str, Option<&str>)> = log
            .iter()
            .map(|r| (r.event.as_str(), r.actor.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("client_auth.failed", None),
                ("client.secret_rotated", Some("user:admin-1")),
                ("client.created", Some("user:admin-1"))
            ]
        );
    }

    #[tokio::test]
    async fn edits_follow_the_config_rules_and_name_the_field() {
        let k = kit().await;
        let admin = Actor::Client("bot".into());
        create(&k.p, spec("spa2"), false, &admin).await.unwrap();
        let mut bad = spec("spa2");
        bad.redirect_uris = vec!["http://app.example/cb".into()];
        match update(&k.p, "spa2", bad, &admin).await {
            Err(AdminError::Invalid { field, message }) => {
                assert_eq!(field, "redirect_uris");
                assert!(
                    message.starts_with("client spa2: redirect URI http://app.example/cb"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        // A public client cannot hold the admin scope.
        let mut admin_scope = spec("spa2");
        admin_scope.scopes.push(provision::ADMIN_SCOPE.into());
        match update(&k.p, "spa2", admin_scope, &admin).await {
            Err(AdminError::Invalid { field, .. }) => assert_eq!(field, "scopes"),
            other => panic!("{other:?}"),
        }
        let mut renamed = spec("ignored");
        renamed.name = Some("Renamed".into());
        let c = update(&k.p, "spa2", renamed, &admin).await.unwrap();
        assert_eq!((c.id.as_str(), c.name.as_str()), ("spa2", "Renamed"));
        assert!(matches!(
            update(&k.p, "nope", spec("nope"), &admin).await,
            Err(AdminError::NotFound)
        ));
        // The kit's "web" client comes from configuration-like set-up with
        // a secret: marked as the config's, its secret stays the file's.
        let mut web = k.p.store.client("web").await.unwrap().unwrap();
        web.from_config = true;
        k.p.upsert_client(&web).await.unwrap();
        assert!(matches!(
            rotate_secret(&k.p, "web", &admin).await,
            Err(AdminError::Conflict("config_managed", _))
        ));
        let found: Vec<String> = list(&k.p, Some("SPA2"))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(found, ["spa2"]);
    }
}

//! Entrypoints in the cockpit: list, read, save (checked by the rules of
//! portico.toml and `portico entrypoint put`), and the live preview of one
//! being edited. A saved theme is live at once on every instance: pages
//! read the entrypoint from the store at every load, with no cache.

use super::{AdminError, AdminResult};
use crate::infra::provider::Provider;
use crate::model::Entrypoint;
use crate::services::audit::{self, Actor, Event};
use crate::services::entrypoint;
use portico_api_types::EntrypointInfo;
use portico_api_types::admin::EntrypointPreview;

pub async fn list(p: &Provider) -> AdminResult<Vec<EntrypointInfo>> {
    Ok(p.store
        .entrypoints()
        .await?
        .into_iter()
        .map(|e| EntrypointInfo {
            id: e.id,
            display_name: e.display_name,
        })
        .collect())
}

pub async fn get(p: &Provider, id: &str) -> AdminResult<Entrypoint> {
    if id.chars().any(char::is_control) {
        return Err(AdminError::NotFound);
    }
    p.store.entrypoint(id).await?.ok_or(AdminError::NotFound)
}

/// Save `e` under `id` (created when new). The id in the document must be
/// the path's: an entrypoint is renamed by making a new one.
pub async fn put(p: &Provider, id: &str, e: Entrypoint, actor: &Actor) -> AdminResult<Entrypoint> {
    if e.id != id {
        return Err(AdminError::Invalid {
            field: "id",
            message: format!("the id must be the path's ({id})"),
        });
    }
    let problems = entrypoint::problems(&e);
    if !problems.is_empty() {
        return Err(AdminError::Problems(problems));
    }
    let before = p.store.entrypoint(id).await?;
    if before.as_ref() != Some(&e) {
        p.store.upsert_entrypoint(&e).await?;
        let what = if before.is_some() {
            "changed"
        } else {
            "created"
        };
        let entry = Event::EntrypointSaved
            .entry()
            .actor(actor)
            .detail(format!("{id} {what}"));
        audit::record(p, entry).await?;
    }
    Ok(e)
}

/// The preview of `e` in `locale`; nothing is saved.
pub fn preview(p: &Provider, e: &Entrypoint, locale: &str) -> EntrypointPreview {
    entrypoint::preview(p, e, locale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[tokio::test]
    async fn saving_names_every_field_at_fault_and_records_who_saved() {
        let k = kit().await;
        let admin = Actor::User("admin-1".into());
        let mut e = Entrypoint::new("brand", "Brand");
        e.theme.primary = Some("#fefefe".into());
        e.theme.radius = Some("huge".into());
        e.default_locale = Some("fr".into());
        let Err(AdminError::Problems(found)) = put(&k.p, "brand", e.clone(), &admin).await else {
            panic!("saved a theme that fails its checks");
        };
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        // A near-white primary fails twice: white labels on it, and it on
        // the white card.
        assert_eq!(
            fields,
            [
                "default_locale",
                "theme.radius",
                "theme.on_primary",
                "theme.primary"
            ],
            "{found:?}"
        );
        assert!(
            found[3].message.contains("contrast"),
            "{}",
            found[3].message
        );
        // The preview says the same, and shows the failing pair.
        let pv = preview(&k.p, &e, "es");
        assert_eq!(pv.problems, found);
        assert_eq!(pv.theme.locale, "es");
        let pair = pv.pairs.iter().find(|p| p.foreground == "primary").unwrap();
        assert!(!pair.passes && pair.ratio < pair.needed, "{pair:?}");
        e.theme.primary = Some("#0f766e".into());
        e.theme.radius = None;
        e.default_locale = None;
        assert!(preview(&k.p, &e, "en").pairs.iter().all(|p| p.passes));
        put(&k.p, "brand", e.clone(), &admin).await.unwrap();
        put(&k.p, "brand", e.clone(), &admin).await.unwrap();
        assert_eq!(get(&k.p, "brand").await.unwrap(), e);
        let log =
            k.p.store
                .audit_log(&audit::Filter {
                    event: Some("entrypoint.saved".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
        assert_eq!(log.len(), 1, "an unchanged save records nothing");
        assert_eq!(log[0].actor.as_deref(), Some("user:admin-1"));
        assert!(matches!(
            put(&k.p, "other", e, &admin).await,
            Err(AdminError::Invalid { field: "id", .. })
        ));
    }
}

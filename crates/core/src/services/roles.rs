//! Roles of users. One role exists: `admin`, who may use the cockpit (the
//! admin API and console). Given with `portico user role EMAIL admin`, with
//! `roles = ["admin"]` under `[[users]]`, or by another administrator.

use crate::infra::provider::Provider;
use crate::infra::store::Revoked;
use crate::protocol::error::Result;
use crate::services::audit::{self, Actor, Event};

/// May use the cockpit.
pub const ADMIN: &str = "admin";
/// Every role there is.
pub const ALL: [&str; 1] = [ADMIN];

/// Why a role change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a role (the message lists the known ones).
    Unknown(String),
    NoSuchUser,
    /// The last administrator keeps the role: without one nobody could
    /// use the cockpit (the command line can always make another).
    LastHolder,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unknown(r) => write!(f, "unknown role {r} (known: {})", ALL.join(", ")),
            Self::NoSuchUser => f.write_str("no such user"),
            Self::LastHolder => f.write_str(
                "this is the last administrator: make another one before taking the role away",
            ),
        }
    }
}

/// The role as spelled in [`ALL`], or why not.
pub fn parse(role: &str) -> std::result::Result<&'static str, Refused> {
    ALL.into_iter()
        .find(|r| *r == role)
        .ok_or_else(|| Refused::Unknown(role.to_owned()))
}

/// Give (`on`) or take away a role, and record it. Ok(false) when the user
/// already was so (nothing is recorded then).
pub async fn set(
    p: &Provider,
    user_id: &str,
    role: &str,
    on: bool,
    actor: &Actor,
) -> Result<std::result::Result<bool, Refused>> {
    let role = match parse(role) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    if p.store.user_by_id(user_id).await?.is_none() {
        return Ok(Err(Refused::NoSuchUser));
    }
    let (changed, event) = if on {
        (p.store.grant_role(user_id, role).await?, Event::RoleGranted)
    } else {
        match p.store.revoke_role(user_id, role).await? {
            Revoked::Done => (true, Event::RoleRevoked),
            Revoked::NotHeld => (false, Event::RoleRevoked),
            Revoked::LastHolder => return Ok(Err(Refused::LastHolder)),
        }
    };
    if changed {
        let e = event.entry().user(user_id).actor(actor).detail(role);
        audit::record(p, e).await?;
    }
    Ok(Ok(changed))
}

/// Whether the user holds the role now (read from the store every time).
pub async fn has(p: &Provider, user_id: &str, role: &str) -> Result<bool> {
    Ok(p.store.user_roles(user_id).await?.iter().any(|r| r == role))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[tokio::test]
    async fn roles_are_known_recorded_and_the_last_admin_stays() {
        let k = kit().await;
        let cli = Actor::Cli;
        let uid = "user-1".to_owned();
        assert_eq!(
            set(&k.p, &uid, "root", true, &cli).await.unwrap(),
            Err(Refused::Unknown("root".into()))
        );
        assert_eq!(
            set(&k.p, "nobody", ADMIN, true, &cli).await.unwrap(),
            Err(Refused::NoSuchUser)
        );
        assert!(!has(&k.p, &uid, ADMIN).await.unwrap());
        assert_eq!(set(&k.p, &uid, ADMIN, true, &cli).await.unwrap(), Ok(true));
        assert_eq!(set(&k.p, &uid, ADMIN, true, &cli).await.unwrap(), Ok(false));
        assert!(has(&k.p, &uid, ADMIN).await.unwrap());
        assert_eq!(
            set(&k.p, &uid, ADMIN, false, &cli).await.unwrap(),
            Err(Refused::LastHolder)
        );
        let log =
            k.p.store
                .audit_log(&audit::Filter {
                    event: Some("role.granted".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
        assert_eq!(log.len(), 1, "only the change is recorded");
        assert_eq!(log[0].actor.as_deref(), Some("cli"));
        assert_eq!(log[0].user_id.as_deref(), Some(uid.as_str()));
    }
}

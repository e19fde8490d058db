//! The audit log: who signed in or failed to, who was locked out, what
//! was consented to, which tokens were issued or revoked, reauthorizations
//! and client changes. Stored in the database (an append-only table read
//! with `portico audit`), never holding a secret, code, token or typed
//! password: accounts appear by id, never by what was typed.

use crate::infra::provider::Provider;
use crate::protocol::error::Result;
use std::net::IpAddr;

pub use crate::infra::cache::Refusals;
pub use crate::model::{AuditEvent as Event, AuditFilter as Filter, AuditRecord as Record};

impl Event {
    /// An entry for this event, to be filled in and [`record`]ed.
    pub fn entry(self) -> Entry {
        Entry {
            event: self,
            user_id: None,
            client_id: None,
            ip: None,
            detail: String::new(),
            actor: None,
        }
    }
}

/// Who changed something on someone else's behalf: an administrator in
/// the cockpit, a machine with an admin token, the command line, or the
/// config file at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Client(String),
    Cli,
    Config,
}

impl Actor {
    /// How the audit log stores it (`user:<id>`, `client:<id>`, `cli`,
    /// `config`), which is also what its `actor` filter takes.
    pub fn as_audit(&self) -> String {
        match self {
            Self::User(id) => format!("user:{id}"),
            Self::Client(id) => format!("client:{id}"),
            Self::Cli => "cli".into(),
            Self::Config => "config".into(),
        }
    }
}

/// One entry before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event: Event,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<IpAddr>,
    pub detail: String,
    pub actor: Option<Actor>,
}

/// Longest client id kept: ids that failed authentication are whatever
/// the caller sent.
const MAX_ID: usize = 128;

impl Entry {
    #[must_use]
    pub fn user(mut self, id: &str) -> Self {
        self.user_id = Some(id.to_owned());
        self
    }
    #[must_use]
    pub fn client(mut self, id: &str) -> Self {
        let cut = id.char_indices().nth(MAX_ID).map_or(id.len(), |(i, _)| i);
        self.client_id = Some(id[..cut].to_owned());
        self
    }
    #[must_use]
    pub fn ip(mut self, ip: Option<IpAddr>) -> Self {
        self.ip = ip;
        self
    }
    #[must_use]
    pub fn actor(mut self, a: &Actor) -> Self {
        self.actor = Some(a.clone());
        self
    }
    #[must_use]
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }
}

/// Store an entry now. A failure is an error for the caller: an action
/// the log cannot record does not happen quietly.
pub async fn record(p: &Provider, e: Entry) -> Result<()> {
    let r = Record {
        id: 0,
        at: p.now(),
        event: e.event.as_str().to_owned(),
        user_id: e.user_id,
        client_id: e.client_id,
        ip: e.ip.map(|ip| ip.to_string()),
        detail: e.detail,
        actor: e.actor.map(|a| a.as_audit()),
    };
    Ok(p.store.append_audit(&r).await?)
}

impl Refusals {
    /// Write one entry per event and address counted since the last flush.
    pub async fn flush(p: &Provider) -> Result<usize> {
        let counted: Vec<_> = p.refusals.take();
        let n = counted.len();
        for ((event, ip), times) in counted {
            let detail = format!("{times} attempts refused while locked out");
            record(p, event.entry().ip(ip).detail(detail)).await?;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[tokio::test]
    async fn refusals_are_one_entry_per_address_however_many() {
        let k = kit().await;
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..1000 {
            k.p.refusals.count(Event::LoginFailed, Some(a));
        }
        k.p.refusals.count(Event::LoginFailed, Some(b));
        assert_eq!(Refusals::flush(&k.p).await.unwrap(), 2);
        let all =
            k.p.store
                .audit_log(&Filter {
                    limit: 10,
                    ..Filter::default()
                })
                .await
                .unwrap();
        let mut details: Vec<_> = all
            .iter()
            .map(|r| (r.ip.clone().unwrap_or_default(), r.detail.clone()))
            .collect();
        details.sort();
        assert_eq!(
            details,
            [
                (
                    "192.0.2.1".into(),
                    "1000 attempts refused while locked out".into()
                ),
                (
                    "192.0.2.2".into(),
                    "1 attempts refused while locked out".into()
                )
            ]
        );
        assert_eq!(Refusals::flush(&k.p).await.unwrap(), 0, "counted once");
    }

    #[tokio::test]
    async fn entries_are_stored_and_filtered_newest_first() {
        let k = kit().await;
        record(
            &k.p,
            Event::LoginSucceeded
                .entry()
                .user("u1")
                .ip(Some("192.0.2.1".parse().unwrap())),
        )
        .await
        .unwrap();
        k.clock.advance(10);
        record(
            &k.p,
            Event::TokensIssued
                .entry()
                .user("u1")
                .client("web")
                .detail("openid"),
        )
        .await
        .unwrap();
        k.clock.advance(10);
        record(
            &k.p,
            Event::ClientAuthFailed.entry().client(&"x".repeat(500)),
        )
        .await
        .unwrap();
        let all =
            k.p.store
                .audit_log(&Filter {
                    limit: 10,
                    ..Filter::default()
                })
                .await
                .unwrap();
        let events: Vec<&str> = all.iter().map(|r| r.event.as_str()).collect();
        assert_eq!(
            events,
            ["client_auth.failed", "tokens.issued", "login.succeeded"]
        );
        assert_eq!(all[0].client_id.as_ref().map(String::len), Some(MAX_ID));
        assert_eq!(all[2].ip.as_deref(), Some("192.0.2.1"));
        let u1 = Filter {
            user_id: Some("u1".into()),
            limit: 10,
            ..Filter::default()
        };
        assert_eq!(k.p.store.audit_log(&u1).await.unwrap().len(), 2);
        let t = all[1].at;
        let window = Filter {
            since: Some(t),
            until: Some(t + 1),
            limit: 10,
            ..Filter::default()
        };
        let got = k.p.store.audit_log(&window).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].detail, "openid");
    }
}

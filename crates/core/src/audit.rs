//! The audit log: who signed in or failed to, who was locked out, what
//! was consented to, which tokens were issued or revoked, reauthorizations
//! and client changes. Stored in the database (an append-only table read
//! with `portico audit`), never holding a secret, code, token or typed
//! password: accounts appear by id, never by what was typed.

use crate::clock::UnixTime;
use crate::error::Result;
use crate::provider::Provider;
use std::net::IpAddr;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    LoginSucceeded,
    LoginFailed,
    /// Too many failures: a key is locked (the detail says which kind).
    LockedOut,
    SignedUp,
    SignedOut,
    ConsentGiven,
    ConsentDenied,
    /// x_method=reauthorize: the client's grants for the user are revoked
    /// until the user signs in and consents again.
    Reauthorized,
    TokensIssued,
    TokensRevoked,
    ClientAuthFailed,
    ClientCreated,
    ClientUpdated,
    /// A self-registered account removed because the operator provisioned
    /// its email (its grants revoked, its sessions ended).
    AccountReplaced,
    /// The client was disabled (its grants revoked with it).
    ClientDisabled,
    ClientEnabled,
    /// The client was deleted (its grants revoked and consents forgotten).
    ClientDeleted,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LockedOut => "lockout",
            Self::SignedUp => "account.created",
            Self::SignedOut => "session.ended",
            Self::ConsentGiven => "consent.given",
            Self::ConsentDenied => "consent.denied",
            Self::Reauthorized => "reauthorize",
            Self::TokensIssued => "tokens.issued",
            Self::TokensRevoked => "tokens.revoked",
            Self::ClientAuthFailed => "client_auth.failed",
            Self::ClientCreated => "client.created",
            Self::ClientUpdated => "client.updated",
            Self::AccountReplaced => "account.replaced",
            Self::ClientDisabled => "client.disabled",
            Self::ClientEnabled => "client.enabled",
            Self::ClientDeleted => "client.deleted",
        }
    }

    /// An entry for this event, to be filled in and [`record`]ed.
    pub fn entry(self) -> Entry {
        Entry {
            event: self,
            user_id: None,
            client_id: None,
            ip: None,
            detail: String::new(),
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
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = d.into();
        self
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: i64,
    pub at: UnixTime,
    pub event: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub ip: Option<String>,
    pub detail: String,
}

/// Which entries to read: all given conditions hold; newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// At or after.
    pub since: Option<UnixTime>,
    /// Before.
    pub until: Option<UnixTime>,
    pub limit: i64,
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
    };
    Ok(p.store.append_audit(&r).await?)
}

/// Attempts refused unchecked because a key was locked. A flood of them
/// must not be a flood of rows: they are counted in memory per event and
/// address and written as one entry each when [`Refusals::flush`] runs
/// (the sweeper does, every minute). At most [`Refusals::MAX_KEYS`]
/// addresses are told apart; past that the rest count without one.
#[derive(Default)]
pub struct Refusals(std::sync::Mutex<std::collections::HashMap<(Event, Option<IpAddr>), u64>>);

impl Refusals {
    pub const MAX_KEYS: usize = 10_000;

    fn map(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(Event, Option<IpAddr>), u64>> {
        // Every change is one insert or add: a poisoned lock is fine.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One more refusal of `event` from `ip`.
    pub fn count(&self, event: Event, ip: Option<IpAddr>) {
        let mut m = self.map();
        let ip = if m.len() >= Self::MAX_KEYS && !m.contains_key(&(event, ip)) {
            None
        } else {
            ip
        };
        *m.entry((event, ip)).or_insert(0) += 1;
    }

    /// Write one entry per event and address counted since the last flush.
    pub async fn flush(p: &Provider) -> Result<usize> {
        let counted: Vec<_> = p.refusals.map().drain().collect();
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

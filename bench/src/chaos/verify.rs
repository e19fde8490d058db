//! After a fault: is everything Portico acknowledged still there, and is
//! nothing single-use usable twice?
//!
//! Order matters. Families are checked before codes: replaying a used
//! code revokes what it issued (RFC 6749 §4.1.2), the family included.
//! A family's current token is used once before a rotated one is shown:
//! showing a rotated token is reuse, which revokes the whole family.

use crate::client;
use crate::config::{PARTNER_ID, PASSWORD};
use crate::load::{FamilyState, LedgerView};
use serde::Serialize;

/// Concurrent checks: enough to be quick, few enough that sign-ins
/// (password hashing) do not queue for long.
const PARALLEL: usize = 4;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Checked {
    pub users: usize,
    pub clients: usize,
    pub consents: usize,
    /// Families whose last refresh completed: current token worked once,
    /// then it and the rotated ones were refused.
    pub families_intact: usize,
    /// Families with a refresh in flight or refused: still usable (once)...
    pub ambiguous_usable: usize,
    /// ...or refused: the rotation happened.
    pub ambiguous_refused: usize,
    /// Exchanged codes refused when replayed.
    pub codes_refused: usize,
    /// Codes whose exchange got no answer: exchanged once now.
    pub unexchanged_once: usize,
    /// ...or refused (the exchange had happened, or they expired).
    pub unexchanged_refused: usize,
    pub violations: Vec<String>,
}

/// Run `f` over `items`, [`PARALLEL`] at a time; violations come back.
async fn each<T, F, Fut>(items: Vec<T>, f: F) -> Vec<Result<u8, String>>
where
    T: Send + 'static,
    F: Fn(reqwest::Client, T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<u8, String>> + Send,
{
    let items = std::sync::Arc::new(std::sync::Mutex::new(items));
    let mut tasks = Vec::new();
    for _ in 0..PARALLEL {
        let items = items.clone();
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let h = client::http();
            let mut out = Vec::new();
            loop {
                let next = items.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some(item) = next else { break };
                out.push(f(h.clone(), item).await);
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        match t.await {
            Ok(v) => all.extend(v),
            Err(e) => all.push(Err(format!("a check task failed: {e}"))),
        }
    }
    all
}

fn refused(c: &client::Call) -> bool {
    c.status == 400 && c.error_code() == "invalid_grant"
}

fn short(t: &str) -> String {
    t.chars().take(12).collect()
}

pub async fn check(base: &str, admin_token: &str, l: &LedgerView) -> Checked {
    let mut out = Checked::default();
    let mut v = Vec::new();

    // Users: the admin API finds each; each signs in with its password.
    // Consents: that user's authorization of the partner client with
    // prompt=none gets a code (consent_required if it was lost).
    let consented: std::collections::HashSet<String> = l.consents.iter().cloned().collect();
    let users: Vec<(String, String, bool)> = l
        .users
        .iter()
        .map(|u| (u.id.clone(), u.email.clone(), consented.contains(&u.email)))
        .collect();
    let (b, tok) = (base.to_owned(), admin_token.to_owned());
    for r in each(users, move |h, (id, email, consent)| {
        let (b, tok) = (b.clone(), tok.clone());
        async move {
            let g = client::get_user(&h, &b, &tok, &id).await;
            if g.status != 200 {
                return Err(format!("user {email}: admin API answered {}", g.status));
            }
            let s = client::sign_in(&h, &b, &email, PASSWORD).await;
            let Some(cookie) = s.session.filter(|_| s.status == 200) else {
                return Err(format!(
                    "user {email}: sign-in answered {} {}",
                    s.status, s.body
                ));
            };
            if !consent {
                return Ok(0);
            }
            let a = client::authorize(
                &h,
                &b,
                &cookie,
                PARTNER_ID,
                "openid profile",
                "&prompt=none",
            )
            .await;
            if a.status == 302 && a.location_param("code").is_some() {
                Ok(1)
            } else {
                Err(format!(
                    "consent of {email}: prompt=none answered {} {:?}",
                    a.status, a.location
                ))
            }
        }
    })
    .await
    {
        match r {
            Ok(c) => {
                out.users += 1;
                out.consents += c as usize;
            }
            Err(e) => v.push(e),
        }
    }
    // Consents of users whose creation the ledger has: all counted above.

    // Clients: each gets a token with the secret it was given.
    let b = base.to_owned();
    for r in each(l.clients.clone(), move |h, (id, secret)| {
        let b = b.clone();
        async move {
            let c = client::client_credentials(&h, &b, &id, &secret, "api").await;
            if c.status == 200 {
                Ok(1)
            } else {
                Err(format!(
                    "client {id}: client_credentials answered {} {}",
                    c.status, c.body
                ))
            }
        }
    })
    .await
    {
        match r {
            Ok(_) => out.clients += 1,
            Err(e) => v.push(e),
        }
    }

    // Refresh families.
    let b = base.to_owned();
    for r in each(l.families.clone(), move |h, f| {
        let b = b.clone();
        async move {
            let Some(cur) = f.tokens.last().cloned() else {
                return Ok(0);
            };
            let first = client::refresh(&h, &b, &cur).await;
            match f.state {
                FamilyState::Idle => {
                    if first.status != 200 {
                        return Err(format!(
                            "family {}: the current token (after {} rotations) answered {} {}",
                            short(&cur),
                            f.tokens.len() - 1,
                            first.status,
                            first.body
                        ));
                    }
                }
                FamilyState::Ambiguous => {
                    if refused(&first) {
                        return Ok(2);
                    }
                    if first.status != 200 {
                        return Err(format!(
                            "ambiguous family {}: neither usable nor refused: {} {}",
                            short(&cur),
                            first.status,
                            first.body
                        ));
                    }
                }
            }
            // Used once: never again, and no rotated token either.
            let again = client::refresh(&h, &b, &cur).await;
            if !refused(&again) {
                return Err(format!(
                    "family {}: the current token worked twice ({} {})",
                    short(&cur),
                    again.status,
                    again.body
                ));
            }
            if f.tokens.len() >= 2 {
                let old = &f.tokens[f.tokens.len() - 2];
                let o = client::refresh(&h, &b, old).await;
                if !refused(&o) {
                    return Err(format!(
                        "family {}: a rotated token answered {} {}",
                        short(old),
                        o.status,
                        o.body
                    ));
                }
            }
            Ok(if f.state == FamilyState::Idle { 0 } else { 1 })
        }
    })
    .await
    {
        match r {
            Ok(0) => out.families_intact += 1,
            Ok(1) => out.ambiguous_usable += 1,
            Ok(_) => out.ambiguous_refused += 1,
            Err(e) => v.push(e),
        }
    }

    // Codes: an exchanged one is refused; one whose exchange got no answer
    // works at most once.
    let b = base.to_owned();
    for r in each(l.codes.clone(), move |h, (client_id, code)| {
        let b = b.clone();
        async move {
            let c = client::exchange(&h, &b, &client_id, &code).await;
            if refused(&c) {
                Ok(0)
            } else {
                Err(format!(
                    "code {} of {client_id}, exchanged before, answered {} {}",
                    short(&code),
                    c.status,
                    c.body
                ))
            }
        }
    })
    .await
    {
        match r {
            Ok(_) => out.codes_refused += 1,
            Err(e) => v.push(e),
        }
    }
    let b = base.to_owned();
    for r in each(l.unexchanged.clone(), move |h, (client_id, code)| {
        let b = b.clone();
        async move {
            let first = client::exchange(&h, &b, &client_id, &code).await;
            let second = client::exchange(&h, &b, &client_id, &code).await;
            match (first.status == 200, refused(&first), refused(&second)) {
                (true, _, true) => Ok(1),
                (false, true, true) => Ok(0),
                _ => Err(format!(
                    "code {} of {client_id}: exchanges answered {} then {} ({})",
                    short(&code),
                    first.status,
                    second.status,
                    second.body
                )),
            }
        }
    })
    .await
    {
        match r {
            Ok(1) => out.unexchanged_once += 1,
            Ok(_) => out.unexchanged_refused += 1,
            Err(e) => v.push(e),
        }
    }
    out.violations = v;
    out
}

impl Checked {
    pub fn line(&self) -> String {
        format!(
            "{} users, {} clients, {} consents, {} families intact, ambiguous families {} usable / {} refused, {} used codes refused, unanswered codes {} exchanged once / {} refused",
            self.users,
            self.clients,
            self.consents,
            self.families_intact,
            self.ambiguous_usable,
            self.ambiguous_refused,
            self.codes_refused,
            self.unexchanged_once,
            self.unexchanged_refused
        )
    }
}

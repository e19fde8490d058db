//! The load: N workers, each with its own connection, cycling through the
//! code flow with PKCE, refreshes of rotating refresh tokens and
//! client_credentials, with now and then an account made over the admin
//! API (then its consent given on the consent screen) or a client made
//! over the admin API.
//!
//! Every request is recorded (start, end, instance, status, whether it
//! was the expected answer), so each scenario judges it against its own
//! time line. Everything Portico acknowledged (a success answer) goes in
//! the [`Ledger`], which the checks after a fault read: what was
//! acknowledged must still be there.

use crate::client::{self, Call};
use crate::config::{CHAOS_ID, CHAOS_SECRET, LOAD_USERS, PARTNER_ID, PASSWORD, load_email};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Authorize,
    Exchange,
    Refresh,
    ClientCredentials,
    Introspect,
    CreateUser,
    SignIn,
    Consent,
    CreateClient,
}

#[derive(Debug, Clone, Copy)]
pub struct Rec {
    /// Microseconds since the load began.
    pub start_us: u64,
    pub end_us: u64,
    pub instance: usize,
    pub status: u16,
    /// The expected answer (a code, tokens, 201...).
    pub ok: bool,
    /// Answered "try again later": a 503, or the authorization endpoint's
    /// redirect with `error=temporarily_unavailable` (RFC 6749 §4.1.2.1).
    pub unavailable: bool,
    pub op: Op,
}

#[derive(Debug, Clone)]
pub struct UserAck {
    pub id: String,
    pub email: String,
}

/// A refresh family as the driver knows it.
#[derive(Debug, Clone)]
pub struct Family {
    /// Every refresh token Portico gave, oldest first; the last is current.
    pub tokens: Vec<String>,
    pub state: FamilyState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyState {
    /// The last refresh completed: the current token must work once.
    Idle,
    /// A refresh with the current token got no success answer (in flight
    /// at a kill, or refused during an outage): either outcome is safe.
    Ambiguous,
}

/// What Portico acknowledged.
#[derive(Debug, Default)]
pub struct Ledger {
    pub users: Vec<UserAck>,
    /// (client id, secret).
    pub clients: Vec<(String, String)>,
    /// Email of the user who allowed the partner client.
    pub consents: Vec<String>,
    /// (client id, code) exchanged successfully: must never work again.
    pub codes: Vec<(String, String)>,
    /// Codes issued whose exchange got no answer: at most one exchange
    /// may ever succeed.
    pub unexchanged: Vec<(String, String)>,
    pub families: Vec<Family>,
}

/// Shared between the scenario and its workers.
pub struct Control {
    pub t0: Instant,
    /// Workers start no new operation once set.
    pub stop: AtomicBool,
    /// Instances taken out of rotation (a load balancer's view).
    pub down: Vec<AtomicBool>,
    pub bases: Vec<String>,
    pub ledger: Mutex<Ledger>,
    pub records: Mutex<Vec<Rec>>,
    /// The first answer of each kind of failure ("Authorize 500"), for
    /// the report: what Portico said, not just its status.
    pub samples: Mutex<std::collections::BTreeMap<String, String>>,
    pub sessions: Vec<String>,
    pub admin_token: Mutex<String>,
    /// Unique names for users and clients.
    pub serial: AtomicU64,
    /// Make accounts and clients (workers 0 and 1 only; hashing is dear).
    pub admin_ops: bool,
    /// Sleep after a failed operation (outages: no busy loop).
    pub backoff: Duration,
    pub tag: String,
}

impl Control {
    pub fn now_us(&self) -> u64 {
        self.t0.elapsed().as_micros() as u64
    }

    fn lock_ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn records(&self) -> Vec<Rec> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn samples(&self) -> std::collections::BTreeMap<String, String> {
        self.samples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn ledger_snapshot(&self) -> LedgerView {
        let l = self.lock_ledger();
        LedgerView {
            users: l.users.clone(),
            clients: l.clients.clone(),
            consents: l.consents.clone(),
            codes: l.codes.clone(),
            unexchanged: l.unexchanged.clone(),
            families: l.families.clone(),
        }
    }
}

/// A copy of the ledger for the checks.
#[derive(Debug, Clone, Default)]
pub struct LedgerView {
    pub users: Vec<UserAck>,
    pub clients: Vec<(String, String)>,
    pub consents: Vec<String>,
    pub codes: Vec<(String, String)>,
    pub unexchanged: Vec<(String, String)>,
    pub families: Vec<Family>,
}

/// Sign the load's accounts in (one SSO session each) and get an admin
/// token.
pub async fn prepare(base: &str) -> crate::R<(Vec<String>, String)> {
    let h = client::http();
    let mut sessions = Vec::new();
    for n in 0..LOAD_USERS {
        let c = client::sign_in(&h, base, &load_email(n), PASSWORD).await;
        if !c.ok() {
            return Err(format!("load sign-in failed: {} {}", c.status, c.body));
        }
        let s = c.session.ok_or("load sign-in: no session cookie")?;
        sessions.push(s);
    }
    let admin = client::admin_token(&h, base).await?;
    Ok((sessions, admin))
}

struct Worker {
    id: usize,
    ctl: Arc<Control>,
    h: reqwest::Client,
    /// Indexes into the ledger's families this worker refreshes.
    mine: Vec<usize>,
    next_family: usize,
    /// The access token of the last code exchange, to introspect.
    access: Option<String>,
    n: u64,
    turn: AtomicU64,
}

/// The operation mix, cycled: per ten operations three code flows, four
/// refreshes, two client_credentials and an introspection.
const MIX: [u8; 10] = [0, 1, 1, 2, 1, 0, 3, 2, 0, 1];

impl Worker {
    /// Requests alternate over the instances (a code made on one is
    /// exchanged on the other), skipping those taken out.
    fn instance(&self) -> usize {
        let n = self.ctl.bases.len();
        let turn = self.turn.fetch_add(1, Ordering::Relaxed) as usize;
        let preferred = (self.id + turn) % n;
        (0..n)
            .map(|k| (preferred + k) % n)
            .find(|i| !self.ctl.down[*i].load(Ordering::SeqCst))
            .unwrap_or(preferred)
    }

    fn record(&self, inst: usize, start_us: u64, c: &Call, ok: bool, op: Op) {
        let r = Rec {
            start_us,
            end_us: self.ctl.now_us(),
            instance: inst,
            status: c.status,
            ok,
            unavailable: c.status == 503
                || c.location_param("error").as_deref() == Some("temporarily_unavailable"),
            op,
        };
        if !ok {
            let key = format!("{op:?} {}", c.status);
            let mut s = self.ctl.samples.lock().unwrap_or_else(|e| e.into_inner());
            if s.len() < 40 && !s.contains_key(&key) {
                let what = match &c.location {
                    Some(l) => format!("Location: {l}"),
                    None => c.body.chars().take(300).collect(),
                };
                s.insert(key, what);
            }
        }
        self.ctl
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(r);
    }

    /// One request: the call, recorded with its verdict.
    async fn call<F, Fut>(&self, op: Op, f: F, judge: impl Fn(&Call) -> bool) -> (Call, bool)
    where
        F: FnOnce(reqwest::Client, String) -> Fut,
        Fut: std::future::Future<Output = Call>,
    {
        let inst = self.instance();
        let base = self.ctl.bases[inst].clone();
        let start = self.ctl.now_us();
        let c = f(self.h.clone(), base).await;
        let ok = judge(&c);
        self.record(inst, start, &c, ok, op);
        (c, ok)
    }

    async fn run(mut self) {
        while !self.ctl.stop.load(Ordering::SeqCst) {
            let admin_turn = self.ctl.admin_ops && self.id < 2 && self.n % 20 == 19;
            let done = if admin_turn {
                if (self.n / 20).is_multiple_of(2) {
                    self.user_and_consent().await
                } else {
                    self.new_client().await
                }
            } else {
                match MIX[(self.n % MIX.len() as u64) as usize] {
                    0 => self.code_flow().await,
                    1 => self.refresh().await,
                    2 => self.client_credentials().await,
                    _ => self.introspect().await,
                }
            };
            self.n += 1;
            if !done {
                tokio::time::sleep(self.ctl.backoff).await;
            }
        }
    }

    fn session(&self) -> String {
        self.ctl.sessions[self.id % self.ctl.sessions.len()].clone()
    }

    /// Authorize with the SSO session, then exchange the code (PKCE); a
    /// new refresh family.
    async fn code_flow(&mut self) -> bool {
        let cookie = self.session();
        let (c, ok) = self
            .call(
                Op::Authorize,
                |h, b| async move {
                    client::authorize(&h, &b, &cookie, CHAOS_ID, "openid offline_access api", "")
                        .await
                },
                |c| c.status == 302 && c.location_param("code").is_some(),
            )
            .await;
        let Some(code) = c.location_param("code").filter(|_| ok) else {
            return false;
        };
        self.exchange(CHAOS_ID, code, true).await
    }

    async fn exchange(&mut self, client_id: &'static str, code: String, family: bool) -> bool {
        let code2 = code.clone();
        let (c, ok) = self
            .call(
                Op::Exchange,
                |h, b| async move { client::exchange(&h, &b, client_id, &code2).await },
                |c| c.status == 200 && c.json()["access_token"].is_string(),
            )
            .await;
        let mut l = self.ctl.lock_ledger();
        if !ok {
            l.unexchanged.push((client_id.to_owned(), code));
            return false;
        }
        l.codes.push((client_id.to_owned(), code));
        if family {
            self.access = c.json()["access_token"].as_str().map(str::to_owned);
        }
        if family && let Some(rt) = c.json()["refresh_token"].as_str() {
            l.families.push(Family {
                tokens: vec![rt.to_owned()],
                state: FamilyState::Idle,
            });
            let idx = l.families.len() - 1;
            drop(l);
            // Each worker keeps three families going; older ones rest, to
            // be checked after the fault as they were left.
            if self.mine.len() < 3 {
                self.mine.push(idx);
            } else {
                let slot = self.next_family % 3;
                self.mine[slot] = idx;
            }
        }
        true
    }

    async fn refresh(&mut self) -> bool {
        if self.mine.is_empty() {
            return self.code_flow().await;
        }
        self.next_family = (self.next_family + 1) % self.mine.len();
        let idx = self.mine[self.next_family];
        let rt = {
            let l = self.ctl.lock_ledger();
            match l.families.get(idx) {
                Some(f) if f.state == FamilyState::Idle => f.tokens.last().cloned(),
                _ => None,
            }
        };
        let Some(rt) = rt else {
            self.mine.remove(self.next_family);
            return self.code_flow().await;
        };
        let (c, ok) = self
            .call(
                Op::Refresh,
                |h, b| async move { client::refresh(&h, &b, &rt).await },
                |c| c.status == 200 && c.json()["refresh_token"].is_string(),
            )
            .await;
        let mut l = self.ctl.lock_ledger();
        let Some(f) = l.families.get_mut(idx) else {
            return false;
        };
        match c.json()["refresh_token"].as_str().filter(|_| ok) {
            Some(next) => {
                f.tokens.push(next.to_owned());
                true
            }
            None => {
                // Never reuse it: if the rotation happened, a second use
                // would revoke the family. Checked after the fault.
                f.state = FamilyState::Ambiguous;
                drop(l);
                self.mine.remove(self.next_family);
                false
            }
        }
    }

    async fn client_credentials(&mut self) -> bool {
        self.call(
            Op::ClientCredentials,
            |h, b| async move {
                client::client_credentials(&h, &b, CHAOS_ID, CHAOS_SECRET, "api").await
            },
            |c| c.status == 200 && c.json()["access_token"].is_string(),
        )
        .await
        .1
    }

    /// A live access token must be active (a resource server asking).
    async fn introspect(&mut self) -> bool {
        let Some(at) = self.access.clone() else {
            return self.code_flow().await;
        };
        self.call(
            Op::Introspect,
            |h, b| async move { client::introspect(&h, &b, &at).await },
            |c| c.status == 200 && c.json()["active"] == serde_json::Value::Bool(true),
        )
        .await
        .1
    }

    fn fresh_name(&self, kind: &str) -> String {
        let n = self.ctl.serial.fetch_add(1, Ordering::SeqCst);
        format!("{kind}-{}-{n}", self.ctl.tag)
    }

    /// An account over the admin API; it signs in and allows the
    /// third-party client on the consent screen; that code is exchanged.
    async fn user_and_consent(&mut self) -> bool {
        let email = format!("{}@chaos.example", self.fresh_name("user"));
        let token = self
            .ctl
            .admin_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let e2 = email.clone();
        let (c, ok) = self
            .call(
                Op::CreateUser,
                |h, b| async move { client::create_user(&h, &b, &token, &e2, PASSWORD).await },
                |c| c.status == 201,
            )
            .await;
        let body = c.json();
        let Some(id) = body["user"]["id"].as_str().filter(|_| ok) else {
            return false;
        };
        self.ctl.lock_ledger().users.push(UserAck {
            id: id.to_owned(),
            email: email.clone(),
        });
        let e3 = email.clone();
        let (c, ok) = self
            .call(
                Op::SignIn,
                |h, b| async move { client::sign_in(&h, &b, &e3, PASSWORD).await },
                |c| c.status == 200 && c.session.is_some(),
            )
            .await;
        let Some(cookie) = c.session.filter(|_| ok) else {
            return false;
        };
        let ck = cookie.clone();
        let (c, ok) = self
            .call(
                Op::Authorize,
                |h, b| async move {
                    client::authorize(&h, &b, &ck, PARTNER_ID, "openid profile", "").await
                },
                |c| {
                    c.status == 302
                        && c.location
                            .as_deref()
                            .is_some_and(|l| l.starts_with("/consent?request="))
                },
            )
            .await;
        let Some(request) = c.location_param("request").filter(|_| ok) else {
            return false;
        };
        let (c, ok) = self
            .call(
                Op::Consent,
                |h, b| async move { client::consent(&h, &b, &cookie, &request).await },
                |c| c.status == 200 && c.json()["redirect_to"].is_string(),
            )
            .await;
        if !ok {
            return false;
        }
        self.ctl.lock_ledger().consents.push(email);
        let to = c.json()["redirect_to"].as_str().unwrap_or("").to_owned();
        let code = to
            .split_once('?')
            .and_then(|(_, q)| q.split('&').find_map(|p| p.strip_prefix("code=")))
            .map(str::to_owned);
        match code {
            Some(code) => self.exchange(PARTNER_ID, code, false).await,
            None => false,
        }
    }

    /// A machine client over the admin API; it gets a token at once.
    async fn new_client(&mut self) -> bool {
        let id = self.fresh_name("client");
        let token = self
            .ctl
            .admin_token
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let id2 = id.clone();
        let (c, ok) = self
            .call(
                Op::CreateClient,
                |h, b| async move { client::create_client(&h, &b, &token, &id2).await },
                |c| c.status == 201 && c.json()["client_secret"].is_string(),
            )
            .await;
        let body = c.json();
        let Some(secret) = body["client_secret"]
            .as_str()
            .filter(|_| ok)
            .map(str::to_owned)
        else {
            return false;
        };
        self.ctl
            .lock_ledger()
            .clients
            .push((id.clone(), secret.clone()));
        self.call(
            Op::ClientCredentials,
            |h, b| async move { client::client_credentials(&h, &b, &id, &secret, "api").await },
            |c| c.status == 200,
        )
        .await
        .1
    }
}

/// Start `n` workers; they run until `ctl.stop`.
pub fn spawn(ctl: &Arc<Control>, n: usize) -> Vec<tokio::task::JoinHandle<()>> {
    (0..n)
        .map(|id| {
            let w = Worker {
                id,
                ctl: ctl.clone(),
                h: client::http(),
                mine: Vec::new(),
                next_family: 0,
                access: None,
                n: id as u64 * 7,
                turn: AtomicU64::new(0),
            };
            tokio::spawn(w.run())
        })
        .collect()
}

/// Stop the workers and wait for them (each ends its current request).
pub async fn stop(ctl: &Control, workers: Vec<tokio::task::JoinHandle<()>>) {
    ctl.stop.store(true, Ordering::SeqCst);
    for w in workers {
        let _ = w.await;
    }
}

/// Figures of a set of records.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Figures {
    pub requests: usize,
    pub ok: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub fn figures(recs: &[&Rec], secs: f64) -> Figures {
    let mut lat: Vec<u64> = recs.iter().map(|r| r.end_us - r.start_us).collect();
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[i.min(lat.len() - 1)] as f64 / 1000.0
    };
    let ok = recs.iter().filter(|r| r.ok).count();
    Figures {
        requests: recs.len(),
        ok,
        errors: recs.len() - ok,
        per_second: if secs > 0.0 { ok as f64 / secs } else { 0.0 },
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
        max_ms: lat.last().copied().unwrap_or(0) as f64 / 1000.0,
    }
}

//! The portico.toml every chaos instance starts with: the load's client,
//! a third-party client for the consent screen, an admin client, and the
//! accounts whose SSO sessions the load uses.

/// First-party (no consent screen): the code flow, refreshes and
/// client_credentials of the load.
pub const CHAOS_ID: &str = "chaos";
pub const CHAOS_SECRET: &str = "chaos-secret-0123456789abcdefghijklmnopqrstuvwxyz";
/// Third-party: its first authorization shows the consent screen.
pub const PARTNER_ID: &str = "partner";
pub const PARTNER_SECRET: &str = "partner-secret-0123456789abcdefghijklmnopqrstuvw";
/// client_credentials with `portico:admin`: creates users and clients.
pub const ADMIN_ID: &str = "chaos-admin";
pub const ADMIN_SECRET: &str = "chaos-admin-secret-0123456789abcdefghijklmnopqrs";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";
/// The load's own accounts (`load0@chaos.example`...), one SSO session
/// each; workers share them.
pub const LOAD_USERS: usize = 4;
pub const PASSWORD: &str = "chaos-password-0123";
/// The pool's acquire timeout: a request with the database down must end
/// within this (plus a margin).
pub const ACQUIRE_TIMEOUT_SECS: u64 = 2;

pub fn load_email(n: usize) -> String {
    format!("load{n}@chaos.example")
}

/// The file's text. `sweep`: whether this instance runs the sweeper (one
/// of two instances on a database does).
pub fn portico_toml(sweep: bool) -> String {
    let users: String = (0..LOAD_USERS)
        .map(|n| {
            format!(
                "\n[[users]]\nemail = \"{}\"\nname = \"Load {n}\"\npassword = \"{PASSWORD}\"\nemail_verified = true\n",
                load_email(n)
            )
        })
        .collect();
    format!(
        r#"[database]
max_connections = 10
acquire_timeout_secs = {ACQUIRE_TIMEOUT_SECS}

[retention]
sweep_interval_secs = {sweep}

[[clients]]
id = "{CHAOS_ID}"
secret = "{CHAOS_SECRET}"
redirect_uris = ["{REDIRECT_URI}"]
grant_types = ["authorization_code", "refresh_token", "client_credentials"]
scopes = ["openid", "offline_access", "api"]
first_party = true
introspection = true

[[clients]]
id = "{PARTNER_ID}"
name = "Partner"
secret = "{PARTNER_SECRET}"
redirect_uris = ["{REDIRECT_URI}"]
scopes = ["openid", "profile"]

[[clients]]
id = "{ADMIN_ID}"
secret = "{ADMIN_SECRET}"
grant_types = ["client_credentials"]
scopes = ["portico:admin"]
{users}"#,
        sweep = if sweep { 60 } else { 0 }
    )
}

//! The claims a user's record releases for a set of scopes (OIDC Core
//! §5.4), in id_tokens, userinfo and introspection.

use crate::model::User;
use crate::protocol::scope::{self, EMAIL, PHONE, PROFILE};
use serde_json::{Map, Value, json};

/// The user's claims that `scopes` release (OIDC Core §5.4): `sub` always,
/// email and email_verified for `email`, the name claims, birthdate and
/// updated_at for `profile`, phone_number for `phone`. Claims the user has
/// no value for are left out.
pub fn claims_for(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id));
    if scope::contains(scopes, EMAIL) {
        out.insert("email".into(), json!(user.email));
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if scope::contains(scopes, PHONE)
        && let Some(n) = &user.phone_number
    {
        out.insert("phone_number".into(), json!(n));
        out.insert("phone_number_verified".into(), json!(false));
    }
    if scope::contains(scopes, PROFILE) {
        if !user.name.is_empty() {
            out.insert("name".into(), json!(user.name));
        }
        if let Some(b) = &user.birthdate {
            out.insert("birthdate".into(), json!(b));
        }
        if let Some(g) = &user.given_name {
            out.insert("given_name".into(), json!(g));
        }
        if let Some(f) = &user.family_name {
            out.insert("family_name".into(), json!(f));
        }
        out.insert("updated_at".into(), json!(user.updated_at));
    }
    out
}

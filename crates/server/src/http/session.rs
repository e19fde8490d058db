//! The SSO session: its cookie (name, flags, reading) and the live session
//! a request's cookie names.

use super::error::Error;
use crate::AppState;
use axum::http::header::{COOKIE, HeaderMap, HeaderValue, SET_COOKIE};
use axum::response::Response;
use portico_core::model::Session;

/// The session cookie's name and flags, and the origin the UI runs on.
#[derive(Clone, Debug)]
pub struct CookieSettings {
    pub name: &'static str,
    pub secure: bool,
    pub origin: String,
}

impl CookieSettings {
    /// Secure cookies unless the issuer is plain-HTTP localhost.
    pub fn for_issuer(issuer: &str) -> Self {
        let u = url::Url::parse(issuer).ok();
        let local_http = u.as_ref().is_some_and(|u| {
            u.scheme() == "http"
                && matches!(
                    u.host_str(),
                    Some("localhost") | Some("127.0.0.1") | Some("[::1]")
                )
        });
        let origin = u
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        if local_http {
            Self {
                name: "portico_session",
                secure: false,
                origin,
            }
        } else {
            Self {
                name: "__Host-portico_session",
                secure: true,
                origin,
            }
        }
    }

    /// The cookie of the step between password and second factor: the
    /// same flags under its own name, so it never counts as a session.
    pub fn second_factor(&self) -> Self {
        Self {
            name: if self.secure {
                "__Host-portico_mfa"
            } else {
                "portico_mfa"
            },
            secure: self.secure,
            origin: self.origin.clone(),
        }
    }

    pub fn set(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let v = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name
        );
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    pub fn clear(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let v = format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            self.name
        );
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session cookie's value, if the request carries one.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == self.name)
            .map(|(_, v)| v.to_owned())
    }
}

/// The live SSO session of the request, if any.
pub async fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, Error> {
    let Some(cookie) = state.cookies.read(headers) else {
        return Ok(None);
    };
    portico_core::services::accounts::session_from_cookie(&state.provider, &cookie)
        .await
        .map_err(Error::Core)
}

pub fn set_cookie(r: &mut Response, v: HeaderValue) {
    r.headers_mut().append(SET_COOKIE, v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_http_cookies_are_not_secure_others_are() {
        let c = CookieSettings::for_issuer("http://127.0.0.1:8080");
        assert!(!c.secure);
        assert_eq!(c.origin, "http://127.0.0.1:8080");
        let c = CookieSettings::for_issuer("https://id.example.com");
        assert!(c.secure);
        assert!(c.set("v", 10).to_str().unwrap().contains("; Secure"));
        assert!(c.name.starts_with("__Host-"));
    }

    #[test]
    fn cookie_is_http_only_and_lax() {
        let c = CookieSettings::for_issuer("http://localhost:1");
        let v = c.set("abc", 60);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Path=/"));
    }

    #[test]
    fn cookie_is_read_among_others() {
        let c = CookieSettings::for_issuer("http://localhost:1");
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; portico_session=xyz; b=2"),
        );
        assert_eq!(c.read(&h).as_deref(), Some("xyz"));
    }
}

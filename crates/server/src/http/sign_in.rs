//! A sign-in's steps after the credentials: the verification gate, the
//! second factor, the session, and on to the request or the page the
//! sign-in came from. Shared by every handler that signs someone in
//! (password, verification code, second factor, passkey).

use super::error::{Error, json};
use super::extract::accept_language;
use super::pages::screen_path;
use super::session::set_cookie;
use crate::AppState;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use portico_api_types::NextStep;
use portico_api_types::routes::pages;
use portico_core::endpoints::authorize::Outcome;
use portico_core::model::User;
use portico_core::services::accounts;
use portico_core::services::mfa;
use portico_core::services::verification;

/// What a UI API handler answers: a JSON answer, or a refusal.
pub(crate) type Answer = Result<Response, Error>;

/// Where the browser goes after a screen: the client (a redirect or a
/// form post) or the next screen.
pub(crate) fn next_step(p: &portico_core::Provider, o: Outcome) -> Answer {
    match o {
        Outcome::Redirect(url) => Ok(json(NextStep::go(url))),
        // Through Portico's own relay page: the UI's CSP keeps its forms
        // on Portico ([`portico_core::endpoints::authorize::relay`]).
        Outcome::FormPost(f) => {
            let f = portico_core::endpoints::authorize::relay(p, &f);
            Ok(json(NextStep {
                redirect_to: f.action,
                form_post: Some(f.fields),
            }))
        }
        Outcome::Interaction { screen, request_id } => {
            Ok(json(NextStep::go(screen_path(screen, &request_id))))
        }
        Outcome::ErrorPage(e) => Err(Error::Core(e)),
    }
}

/// The UI pages a sign-in without a request may return to. Only these
/// fixed paths (with a plain query) are honoured, so `return_to` can never
/// send the browser to another site.
const RETURN_PAGES: [&str; 3] = [pages::DEVICE, pages::ACCOUNT_SECURITY, pages::ADMIN];

pub(crate) fn return_path(return_to: Option<&str>) -> Option<&str> {
    let r = return_to?;
    let (path, query) = r.split_once('?').unwrap_or((r, ""));
    let plain = query
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.=&%+".contains(&b));
    (RETURN_PAGES.contains(&path) && plain).then_some(r)
}

/// The first step of a sign-in is done (`methods`: how): unless the
/// address must be verified first or a second factor is due, start a
/// session and, when the sign-in belongs to an authorization request,
/// finish it. The answer names the next URL.
pub(crate) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    request: Option<&str>,
    return_to: Option<&str>,
    from: Option<std::net::IpAddr>,
    methods: &[&str],
) -> Answer {
    let p = &state.provider;
    // An address the entrypoint requires verified: a code first, and no
    // session until it is typed.
    if let Some(page) = verification::gate(p, user, request, from, accept_language(headers))
        .await
        .map_err(Error::Core)?
    {
        return Ok(json(NextStep::go(page)));
    }
    let so_far: Vec<String> = methods.iter().map(|m| (*m).to_owned()).collect();
    let policy = mfa::policy_for(p, request).await.map_err(Error::Core)?;
    if mfa::need(p, &user.id, &so_far, policy)
        .await
        .map_err(Error::Core)?
        == mfa::Need::SecondFactor
    {
        // No session yet: a short-lived cookie holds the password step.
        let pending = mfa::begin_second_factor(p, &user.id, methods)
            .await
            .map_err(Error::Core)?;
        let mut page = url::form_urlencoded::Serializer::new(String::new());
        if let Some(r) = request {
            page.append_pair("request", r);
        }
        if let Some(r) = return_path(return_to) {
            page.append_pair("return_to", r);
        }
        let query = page.finish();
        let to = if query.is_empty() {
            pages::SECOND_FACTOR.to_owned()
        } else {
            format!("{}?{query}", pages::SECOND_FACTOR)
        };
        let mut r = json(NextStep::go(to));
        let cookie = state.cookies.second_factor();
        set_cookie(&mut r, cookie.set(&pending, mfa::SECOND_FACTOR_TTL));
        return Ok(r);
    }
    start_and_continue(state, headers, &user.id, &so_far, request, return_to).await
}

/// Start a session for `user_id`, authenticated with `amr`, and go on:
/// finish the request, or return to the page the sign-in came from.
pub(crate) async fn start_and_continue(
    state: &AppState,
    headers: &HeaderMap,
    user_id: &str,
    amr: &[String],
    request: Option<&str>,
    return_to: Option<&str>,
) -> Answer {
    let p = &state.provider;
    // The browser's earlier session, if any, never outlives this one.
    let earlier = state.cookies.read(headers);
    let methods: Vec<&str> = amr.iter().map(String::as_str).collect();
    let started = accounts::start_session(p, user_id, p.now(), &methods, earlier.as_deref()).await;
    let (cookie, sess) = started.map_err(Error::Core)?;
    // The cookie goes with every answer from here on, refusals included:
    // the session has started.
    let mut r = match request {
        Some(id) => match portico_core::endpoints::authorize::complete(p, id, &sess, true).await {
            Ok(o) => next_step(p, o),
            Err(e) => Err(Error::Core(e)),
        },
        None => Ok(json(NextStep::go(return_path(return_to).unwrap_or("/")))),
    }
    .into_response();
    set_cookie(&mut r, state.cookies.set(&cookie, p.config.session_ttl));
    if state.cookies.second_factor().read(headers).is_some() {
        set_cookie(&mut r, state.cookies.second_factor().clear());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_pages_are_returned_to() {
        assert_eq!(return_path(Some("/device")), Some("/device"));
        assert_eq!(
            return_path(Some("/device?user_code=BCDF-GHJK")),
            Some("/device?user_code=BCDF-GHJK")
        );
        for bad in [
            "https://evil.example/device",
            "//evil.example/device",
            "/device/../x",
            "/\\evil.example",
            "/devices",
            "/device?x=<script>",
            "/device?next=//evil",
            "/",
        ] {
            assert_eq!(return_path(Some(bad)), None, "{bad}");
        }
        assert_eq!(return_path(None), None);
    }
}

//! The screens, one file per route. Each loads what it shows through
//! [`crate::api`], shows the loading line until all of it has arrived, then
//! renders the shared parts in [`crate::components`]. Screens never import
//! each other; what two of them need lives here or in the components.

mod authorize_error;
mod consent;
mod device;
#[cfg(feature = "account")]
mod email_change_undo;
#[cfg(feature = "account")]
mod forgot_password;
#[cfg(feature = "account")]
mod home;
mod login;
mod logout;
mod not_found;
#[cfg(feature = "account")]
mod reset_password;
mod second_factor;
#[cfg(feature = "account")]
mod security;
mod sign_up;
#[cfg(feature = "account")]
mod verify_email;

pub use authorize_error::AuthorizeError;
pub use consent::Consent;
pub use device::Device;
#[cfg(feature = "account")]
pub use email_change_undo::EmailChangeUndo;
#[cfg(feature = "account")]
pub use forgot_password::ForgotPassword;
#[cfg(feature = "account")]
pub use home::Home;
pub use login::Login;
pub use logout::Logout;
pub use not_found::NotFound;
#[cfg(feature = "account")]
pub use reset_password::ResetPassword;
pub use second_factor::SecondFactor;
#[cfg(feature = "account")]
pub use security::Security;
pub use sign_up::SignUp;
#[cfg(feature = "account")]
pub use verify_email::VerifyEmail;

use crate::api;
use crate::components::Loading;
use crate::{switch_link, with_request};
use leptos::either::Either;
use leptos::prelude::*;
use portico_api_types::{ApiError, AuthRequestInfo, SessionInfo};

/// The visitor's session as the server reports it.
type Session = LocalResource<Result<SessionInfo, ApiError>>;

/// The pending request named in `?request=`: `None` inside when the page
/// names none.
type RequestInfo = LocalResource<Option<Result<AuthRequestInfo, ApiError>>>;

/// A parameter of the page's query string. Screens change by full page
/// loads (the server picks the next step), so the query never changes
/// under a screen.
fn query_param(name: &'static str) -> Signal<Option<String>> {
    let value =
        web_sys::UrlSearchParams::new_with_str(&window().location().search().unwrap_or_default())
            .ok()
            .and_then(|q| q.get(name));
    Signal::stored(value)
}

fn request_param() -> Signal<Option<String>> {
    query_param("request")
}

/// Load the pending request named in `?request=`, if any.
fn request_info(request: Signal<Option<String>>) -> RequestInfo {
    LocalResource::new(move || {
        let id = request.get();
        async move {
            match id {
                Some(id) => Some(api::auth_request(&id).await),
                None => None,
            }
        }
    })
}

fn session() -> Session {
    LocalResource::new(api::session)
}

/// The signed-in account's email, once the session has loaded; `None`
/// while loading, when signed out, or when the session could not be read.
fn signed_in_email(session: Session) -> Option<String> {
    match session.get() {
        Some(Ok(SessionInfo {
            signed_in: true,
            email: Some(email),
            ..
        })) => Some(email),
        _ => None,
    }
}

/// The screen once everything it shows has arrived, and only the loading
/// line before: a heading never appears without what it heads, so a
/// reader (or a browser test) that sees the heading sees the screen. The
/// screen is built once, when `arrived` first holds.
fn when_loaded<V: IntoView + 'static>(
    arrived: impl Fn() -> bool + Send + Sync + 'static,
    screen: impl Fn() -> V + Send + Sync + 'static,
) -> impl IntoView {
    let arrived = Memo::new(move |_| arrived());
    move || {
        if arrived.get() {
            Either::Left(untrack(&screen))
        } else {
            Either::Right(view! { <Loading/> })
        }
    }
}

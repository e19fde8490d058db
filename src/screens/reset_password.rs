//! The mailed reset link's page: `?token=...`, "Set a new password".

use super::query_param;
use crate::components::{LinkExpired, NewPasswordForm, Title};
use crate::theme::use_ui;
use leptos::either::Either;
use leptos::prelude::*;
use portico_api_types::routes::pages;

/// Nothing to load: the server checks the token when the new password is
/// sent. A link cut short (no token) can never work, so it says so at once.
#[component]
pub fn ResetPassword() -> impl IntoView {
    let t = use_ui().t;
    let token = query_param("token")
        .get_untracked()
        .filter(|t| !t.is_empty());
    view! {
        <Title title=t.new_password_title/>
        {match token {
            Some(token) => Either::Left(view! { <NewPasswordForm token=token/> }),
            None => Either::Right(view! { <LinkExpired href=pages::FORGOT_PASSWORD label=t.ask_new_link/> }),
        }}
    }
}

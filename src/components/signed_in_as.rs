//! "Signed in as …" under a screen that acts on the signed-in account.

use crate::theme::use_ui;
use leptos::prelude::*;

/// Which account a decision is made with, so nobody allows or signs out
/// with the wrong one.
#[component]
pub fn SignedInAs(#[prop(into)] email: String) -> impl IntoView {
    let t = use_ui().t;
    view! { <p class="signed-in-as">{t.signed_in_as} <strong>{email}</strong></p> }
}

//! Portico's hosted login UI: a Leptos client-side app. Screens stay thin:
//! they render, collect input and call the typed functions in [`api`].

pub mod api;
pub mod components;
pub mod screens;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <div class="page">
                <main class="card" id="main">
                    <Routes fallback=screens::NotFound>
                        <Route path=path!("/") view=screens::Home/>
                        <Route path=path!("/login") view=screens::Login/>
                        <Route path=path!("/sign-up") view=screens::SignUp/>
                        <Route path=path!("/oauth2/authorize") view=screens::AuthorizeError/>
                        <Route path=path!("/oauth2/auth") view=screens::AuthorizeError/>
                    </Routes>
                </main>
            </div>
        </Router>
    }
}

/// Send the browser to a URL the server chose.
pub fn navigate(url: &str) {
    let _ = window().location().assign(url);
}

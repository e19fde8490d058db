//! The screens. Each loads what it shows through [`crate::api`] and renders
//! the shared components.

use crate::api;
use crate::components::{ConsentChoices, ErrorBanner, FormState, LoginForm, SignUpForm};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use portico_api_types::{AuthRequestInfo, SessionInfo};

fn request_param() -> Signal<Option<String>> {
    let q = use_query_map();
    Signal::derive(move || q.read().get("request"))
}

/// Load the pending request named in `?request=`, if any.
fn request_info(
    request: Signal<Option<String>>,
) -> LocalResource<Option<Result<AuthRequestInfo, portico_api_types::ApiError>>> {
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

/// Heading and the "to continue to" line for a request.
#[component]
fn Heading(
    title: &'static str,
    info: LocalResource<Option<Result<AuthRequestInfo, portico_api_types::ApiError>>>,
) -> impl IntoView {
    view! {
        <header class="card-header">
            <p class="brand">
                {move || match info.get() {
                    Some(Some(Ok(i))) => i.entrypoint.display_name,
                    _ => "Portico".to_owned(),
                }}
            </p>
            <h1>{title}</h1>
            {move || match info.get() {
                Some(Some(Ok(i))) => Some(view! { <p class="subtitle">"to continue to " <strong>{i.client_name}</strong></p> }.into_any()),
                Some(Some(Err(e))) => Some(view! {
                    <div class="banner banner-error" role="alert"><p>{e.message}</p></div>
                }.into_any()),
                _ => None,
            }}
        </header>
    }
}

fn with_request(path: &str, request: Option<String>) -> String {
    match request {
        Some(r) => format!("{path}?request={r}"),
        None => path.to_owned(),
    }
}

/// Back out of a pending request: the app gets access_denied.
#[component]
fn CancelButton(request: Signal<Option<String>>) -> impl IntoView {
    let cancel = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(n) = api::cancel(&r).await {
                crate::follow(&n);
            }
        });
    };
    move || {
        request.get().map(|_| view! { <button type="button" class="button-link" on:click=cancel>"Cancel"</button> })
    }
}

/// prompt=select_account: continue as the signed-in account, or sign in
/// with another one below.
#[component]
fn AccountChooser(
    request: Signal<Option<String>>,
    info: LocalResource<Option<Result<AuthRequestInfo, portico_api_types::ApiError>>>,
) -> impl IntoView {
    let session = LocalResource::new(api::session);
    let state = FormState::new();
    let cont = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        state.submit(move || async move { api::continue_request(&r).await });
    };
    move || {
        let choosing = matches!(info.get(), Some(Some(Ok(i))) if i.select_account);
        match session.get() {
            Some(Ok(SessionInfo {
                signed_in: true,
                email: Some(email),
                name,
            })) if choosing => Some(view! {
                <section class="chooser" aria-labelledby="chooser-title">
                    <h2 id="chooser-title">"Choose an account"</h2>
                    <ErrorBanner error=state.error/>
                    <button type="button" class="button-secondary account" on:click=cont disabled=move || state.busy.get()>
                        "Continue as " {name.unwrap_or_default()} " (" {email} ")"
                    </button>
                    <p class="or">"Or sign in with another account:"</p>
                </section>
            }),
            _ => None,
        }
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let request = request_param();
    let info = request_info(request);
    view! {
        <Heading title="Sign in" info=info/>
        <AccountChooser request=request info=info/>
        <LoginForm request=request/>
        <p class="switch">
            "New here? " <a href=move || with_request("/sign-up", request.get())>"Create an account"</a>
        </p>
        <CancelButton request=request/>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let request = request_param();
    let info = request_info(request);
    let session = LocalResource::new(api::session);
    let busy = RwSignal::new(false);
    let cont = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::continue_request(&r).await {
                Ok(n) => crate::follow(&n),
                Err(_) => crate::navigate(&with_request("/login", Some(r))),
            }
        });
    };
    view! {
        <Heading title="Create your account" info=info/>
        {move || match (session.get(), request.get()) {
            (Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })), Some(_)) => Some(view! {
                <div class="banner banner-info">
                    <p>"You are already signed in as " <strong>{email}</strong> "."</p>
                    <button type="button" class="button-secondary" on:click=cont disabled=move || busy.get()>"Continue"</button>
                </div>
            }),
            _ => None,
        }}
        <SignUpForm request=request/>
        <p class="switch">
            "Already have an account? " <a href=move || with_request("/login", request.get())>"Sign in"</a>
        </p>
        <CancelButton request=request/>
    }
}

/// The consent screen: which app, what it asks for in plain words, and
/// "Allow" / "Don't allow".
#[component]
pub fn Consent() -> impl IntoView {
    let request = request_param();
    let info = request_info(request);
    let session = LocalResource::new(api::session);
    let state = FormState::new();
    let answer = move |allow: bool| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        state.submit(move || async move { api::consent(&r, allow).await });
    };
    view! {
        <Heading title="Allow access?" info=info/>
        <ErrorBanner error=state.error/>
        {move || match info.get() {
            Some(Some(Ok(i))) => Some(view! {
                <ConsentChoices client_name=i.client_name scopes=i.scopes busy=state.busy answer=answer/>
            }),
            _ => None,
        }}
        {move || match session.get() {
            Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })) => Some(view! {
                <p class="signed-in-as">"Signed in as " <strong>{email}</strong></p>
            }),
            _ => None,
        }}
    }
}

#[component]
pub fn Home() -> impl IntoView {
    let session = LocalResource::new(api::session);
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::logout().await;
            crate::navigate("/");
        });
    };
    view! {
        <header class="card-header"><p class="brand">"Portico"</p><h1>"Your account"</h1></header>
        {move || match session.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(Ok(SessionInfo { signed_in: true, email, name })) => view! {
                <p>"Signed in as " <strong>{name.unwrap_or_default()}</strong> " (" {email.unwrap_or_default()} ")."</p>
                <button type="button" class="button-secondary" on:click=sign_out>"Sign out"</button>
            }.into_any(),
            Some(_) => view! {
                <p>"You are not signed in."</p>
                <p><a href="/login">"Sign in"</a></p>
            }.into_any(),
        }}
    }
}

/// Shown (with HTTP 400) when an authorization request cannot be sent back
/// to the app: unknown client or redirect URI.
#[component]
pub fn AuthorizeError() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let info = LocalResource::new(move || {
        let s = search.clone();
        async move { api::authorize_error(&s).await }
    });
    view! {
        <header class="card-header"><p class="brand">"Portico"</p><h1>"This sign-in link does not work"</h1></header>
        <div class="banner banner-error" role="alert">
            {move || match info.get() {
                Some(Ok(e)) => view! {
                    <p>{e.error_description}</p>
                    <p class="error-code">"Error code: " <code>{e.error}</code></p>
                }.into_any(),
                Some(Err(e)) => view! { <p>{e.message}</p> }.into_any(),
                None => view! { <p>"Checking the link…"</p> }.into_any(),
            }}
        </div>
        <p>"Go back to the app you came from and try again. If it keeps happening, tell the app's support team."</p>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <header class="card-header"><p class="brand">"Portico"</p><h1>"Page not found"</h1></header>
        <p><a href="/">"Go to your account"</a></p>
    }
}

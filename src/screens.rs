//! The screens. Each loads what it shows through [`crate::api`] and renders
//! the shared components.

use crate::api;
use crate::components::{
    ConsentChoices, ErrorBanner, Field, FormState, LoginForm, SignUpForm, SubmitButton, field_error,
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use portico_api_types::{ApiError, AuthRequestInfo, DeviceInfo, SessionInfo};

fn query_param(name: &'static str) -> Signal<Option<String>> {
    let q = use_query_map();
    Signal::derive(move || q.read().get(name))
}

fn request_param() -> Signal<Option<String>> {
    query_param("request")
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

/// The link to the other account screen, keeping the request or the page
/// to return to.
fn switch_link(path: &str, request: Option<String>, return_to: Option<String>) -> String {
    match (request, return_to) {
        (Some(r), _) => with_request(path, Some(r)),
        (None, Some(t)) => format!("{path}?return_to={}", api::encode_segment(&t)),
        (None, None) => path.to_owned(),
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
    let return_to = query_param("return_to");
    let info = request_info(request);
    view! {
        <Heading title="Sign in" info=info/>
        <AccountChooser request=request info=info/>
        <LoginForm request=request return_to=return_to/>
        <p class="switch">
            "New here? " <a href=move || switch_link("/sign-up", request.get(), return_to.get())>"Create an account"</a>
        </p>
        <CancelButton request=request/>
    }
}

#[component]
pub fn SignUp() -> impl IntoView {
    let request = request_param();
    let return_to = query_param("return_to");
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
        <SignUpForm request=request return_to=return_to/>
        <p class="switch">
            "Already have an account? " <a href=move || switch_link("/login", request.get(), return_to.get())>"Sign in"</a>
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

/// Where the device page stands.
#[derive(Clone)]
enum DeviceStep {
    Enter,
    Confirm(DeviceInfo),
    /// Done; true when the device was allowed.
    Done(bool),
}

/// The device page (RFC 8628 verification_uri): type the code the device
/// shows, confirm it is your device, allow or refuse. Signed-out visitors
/// sign in first and come back here with the code still filled in.
#[component]
pub fn Device() -> impl IntoView {
    let typed = query_param("user_code").get_untracked().unwrap_or_default();
    let code = RwSignal::new(typed);
    let step = RwSignal::new(DeviceStep::Enter);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let session = LocalResource::new(api::session);
    Effect::new(move |_| {
        if let Some(Ok(SessionInfo {
            signed_in: false, ..
        })) = session.get()
        {
            let here = format!(
                "/device?user_code={}",
                api::encode_segment(&code.get_untracked())
            );
            crate::navigate(&format!("/login?return_to={}", api::encode_segment(&here)));
        }
    });
    // Failures keep the user on the current step with the server's words.
    let failed = move |e: ApiError| {
        error.set(Some(e));
        busy.set(false);
    };
    let look_up = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let c = code.get_untracked();
        leptos::task::spawn_local(async move {
            match api::device_lookup(&c).await {
                Ok(info) => {
                    busy.set(false);
                    step.set(DeviceStep::Confirm(info));
                }
                Err(e) => failed(e),
            }
        });
    };
    let answer = move |allow: bool| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let c = code.get_untracked();
        leptos::task::spawn_local(async move {
            match api::device_decide(&c, allow).await {
                Ok(done) => {
                    busy.set(false);
                    step.set(DeviceStep::Done(done.allowed));
                }
                Err(e) => failed(e),
            }
        });
    };
    // Errors about the code sit under the field; others in the banner.
    let banner = Signal::derive(move || error.get().filter(|e| e.field_errors.is_empty()));
    let signed_in_as = move || match session.get() {
        Some(Ok(SessionInfo {
            signed_in: true,
            email: Some(email),
            ..
        })) => Some(view! {
            <p class="signed-in-as">"Signed in as " <strong>{email}</strong></p>
        }),
        _ => None,
    };
    move || {
        match step.get() {
        DeviceStep::Enter => view! {
            <header class="card-header"><p class="brand">"Portico"</p><h1>"Connect a device"</h1></header>
            <p>"Enter the code shown on your TV, console or other device."</p>
            <form class="form" on:submit=look_up novalidate=true>
                <ErrorBanner error=banner/>
                <Field
                    id="user_code"
                    label="Code"
                    autocomplete="one-time-code"
                    value=code
                    error=field_error(error, "user_code")
                    hint="It has 8 letters, like BCDF-GHJK."
                />
                <SubmitButton label="Continue" busy=busy/>
            </form>
            {signed_in_as}
        }.into_any(),
        DeviceStep::Confirm(info) => view! {
            <header class="card-header">
                <p class="brand">{info.entrypoint.display_name.clone()}</p>
                <h1>"Is this your device?"</h1>
            </header>
            <ErrorBanner error=error/>
            <p><strong>{info.client_name.clone()}</strong> " wants to use your account on a device."</p>
            <div class="banner banner-warning" role="note">
                <p>
                    "Only continue if you started this yourself, on a device you have in front of you, and it shows the code "
                    <strong class="user-code">{info.user_code.clone()}</strong> "."
                </p>
                <p>"If someone sent you this code or a link to this page, choose “Don't allow”: they may be trying to get into your account."</p>
            </div>
            <ConsentChoices client_name=info.client_name scopes=info.scopes busy=busy answer=answer/>
            {signed_in_as}
        }.into_any(),
        DeviceStep::Done(true) => view! {
            <header class="card-header"><p class="brand">"Portico"</p><h1>"Your device is connected"</h1></header>
            <p role="status">"Go back to your device: it will continue on its own in a few seconds. You can close this page."</p>
        }.into_any(),
        DeviceStep::Done(false) => view! {
            <header class="card-header"><p class="brand">"Portico"</p><h1>"The device was not allowed"</h1></header>
            <p role="status">"Nothing was shared with the device. You can close this page."</p>
        }.into_any(),
    }
    }
}

/// RP-initiated logout when the app's request does not prove itself (no
/// id_token_hint for this user): the user decides. Errors in the request
/// are shown here, never redirected.
#[component]
pub fn Logout() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let info = {
        let s = search.clone();
        LocalResource::new(move || {
            let s = s.clone();
            async move { api::end_session_info(&s).await }
        })
    };
    let session = LocalResource::new(api::session);
    let state = FormState::new();
    let sign_out = move |_| {
        let s = search.clone();
        state.submit(move || async move { api::end_session(&s).await });
    };
    view! {
        <header class="card-header"><p class="brand">"Portico"</p><h1>"Sign out?"</h1></header>
        <ErrorBanner error=state.error/>
        {move || match info.get() {
            None => view! { <p role="status">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! {
                <div class="banner banner-error" role="alert"><p>{e.message}</p></div>
                <p><a href="/">"Go to your account"</a></p>
            }.into_any(),
            Some(Ok(i)) => view! {
                <p>
                    {match i.client_name {
                        Some(name) => view! { <strong>{name}</strong> " asks you to sign out of Portico." }.into_any(),
                        None => view! { "Do you want to sign out of Portico?" }.into_any(),
                    }}
                </p>
                {move || match session.get() {
                    Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })) => Some(view! {
                        <p class="signed-in-as">"Signed in as " <strong>{email}</strong></p>
                    }),
                    _ => None,
                }}
                <div class="actions">
                    <button type="button" class="button-primary" on:click=sign_out.clone() disabled=move || state.busy.get()>"Sign out"</button>
                    <a class="button-secondary" href="/">"Stay signed in"</a>
                </div>
            }.into_any(),
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

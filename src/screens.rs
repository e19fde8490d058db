//! The screens. Each loads what it shows through [`crate::api`] and renders
//! the shared components.

use crate::api;
use crate::components::{
    ConsentChoices, ErrorBanner, Field, FormState, LoginForm, SignUpForm, SubmitButton, field_error,
};
use crate::theme::{Ui, use_ui};
use leptos::prelude::*;
use portico_api_types::{ApiError, AuthRequestInfo, DeviceInfo, SessionInfo, XMethod};

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

/// The entrypoint's logo, or its name when it has none or the image does
/// not load (a broken theme never breaks the page).
#[component]
fn Brand() -> impl IntoView {
    let ui = use_ui();
    let broken = RwSignal::new(false);
    let name = ui.brand();
    let alt = format!("{name}{}", ui.t.logo_alt);
    let logo = ui.logo_url();
    view! {
        <p class="brand">
            {move || match (&logo, broken.get()) {
                (Some(url), false) => view! {
                    <img class="logo" src=url.clone() alt=alt.clone() on:error=move |_| broken.set(true)/>
                }.into_any(),
                _ => view! { <span class="brand-name">{name.clone()}</span> }.into_any(),
            }}
        </p>
    }
}

/// A plain screen heading: the brand and a title.
#[component]
fn Title(#[prop(into)] title: String) -> impl IntoView {
    view! { <header class="card-header"><Brand/><h1>{title}</h1></header> }
}

/// Heading, the entrypoint's subtitle and the "to continue to" line for a
/// request.
#[component]
fn Heading(
    #[prop(into)] title: String,
    #[prop(default = None)] subtitle: Option<String>,
    info: LocalResource<Option<Result<AuthRequestInfo, portico_api_types::ApiError>>>,
) -> impl IntoView {
    let ui = use_ui();
    let continue_to = ui.t.continue_to;
    view! {
        <header class="card-header">
            <Brand/>
            <h1>{title}</h1>
            {subtitle.map(|s| view! { <p class="subtitle tagline">{s}</p> })}
            {move || match info.get() {
                Some(Some(Ok(i))) => Some(view! { <p class="subtitle">{continue_to} <strong>{i.client_name}</strong></p> }.into_any()),
                Some(Some(Err(e))) => Some(view! {
                    <div class="banner banner-error" role="alert"><p>{ui.error(&e)}</p></div>
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
    let label = use_ui().t.cancel;
    move || {
        request.get().map(|_| view! { <button type="button" class="button-link" on:click=cancel>{label}</button> })
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
    let t = use_ui().t;
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
                    <h2 id="chooser-title">{t.choose_account}</h2>
                    <ErrorBanner error=state.error/>
                    <button type="button" class="button-secondary account" on:click=cont disabled=move || state.busy.get()>
                        {t.continue_as} {name.unwrap_or_default()} " (" {email} ")"
                    </button>
                    <p class="or">{t.or_another}</p>
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
    let ui = use_ui();
    let t = ui.t;
    // Accounts are only created on the way into an app (a live request
    // whose entrypoint offers sign-up): no link without one.
    let offered = ui.offers(XMethod::SignUp) && request.get_untracked().is_some();
    let switch = offered.then(|| view! {
        <p class="switch">
            {t.new_here} <a href=move || switch_link("/sign-up", request.get(), return_to.get())>{t.create_an_account}</a>
        </p>
    });
    view! {
        <Heading title=ui.sign_in_title() subtitle=ui.subtitle() info=info/>
        <AccountChooser request=request info=info/>
        <LoginForm request=request return_to=return_to/>
        {switch}
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
    let ui = use_ui();
    let t = ui.t;
    let continue_label = ui.continue_label();
    view! {
        <Heading title=t.sign_up_title info=info/>
        {move || match (session.get(), request.get()) {
            (Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })), Some(_)) => Some(view! {
                <div class="banner banner-info">
                    <p>{t.already_signed_in_as} <strong>{email}</strong> "."</p>
                    <button type="button" class="button-secondary" on:click=cont disabled=move || busy.get()>{continue_label.clone()}</button>
                </div>
            }),
            _ => None,
        }}
        <SignUpForm request=request return_to=return_to/>
        <p class="switch">
            {t.have_account} <a href=move || switch_link("/login", request.get(), return_to.get())>{t.sign_in}</a>
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
    let t = use_ui().t;
    view! {
        <Heading title=t.consent_title info=info/>
        <ErrorBanner error=state.error/>
        {move || match info.get() {
            Some(Some(Ok(i))) => Some(view! {
                <ConsentChoices client_name=i.client_name scopes=i.scopes busy=state.busy answer=answer/>
            }),
            _ => None,
        }}
        {move || match session.get() {
            Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })) => Some(view! {
                <p class="signed-in-as">{t.signed_in_as} <strong>{email}</strong></p>
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
    let ui = use_ui();
    let t = ui.t;
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
            <p class="signed-in-as">{t.signed_in_as} <strong>{email}</strong></p>
        }),
        _ => None,
    };
    let continue_label = ui.continue_label();
    move || {
        match step.get() {
        DeviceStep::Enter => view! {
            <Title title=t.device_title/>
            <p>{t.device_intro}</p>
            <form class="form" on:submit=look_up novalidate=true>
                <ErrorBanner error=banner/>
                <Field
                    id="user_code"
                    label=t.code
                    autocomplete="one-time-code"
                    value=code
                    error=field_error(error, "user_code")
                    hint=t.code_hint
                />
                <SubmitButton label=continue_label.clone() busy=busy/>
            </form>
            {signed_in_as}
        }.into_any(),
        DeviceStep::Confirm(info) => view! {
            <Title title=t.device_confirm_title/>
            <ErrorBanner error=error/>
            <p><strong>{info.client_name.clone()}</strong> {t.device_wants}</p>
            <div class="banner banner-warning" role="note">
                <p>
                    {t.device_warning}
                    <strong class="user-code">{info.user_code.clone()}</strong> {t.device_warning_end}
                </p>
                <p>{t.device_warning_sent}</p>
            </div>
            <ConsentChoices client_name=info.client_name scopes=info.scopes busy=busy answer=answer/>
            {signed_in_as}
        }.into_any(),
        DeviceStep::Done(true) => view! {
            <Title title=t.device_done_title/>
            <p role="status">{t.device_done}</p>
        }.into_any(),
        DeviceStep::Done(false) => view! {
            <Title title=t.device_denied_title/>
            <p role="status">{t.device_denied}</p>
        }.into_any(),
    }
    }
}

/// RP-initiated logout when the app's request does not prove itself (no
/// id_token_hint for this user): the user decides. Errors in the request
/// are shown here, never redirected.
#[component]
pub fn Logout() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
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
        <Title title=t.logout_title/>
        <ErrorBanner error=state.error/>
        {move || match info.get() {
            None => view! { <p role="status">{t.loading}</p> }.into_any(),
            Some(Err(e)) => view! {
                <div class="banner banner-error" role="alert"><p>{ui.error(&e)}</p></div>
                <p><a href="/">{t.go_to_account}</a></p>
            }.into_any(),
            Some(Ok(i)) => view! {
                <p>
                    {match i.client_name {
                        Some(name) => view! { <strong>{name}</strong> {t.asks_sign_out} }.into_any(),
                        None => view! { {t.want_sign_out} }.into_any(),
                    }}
                </p>
                {move || match session.get() {
                    Some(Ok(SessionInfo { signed_in: true, email: Some(email), .. })) => Some(view! {
                        <p class="signed-in-as">{t.signed_in_as} <strong>{email}</strong></p>
                    }),
                    _ => None,
                }}
                <div class="actions">
                    <button type="button" class="button-primary" on:click=sign_out.clone() disabled=move || state.busy.get()>{t.sign_out}</button>
                    <a class="button-secondary" href="/">{t.stay_signed_in}</a>
                </div>
            }.into_any(),
        }}
    }
}

#[component]
pub fn Home() -> impl IntoView {
    let t = use_ui().t;
    let session = LocalResource::new(api::session);
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::logout().await;
            crate::navigate("/");
        });
    };
    view! {
        <Title title=t.account_title/>
        {move || match session.get() {
            None => view! { <p role="status">{t.loading}</p> }.into_any(),
            Some(Ok(SessionInfo { signed_in: true, email, name })) => view! {
                <p>{t.signed_in_as} <strong>{name.unwrap_or_default()}</strong> " (" {email.unwrap_or_default()} ")."</p>
                <button type="button" class="button-secondary" on:click=sign_out>{t.sign_out}</button>
            }.into_any(),
            Some(_) => view! {
                <p>{t.not_signed_in}</p>
                <p><a href="/login">{t.sign_in}</a></p>
            }.into_any(),
        }}
    }
}

/// Shown (with HTTP 400) when an authorization request cannot be sent back
/// to the app: unknown client or redirect URI.
#[component]
pub fn AuthorizeError() -> impl IntoView {
    let ui: Ui = use_ui();
    let t = ui.t;
    let search = window().location().search().unwrap_or_default();
    let info = LocalResource::new(move || {
        let s = search.clone();
        async move { api::authorize_error(&s).await }
    });
    view! {
        <Title title=t.link_broken_title/>
        <div class="banner banner-error" role="alert">
            {move || match info.get() {
                Some(Ok(e)) => view! {
                    <p>{e.error_description}</p>
                    <p class="error-code">{t.error_code} <code>{e.error}</code></p>
                }.into_any(),
                Some(Err(e)) => view! { <p>{ui.error(&e)}</p> }.into_any(),
                None => view! { <p>{t.checking_link}</p> }.into_any(),
            }}
        </div>
        <p>{t.link_broken_help}</p>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    let t = use_ui().t;
    view! {
        <Title title=t.not_found_title/>
        <p><a href="/">{t.go_to_account}</a></p>
    }
}

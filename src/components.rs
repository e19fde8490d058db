//! Form building blocks shared by the screens: labelled fields, the error
//! banner, the submit button. Each is accessible on its own.

use leptos::prelude::*;
use portico_api_types::{ApiError, LoginRequest, NextStep, SignUpRequest};

/// A labelled input with its inline error, wired with aria-invalid and
/// aria-describedby.
#[component]
pub fn Field(
    /// id and name of the input.
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: RwSignal<String>,
    /// The server's message for this field, if it rejected it.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(optional)] hint: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required=true
                bind:value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            {move || error.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The banner for errors that are not about one field.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! {
                <div class="banner banner-error" role="alert">
                    <p>{e.message}</p>
                </div>
            }
        })
    }
}

/// The primary button; disabled and announced while the form is busy.
#[component]
pub fn SubmitButton(label: &'static str, #[prop(into)] busy: Signal<bool>) -> impl IntoView {
    view! {
        <button type="submit" class="button-primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
            {label}
        </button>
        <p class="visually-hidden" role="status">{move || if busy.get() { "Working, please wait." } else { "" }}</p>
    }
}

/// The message for `field` in an error, if any.
pub fn field_error(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field(field).map(str::to_owned)))
}

/// A form's busy flag and the server's last error, and the one way a form
/// submits: once at a time, then either go where the server says or show
/// its error.
#[derive(Clone, Copy)]
pub struct FormState {
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<ApiError>>,
}

impl FormState {
    pub fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    pub fn submit<F, Fut>(self, call: F)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<NextStep, ApiError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        let fut = call();
        leptos::task::spawn_local(async move {
            match fut.await {
                Ok(next) => crate::follow(&next),
                Err(e) => {
                    self.error.set(Some(e));
                    self.busy.set(false);
                }
            }
        });
    }
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}

/// The sign-in form. `request` is the pending authorization request, if any.
#[component]
pub fn LoginForm(
    #[prop(into)] request: Signal<Option<String>>,
    /// A page of this UI to come back to (the device page), if any.
    #[prop(into, optional)]
    return_to: Signal<Option<String>>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.submit(|| {
            let req = LoginRequest {
                request: request.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                return_to: return_to.get_untracked(),
            };
            async move { crate::api::login(&req).await }
        });
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=form.error/>
            <Field id="email" label="Email" kind="email" autocomplete="username" value=email error=field_error(form.error, "email")/>
            <Field
                id="password"
                label="Password"
                kind="password"
                autocomplete="current-password"
                value=password
                error=field_error(form.error, "password")
            />
            <SubmitButton label="Sign in" busy=form.busy/>
        </form>
    }
}

/// The sign-up form.
#[component]
pub fn SignUpForm(
    #[prop(into)] request: Signal<Option<String>>,
    #[prop(into, optional)] return_to: Signal<Option<String>>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.submit(|| {
            let req = SignUpRequest {
                request: request.get_untracked(),
                name: name.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                return_to: return_to.get_untracked(),
            };
            async move { crate::api::sign_up(&req).await }
        });
    };
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=form.error/>
            <Field id="name" label="Name" autocomplete="name" value=name error=field_error(form.error, "name")/>
            <Field id="email" label="Email" kind="email" autocomplete="email" value=email error=field_error(form.error, "email")/>
            <Field
                id="password"
                label="Password"
                kind="password"
                autocomplete="new-password"
                value=password
                error=field_error(form.error, "password")
                hint="At least 8 characters."
            />
            <SubmitButton label="Create account" busy=form.busy/>
        </form>
    }
}

/// What a client asks for, in plain words, and the two answers. `answer`
/// gets true for "Allow" and false for "Don't allow".
#[component]
pub fn ConsentChoices(
    client_name: String,
    scopes: Vec<portico_api_types::ScopeInfo>,
    #[prop(into)] busy: Signal<bool>,
    answer: impl Fn(bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // No list (a first-party device) means only the question is asked.
    let list = (!scopes.is_empty()).then(|| {
        view! {
            <p id="consent-intro"><strong>{client_name}</strong> " would like to:"</p>
            <ul class="scopes" aria-labelledby="consent-intro">
                {scopes.into_iter().map(|s| view! { <li>{s.description}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        {list}
        <div class="actions">
            <button type="button" class="button-primary" on:click=move |_| answer(true) disabled=move || busy.get()>"Allow"</button>
            <button type="button" class="button-secondary" on:click=move |_| answer(false) disabled=move || busy.get()>"Don't allow"</button>
        </div>
    }
}

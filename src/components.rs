//! Form building blocks shared by the screens: labelled fields, the error
//! banner, the submit button. Each is accessible on its own.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::{ApiError, FieldRule, LoginRequest, NextStep, SignUpRequest};

/// A labelled input with its inline error, wired with aria-invalid and
/// aria-describedby.
#[component]
pub fn Field(
    /// id and name of the input.
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: RwSignal<String>,
    /// The server's message for this field, if it rejected it.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
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
                required=required
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
    let ui = use_ui();
    move || {
        error.get().map(|e| {
            view! {
                <div class="banner banner-error" role="alert">
                    <p>{ui.error(&e)}</p>
                </div>
            }
        })
    }
}

/// The primary button; disabled and announced while the form is busy.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let working = use_ui().t.working;
    view! {
        <button type="submit" class="button-primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
            {label}
        </button>
        <p class="visually-hidden" role="status">{move || if busy.get() { working } else { "" }}</p>
    }
}

/// The message for `field` in an error, if any, in the UI's language.
pub fn field_error(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    let ui = use_ui();
    Signal::derive(move || error.get().and_then(|e| ui.field_error(&e, field)))
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
    let ui = use_ui();
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=form.error/>
            <Field id="email" label=ui.t.email kind="email" autocomplete="username" value=email error=field_error(form.error, "email")/>
            <Field
                id="password"
                label=ui.t.password
                kind="password"
                autocomplete="current-password"
                value=password
                error=field_error(form.error, "password")
            />
            <SubmitButton label=ui.sign_in_label() busy=form.busy/>
        </form>
    }
}

/// The label of a field the entrypoint may make optional.
fn labelled(label: &str, rule: FieldRule, optional: &str) -> String {
    if rule == FieldRule::Optional {
        format!("{label}{optional}")
    } else {
        label.to_owned()
    }
}

/// The sign-up form, with the fields the entrypoint asks for.
#[component]
pub fn SignUpForm(
    #[prop(into)] request: Signal<Option<String>>,
    #[prop(into, optional)] return_to: Signal<Option<String>>,
) -> impl IntoView {
    let ui = use_ui();
    let rules = ui.sign_up_fields();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let birthdate = RwSignal::new(String::new());
    let terms = RwSignal::new(false);
    let form = FormState::new();
    let filled = |v: RwSignal<String>, rule: FieldRule| {
        let v = v.get_untracked();
        (rule.shown() && !v.trim().is_empty()).then_some(v)
    };
    let submit = {
        let rules = rules.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let rules = rules.clone();
            form.submit(move || {
                let req = SignUpRequest {
                    request: request.get_untracked(),
                    name: if rules.name.shown() {
                        name.get_untracked()
                    } else {
                        String::new()
                    },
                    email: email.get_untracked(),
                    password: password.get_untracked(),
                    phone_number: filled(phone, rules.phone),
                    birthdate: filled(birthdate, rules.birthdate),
                    accept_terms: rules.terms_url.is_some() && terms.get_untracked(),
                    return_to: return_to.get_untracked(),
                };
                async move { crate::api::sign_up(&req).await }
            });
        }
    };
    let t = ui.t;
    let name_field = rules.name.shown().then(|| view! {
        <Field id="name" label=labelled(t.name, rules.name, t.optional) autocomplete="name" value=name
            error=field_error(form.error, "name") required=rules.name == FieldRule::Required/>
    });
    let phone_field = rules.phone.shown().then(|| view! {
        <Field id="phone_number" label=labelled(t.phone, rules.phone, t.optional) kind="tel" autocomplete="tel"
            value=phone error=field_error(form.error, "phone_number") hint=t.phone_hint
            required=rules.phone == FieldRule::Required/>
    });
    let birthdate_field = rules.birthdate.shown().then(|| view! {
        <Field id="birthdate" label=labelled(t.birthdate, rules.birthdate, t.optional) kind="date" autocomplete="bday"
            value=birthdate error=field_error(form.error, "birthdate")
            required=rules.birthdate == FieldRule::Required/>
    });
    let terms_error = field_error(form.error, "accept_terms");
    let terms_field = rules.terms_url.clone().map(|url| view! {
        <div class="field field-check" class:field-invalid=move || terms_error.get().is_some()>
            <input
                id="accept_terms"
                name="accept_terms"
                type="checkbox"
                required=true
                bind:checked=terms
                aria-invalid=move || if terms_error.get().is_some() { "true" } else { "false" }
                aria-describedby=move || terms_error.get().map(|_| "accept_terms-error")
            />
            <label for="accept_terms">
                {t.accept_terms}
                <a href=url target="_blank" rel="noopener noreferrer">{t.terms_link}</a>
            </label>
            {move || terms_error.get().map(|m| view! { <p class="field-error" id="accept_terms-error">{m}</p> })}
        </div>
    });
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=form.error/>
            {name_field}
            <Field id="email" label=t.email kind="email" autocomplete="email" value=email error=field_error(form.error, "email")/>
            <Field
                id="password"
                label=t.password
                kind="password"
                autocomplete="new-password"
                value=password
                error=field_error(form.error, "password")
                hint=t.password_hint
            />
            {phone_field}
            {birthdate_field}
            {terms_field}
            <SubmitButton label=ui.create_account_label() busy=form.busy/>
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
    let ui = use_ui();
    let t = ui.t;
    // No list (a first-party device) means only the question is asked.
    let list = (!scopes.is_empty()).then(|| {
        view! {
            <p id="consent-intro"><strong>{client_name}</strong> {t.would_like_to}</p>
            <ul class="scopes" aria-labelledby="consent-intro">
                {scopes.iter().map(|s| view! { <li>{ui.scope(s)}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        {list}
        <div class="actions">
            <button type="button" class="button-primary" on:click=move |_| answer(true) disabled=move || busy.get()>{t.allow}</button>
            <button type="button" class="button-secondary" on:click=move |_| answer(false) disabled=move || busy.get()>{t.dont_allow}</button>
        </div>
    }
}

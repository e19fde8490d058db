//! The sign-up form, with the fields the entrypoint asks for.

use super::{ErrorBanner, Field, FormState, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::{FieldRule, SignUpRequest};

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

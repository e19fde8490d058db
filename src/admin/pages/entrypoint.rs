//! `/admin/entrypoints/{id}`: the theme editor. Every token, the screens
//! offered, the sign-up fields, the languages and the words, with a live
//! preview of the real sign-in and sign-up forms (the login UI's own
//! components, under the look the server resolves for the draft) and the
//! WCAG contrast of each colour pair. The preview and the save go through
//! the server, so what it shows and what it refuses are exactly what the
//! login pages and `portico entrypoint put` would do.

use crate::admin::parts::{CheckBox, Failure, Line};
use crate::admin::{api, i18n};
use crate::components::{FormState, Heading, LoginForm, SignUpForm};
use crate::theme;
use leptos::prelude::*;
use portico_api_types::admin::EntrypointPreview;
use portico_api_types::{
    EmailVerification, Entrypoint, FieldRule, MfaPolicy, Theme, ThemeTexts, XMethod,
};
use std::time::Duration;

/// The theme's tokens, in the order of [`i18n::T::tokens`].
const TOKENS: usize = 10;
const LOCALES: [&str; 2] = ["en", "es"];

#[component]
pub fn EntrypointPage(id: String) -> impl IntoView {
    let loaded = LocalResource::new({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move { api::entrypoint(&id).await }
        }
    });
    move || {
        loaded.get().map(|r| match r {
            Ok(e) => view! { <Editor saved=e/> }.into_any(),
            Err(e) => view! { <div class="panel"><h1>{id.clone()}</h1><p role="alert">{e.message}</p></div> }.into_any(),
        })
    }
}

fn text(v: &Option<String>) -> RwSignal<String> {
    RwSignal::new(v.clone().unwrap_or_default())
}

fn opt(s: &RwSignal<String>) -> Option<String> {
    let v = s.get();
    (!v.trim().is_empty()).then(|| v.trim().to_owned())
}

fn rule_name(r: FieldRule) -> &'static str {
    match r {
        FieldRule::Off => "off",
        FieldRule::Optional => "optional",
        FieldRule::Required => "required",
    }
}

fn rule(s: &str) -> FieldRule {
    match s {
        "optional" => FieldRule::Optional,
        "required" => FieldRule::Required,
        _ => FieldRule::Off,
    }
}

/// The editor's fields, one signal each.
#[derive(Clone, Copy)]
struct Draft {
    display_name: RwSignal<String>,
    methods: [RwSignal<bool>; 3],
    default_locale: RwSignal<String>,
    mfa: RwSignal<String>,
    verification: RwSignal<String>,
    rules: [RwSignal<String>; 3],
    terms_url: RwSignal<String>,
    tokens: [RwSignal<String>; TOKENS],
    texts: [[RwSignal<String>; 5]; 2],
}

const METHODS: [XMethod; 3] = [XMethod::Login, XMethod::SignUp, XMethod::Reauthorize];

impl Draft {
    fn of(e: &Entrypoint) -> Self {
        let th = &e.theme;
        let words = |l: &str| {
            let x = th.texts.get(l).cloned().unwrap_or_default();
            [
                text(&x.title),
                text(&x.subtitle),
                text(&x.sign_in),
                text(&x.create_account),
                text(&x.continue_label),
            ]
        };
        Self {
            display_name: RwSignal::new(e.display_name.clone()),
            methods: METHODS.map(|m| RwSignal::new(e.x_methods.contains(&m))),
            default_locale: text(&e.default_locale),
            mfa: RwSignal::new(
                match e.mfa {
                    MfaPolicy::Off => "off",
                    MfaPolicy::Optional => "optional",
                    MfaPolicy::Required => "required",
                }
                .to_owned(),
            ),
            verification: RwSignal::new(
                match e.email_verification {
                    EmailVerification::Off => "off",
                    EmailVerification::Optional => "optional",
                    EmailVerification::Required => "required",
                }
                .to_owned(),
            ),
            rules: [e.sign_up.name, e.sign_up.phone, e.sign_up.birthdate]
                .map(|r| RwSignal::new(rule_name(r).to_owned())),
            terms_url: text(&e.sign_up.terms_url),
            tokens: [
                text(&th.primary),
                text(&th.on_primary),
                text(&th.background),
                text(&th.surface),
                text(&th.text),
                text(&th.error),
                text(&th.font_family),
                text(&th.radius),
                text(&th.logo_url),
                text(&th.background_image),
            ],
            texts: [words("en"), words("es")],
        }
    }

    /// The entrypoint as drafted (tracked: a change of any field is a new
    /// draft).
    fn build(&self, id: &str) -> Entrypoint {
        let [
            primary,
            on_primary,
            background,
            surface,
            text_colour,
            error,
            font,
            radius,
            logo,
            image,
        ] = self.tokens.each_ref().map(opt);
        let mut texts = std::collections::BTreeMap::new();
        for (l, w) in LOCALES.iter().zip(self.texts.iter()) {
            let [title, subtitle, sign_in, create_account, continue_label] = w.each_ref().map(opt);
            let x = ThemeTexts {
                title,
                subtitle,
                sign_in,
                create_account,
                continue_label,
            };
            if x != ThemeTexts::default() {
                texts.insert((*l).to_owned(), x);
            }
        }
        let mut e = Entrypoint::new(id, self.display_name.get());
        e.x_methods = METHODS
            .iter()
            .zip(self.methods.iter())
            .filter(|(_, on)| on.get())
            .map(|(m, _)| *m)
            .collect();
        e.default_locale = opt(&self.default_locale);
        e.mfa = match self.mfa.get().as_str() {
            "off" => MfaPolicy::Off,
            "required" => MfaPolicy::Required,
            _ => MfaPolicy::Optional,
        };
        e.email_verification = match self.verification.get().as_str() {
            "off" => EmailVerification::Off,
            "required" => EmailVerification::Required,
            _ => EmailVerification::Optional,
        };
        let [name, phone, birthdate] = self.rules.each_ref().map(|r| rule(&r.get()));
        e.sign_up.name = name;
        e.sign_up.phone = phone;
        e.sign_up.birthdate = birthdate;
        e.sign_up.terms_url = opt(&self.terms_url);
        e.theme = Theme {
            primary,
            on_primary,
            background,
            surface,
            text: text_colour,
            error,
            font_family: font,
            radius,
            logo_url: logo,
            background_image: image,
            texts,
        };
        e
    }
}

/// A labelled choice among fixed values.
#[component]
fn Choice(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=id on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                {options.into_iter().map(|(v, words)| view! {
                    <option value=v selected=move || value.get() == v>{words}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// Which form the preview shows.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    SignIn,
    SignUp,
}

#[component]
fn Editor(saved: Entrypoint) -> impl IntoView {
    let t = i18n::t();
    let id = StoredValue::new(saved.id.clone());
    let draft = Draft::of(&saved);
    let doc = Memo::new(move |_| draft.build(&id.get_value()));
    let locale = RwSignal::new("en".to_owned());
    let screen = RwSignal::new(Screen::SignIn);
    let preview = RwSignal::new(None::<EntrypointPreview>);
    // A preview a quarter second after the last keystroke; an older
    // answer arriving late never replaces a newer one.
    let generation = StoredValue::new(0_u64);
    Effect::new(move |_| {
        let e = doc.get();
        let l = locale.get();
        generation.update_value(|g| *g += 1);
        let mine = generation.get_value();
        set_timeout(
            move || {
                if generation.get_value() != mine {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(pv) = api::preview_entrypoint(&e, &l).await
                        && generation.get_value() == mine
                    {
                        preview.set(Some(pv));
                    }
                });
            },
            Duration::from_millis(250),
        );
    });
    let form = FormState::new();
    let status = RwSignal::new("");
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let e = doc.get_untracked();
        status.set("");
        form.run(
            move || async move { api::save_entrypoint(&e).await },
            move |_| status.set(t.saved),
        );
    };
    let rules = || {
        vec![
            ("off", t.rule_off),
            ("optional", t.rule_optional),
            ("required", t.rule_required),
        ]
    };
    let token_ids: [&'static str; TOKENS] = [
        "ep-primary",
        "ep-on-primary",
        "ep-background",
        "ep-surface",
        "ep-text",
        "ep-error",
        "ep-font-family",
        "ep-radius",
        "ep-logo-url",
        "ep-background-image",
    ];
    let text_ids: [[&'static str; 5]; 2] = [
        [
            "ep-en-title",
            "ep-en-subtitle",
            "ep-en-sign-in",
            "ep-en-create-account",
            "ep-en-continue",
        ],
        [
            "ep-es-title",
            "ep-es-subtitle",
            "ep-es-sign-in",
            "ep-es-create-account",
            "ep-es-continue",
        ],
    ];
    view! {
        <div class="editor">
            <form class="panel form" on:submit=save aria-labelledby="ep-heading">
                <h1 id="ep-heading">{t.entrypoint}" "<span class="mono">{id.get_value()}</span></h1>
                <Line id="ep-display-name" label=t.display_name value=draft.display_name required=true/>
                <fieldset>
                    <legend>{t.screens}</legend>
                    <CheckBox id="ep-x-login" label=t.screen_login value=draft.methods[0]/>
                    <CheckBox id="ep-x-sign-up" label=t.screen_sign_up value=draft.methods[1]/>
                    <CheckBox id="ep-x-reauthorize" label=t.screen_reauthorize value=draft.methods[2]/>
                </fieldset>
                <div class="grid">
                    <Choice id="ep-default-locale" label=t.default_language value=draft.default_locale
                        options=vec![("", t.browser_language), ("en", "English"), ("es", "Español")]/>
                    <Choice id="ep-mfa" label=t.second_factor value=draft.mfa
                        options=vec![("off", t.rule_off), ("optional", t.rule_optional), ("required", t.rule_required)]/>
                    <Choice id="ep-verification" label=t.email_verification value=draft.verification
                        options=vec![("off", t.rule_off), ("optional", t.rule_optional), ("required", t.rule_required)]/>
                </div>
                <fieldset>
                    <legend>{t.sign_up_fields}</legend>
                    <div class="grid">
                        <Choice id="ep-field-name" label=t.field_name value=draft.rules[0] options=rules()/>
                        <Choice id="ep-field-phone" label=t.field_phone value=draft.rules[1] options=rules()/>
                        <Choice id="ep-field-birthdate" label=t.field_birthdate value=draft.rules[2] options=rules()/>
                        <Line id="ep-terms-url" label=t.terms_url value=draft.terms_url/>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{t.theme}</legend>
                    <div class="grid">
                        {token_ids.into_iter().zip(t.tokens).zip(draft.tokens).map(|((id, label), value)| {
                            view! { <Line id=id label=label value=value/> }
                        }).collect_view()}
                    </div>
                </fieldset>
                {LOCALES.into_iter().zip(text_ids).zip(draft.texts).map(|((l, ids), values)| {
                    let legend = if l == "en" { t.words_en } else { t.words_es };
                    view! {
                        <fieldset>
                            <legend>{legend}</legend>
                            <div class="grid">
                                {ids.into_iter().zip(t.words).zip(values).map(|((id, label), value)| {
                                    view! { <Line id=id label=label value=value/> }
                                }).collect_view()}
                            </div>
                        </fieldset>
                    }
                }).collect_view()}
                <Failure error=form.error/>
                <p role="status">{move || status.get()}</p>
                <div class="actions">
                    <button type="submit" class="button-primary" disabled=move || form.busy.get()>{t.save_changes}</button>
                </div>
            </form>
            <section class="panel" aria-labelledby="preview-heading">
                <h2 id="preview-heading">{t.preview}</h2>
                <div class="actions" role="group" aria-label=t.preview>
                    <button type="button" class="button-secondary" aria-pressed=move || (screen.get() == Screen::SignIn).to_string()
                        on:click=move |_| screen.set(Screen::SignIn)>{t.screen_login}</button>
                    <button type="button" class="button-secondary" aria-pressed=move || (screen.get() == Screen::SignUp).to_string()
                        on:click=move |_| screen.set(Screen::SignUp)>{t.screen_sign_up}</button>
                    <Choice id="ep-preview-locale" label=t.preview_language value=locale
                        options=vec![("en", "English"), ("es", "Español")]/>
                </div>
                <Contrast preview=preview/>
                <Problems preview=preview/>
                <Preview preview=preview screen=screen/>
            </section>
        </div>
    }
}

/// Each colour pair and its WCAG contrast, passing or not.
#[component]
pub fn Contrast(preview: RwSignal<Option<EntrypointPreview>>) -> impl IntoView {
    let t = i18n::t();
    move || {
        preview.get().map(|pv| view! {
            <table class="contrast">
                <caption>{t.contrast}</caption>
                <thead><tr><th scope="col">{t.pair}</th><th scope="col">{t.ratio}</th><th scope="col">{t.wcag_aa}</th></tr></thead>
                <tbody>
                    {pv.pairs.into_iter().map(|p| {
                        let verdict = if p.passes { t.passes } else { t.fails };
                        view! {
                            <tr data-pair=p.foreground.clone() class:fails=!p.passes>
                                <td>{format!("{} {} / {} {}", p.foreground, p.foreground_colour, p.background, p.background_colour)}</td>
                                <td>{format!("{:.2}:1", p.ratio)}</td>
                                <td>{format!("{verdict} ({} {}:1)", t.needs, p.needed)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    }
}

/// What saving would refuse, field by field.
#[component]
fn Problems(preview: RwSignal<Option<EntrypointPreview>>) -> impl IntoView {
    let t = i18n::t();
    view! {
        <div aria-live="polite">
            {move || preview.get().filter(|pv| !pv.problems.is_empty()).map(|pv| view! {
                <div class="banner banner-error">
                    <p>{t.cannot_save}</p>
                    <ul class="problems">
                        {pv.problems.into_iter().map(|p| view! { <li data-field=p.field>{p.message}</li> }).collect_view()}
                    </ul>
                </div>
            })}
        </div>
    }
}

/// The login UI's own forms under the draft's look. Inert: it shows, and
/// takes neither focus nor clicks (keyboard users stay in the editor).
#[component]
pub fn Preview(
    preview: RwSignal<Option<EntrypointPreview>>,
    screen: RwSignal<Screen>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let (Some(el), Some(pv)) = (node.get(), preview.get()) {
            theme::apply_to(&el, &pv.theme);
        }
    });
    view! {
        <div class="preview" inert=true node_ref=node>
            {move || preview.get().map(|pv| {
                let ui = theme::Ui::new(Some(pv.theme));
                provide_context(ui.clone());
                let form = match screen.get() {
                    Screen::SignIn => view! {
                        <Heading title=ui.sign_in_title() subtitle=ui.subtitle() info=None/>
                        <LoginForm request=Signal::stored(None::<String>)/>
                    }.into_any(),
                    Screen::SignUp => view! {
                        <Heading title=ui.t.sign_up_title info=None/>
                        <SignUpForm request=Signal::stored(None::<String>)/>
                    }.into_any(),
                };
                view! { <div class="card">{form}</div> }
            })}
        </div>
    }
}

//! The account security page's settings: passkeys, the authenticator app
//! and recovery codes, for the account as the server last described it.

use super::{ErrorBanner, Field, FormState, RecoveryCodesPanel, SubmitButton, field_error};
use crate::theme::use_ui;
use crate::{api, switch_link, webauthn};
use leptos::either::{Either, EitherOf3};
use leptos::html;
use leptos::prelude::*;
use portico_api_types::routes::pages;
use portico_api_types::{
    ApiError, FactorAdded, FactorInfo, FactorKind, PasskeyRegistration, SecurityInfo, TotpConfirm,
    TotpSetup, codes,
};
use std::future::Future;
use wasm_bindgen::JsCast;

/// What the page's parts share.
#[derive(Clone, Copy)]
struct Page {
    /// The account as the server last described it.
    info: RwSignal<SecurityInfo>,
    /// A change needs a fresh sign-in first: the page then shows only the
    /// way to it.
    reauthenticate: RwSignal<bool>,
    /// A new set of recovery codes to show once; the panel is open while
    /// this is not empty.
    new_codes: RwSignal<Vec<String>>,
    /// The factor whose "Rename" is open (one at a time).
    renaming: RwSignal<Option<String>>,
    /// The enrolment an entrypoint requires (`?request=`), if any.
    request: Signal<Option<String>>,
}

impl Page {
    /// One of the page's requests; an answer that asks for a fresh sign-in
    /// switches the whole page to "Sign in again".
    async fn watch<T>(
        self,
        call: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let answer = call.await;
        if matches!(&answer, Err(e) if e.error == codes::REAUTHENTICATE) {
            self.reauthenticate.set(true);
        }
        answer
    }

    /// A factor was added: list it, and show the recovery codes it brought
    /// (the account's first factor brings the first set).
    fn added(self, added: FactorAdded) {
        let FactorAdded {
            factor,
            recovery_codes,
        } = added;
        self.info.update(|i| {
            i.factors.push(factor);
            if !recovery_codes.is_empty() {
                i.recovery_codes_left = u32::try_from(recovery_codes.len()).unwrap_or(u32::MAX);
            }
        });
        if !recovery_codes.is_empty() {
            self.new_codes.set(recovery_codes);
        }
    }

    /// The ids of the account's factors of one kind, in the server's order.
    fn ids(self, kind: FactorKind) -> Memo<Vec<String>> {
        Memo::new(move |_| {
            self.info.with(|i| {
                i.factors
                    .iter()
                    .filter(|f| f.kind == kind)
                    .map(|f| f.id.clone())
                    .collect()
            })
        })
    }
}

/// A day from unix seconds, as YYYY-MM-DD in UTC: plain, and the same in
/// both languages. (Days to a civil date: H. Hinnant's algorithm.)
fn date(unix_seconds: i64) -> String {
    let z = unix_seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Errors that name the code go under the code field; field errors too.
fn code_error(form: FormState) -> Signal<Option<String>> {
    let ui = use_ui();
    let named = field_error(form.error, "code");
    Signal::derive(move || {
        form.error.with(|e| match e {
            Some(e) if e.error == codes::INVALID_AUTHENTICATION_CODE => Some(ui.error(e)),
            _ => named.get(),
        })
    })
}

/// Everything else goes in the banner.
fn banner(form: FormState) -> Signal<Option<ApiError>> {
    Signal::derive(move || {
        form.error
            .get()
            .filter(|e| e.field_errors.is_empty() && e.error != codes::INVALID_AUTHENTICATION_CODE)
    })
}

fn focus(el: Option<web_sys::Element>) {
    if let Some(el) = el {
        let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

/// The security settings for `info`: "Passkeys", "Authenticator app" and
/// "Recovery codes", each change sent at once. With a `request` (an app
/// that requires a second factor), the reason, and "Continue" once the
/// account has one. When the server asks for a fresh sign-in (at load, or
/// in answer to any change), only the reason and "Sign in again" remain.
#[component]
pub fn SecuritySettings(
    info: SecurityInfo,
    #[prop(into, optional)] request: Signal<Option<String>>,
) -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let page = Page {
        reauthenticate: RwSignal::new(info.reauthenticate),
        info: RwSignal::new(info),
        new_codes: RwSignal::new(Vec::new()),
        renaming: RwSignal::new(None),
        request,
    };
    let enrolling = request
        .get_untracked()
        .map(|_| view! { <p class="banner banner-info">{t.account.requires_second_factor}</p> });
    let again = switch_link(
        pages::LOGIN,
        request.get_untracked(),
        Some(pages::ACCOUNT_SECURITY.to_owned()),
    );
    // "I have saved them": the button with the focus goes with the panel,
    // so the way on ("Continue", or the recovery codes section) takes it
    // once the sections are back.
    let saved = move || {
        page.new_codes.set(Vec::new());
        request_animation_frame(|| {
            let doc = document();
            focus(
                doc.get_element_by_id("continue")
                    .or_else(|| doc.get_element_by_id("codes-title")),
            );
        });
    };
    let body = move || {
        if page.reauthenticate.get() {
            return EitherOf3::A(view! {
                <p>{t.account.reauthenticate}</p>
                <p><a href=again.clone()>{t.sign_in_again}</a></p>
            });
        }
        let codes = page.new_codes.get();
        if codes.is_empty() {
            EitherOf3::B(view! {
                <Passkeys page=page/>
                <AuthenticatorApp page=page/>
                <RecoverySection page=page/>
                <Continue page=page/>
            })
        } else {
            EitherOf3::C(view! { <RecoveryCodesPanel codes=codes done=saved/> })
        }
    };
    view! {
        {enrolling}
        {body}
    }
}

/// "Passkeys": the list and "Add a passkey" (where the installation and
/// the browser can). Nothing on an installation without passkeys, unless
/// the account somehow has some.
#[component]
fn Passkeys(page: Page) -> impl IntoView {
    let t = use_ui().t;
    let form = FormState::new();
    let offered = page.info.with_untracked(|i| i.passkeys) && webauthn::supported();
    let ids = page.ids(FactorKind::Passkey);
    let none = Memo::new(move |_| ids.with(Vec::is_empty));
    let shown = Memo::new(move |_| offered || !none.get());
    let heading = NodeRef::<html::H2>::new();
    let add = move |_| {
        form.run(
            move || {
                page.watch(async move {
                    let challenge = api::passkey_add_begin().await?;
                    let credential = webauthn::register(&challenge.options).await?;
                    api::passkey_add_finish(&PasskeyRegistration {
                        ceremony: challenge.ceremony,
                        credential,
                        name: String::new(),
                    })
                    .await
                })
            },
            move |added| page.added(added),
        );
    };
    move || {
        shown.get().then(|| view! {
            <section class="security-section" aria-labelledby="passkeys-title">
                <h2 id="passkeys-title" tabindex="-1" node_ref=heading>{t.account.passkeys}</h2>
                <p class="hint">{t.account.passkeys_help}</p>
                {move || if none.get() {
                    Either::Left(view! { <p>{t.account.no_passkeys}</p> })
                } else {
                    Either::Right(view! {
                        <ul class="factors">
                            <For each=move || ids.get() key=|id| id.clone()
                                children=move |id| view! { <FactorRow id=id page=page renamable=true gone=heading/> }/>
                        </ul>
                    })
                }}
                <ErrorBanner error=form.error/>
                {offered.then(|| view! {
                    <button type="button" class="button-secondary" on:click=add disabled=move || form.busy.get()>
                        {t.account.add_passkey}
                    </button>
                })}
            </section>
        })
    }
}

/// "Added ...", then "Last used ..." or "Not used yet".
fn dates(t: &'static crate::i18n::Strings, f: &FactorInfo) -> String {
    let used = match f.last_used_at {
        Some(s) => format!("{}{}", t.account.last_used, date(s)),
        None => t.account.never_used.to_owned(),
    };
    format!("{}{} \u{b7} {used}", t.account.added_on, date(f.created_at))
}

/// One factor: its name and dates, "Rename" (passkeys) and "Remove". The
/// focus goes back to "Rename" when renaming ends, and to the section's
/// heading (`gone`) once the factor is removed.
#[component]
fn FactorRow(id: String, page: Page, renamable: bool, gone: NodeRef<html::H2>) -> impl IntoView {
    let t = use_ui().t;
    let factor = {
        let id = id.clone();
        Memo::new(move |_| {
            page.info
                .with(|i| i.factors.iter().find(|f| f.id == id).cloned())
        })
    };
    let open = {
        let id = id.clone();
        Memo::new(move |_| page.renaming.with(|r| r.as_deref() == Some(id.as_str())))
    };
    let form = FormState::new();
    let name = RwSignal::new(String::new());
    let rename_button = NodeRef::<html::Button>::new();
    let name_box = NodeRef::<html::Div>::new();
    // Renaming replaces the buttons with the field and back: the keyboard
    // follows, to the field, then back to "Rename" (not when the page
    // opens).
    let back = StoredValue::new(false);
    Effect::new(move |_| {
        focus(
            name_box
                .get()
                .and_then(|d| d.query_selector("input").ok().flatten()),
        );
    });
    Effect::new(move |_| {
        if let Some(b) = rename_button.get()
            && back.get_value()
        {
            let _ = b.focus();
        }
    });
    let start = {
        let id = id.clone();
        move |_| {
            name.set(factor.get_untracked().map(|f| f.name).unwrap_or_default());
            form.error.set(None);
            back.set_value(true);
            page.renaming.set(Some(id.clone()));
        }
    };
    let save = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let (id, new_name) = (id.clone(), name.get_untracked());
            form.run(
                move || page.watch(async move { api::factor_rename(&id, &new_name).await }),
                move |info| {
                    page.info.set(info);
                    page.renaming.set(None);
                },
            );
        }
    };
    let remove = move |_| {
        let id = id.clone();
        form.run(
            move || page.watch(async move { api::factor_remove(&id).await }),
            move |info| {
                page.info.set(info);
                if let Some(h) = gone.get_untracked() {
                    let _ = h.focus();
                }
            },
        );
    };
    let name_error = field_error(form.error, "name");
    let banner = Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()));
    view! {
        <li class="factor">
            <p class="factor-name"><strong>{move || factor.get().map(|f| f.name)}</strong></p>
            <p class="factor-dates">{move || factor.get().map(|f| dates(t, &f))}</p>
            {move || if open.get() {
                Either::Left(view! {
                    <form class="form" on:submit=save.clone() novalidate=true>
                        <div node_ref=name_box>
                            <Field id="passkey_name" label=t.account.passkey_name value=name error=name_error/>
                        </div>
                        <div class="actions">
                            <SubmitButton label=t.account.save busy=form.busy/>
                            <button type="button" class="button-secondary" on:click=move |_| page.renaming.set(None)>{t.cancel}</button>
                        </div>
                    </form>
                })
            } else {
                Either::Right(view! {
                    <div class="actions">
                        {renamable.then(|| view! {
                            <button type="button" class="button-secondary" node_ref=rename_button on:click=start.clone()>{t.account.rename}</button>
                        })}
                        <button type="button" class="button-secondary" on:click=remove.clone() disabled=move || form.busy.get()>{t.account.remove}</button>
                    </div>
                })
            }}
            <ErrorBanner error=banner/>
        </li>
    }
}

/// "Authenticator app": the app the account has (with "Remove"), or "Set
/// up authenticator app" and its steps.
#[component]
fn AuthenticatorApp(page: Page) -> impl IntoView {
    let t = use_ui().t;
    let form = FormState::new();
    let setup = RwSignal::new(None::<TotpSetup>);
    let ids = page.ids(FactorKind::Totp);
    let heading = NodeRef::<html::H2>::new();
    let begin = move |_| {
        form.run(
            move || page.watch(api::totp_begin()),
            move |s| setup.set(Some(s)),
        );
    };
    let close = move || {
        setup.set(None);
        if let Some(h) = heading.get_untracked() {
            let _ = h.focus();
        }
    };
    view! {
        <section class="security-section" aria-labelledby="app-title">
            <h2 id="app-title" tabindex="-1" node_ref=heading>{t.account.authenticator_app}</h2>
            <p class="hint">{t.account.authenticator_help}</p>
            {move || {
                if !ids.with(Vec::is_empty) {
                    EitherOf3::A(view! {
                        <ul class="factors">
                            <For each=move || ids.get() key=|id| id.clone()
                                children=move |id| view! { <FactorRow id=id page=page renamable=false gone=heading/> }/>
                        </ul>
                    })
                } else if let Some(s) = setup.get() {
                    EitherOf3::B(view! { <TotpSetupForm setup=s page=page close=close/> })
                } else {
                    EitherOf3::C(view! {
                        <ErrorBanner error=form.error/>
                        <button type="button" class="button-secondary" on:click=begin disabled=move || form.busy.get()>
                            {t.account.set_up_app}
                        </button>
                    })
                }
            }}
        </section>
    }
}

/// The QR code (an SVG document) as an image address. The page's CSP
/// allows data: images.
fn qr_src(svg: &str) -> String {
    match window().btoa(svg) {
        Ok(b64) => format!("data:image/svg+xml;base64,{b64}"),
        // btoa takes Latin-1 only; percent-encoding takes anything.
        Err(_) => format!("data:image/svg+xml,{}", api::encode_segment(svg)),
    }
}

/// Scan the QR code or type the "Setup key", then "Turn on" with the "Code
/// from your app". `close` ends the setup (after "Cancel", or once on).
#[component]
fn TotpSetupForm(
    setup: TotpSetup,
    page: Page,
    close: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = use_ui().t;
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let ceremony = setup.ceremony.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = TotpConfirm {
            ceremony: ceremony.clone(),
            code: code.get_untracked().trim().to_owned(),
        };
        form.run(
            move || page.watch(async move { api::totp_confirm(&req).await }),
            move |added| {
                close();
                page.added(added);
            },
        );
    };
    // The setup replaced the button that was pressed: start at the code
    // field, after the key (screen readers read the steps above it).
    let steps = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(d) = steps.get() {
            focus(d.query_selector("#totp_code").ok().flatten());
        }
    });
    view! {
        <div class="totp-setup" node_ref=steps>
            <p>{t.account.scan_qr}</p>
            <img class="qr" src=qr_src(&setup.qr_svg) alt=t.account.qr_alt/>
            <div class="field">
                <label for="setup_key">{t.account.setup_key}</label>
                <input id="setup_key" class="setup-key" type="text" readonly=true value=setup.setup_key
                    autocomplete="off" spellcheck="false"/>
            </div>
            <form class="form" on:submit=submit novalidate=true>
                <ErrorBanner error=banner(form)/>
                <Field id="totp_code" label=t.account.code_from_app autocomplete="one-time-code" inputmode="numeric"
                    value=code error=code_error(form)/>
                <div class="actions">
                    <SubmitButton label=t.account.turn_on busy=form.busy/>
                    <button type="button" class="button-secondary" on:click=move |_| close()>{t.cancel}</button>
                </div>
            </form>
        </div>
    }
}

/// "Recovery codes": how many are left, and "New recovery codes". Only
/// once the account has a second factor.
#[component]
fn RecoverySection(page: Page) -> impl IntoView {
    let t = use_ui().t;
    let form = FormState::new();
    let any = Memo::new(move |_| page.info.with(|i| !i.factors.is_empty()));
    let renew = move |_| {
        form.run(
            move || page.watch(api::recovery_codes()),
            move |c| {
                let left = u32::try_from(c.codes.len()).unwrap_or(u32::MAX);
                page.info.update(|i| i.recovery_codes_left = left);
                page.new_codes.set(c.codes);
            },
        );
    };
    move || {
        any.get().then(|| view! {
            <section class="security-section" aria-labelledby="codes-title">
                <h2 id="codes-title" tabindex="-1">{t.account.recovery_codes}</h2>
                <p class="hint">{t.account.recovery_codes_help}</p>
                <p class="codes-left">{t.account.recovery_codes_left} {move || page.info.with(|i| i.recovery_codes_left)}</p>
                <ErrorBanner error=form.error/>
                <button type="button" class="button-secondary" on:click=renew disabled=move || form.busy.get()>
                    {t.account.new_recovery_codes}
                </button>
            </section>
        })
    }
}

/// "Continue" into the app that required a second factor, once the
/// account has one.
#[component]
fn Continue(page: Page) -> impl IntoView {
    let ui = use_ui();
    let label = ui.continue_label();
    let form = FormState::new();
    let ready = Memo::new(move |_| {
        page.request.with(Option::is_some) && page.info.with(|i| !i.factors.is_empty())
    });
    let go = move |_| {
        let Some(r) = page.request.get_untracked() else {
            return;
        };
        form.submit(move || page.watch(async move { api::continue_request(&r).await }));
    };
    move || {
        ready.get().then(|| view! {
            <div class="continue">
                <ErrorBanner error=form.error/>
                <button id="continue" type="button" class="button-primary" on:click=go disabled=move || form.busy.get()>
                    {label.clone()}
                </button>
            </div>
        })
    }
}

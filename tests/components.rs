//! Component tests in a real browser (wasm-bindgen-test, headless Chromium).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use leptos::prelude::*;
use portico_api_types::{
    ApiError, EntrypointInfo, FactorInfo, FactorKind, FieldError, FieldRule, SecurityInfo,
    SignUpFields, ThemeInfo, ThemeTexts, ThemeTokens, XMethod,
};
use portico_ui::components::{
    ChangeEmail, ConfirmEmailForm, ConsentChoices, ErrorBanner, Field, Loading, LoginForm,
    NewPasswordForm, PasskeySignIn, RECOVERY_CODES_FILE, RecoveryCodesPanel, SecondFactorForm,
    SecuritySettings, SignInAgain, SignUpForm, SignedInAs, recovery_codes_file,
};
use portico_ui::screens::{EmailChangeUndo, ForgotPassword, ResetPassword, VerifyEmail};
use portico_ui::theme::Ui;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::HtmlElement {
    let doc = window().document().unwrap();
    let div: web_sys::HtmlElement =
        wasm_bindgen::JsCast::unchecked_into(doc.create_element("div").unwrap());
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

fn text(root: &web_sys::HtmlElement, selector: &str) -> String {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .text_content()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn attr(root: &web_sys::HtmlElement, selector: &str, name: &str) -> Option<String> {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .get_attribute(name)
}

#[wasm_bindgen_test]
fn the_login_form_labels_every_input_and_names_its_button() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <LoginForm request=Signal::derive(|| None::<String>)/> },
    )
    .forget();
    assert_eq!(text(&root, "label[for=email]"), "Email");
    assert_eq!(text(&root, "label[for=password]"), "Password");
    assert_eq!(attr(&root, "input#email", "type").as_deref(), Some("email"));
    assert_eq!(
        attr(&root, "input#password", "type").as_deref(),
        Some("password")
    );
    assert_eq!(
        attr(&root, "input#password", "autocomplete").as_deref(),
        Some("current-password")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Sign in");
    assert!(
        root.query_selector("[role=alert]").unwrap().is_none(),
        "no banner before an error"
    );
}

#[wasm_bindgen_test]
fn the_sign_up_form_asks_for_name_email_and_password() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <SignUpForm request=Signal::derive(|| None::<String>)/> },
    )
    .forget();
    assert_eq!(text(&root, "label[for=name]"), "Name");
    assert_eq!(text(&root, "label[for=email]"), "Email");
    assert_eq!(text(&root, "label[for=password]"), "Password");
    assert_eq!(
        attr(&root, "input#password", "autocomplete").as_deref(),
        Some("new-password")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Create account");
    // The hint is tied to the input.
    assert_eq!(
        attr(&root, "input#password", "aria-describedby").as_deref(),
        Some("password-hint")
    );
}

#[wasm_bindgen_test]
async fn a_field_error_is_shown_and_announced_on_its_input() {
    let root = container();
    let error = RwSignal::new(None::<String>);
    let value = RwSignal::new(String::new());
    leptos::mount::mount_to(
        root.clone(),
        move || view! { <Field id="email" label="Email" value=value error=error/> },
    )
    .forget();
    assert_eq!(
        attr(&root, "input#email", "aria-invalid").as_deref(),
        Some("false")
    );
    assert!(root.query_selector("#email-error").unwrap().is_none());
    error.set(Some("Enter an email address like name@example.com.".into()));
    leptos::task::tick().await;
    assert_eq!(
        attr(&root, "input#email", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        attr(&root, "input#email", "aria-describedby").as_deref(),
        Some("email-error")
    );
    assert_eq!(
        text(&root, "#email-error"),
        "Enter an email address like name@example.com."
    );
}

#[wasm_bindgen_test]
async fn the_error_banner_is_an_alert_with_the_servers_message() {
    let root = container();
    let error = RwSignal::new(None::<ApiError>);
    leptos::mount::mount_to(root.clone(), move || view! { <ErrorBanner error=error/> }).forget();
    assert!(root.query_selector("[role=alert]").unwrap().is_none());
    error.set(Some(ApiError {
        error: "email_taken".into(),
        message: "An account with this email already exists.".into(),
        field_errors: vec![FieldError {
            field: "email".into(),
            code: "email_taken".into(),
            message: "x".into(),
        }],
    }));
    leptos::task::tick().await;
    assert_eq!(
        text(&root, "[role=alert]"),
        "An account with this email already exists."
    );
}

#[wasm_bindgen_test]
fn signed_in_as_names_the_account_in_the_uis_language() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <SignedInAs email="ana@example.com"/> },
    )
    .forget();
    assert_eq!(text(&root, ".signed-in-as"), "Signed in as ana@example.com");
    assert_eq!(text(&root, ".signed-in-as strong"), "ana@example.com");

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(Ui::new(Some(theme_info("es"))));
        view! { <SignedInAs email="ana@example.com"/> }
    })
    .forget();
    assert_eq!(
        text(&root, ".signed-in-as"),
        "Sesión iniciada como ana@example.com"
    );
}

#[wasm_bindgen_test]
fn the_loading_line_is_a_status_for_screen_readers() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <Loading/> }).forget();
    assert_eq!(text(&root, "[role=status]"), "Loading\u{2026}");

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(Ui::new(Some(theme_info("es"))));
        view! { <Loading/> }
    })
    .forget();
    assert_eq!(text(&root, "[role=status]"), "Cargando\u{2026}");
}

#[wasm_bindgen_test]
fn consent_lists_the_scopes_in_words_and_answers_with_plain_buttons() {
    let root = container();
    let answers = RwSignal::new(Vec::<bool>::new());
    leptos::mount::mount_to(root.clone(), move || {
        let scopes = vec![
            portico_api_types::ScopeInfo {
                name: "openid".into(),
                description: "Know who you are when you sign in".into(),
            },
            portico_api_types::ScopeInfo {
                name: "email".into(),
                description: "See your email address".into(),
            },
        ];
        view! {
            <ConsentChoices client_name="Partner App".into() scopes=scopes busy=Signal::derive(|| false)
                answer=move |a| answers.update(|v| v.push(a))/>
        }
    })
    .forget();
    assert_eq!(text(&root, "#consent-intro"), "Partner App would like to:");
    let items: Vec<String> = {
        let list = root.query_selector_all(".scopes li").unwrap();
        (0..list.length())
            .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        items,
        [
            "Know who you are when you sign in",
            "See your email address"
        ]
    );
    let buttons = root.query_selector_all("button").unwrap();
    let names: Vec<String> = (0..buttons.length())
        .map(|i| buttons.item(i).unwrap().text_content().unwrap_or_default())
        .collect();
    assert_eq!(names, ["Allow", "Don't allow"]);
    let click = |i: u32| {
        let b: web_sys::HtmlElement =
            wasm_bindgen::JsCast::unchecked_into(buttons.item(i).unwrap());
        b.click();
    };
    click(1);
    click(0);
    assert_eq!(answers.get_untracked(), vec![false, true]);
}

#[wasm_bindgen_test]
fn without_scopes_only_the_question_and_its_answers_remain() {
    // A first-party device: no list, but never without the two answers.
    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ConsentChoices client_name="Game Console".into() scopes=vec![] busy=Signal::derive(|| false)
                answer=move |_| {}/>
        }
    })
    .forget();
    assert!(root.query_selector(".scopes").unwrap().is_none());
    assert!(root.query_selector("#consent-intro").unwrap().is_none());
    let buttons = root.query_selector_all("button").unwrap();
    let names: Vec<String> = (0..buttons.length())
        .map(|i| buttons.item(i).unwrap().text_content().unwrap_or_default())
        .collect();
    assert_eq!(names, ["Allow", "Don't allow"]);
}

fn theme_info(locale: &str) -> ThemeInfo {
    ThemeInfo {
        entrypoint: EntrypointInfo {
            id: "shop".into(),
            display_name: "The Shop".into(),
        },
        locale: locale.into(),
        tokens: ThemeTokens {
            primary: "#0f766e".into(),
            on_primary: "#ffffff".into(),
            background: "#f0fdfa".into(),
            surface: "#ffffff".into(),
            text: "#134e4a".into(),
            error: "#b91c1c".into(),
            muted: "#4b5263".into(),
            border: "#6b7280".into(),
            error_surface: "#fdf1f1".into(),
            info_surface: "#eef3fe".into(),
            warning_surface: "#fff7e6".into(),
            warning: "#b45309".into(),
            font_family: "Georgia, serif".into(),
            radius: "2px".into(),
            logo_url: None,
            background_image: Some("/public/none.png".into()),
        },
        texts: ThemeTexts::default(),
        sign_up: SignUpFields::default(),
        x_methods: vec![XMethod::Login, XMethod::SignUp],
        password_reset: true,
        email_verification: portico_api_types::EmailVerification::Optional,
        passkeys: false,
    }
}

fn labels(root: &web_sys::HtmlElement) -> Vec<String> {
    let list = root.query_selector_all("label").unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .text_content()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect()
}

#[wasm_bindgen_test]
async fn the_spanish_ui_speaks_spanish_down_to_the_server_errors() {
    let root = container();
    let error = RwSignal::new(None::<ApiError>);
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(Ui::new(Some(theme_info("es"))));
        view! { <LoginForm request=no_request()/><ErrorBanner error=error/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Correo electrónico", "Contraseña"]);
    assert_eq!(text(&root, "button[type=submit]"), "Iniciar sesión");
    error.set(Some(ApiError {
        error: "invalid_credentials".into(),
        message: "The email or password is not right.".into(),
        field_errors: vec![],
    }));
    leptos::task::tick().await;
    let alerts = root.query_selector_all("[role=alert]").unwrap();
    let last = alerts.item(alerts.length() - 1).unwrap();
    assert_eq!(
        last.text_content().unwrap().trim(),
        "El correo electrónico o la contraseña no son correctos."
    );
}

#[wasm_bindgen_test]
fn entrypoint_texts_replace_the_built_in_button_labels() {
    let root = container();
    let mut t = theme_info("en");
    t.texts.sign_in = Some("Enter the shop".into());
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(Ui::new(Some(t)));
        view! { <LoginForm request=no_request()/> }
    })
    .forget();
    assert_eq!(text(&root, "button[type=submit]"), "Enter the shop");
}

#[wasm_bindgen_test]
fn sign_up_asks_for_what_the_entrypoint_wants() {
    let root = container();
    let mut t = theme_info("en");
    t.sign_up = SignUpFields {
        name: FieldRule::Optional,
        phone: FieldRule::Required,
        birthdate: FieldRule::Required,
        terms_url: Some("https://shop.example/terms".into()),
    };
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(Ui::new(Some(t)));
        view! { <SignUpForm request=no_request()/> }
    })
    .forget();
    assert_eq!(
        labels(&root),
        [
            "Name (optional)",
            "Email",
            "Password",
            "Phone number",
            "Date of birth",
            "I accept the terms of service"
        ]
    );
    assert_eq!(attr(&root, "#name", "required"), None);
    assert!(attr(&root, "#phone_number", "required").is_some());
    assert_eq!(attr(&root, "#phone_number", "type").as_deref(), Some("tel"));
    assert_eq!(attr(&root, "#birthdate", "type").as_deref(), Some("date"));
    assert_eq!(
        attr(&root, "#accept_terms", "type").as_deref(),
        Some("checkbox")
    );
    assert_eq!(
        attr(&root, "label[for=accept_terms] a", "href").as_deref(),
        Some("https://shop.example/terms")
    );
}

#[wasm_bindgen_test]
fn the_default_sign_up_has_no_extra_fields() {
    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(Ui::new(Some(theme_info("en"))));
        view! { <SignUpForm request=no_request()/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Name", "Email", "Password"]);
}

#[wasm_bindgen_test]
fn a_theme_becomes_custom_properties_on_the_root_element() {
    let t = theme_info("es");
    portico_ui::theme::apply(&t);
    let root = document().document_element().unwrap();
    let style = window().get_computed_style(&root).unwrap().unwrap();
    let prop = |n: &str| style.get_property_value(n).unwrap().trim().to_owned();
    assert_eq!(prop("--color-primary"), "#0f766e");
    assert_eq!(prop("--font-family"), "Georgia, serif");
    assert_eq!(prop("--radius"), "2px");
    assert_eq!(prop("--background-image"), "url(\"/public/none.png\")");
    assert_eq!(root.get_attribute("lang").as_deref(), Some("es"));
}

fn no_request() -> Signal<Option<String>> {
    Signal::derive(|| None)
}

fn ui(locale: &str, password_reset: bool) -> Ui {
    let mut t = theme_info(locale);
    t.password_reset = password_reset;
    Ui::new(Some(t))
}

fn links(root: &web_sys::HtmlElement) -> Vec<(String, String)> {
    let list = root.query_selector_all("a").unwrap();
    (0..list.length())
        .map(|i| {
            let a: web_sys::Element = wasm_bindgen::JsCast::unchecked_into(list.item(i).unwrap());
            (
                a.text_content().unwrap_or_default().trim().to_owned(),
                a.get_attribute("href").unwrap_or_default(),
            )
        })
        .collect()
}

#[wasm_bindgen_test]
fn forgot_password_is_offered_only_where_the_server_sends_mail() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("en", true));
        view! { <LoginForm request=Signal::derive(|| Some("req-1".to_owned()))/> }
    })
    .forget();
    assert_eq!(
        links(&root),
        [(
            "Forgot password?".to_owned(),
            "/forgot-password?request=req-1".to_owned()
        )]
    );

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("en", true));
        view! { <LoginForm request=no_request()/> }
    })
    .forget();
    assert_eq!(
        links(&root),
        [("Forgot password?".to_owned(), "/forgot-password".to_owned())]
    );

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("en", false));
        view! { <LoginForm request=no_request()/> }
    })
    .forget();
    assert!(links(&root).is_empty());

    // Without a theme (the server could not be asked) nothing is promised.
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <LoginForm request=no_request()/> }).forget();
    assert!(links(&root).is_empty());
}

#[wasm_bindgen_test]
fn the_forgot_password_screen_asks_only_for_the_email() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <ForgotPassword/> }).forget();
    assert_eq!(text(&root, "h1"), "Reset your password");
    assert_eq!(labels(&root), ["Email"]);
    assert_eq!(text(&root, "label[for=email]"), "Email");
    assert_eq!(attr(&root, "input#email", "type").as_deref(), Some("email"));
    assert_eq!(
        attr(&root, "input#email", "autocomplete").as_deref(),
        Some("email")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Send reset link");
    assert_eq!(
        links(&root),
        [("Back to sign in".to_owned(), "/login".to_owned())]
    );
    assert!(root.query_selector("[role=alert]").unwrap().is_none());
}

#[wasm_bindgen_test]
fn the_reset_form_asks_for_a_new_password() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <NewPasswordForm token="the-token"/> },
    )
    .forget();
    assert_eq!(labels(&root), ["New password"]);
    assert_eq!(text(&root, "label[for=password]"), "New password");
    assert_eq!(
        attr(&root, "input#password", "type").as_deref(),
        Some("password")
    );
    assert_eq!(
        attr(&root, "input#password", "autocomplete").as_deref(),
        Some("new-password")
    );
    assert_eq!(
        attr(&root, "input#password", "aria-describedby").as_deref(),
        Some("password-hint")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Set new password");
}

#[wasm_bindgen_test]
fn a_reset_link_without_its_token_offers_a_new_one() {
    // The test page has no ?token=.
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <ResetPassword/> }).forget();
    assert_eq!(text(&root, "h1"), "Set a new password");
    assert!(root.query_selector("form").unwrap().is_none());
    assert_eq!(
        text(&root, "[role=alert]"),
        "This link has expired or was already used. Ask for a new one."
    );
    assert_eq!(
        links(&root),
        [(
            "Ask for a new link".to_owned(),
            "/forgot-password".to_owned()
        )]
    );
}

#[wasm_bindgen_test]
fn the_verify_screen_asks_for_the_mailed_code() {
    // The test page has no ?token= (which would be sent at once) and no
    // ?email= (so no "We sent a code to" line).
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <VerifyEmail/> }).forget();
    assert_eq!(text(&root, "h1"), "Check your email");
    assert_eq!(labels(&root), ["Verification code"]);
    assert_eq!(text(&root, "label[for=code]"), "Verification code");
    assert_eq!(
        attr(&root, "input#code", "inputmode").as_deref(),
        Some("numeric")
    );
    assert_eq!(
        attr(&root, "input#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Verify");
    assert!(!root.text_content().unwrap().contains("We sent"));
}

#[wasm_bindgen_test]
fn the_password_reset_and_verify_screens_speak_spanish() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <LoginForm request=no_request()/> }
    })
    .forget();
    assert_eq!(text(&root, "a"), "¿Olvidaste tu contraseña?");

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <ForgotPassword/> }
    })
    .forget();
    assert_eq!(text(&root, "h1"), "Restablece tu contraseña");
    assert_eq!(labels(&root), ["Correo electrónico"]);
    assert_eq!(text(&root, "button[type=submit]"), "Enviar enlace");
    assert_eq!(text(&root, "a"), "Volver a iniciar sesión");

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <ResetPassword/> }
    })
    .forget();
    assert_eq!(text(&root, "h1"), "Elige una contraseña nueva");
    assert_eq!(
        text(&root, "[role=alert]"),
        "Este enlace ha caducado o ya se ha usado. Pide uno nuevo."
    );

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <NewPasswordForm token="the-token"/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Contraseña nueva"]);
    assert_eq!(text(&root, "button[type=submit]"), "Guardar contraseña");

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <VerifyEmail/> }
    })
    .forget();
    assert_eq!(text(&root, "h1"), "Revisa tu correo");
    assert_eq!(labels(&root), ["Código de verificación"]);
    assert_eq!(text(&root, "button[type=submit]"), "Verificar");
}

#[wasm_bindgen_test]
async fn mailed_link_and_code_errors_use_the_uis_own_words_in_both_languages() {
    let server_says = |code: &str| ApiError {
        error: code.into(),
        message: "Whatever the server wrote.".into(),
        field_errors: vec![],
    };
    let cases = [
        (
            "en",
            "invalid_verification_code",
            "That code is not right or has expired.",
        ),
        (
            "es",
            "invalid_verification_code",
            "Ese código no es correcto o ha caducado.",
        ),
        (
            "en",
            "invalid_link",
            "This link has expired or was already used. Ask for a new one.",
        ),
        (
            "es",
            "invalid_link",
            "Este enlace ha caducado o ya se ha usado. Pide uno nuevo.",
        ),
    ];
    for (locale, code, expected) in cases {
        let root = container();
        let error = RwSignal::new(None::<ApiError>);
        let u = ui(locale, true);
        leptos::mount::mount_to(root.clone(), move || {
            provide_context(u);
            view! { <ErrorBanner error=error/> }
        })
        .forget();
        error.set(Some(server_says(code)));
        leptos::task::tick().await;
        assert_eq!(text(&root, "[role=alert]"), expected, "{locale} {code}");
    }
}

fn buttons(root: &web_sys::HtmlElement) -> Vec<String> {
    let list = root.query_selector_all("button").unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .text_content()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect()
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    let el: web_sys::HtmlElement = wasm_bindgen::JsCast::unchecked_into(
        root.query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no element matches {selector}")),
    );
    el.click();
}

fn focused_id() -> Option<String> {
    document().active_element().map(|e| e.id())
}

#[wasm_bindgen_test]
async fn change_email_opens_a_labelled_form_for_the_new_address_in_place() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("en", true));
        view! { <ChangeEmail changed=|_: portico_api_types::SessionInfo| {}/> }
    })
    .forget();
    assert_eq!(buttons(&root), ["Change email"]);
    assert!(root.query_selector("form").unwrap().is_none());

    click(&root, "button");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["New email"]);
    assert_eq!(text(&root, "label[for=new_email]"), "New email");
    assert_eq!(
        attr(&root, "input#new_email", "type").as_deref(),
        Some("email")
    );
    assert_eq!(
        attr(&root, "input#new_email", "autocomplete").as_deref(),
        Some("email")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Send code");
    assert_eq!(buttons(&root), ["Send code", "Cancel"]);
    // The button that was pressed is gone: the keyboard goes on in the
    // field that replaced it.
    assert_eq!(focused_id().as_deref(), Some("new_email"));
    assert!(root.query_selector("[role=alert]").unwrap().is_none());

    // Cancel puts the button back.
    click(&root, "button.button-link");
    leptos::task::tick().await;
    assert_eq!(buttons(&root), ["Change email"]);
    assert!(root.query_selector("form").unwrap().is_none());
}

#[wasm_bindgen_test]
fn the_confirm_step_asks_for_the_code_sent_to_the_new_address() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <ConfirmEmailForm new_email="new@example.com" changed=|_: portico_api_types::SessionInfo| {}/> }
    })
    .forget();
    assert_eq!(
        text(&root, "p"),
        "We sent a 6-digit code to new@example.com. It works for 15 minutes."
    );
    assert_eq!(labels(&root), ["Verification code"]);
    assert_eq!(text(&root, "label[for=code]"), "Verification code");
    assert_eq!(
        attr(&root, "input#code", "inputmode").as_deref(),
        Some("numeric")
    );
    assert_eq!(
        attr(&root, "input#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Confirm");
    assert!(root.query_selector("[role=alert]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_change_of_email_speaks_spanish() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <ChangeEmail changed=|_: portico_api_types::SessionInfo| {}/> }
    })
    .forget();
    assert_eq!(buttons(&root), ["Cambiar correo"]);
    click(&root, "button");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["Correo nuevo"]);
    assert_eq!(buttons(&root), ["Enviar código", "Cancelar"]);

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <ConfirmEmailForm new_email="nuevo@example.com" changed=|_: portico_api_types::SessionInfo| {}/> }
    })
    .forget();
    assert_eq!(
        text(&root, "p"),
        "Te hemos enviado un código de 6 cifras a nuevo@example.com. Funciona durante 15 minutos."
    );
    assert_eq!(labels(&root), ["Código de verificación"]);
    assert_eq!(text(&root, "button[type=submit]"), "Confirmar");
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `history.replaceState`: gives the test page a query string without
    /// leaving it.
    #[wasm_bindgen(js_namespace = history, js_name = replaceState)]
    fn replace_state(state: &wasm_bindgen::JsValue, unused: &str, url: &str);
}

/// Mount `screen` on a page whose query is `search`, then put the test
/// page's own address back (screens read the query once, as they mount).
fn mount_at(
    search: &str,
    theme: Ui,
    screen: impl FnOnce() -> AnyView + 'static,
) -> web_sys::HtmlElement {
    let location = window().location();
    let own = format!(
        "{}{}",
        location.pathname().unwrap(),
        location.search().unwrap()
    );
    replace_state(
        &wasm_bindgen::JsValue::NULL,
        "",
        &format!("{}{search}", location.pathname().unwrap()),
    );
    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(theme);
        screen()
    })
    .forget();
    replace_state(&wasm_bindgen::JsValue::NULL, "", &own);
    root
}

fn verify_with(
    policy: portico_api_types::EmailVerification,
    search: &str,
    locale: &str,
) -> Vec<(String, String)> {
    let mut t = theme_info(locale);
    t.email_verification = policy;
    let root = mount_at(search, Ui::new(Some(t)), || {
        view! { <VerifyEmail/> }.into_any()
    });
    links(&root)
}

#[wasm_bindgen_test]
fn only_optional_verification_lets_a_new_account_sign_in_before_verifying() {
    use portico_api_types::EmailVerification::{Off, Optional, Required};
    let back = || {
        (
            "Back to sign in".to_owned(),
            "/login?request=req-1".to_owned(),
        )
    };
    assert_eq!(
        verify_with(Optional, "?request=req-1&email=ana%40example.com", "en"),
        [
            (
                "Verify later and sign in".to_owned(),
                "/login?request=req-1".to_owned()
            ),
            back()
        ]
    );
    assert_eq!(
        verify_with(Required, "?request=req-1&email=ana%40example.com", "en"),
        [back()]
    );
    assert_eq!(verify_with(Off, "?request=req-1", "en"), [back()]);
    // Without a request there is no app to sign in to.
    assert_eq!(
        verify_with(Optional, "", "en"),
        [("Back to sign in".to_owned(), "/login".to_owned())]
    );
    assert_eq!(
        verify_with(Optional, "?request=req-1", "es"),
        [
            (
                "Verificar más tarde e iniciar sesión".to_owned(),
                "/login?request=req-1".to_owned()
            ),
            (
                "Volver a iniciar sesión".to_owned(),
                "/login?request=req-1".to_owned()
            )
        ]
    );
    // The test page is itself again.
    assert_eq!(window().location().search().unwrap(), "");
}

#[wasm_bindgen_test]
fn an_undo_link_without_its_token_says_it_has_expired() {
    // The test page has no ?token=.
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <EmailChangeUndo/> }).forget();
    assert_eq!(
        text(&root, "[role=alert]"),
        "This link has expired or was already used. Ask for a new one."
    );
    assert_eq!(links(&root), [("Sign in".to_owned(), "/login".to_owned())]);
    assert!(!root.text_content().unwrap().contains("old email"));
}

// Second factors (issue 18).

fn factors(totp: bool, passkey: bool, recovery_codes: bool) -> portico_api_types::SecondFactorInfo {
    portico_api_types::SecondFactorInfo {
        totp,
        passkey,
        recovery_codes,
    }
}

fn req_1() -> Signal<Option<String>> {
    Signal::derive(|| Some("req-1".to_owned()))
}

#[wasm_bindgen_test]
fn the_second_factor_form_asks_for_the_authentication_code() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecondFactorForm info=factors(true, true, true) request=req_1()/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Authentication code"]);
    assert_eq!(text(&root, "label[for=code]"), "Authentication code");
    assert_eq!(
        attr(&root, "input#code", "inputmode").as_deref(),
        Some("numeric")
    );
    assert_eq!(
        attr(&root, "input#code", "autocomplete").as_deref(),
        Some("one-time-code")
    );
    assert_eq!(text(&root, "button[type=submit]"), "Verify");
    assert_eq!(buttons(&root), ["Verify", "Sign in with a passkey"]);
    assert_eq!(
        links(&root),
        [(
            "Use a recovery code".to_owned(),
            "/login/code?request=req-1&recovery=1".to_owned()
        )]
    );
    assert!(root.query_selector("[role=alert]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_second_factor_form_speaks_spanish() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <SecondFactorForm info=factors(true, true, true) request=req_1()/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Código de autenticación"]);
    assert_eq!(
        buttons(&root),
        ["Verificar", "Iniciar sesión con una llave de acceso"]
    );
    assert_eq!(text(&root, "a"), "Usar un código de recuperación");
    click(&root, "a");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["Código de recuperación"]);
    assert_eq!(text(&root, "a"), "Usar tu aplicación de autenticación");
}

#[wasm_bindgen_test]
async fn use_a_recovery_code_switches_the_field_in_place_and_back() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecondFactorForm info=factors(true, false, true) request=req_1()/> }
    })
    .forget();
    assert_eq!(buttons(&root), ["Verify"]);
    click(&root, "a");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["Recovery code"]);
    assert_eq!(text(&root, "label[for=recovery_code]"), "Recovery code");
    assert_eq!(
        attr(&root, "input#recovery_code", "inputmode").as_deref(),
        Some("text"),
        "recovery codes have letters"
    );
    assert_eq!(buttons(&root), ["Verify"]);
    assert_eq!(
        links(&root),
        [(
            "Use your authenticator app".to_owned(),
            "/login/code?request=req-1".to_owned()
        )]
    );
    // The field that replaced the link's neighbour has the keyboard.
    leptos::task::tick().await;
    assert_eq!(focused_id().as_deref(), Some("recovery_code"));
    // The test page did not move.
    assert_eq!(window().location().search().unwrap(), "");

    click(&root, "a");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["Authentication code"]);
    leptos::task::tick().await;
    assert_eq!(focused_id().as_deref(), Some("code"));
}

#[wasm_bindgen_test]
fn recovery_1_opens_the_recovery_code_form_and_keeps_the_return_page() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! {
            <SecondFactorForm info=factors(true, false, true) request=no_request()
                return_to=Signal::derive(|| Some("/device?user_code=BCDF-GHJK".to_owned())) recovery=true/>
        }
    })
    .forget();
    assert_eq!(labels(&root), ["Recovery code"]);
    assert_eq!(
        links(&root),
        [(
            "Use your authenticator app".to_owned(),
            "/login/code?return_to=%2Fdevice%3Fuser_code%3DBCDF-GHJK".to_owned()
        )]
    );
}

#[wasm_bindgen_test]
fn what_the_second_step_offers_follows_the_accounts_factors() {
    // No recovery codes left: no link to a form that cannot work.
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecondFactorForm info=factors(true, false, false) request=req_1()/> }
    })
    .forget();
    assert_eq!(labels(&root), ["Authentication code"]);
    assert!(links(&root).is_empty());

    // A passkey and no app: no app code to ask for.
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecondFactorForm info=factors(false, true, true) request=req_1()/> }
    })
    .forget();
    assert!(labels(&root).is_empty());
    assert_eq!(buttons(&root), ["Sign in with a passkey"]);
    assert_eq!(text(&root, "a"), "Use a recovery code");
}

#[wasm_bindgen_test]
fn the_passkey_button_has_its_plain_name_in_both_languages() {
    let root = container();
    leptos::mount::mount_to(
        root.clone(),
        || view! { <PasskeySignIn request=no_request()/> },
    )
    .forget();
    assert_eq!(buttons(&root), ["Sign in with a passkey"]);
    assert_eq!(attr(&root, "button", "type").as_deref(), Some("button"));

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <PasskeySignIn request=no_request()/> }
    })
    .forget();
    assert_eq!(buttons(&root), ["Iniciar sesión con una llave de acceso"]);
}

#[wasm_bindgen_test]
fn the_email_field_lets_the_browser_offer_passkeys() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || view! { <LoginForm request=no_request()/> }).forget();
    assert_eq!(
        attr(&root, "input#email", "autocomplete").as_deref(),
        Some("username webauthn")
    );
}

#[wasm_bindgen_test]
async fn second_factor_errors_use_the_uis_own_words_in_both_languages() {
    let cases = [
        (
            "en",
            "invalid_authentication_code",
            "That code is not right. Check it and try again.",
        ),
        (
            "es",
            "invalid_authentication_code",
            "Ese código no es correcto. Revísalo y vuelve a intentarlo.",
        ),
        (
            "en",
            "sign_in_expired",
            "This sign-in has expired. Start again with your email and password.",
        ),
        (
            "es",
            "sign_in_expired",
            "Este inicio de sesión ha caducado. Empieza de nuevo con tu correo y tu contraseña.",
        ),
        (
            "en",
            "passkey_failed",
            "The passkey did not work. Try again.",
        ),
        (
            "es",
            "passkey_failed",
            "La llave de acceso no ha funcionado. Vuelve a intentarlo.",
        ),
        (
            "es",
            "reauthentication_required",
            "Por seguridad, vuelve a iniciar sesión antes de cambiar cómo inicias sesión.",
        ),
    ];
    for (locale, code, expected) in cases {
        let root = container();
        let error = RwSignal::new(None::<ApiError>);
        let u = ui(locale, true);
        leptos::mount::mount_to(root.clone(), move || {
            provide_context(u);
            view! { <ErrorBanner error=error/> }
        })
        .forget();
        error.set(Some(ApiError {
            error: code.into(),
            message: "Whatever the server wrote.".into(),
            field_errors: vec![],
        }));
        leptos::task::tick().await;
        assert_eq!(text(&root, "[role=alert]"), expected, "{locale} {code}");
    }
}

#[wasm_bindgen_test]
fn an_expired_sign_in_offers_to_sign_in_again_keeping_the_request() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        let e = ApiError {
            error: "sign_in_expired".into(),
            message: "x".into(),
            field_errors: vec![],
        };
        view! { <SignInAgain error=e href="/login?request=req-1"/> }
    })
    .forget();
    assert_eq!(
        text(&root, "[role=alert]"),
        "This sign-in has expired. Start again with your email and password."
    );
    assert_eq!(
        links(&root),
        [(
            "Sign in again".to_owned(),
            "/login?request=req-1".to_owned()
        )]
    );
}

fn factor(id: &str, kind: FactorKind, name: &str, last_used_at: Option<i64>) -> FactorInfo {
    FactorInfo {
        id: id.into(),
        kind,
        name: name.into(),
        // 2023-11-14T22:13:20Z
        created_at: 1_700_000_000,
        last_used_at,
    }
}

fn security(factors: Vec<FactorInfo>) -> SecurityInfo {
    SecurityInfo {
        email: "ana@example.com".into(),
        recovery_codes_left: if factors.is_empty() { 0 } else { 7 },
        factors,
        reauthenticate: false,
        passkeys: true,
    }
}

fn texts(root: &web_sys::Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .text_content()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .collect()
}

/// The factor rows: each row's name, dates and buttons.
fn rows(root: &web_sys::HtmlElement) -> Vec<(String, String, Vec<String>)> {
    let list = root.query_selector_all("li.factor").unwrap();
    (0..list.length())
        .map(|i| {
            let li: web_sys::Element = wasm_bindgen::JsCast::unchecked_into(list.item(i).unwrap());
            (
                texts(&li, ".factor-name").concat(),
                texts(&li, ".factor-dates").concat(),
                texts(&li, "button"),
            )
        })
        .collect()
}

fn two_passkeys_and_an_app() -> SecurityInfo {
    security(vec![
        factor("pk-1", FactorKind::Passkey, "Laptop", Some(1_700_086_400)),
        factor("totp-1", FactorKind::Totp, "Authenticator app", None),
        factor("pk-2", FactorKind::Passkey, "Phone", None),
    ])
}

#[wasm_bindgen_test]
fn the_security_settings_list_each_factor_with_its_buttons() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecuritySettings info=two_passkeys_and_an_app()/> }
    })
    .forget();
    assert_eq!(
        texts(&root, "h2"),
        ["Passkeys", "Authenticator app", "Recovery codes"]
    );
    let row = |name: &str, dates: &str, buttons: &[&str]| {
        (
            name.to_owned(),
            dates.to_owned(),
            buttons.iter().map(|b| (*b).to_owned()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        rows(&root),
        [
            row(
                "Laptop",
                "Added 2023-11-14 \u{b7} Last used 2023-11-15",
                &["Rename", "Remove"]
            ),
            row(
                "Phone",
                "Added 2023-11-14 \u{b7} Not used yet",
                &["Rename", "Remove"]
            ),
            row(
                "Authenticator app",
                "Added 2023-11-14 \u{b7} Not used yet",
                &["Remove"]
            ),
        ]
    );
    let all = buttons(&root);
    assert!(all.contains(&"Add a passkey".to_owned()), "{all:?}");
    assert!(all.contains(&"New recovery codes".to_owned()), "{all:?}");
    // One app at a time; no way on without a request.
    assert!(!all.contains(&"Set up authenticator app".to_owned()));
    assert!(!all.contains(&"Continue".to_owned()));
    assert_eq!(text(&root, ".codes-left"), "Recovery codes left: 7");
    assert!(labels(&root).is_empty());
}

#[wasm_bindgen_test]
async fn rename_opens_a_labelled_name_field_in_the_row() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecuritySettings info=two_passkeys_and_an_app()/> }
    })
    .forget();
    click(&root, "li.factor button");
    leptos::task::tick().await;
    assert_eq!(labels(&root), ["Passkey name"]);
    assert_eq!(text(&root, "label[for=passkey_name]"), "Passkey name");
    let input: web_sys::HtmlInputElement = wasm_bindgen::JsCast::unchecked_into(
        root.query_selector("#passkey_name").unwrap().unwrap(),
    );
    // The value property is set a tick after the field appears.
    leptos::task::tick().await;
    assert_eq!(input.value(), "Laptop");
    assert_eq!(rows(&root)[0].2, ["Save", "Cancel"]);
    assert_eq!(rows(&root)[1].2, ["Rename", "Remove"]);
    leptos::task::tick().await;
    assert_eq!(focused_id().as_deref(), Some("passkey_name"));

    // Cancel puts the buttons back and the keyboard on "Rename".
    click(&root, "li.factor form button[type=button]");
    leptos::task::tick().await;
    assert!(labels(&root).is_empty());
    assert_eq!(rows(&root)[0].2, ["Rename", "Remove"]);
    leptos::task::tick().await;
    assert_eq!(
        document()
            .active_element()
            .and_then(|e| e.text_content())
            .as_deref(),
        Some("Rename")
    );
}

#[wasm_bindgen_test]
fn an_account_without_factors_is_offered_both_kinds() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecuritySettings info=security(vec![])/> }
    })
    .forget();
    assert_eq!(texts(&root, "h2"), ["Passkeys", "Authenticator app"]);
    assert!(root.text_content().unwrap().contains("No passkeys yet."));
    assert_eq!(
        buttons(&root),
        ["Add a passkey", "Set up authenticator app"]
    );
    assert!(rows(&root).is_empty());

    // An installation without passkeys says nothing about them.
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        let mut info = security(vec![]);
        info.passkeys = false;
        view! { <SecuritySettings info=info/> }
    })
    .forget();
    assert_eq!(texts(&root, "h2"), ["Authenticator app"]);
    assert_eq!(buttons(&root), ["Set up authenticator app"]);
}

#[wasm_bindgen_test]
fn a_stale_sign_in_offers_only_to_sign_in_again() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        let mut info = two_passkeys_and_an_app();
        info.reauthenticate = true;
        view! { <SecuritySettings info=info/> }
    })
    .forget();
    assert!(buttons(&root).is_empty());
    assert!(rows(&root).is_empty());
    assert_eq!(
        text(&root, "p"),
        "For your security, sign in again before you change how you sign in."
    );
    assert_eq!(
        links(&root),
        [(
            "Sign in again".to_owned(),
            "/login?return_to=%2Faccount%2Fsecurity".to_owned()
        )]
    );
}

#[wasm_bindgen_test]
fn an_enrolment_an_app_requires_says_why_and_continues_once_a_factor_is_on() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        view! { <SecuritySettings info=security(vec![]) request=req_1()/> }
    })
    .forget();
    assert_eq!(
        text(&root, ".banner-info"),
        "This app asks for a second step when you sign in. Add a passkey or an authenticator app to continue."
    );
    assert!(!buttons(&root).contains(&"Continue".to_owned()));

    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        let info = security(vec![factor(
            "totp-1",
            FactorKind::Totp,
            "Authenticator app",
            None,
        )]);
        view! { <SecuritySettings info=info request=req_1()/> }
    })
    .forget();
    assert_eq!(buttons(&root).last().map(String::as_str), Some("Continue"));
}

#[wasm_bindgen_test]
fn the_security_settings_speak_spanish() {
    let root = container();
    leptos::mount::mount_to(root.clone(), || {
        provide_context(ui("es", true));
        view! { <SecuritySettings info=two_passkeys_and_an_app()/> }
    })
    .forget();
    assert_eq!(
        texts(&root, "h2"),
        [
            "Llaves de acceso",
            "Aplicación de autenticación",
            "Códigos de recuperación"
        ]
    );
    assert_eq!(
        rows(&root)[0].1,
        "Añadida el 2023-11-14 \u{b7} Último uso el 2023-11-15"
    );
    assert_eq!(rows(&root)[0].2, ["Cambiar nombre", "Quitar"]);
    assert_eq!(
        text(&root, ".codes-left"),
        "Códigos de recuperación restantes: 7"
    );
}

#[wasm_bindgen_test]
async fn the_recovery_codes_panel_lists_the_codes_once_with_download_and_done() {
    let root = container();
    let closed = RwSignal::new(false);
    leptos::mount::mount_to(root.clone(), move || {
        let codes = vec!["abcd-efgh".to_owned(), "ijkl-mnop".to_owned()];
        view! { <RecoveryCodesPanel codes=codes done=move || closed.set(true)/> }
    })
    .forget();
    assert_eq!(text(&root, "h2"), "Save your recovery codes");
    assert_eq!(texts(&root, "ul li code"), ["abcd-efgh", "ijkl-mnop"]);
    assert_eq!(buttons(&root), ["Download", "I have saved them"]);
    // The panel has the keyboard as it opens.
    leptos::task::tick().await;
    assert_eq!(
        document()
            .active_element()
            .map(|e| e.class_name())
            .as_deref(),
        Some("recovery-panel outcome")
    );
    click(&root, "button.button-primary");
    assert!(closed.get_untracked());
    assert_eq!(
        recovery_codes_file(&["abcd-efgh".to_owned(), "ijkl-mnop".to_owned()]),
        "abcd-efgh\nijkl-mnop\n"
    );
    assert_eq!(RECOVERY_CODES_FILE, "portico-recovery-codes.txt");

    let root = container();
    leptos::mount::mount_to(root.clone(), move || {
        provide_context(ui("es", true));
        view! { <RecoveryCodesPanel codes=vec!["abcd-efgh".to_owned()] done=|| {}/> }
    })
    .forget();
    assert_eq!(text(&root, "h2"), "Guarda tus códigos de recuperación");
    assert_eq!(buttons(&root), ["Descargar", "Ya los he guardado"]);
}

/// The cockpit's parts (feature `admin`).
#[cfg(feature = "admin")]
mod cockpit {
    use super::*;
    use portico_api_types::admin::{ContrastPair, EntrypointPreview};
    use portico_ui::admin::pages::{ClientFields, Contrast, Preview, Screen};
    use portico_ui::admin::parts::SecretOnce;

    fn tokens(primary: &str) -> ThemeTokens {
        ThemeTokens {
            primary: primary.into(),
            on_primary: "#ffffff".into(),
            background: "#ccfbf1".into(),
            surface: "#ffffff".into(),
            text: "#134e4a".into(),
            error: "#b91c1c".into(),
            muted: "#4b5263".into(),
            border: "#6b7280".into(),
            error_surface: "#fdf1f1".into(),
            info_surface: "#eef3fe".into(),
            warning_surface: "#fff7e6".into(),
            warning: "#b45309".into(),
            font_family: "Georgia, serif".into(),
            radius: "2px".into(),
            logo_url: None,
            background_image: None,
        }
    }

    fn preview(primary: &str, passes: bool) -> EntrypointPreview {
        EntrypointPreview {
            problems: vec![],
            theme: ThemeInfo {
                entrypoint: EntrypointInfo {
                    id: "acme".into(),
                    display_name: "Acme Outdoor".into(),
                },
                locale: "en".into(),
                tokens: tokens(primary),
                texts: ThemeTexts {
                    title: Some("Welcome back to Acme".into()),
                    ..ThemeTexts::default()
                },
                sign_up: SignUpFields::default(),
                x_methods: vec![XMethod::Login, XMethod::SignUp],
                password_reset: false,
                email_verification: Default::default(),
                passkeys: false,
            },
            pairs: vec![ContrastPair {
                foreground: "primary".into(),
                background: "surface".into(),
                foreground_colour: primary.into(),
                background_colour: "#ffffff".into(),
                ratio: if passes { 9.1 } else { 1.28 },
                needed: 4.5,
                passes,
            }],
        }
    }

    #[wasm_bindgen_test]
    async fn the_preview_renders_the_real_form_under_the_drafts_custom_properties() {
        let root = container();
        let pv = RwSignal::new(Some(preview("#7c2d12", true)));
        let screen = RwSignal::new(Screen::SignIn);
        leptos::mount::mount_to(
            root.clone(),
            move || view! { <Preview preview=pv screen=screen/> },
        )
        .forget();
        // Effects run after the first render.
        leptos::task::tick().await;
        let el = root.query_selector(".preview").unwrap().unwrap();
        let style = el.get_attribute("style").unwrap_or_default();
        assert!(style.contains("--color-primary: #7c2d12"), "{style}");
        assert_eq!(text(&root, ".preview h1"), "Welcome back to Acme");
        assert!(
            root.query_selector(".preview input#password")
                .unwrap()
                .is_some()
        );
        assert!(el.has_attribute("inert"), "the preview takes no focus");
        screen.set(Screen::SignUp);
        leptos::task::tick().await;
        assert!(
            root.query_selector(".preview input#name")
                .unwrap()
                .is_some(),
            "the sign-up form"
        );
        pv.set(Some(preview("#0f766e", true)));
        leptos::task::tick().await;
        let style = el.get_attribute("style").unwrap_or_default();
        assert!(style.contains("--color-primary: #0f766e"), "{style}");
    }

    #[wasm_bindgen_test]
    fn contrast_rows_say_which_pairs_fail() {
        let root = container();
        let pv = RwSignal::new(Some(preview("#a7f3d0", false)));
        leptos::mount::mount_to(root.clone(), move || view! { <Contrast preview=pv/> }).forget();
        let row = root
            .query_selector("tr[data-pair=primary]")
            .unwrap()
            .unwrap();
        assert!(row.class_list().contains("fails"));
        let words = row.text_content().unwrap_or_default();
        assert!(
            words.contains("1.28:1") && words.contains("Fails"),
            "{words}"
        );
        assert_eq!(text(&root, "caption"), "Contrast (WCAG 2)");
    }

    #[wasm_bindgen_test]
    fn a_secret_is_shown_once_with_a_copy_button() {
        let root = container();
        leptos::mount::mount_to(
            root.clone(),
            || view! { <SecretOnce secret="s3cr3t".to_owned()/> },
        )
        .forget();
        assert_eq!(text(&root, "code#client-secret"), "s3cr3t");
        assert_eq!(
            attr(&root, "code#client-secret", "aria-labelledby").as_deref(),
            Some("secret-label")
        );
        assert_eq!(text(&root, ".secret-once button"), "Copy");
    }

    #[wasm_bindgen_test]
    fn the_client_form_sends_lists_one_per_line() {
        let owner = Owner::new();
        owner.with(|| {
            let f = ClientFields::new();
            f.id.set(" app ".into());
            f.redirect_uris
                .set("https://a.example/cb\n\n  https://b.example/cb \n".into());
            f.scopes.set("openid  email".into());
            let input = f.input(None);
            assert_eq!(input.id.as_deref(), Some("app"));
            assert_eq!(
                input.redirect_uris,
                ["https://a.example/cb", "https://b.example/cb"]
            );
            assert_eq!(input.scopes.unwrap(), ["openid", "email"]);
            assert_eq!(
                input.grant_types.unwrap(),
                ["authorization_code", "refresh_token"]
            );
            assert!(input.confidential && input.name.is_none());
        });
    }
}

//! A new set of recovery codes, shown once: the list, "Download" and "I
//! have saved them".

use crate::theme::use_ui;
use leptos::html;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// The name "Download" saves the codes under.
pub const RECOVERY_CODES_FILE: &str = "portico-recovery-codes.txt";

/// The downloaded file's text: one code a line.
pub fn recovery_codes_file(codes: &[String]) -> String {
    codes.iter().map(|c| format!("{c}\n")).collect()
}

/// Save `text` as a file through a Blob URL and an `<a download>`: the
/// codes never leave the browser.
fn download(text: &str) -> Option<()> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let doc = document();
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").ok()?.dyn_into().ok()?;
    a.set_href(&url);
    a.set_download(RECOVERY_CODES_FILE);
    a.set_hidden(true);
    let body = doc.body()?;
    body.append_child(&a).ok()?;
    a.click();
    let _ = body.remove_child(&a);
    // Some browsers read the URL after the click returns: free it later.
    set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        Duration::from_secs(60),
    );
    Some(())
}

/// The codes as a list, with "Download" and "I have saved them" (which
/// calls `done`). The panel takes the focus when it opens, so keyboard and
/// screen reader users start at its heading.
#[component]
pub fn RecoveryCodesPanel(
    codes: Vec<String>,
    done: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let t = use_ui().t;
    let panel = NodeRef::<html::Section>::new();
    Effect::new(move |_| {
        if let Some(el) = panel.get() {
            let _ = el.focus();
        }
    });
    let text = recovery_codes_file(&codes);
    let save = move |_| {
        let _ = download(&text);
    };
    view! {
        <section class="recovery-panel outcome" tabindex="-1" aria-labelledby="recovery-panel-title" node_ref=panel>
            <h2 id="recovery-panel-title">{t.account.save_codes_title}</h2>
            <p>{t.account.save_codes_help}</p>
            <ul class="recovery-codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <div class="actions">
                <button type="button" class="button-secondary" on:click=save>{t.account.download}</button>
                <button type="button" class="button-primary" on:click=move |_| done()>{t.account.saved_them}</button>
            </div>
        </section>
    }
}

//! The browser's passkey ceremonies (WebAuthn). The work is done by a small
//! hand-written module, `public/webauthn.js` (served at [`GLUE_URL`]),
//! which the app imports only when a passkey is used or the browser can
//! offer passkeys in the email field's autofill: the sign-in page's first
//! load carries only the three lines below that find and load it.

use portico_api_types::{ApiError, codes};
use wasm_bindgen::prelude::*;

/// Where Trunk's copy of `public/` puts the glue (both bundles share the
/// sign-in bundle's copy, as they share its favicon).
pub const GLUE_URL: &str = "/public/webauthn.js";

// `import()` is syntax, not a function wasm could call, and the page's CSP
// rightly forbids building code from text: these lines become a tiny
// module of wasm-bindgen's glue. The URL is [`GLUE_URL`].
#[wasm_bindgen(
    inline_js = "export function load(){return import('/public/webauthn.js')}\n\
export function supported(){return typeof PublicKeyCredential=='function'}\n\
export async function conditional(){try{return !!(await PublicKeyCredential.isConditionalMediationAvailable())}catch(e){return false}}"
)]
extern "C" {
    #[wasm_bindgen(catch)]
    async fn load() -> Result<Glue, JsValue>;
    /// Whether this browser has passkeys at all (`PublicKeyCredential`).
    pub fn supported() -> bool;
    #[wasm_bindgen(js_name = conditional)]
    async fn conditional_js() -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// The glue module's exports.
    type Glue;
    #[wasm_bindgen(method)]
    fn abort(this: &Glue);
    #[wasm_bindgen(method, catch)]
    async fn get(this: &Glue, options: &str, conditional: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    async fn create(this: &Glue, options: &str) -> Result<JsValue, JsValue>;
}

/// A ceremony that did not give a credential: the user cancelled, the
/// authenticator refused, or the glue did not load. The UI words it.
fn failed() -> ApiError {
    ApiError {
        error: codes::PASSKEY_FAILED.into(),
        message: "The passkey did not work. Try again.".into(),
        field_errors: vec![],
    }
}

async fn glue() -> Result<Glue, ApiError> {
    load().await.map_err(|_| failed())
}

fn credential(answer: Result<JsValue, JsValue>) -> Result<String, ApiError> {
    answer.ok().and_then(|v| v.as_string()).ok_or_else(failed)
}

/// Whether the browser can offer passkeys in the autofill of a field with
/// `autocomplete="... webauthn"` (conditional mediation).
pub async fn conditional_available() -> bool {
    supported() && conditional_js().await.as_bool().unwrap_or(false)
}

/// Stop the ceremony in progress (the autofill one), if the glue is loaded.
pub async fn abort() {
    if let Ok(g) = glue().await {
        g.abort();
    }
}

/// Sign in with the server's request `options` (JSON text): a dialog, or
/// with `conditional` the autofill list. The assertion as JSON text.
pub async fn sign_in(options: &str, conditional: bool) -> Result<String, ApiError> {
    let g = glue().await?;
    credential(g.get(options, conditional).await)
}

/// Create a passkey with the server's creation `options` (JSON text). The
/// new credential as JSON text.
pub async fn register(options: &str) -> Result<String, ApiError> {
    let g = glue().await?;
    credential(g.create(options).await)
}

//! The browser's passkey ceremonies (WebAuthn). The work is done by a small
//! hand-written module, `public/webauthn.js` (served at [`GLUE_URL`]),
//! which the app imports only when a passkey is used or the browser can
//! offer passkeys in the email field's autofill: the sign-in page's first
//! load carries only the few lines below that find and load it.

use portico_api_types::{ApiError, codes};
use wasm_bindgen::prelude::*;

/// Where Trunk's copy of `public/` puts the glue (both bundles share the
/// sign-in bundle's copy, as they share its favicon).
pub const GLUE_URL: &str = "/public/webauthn.js";

// `import()` is syntax, not a function wasm could call, and the page's CSP
// rightly forbids building code from text: these lines become a tiny
// module of wasm-bindgen's glue, which imports the real one on first use.
// The URL is [`GLUE_URL`].
#[wasm_bindgen(inline_js = "const glue=()=>import('/public/webauthn.js');\n\
export function supported(){return typeof PublicKeyCredential=='function'}\n\
export async function conditional(){try{return !!(await PublicKeyCredential.isConditionalMediationAvailable())}catch(e){return false}}\n\
export function abort(){glue().then(m=>m.abort(),()=>{})}\n\
export async function get(o,c){return (await glue()).get(o,c)}\n\
export async function create(o){return (await glue()).create(o)}")]
extern "C" {
    /// Whether this browser has passkeys at all (`PublicKeyCredential`).
    pub fn supported() -> bool;
    #[wasm_bindgen(js_name = conditional)]
    async fn conditional_js() -> JsValue;
    /// Stop the ceremony in progress (the autofill one), if any.
    pub fn abort();
    #[wasm_bindgen(catch)]
    async fn get(options: &str, conditional: bool) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn create(options: &str) -> Result<JsValue, JsValue>;
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

fn credential(answer: Result<JsValue, JsValue>) -> Result<String, ApiError> {
    answer.ok().and_then(|v| v.as_string()).ok_or_else(failed)
}

/// Whether the browser can offer passkeys in the autofill of a field with
/// `autocomplete="... webauthn"` (conditional mediation).
pub async fn conditional_available() -> bool {
    supported() && conditional_js().await.as_bool().unwrap_or(false)
}

/// Sign in with the server's request `options` (JSON text): a dialog, or
/// with `conditional` the autofill list. The assertion as JSON text.
pub async fn sign_in(options: &str, conditional: bool) -> Result<String, ApiError> {
    credential(get(options, conditional).await)
}

/// Create a passkey with the server's creation `options` (JSON text). The
/// new credential as JSON text.
pub async fn register(options: &str) -> Result<String, ApiError> {
    credential(create(options).await)
}

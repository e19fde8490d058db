//! The token endpoint's form, as a confidential and as a public client
//! (the credentials go in the header, so the form drives everything else).
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use portico_fuzz::{WEB_SECRET, pairs, world};

fuzz_target!(|data: &[u8]| {
    let w = world();
    let form = pairs(data);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("web:{WEB_SECRET}"))
    );
    w.rt.block_on(async {
        let _ = portico_core::endpoints::token::token(&w.p, Some(&basic), &form, None).await;
        let _ = portico_core::endpoints::token::token(&w.p, None, &form, None).await;
        let _ =
            portico_core::endpoints::authorize::par::push(&w.p, Some(&basic), &form, None).await;
    });
});

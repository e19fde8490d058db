//! The authorize endpoint's query, with and without a signed-in session.
#![no_main]
use libfuzzer_sys::fuzz_target;
use portico_fuzz::{pairs, world};

fuzz_target!(|data: &[u8]| {
    let w = world();
    let q = pairs(data);
    w.rt.block_on(async {
        let _ = portico_core::endpoints::authorize::authorize(&w.p, &q, None).await;
        let _ = portico_core::endpoints::authorize::authorize(&w.p, &q, Some(&w.session)).await;
        let _ = portico_core::endpoints::authorize::explain_error(&w.p, &q).await;
    });
});

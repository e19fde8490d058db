//! Client authentication: the Authorization header, alone and against
//! form credentials, then checked against the store.
#![no_main]
use libfuzzer_sys::fuzz_target;
use portico_core::services::client_auth::{authenticate, parse_basic, presented};
use portico_fuzz::world;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_basic(header);
    let w = world();
    for (id, secret) in [(None, None), (Some("web"), None), (None, Some("x"))] {
        if let Ok(creds) = presented(Some(header), id, secret) {
            let _ = w.rt.block_on(authenticate(&w.p, &creds, None));
        }
    }
});

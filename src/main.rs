fn main() {
    console_error_panic_hook::set_once();
    #[cfg(feature = "admin")]
    leptos::mount::mount_to_body(portico_ui::admin::AdminApp);
    #[cfg(not(feature = "admin"))]
    leptos::mount::mount_to_body(portico_ui::App);
}

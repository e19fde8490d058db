//! Where the hosted UI shows a screen the core asked for.

use portico_api_types::routes::pages;
use portico_core::endpoints::authorize::Screen;

/// The UI page of `screen` for the stored request `request_id`.
pub fn screen_path(screen: Screen, request_id: &str) -> String {
    let page = match screen {
        Screen::Login => pages::LOGIN,
        Screen::SignUp => pages::SIGN_UP,
        Screen::Consent => pages::CONSENT,
        Screen::SecondFactor => pages::SECOND_FACTOR,
        Screen::Enrol => pages::ACCOUNT_SECURITY,
    };
    format!("{page}?request={request_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_screen_has_its_page_and_carries_only_the_request_id() {
        assert_eq!(screen_path(Screen::Login, "r1"), "/login?request=r1");
        assert_eq!(screen_path(Screen::SignUp, "r2"), "/sign-up?request=r2");
        assert_eq!(screen_path(Screen::Consent, "r3"), "/consent?request=r3");
        assert_eq!(
            screen_path(Screen::SecondFactor, "r4"),
            "/login/code?request=r4"
        );
        assert_eq!(
            screen_path(Screen::Enrol, "r5"),
            "/account/security?request=r5"
        );
    }
}

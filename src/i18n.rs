//! The UI's words in English and Spanish. The server picks the language
//! (ui_locales, then Accept-Language, then the entrypoint's default) and
//! sends it with the theme; an entrypoint's own texts replace the title,
//! the subtitle and the button labels.
//!
//! Server messages are English with a stable code; the Spanish UI shows
//! its own sentence for every code it knows and the server's otherwise.
//! The codes of mailed links and codes are worded by the UI in both
//! languages: their screens are built around that exact sentence.

use portico_api_types::codes;

/// Every sentence a screen shows. Pieces that surround a name end or start
/// with a space where the language needs one.
pub struct Strings {
    pub locale: &'static str,
    pub sign_in_title: &'static str,
    pub continue_to: &'static str,
    pub sign_up_title: &'static str,
    pub consent_title: &'static str,
    pub cancel: &'static str,
    pub choose_account: &'static str,
    pub continue_as: &'static str,
    pub or_another: &'static str,
    pub new_here: &'static str,
    pub create_an_account: &'static str,
    pub already_signed_in_as: &'static str,
    pub continue_label: &'static str,
    pub have_account: &'static str,
    pub sign_in: &'static str,
    pub signed_in_as: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub password_hint: &'static str,
    pub name: &'static str,
    pub phone: &'static str,
    pub phone_hint: &'static str,
    pub birthdate: &'static str,
    pub optional: &'static str,
    pub accept_terms: &'static str,
    pub terms_link: &'static str,
    pub create_account: &'static str,
    pub working: &'static str,
    pub would_like_to: &'static str,
    pub allow: &'static str,
    pub dont_allow: &'static str,
    pub device_title: &'static str,
    pub device_intro: &'static str,
    pub code: &'static str,
    pub code_hint: &'static str,
    pub device_confirm_title: &'static str,
    pub device_wants: &'static str,
    pub device_warning: &'static str,
    pub device_warning_end: &'static str,
    pub device_warning_sent: &'static str,
    pub device_done_title: &'static str,
    pub device_done: &'static str,
    pub device_denied_title: &'static str,
    pub device_denied: &'static str,
    pub logout_title: &'static str,
    pub loading: &'static str,
    pub go_to_account: &'static str,
    pub asks_sign_out: &'static str,
    pub want_sign_out: &'static str,
    pub sign_out: &'static str,
    pub stay_signed_in: &'static str,
    pub account_title: &'static str,
    pub not_signed_in: &'static str,
    pub link_broken_title: &'static str,
    pub error_code: &'static str,
    pub checking_link: &'static str,
    pub link_broken_help: &'static str,
    pub not_found_title: &'static str,
    pub logo_alt: &'static str,
    pub forgot_password: &'static str,
    pub reset_title: &'static str,
    pub send_reset_link: &'static str,
    pub reset_link_sent: &'static str,
    pub back_to_sign_in: &'static str,
    pub new_password_title: &'static str,
    pub new_password: &'static str,
    pub set_new_password: &'static str,
    pub ask_new_link: &'static str,
    pub verify_title: &'static str,
    pub code_sent_to: &'static str,
    pub code_sent_end: &'static str,
    pub verification_code: &'static str,
    pub verify: &'static str,
    pub invalid_link: &'static str,
    pub invalid_verification_code: &'static str,
    pub email_off: &'static str,
    pub verify_later: &'static str,
    pub change_email: &'static str,
    pub email_not_verified: &'static str,
    pub verify_email_button: &'static str,
    pub new_email: &'static str,
    pub send_code: &'static str,
    pub code_works_for: &'static str,
    pub confirm: &'static str,
    pub email_now: &'static str,
    pub email_now_end: &'static str,
    pub old_email_back_title: &'static str,
    pub old_email_back: &'static str,
}

pub static EN: Strings = Strings {
    locale: "en",
    sign_in_title: "Sign in",
    continue_to: "to continue to ",
    sign_up_title: "Create your account",
    consent_title: "Allow access?",
    cancel: "Cancel",
    choose_account: "Choose an account",
    continue_as: "Continue as ",
    or_another: "Or sign in with another account:",
    new_here: "New here? ",
    create_an_account: "Create an account",
    already_signed_in_as: "You are already signed in as ",
    continue_label: "Continue",
    have_account: "Already have an account? ",
    sign_in: "Sign in",
    signed_in_as: "Signed in as ",
    email: "Email",
    password: "Password",
    password_hint: "At least 8 characters.",
    name: "Name",
    phone: "Phone number",
    phone_hint: "With the country code, like +34 600 123 456.",
    birthdate: "Date of birth",
    optional: " (optional)",
    accept_terms: "I accept the ",
    terms_link: "terms of service",
    create_account: "Create account",
    working: "Working, please wait.",
    would_like_to: " would like to:",
    allow: "Allow",
    dont_allow: "Don't allow",
    device_title: "Connect a device",
    device_intro: "Enter the code shown on your TV, console or other device.",
    code: "Code",
    code_hint: "It has 8 letters, like BCDF-GHJK.",
    device_confirm_title: "Is this your device?",
    device_wants: " wants to use your account on a device.",
    device_warning: "Only continue if you started this yourself, on a device you have in front of you, and it shows the code ",
    device_warning_end: ".",
    device_warning_sent: "If someone sent you this code or a link to this page, choose \u{201c}Don't allow\u{201d}: they may be trying to get into your account.",
    device_done_title: "Your device is connected",
    device_done: "Go back to your device: it will continue on its own in a few seconds. You can close this page.",
    device_denied_title: "The device was not allowed",
    device_denied: "Nothing was shared with the device. You can close this page.",
    logout_title: "Sign out?",
    loading: "Loading\u{2026}",
    go_to_account: "Go to your account",
    asks_sign_out: " asks you to sign out.",
    want_sign_out: "Do you want to sign out?",
    sign_out: "Sign out",
    stay_signed_in: "Stay signed in",
    account_title: "Your account",
    not_signed_in: "You are not signed in.",
    link_broken_title: "This sign-in link does not work",
    error_code: "Error code: ",
    checking_link: "Checking the link\u{2026}",
    link_broken_help: "Go back to the app you came from and try again. If it keeps happening, tell the app's support team.",
    not_found_title: "Page not found",
    logo_alt: " logo",
    forgot_password: "Forgot password?",
    reset_title: "Reset your password",
    send_reset_link: "Send reset link",
    reset_link_sent: "If an account uses that address, we have sent it a link to reset the password. The link works for 30 minutes.",
    back_to_sign_in: "Back to sign in",
    new_password_title: "Set a new password",
    new_password: "New password",
    set_new_password: "Set new password",
    ask_new_link: "Ask for a new link",
    verify_title: "Check your email",
    code_sent_to: "We sent a 6-digit code to ",
    code_sent_end: ".",
    verification_code: "Verification code",
    verify: "Verify",
    invalid_link: "This link has expired or was already used. Ask for a new one.",
    invalid_verification_code: "That code is not right or has expired.",
    email_off: "This site sends no email, so this cannot be done here. Ask the app's support team for help.",
    verify_later: "Verify later and sign in",
    change_email: "Change email",
    email_not_verified: "Your email is not verified yet.",
    verify_email_button: "Verify email",
    new_email: "New email",
    send_code: "Send code",
    code_works_for: ". It works for 15 minutes.",
    confirm: "Confirm",
    email_now: "Your email is now ",
    email_now_end: ".",
    old_email_back_title: "Your old email is back",
    old_email_back: "Every device was signed out. Sign in again, and change your password if someone else made this change.",
};

pub static ES: Strings = Strings {
    locale: "es",
    sign_in_title: "Iniciar sesión",
    continue_to: "para continuar en ",
    sign_up_title: "Crea tu cuenta",
    consent_title: "¿Permitir el acceso?",
    cancel: "Cancelar",
    choose_account: "Elige una cuenta",
    continue_as: "Continuar como ",
    or_another: "O inicia sesión con otra cuenta:",
    new_here: "¿Eres nuevo? ",
    create_an_account: "Crear una cuenta",
    already_signed_in_as: "Ya has iniciado sesión como ",
    continue_label: "Continuar",
    have_account: "¿Ya tienes una cuenta? ",
    sign_in: "Iniciar sesión",
    signed_in_as: "Sesión iniciada como ",
    email: "Correo electrónico",
    password: "Contraseña",
    password_hint: "Al menos 8 caracteres.",
    name: "Nombre",
    phone: "Número de teléfono",
    phone_hint: "Con el prefijo del país, por ejemplo +34 600 123 456.",
    birthdate: "Fecha de nacimiento",
    optional: " (opcional)",
    accept_terms: "Acepto los ",
    terms_link: "términos del servicio",
    create_account: "Crear cuenta",
    working: "Procesando, espera un momento.",
    would_like_to: " quiere:",
    allow: "Permitir",
    dont_allow: "No permitir",
    device_title: "Conecta un dispositivo",
    device_intro: "Escribe el código que aparece en tu televisor, consola u otro dispositivo.",
    code: "Código",
    code_hint: "Tiene 8 letras, por ejemplo BCDF-GHJK.",
    device_confirm_title: "¿Es este tu dispositivo?",
    device_wants: " quiere usar tu cuenta en un dispositivo.",
    device_warning: "Continúa solo si lo has iniciado tú, en un dispositivo que tienes delante, y muestra el código ",
    device_warning_end: ".",
    device_warning_sent: "Si alguien te ha enviado este código o un enlace a esta página, elige \u{ab}No permitir\u{bb}: puede estar intentando entrar en tu cuenta.",
    device_done_title: "Tu dispositivo está conectado",
    device_done: "Vuelve a tu dispositivo: continuará solo en unos segundos. Puedes cerrar esta página.",
    device_denied_title: "No se ha permitido el dispositivo",
    device_denied: "No se ha compartido nada con el dispositivo. Puedes cerrar esta página.",
    logout_title: "¿Cerrar sesión?",
    loading: "Cargando\u{2026}",
    go_to_account: "Ir a tu cuenta",
    asks_sign_out: " te pide que cierres la sesión.",
    want_sign_out: "¿Quieres cerrar la sesión?",
    sign_out: "Cerrar sesión",
    stay_signed_in: "Mantener la sesión",
    account_title: "Tu cuenta",
    not_signed_in: "No has iniciado sesión.",
    link_broken_title: "Este enlace de inicio de sesión no funciona",
    error_code: "Código de error: ",
    checking_link: "Comprobando el enlace\u{2026}",
    link_broken_help: "Vuelve a la aplicación de la que vienes e inténtalo de nuevo. Si sigue pasando, avisa al equipo de soporte de la aplicación.",
    not_found_title: "Página no encontrada",
    logo_alt: " (logotipo)",
    forgot_password: "¿Olvidaste tu contraseña?",
    reset_title: "Restablece tu contraseña",
    send_reset_link: "Enviar enlace",
    reset_link_sent: "Si alguna cuenta usa esa dirección, le hemos enviado un enlace para restablecer la contraseña. El enlace funciona durante 30 minutos.",
    back_to_sign_in: "Volver a iniciar sesión",
    new_password_title: "Elige una contraseña nueva",
    new_password: "Contraseña nueva",
    set_new_password: "Guardar contraseña",
    ask_new_link: "Pedir un enlace nuevo",
    verify_title: "Revisa tu correo",
    code_sent_to: "Te hemos enviado un código de 6 cifras a ",
    code_sent_end: ".",
    verification_code: "Código de verificación",
    verify: "Verificar",
    invalid_link: "Este enlace ha caducado o ya se ha usado. Pide uno nuevo.",
    invalid_verification_code: "Ese código no es correcto o ha caducado.",
    email_off: "Este sitio no envía correos, así que esto no se puede hacer aquí. Pide ayuda al equipo de soporte de la aplicación.",
    verify_later: "Verificar más tarde e iniciar sesión",
    change_email: "Cambiar correo",
    email_not_verified: "Tu correo aún no está verificado.",
    verify_email_button: "Verificar correo",
    new_email: "Correo nuevo",
    send_code: "Enviar código",
    code_works_for: ". Funciona durante 15 minutos.",
    confirm: "Confirmar",
    email_now: "Tu correo ahora es ",
    email_now_end: ".",
    old_email_back_title: "Tu correo anterior está de vuelta",
    old_email_back: "Se ha cerrado la sesión en todos los dispositivos. Vuelve a iniciar sesión y cambia tu contraseña si otra persona hizo este cambio.",
};

/// The words for a locale the server chose; English for anything else.
pub fn strings(locale: &str) -> &'static Strings {
    match locale {
        "es" => &ES,
        _ => &EN,
    }
}

/// The Spanish sentence for a server error or field code.
fn es_message(code: &str) -> Option<&'static str> {
    Some(match code {
        codes::INVALID_CREDENTIALS => "El correo electrónico o la contraseña no son correctos.",
        codes::VALIDATION_FAILED => "Revisa los campos marcados.",
        codes::TOO_MANY_ATTEMPTS => {
            "Demasiados intentos. Espera unos minutos y vuelve a intentarlo."
        }
        codes::LOGIN_REQUIRED => "Inicia sesión primero.",
        codes::REQUEST_NOT_FOUND => {
            "Esta solicitud de inicio de sesión ha caducado o ya se ha usado. Vuelve a la aplicación y empieza de nuevo."
        }
        codes::SIGN_UP_NOT_OFFERED => "Aquí no se pueden crear cuentas nuevas. Inicia sesión.",
        codes::SIGN_UP_NEEDS_REQUEST => {
            "Empieza desde la aplicación que quieres usar: las cuentas se crean al entrar en ella."
        }
        codes::SERVER_ERROR => "Algo ha fallado. Inténtalo de nuevo.",
        codes::NETWORK => "No se ha podido conectar. Revisa tu conexión y vuelve a intentarlo.",
        "email_missing" => "Escribe tu correo electrónico.",
        "email_invalid" => "Escribe un correo electrónico como nombre@ejemplo.com.",
        codes::EMAIL_TAKEN => "Este correo electrónico ya está registrado. Inicia sesión.",
        "password_too_short" => "Usa al menos 8 caracteres.",
        "password_too_long" => "Usa como máximo 1024 caracteres.",
        "name_missing" => "Escribe tu nombre.",
        "name_too_long" => "Usa como máximo 100 caracteres.",
        "phone_missing" => "Escribe tu número de teléfono.",
        "phone_invalid" => {
            "Escribe un número de teléfono con el prefijo del país, por ejemplo +34 600 123 456."
        }
        "birthdate_missing" => "Escribe tu fecha de nacimiento.",
        "birthdate_invalid" => "Escribe tu fecha de nacimiento con año, mes y día.",
        "birthdate_out_of_range" => "Escribe tu fecha de nacimiento real.",
        "terms_required" => "Acepta los términos para crear tu cuenta.",
        codes::INVALID_CODE => {
            "El código no es correcto. Revisa el código de tu dispositivo y vuelve a intentarlo."
        }
        codes::EXPIRED_CODE => {
            "El código ha caducado. Empieza de nuevo en tu dispositivo para obtener uno nuevo."
        }
        codes::USED_CODE => {
            "El código ya se ha usado. Empieza de nuevo en tu dispositivo para obtener uno nuevo."
        }
        _ => return None,
    })
}

/// The codes the UI words itself in every language: the screens of mailed
/// links and codes say exactly this, next to the way on.
fn own_message(t: &'static Strings, code: &str) -> Option<&'static str> {
    Some(match code {
        codes::INVALID_LINK => t.invalid_link,
        codes::INVALID_VERIFICATION_CODE => t.invalid_verification_code,
        codes::EMAIL_OFF => t.email_off,
        _ => return None,
    })
}

/// A server message in the UI's language: `english` is the server's text.
pub fn message(locale: &str, code: &str, english: &str) -> String {
    if let Some(own) = own_message(strings(locale), code) {
        return own.to_owned();
    }
    match locale {
        "es" => es_message(code).unwrap_or(english).to_owned(),
        _ => english.to_owned(),
    }
}

/// A scope in plain words; `english` is the server's description.
pub fn scope(locale: &str, name: &str, english: &str) -> String {
    let es = match name {
        "openid" => Some("Saber quién eres cuando inicias sesión"),
        "profile" => Some("Ver tu nombre y los datos de tu perfil"),
        "email" => Some("Ver tu correo electrónico"),
        "phone" => Some("Ver tu número de teléfono"),
        "offline_access" => Some("Mantener el acceso cuando no la estés usando"),
        _ => None,
    };
    match (locale, es) {
        ("es", Some(s)) => s.to_owned(),
        ("es", None) => format!("Usar el permiso \u{ab}{name}\u{bb}"),
        _ => english.to_owned(),
    }
}

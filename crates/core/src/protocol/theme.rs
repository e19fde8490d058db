//! Entrypoint themes: the tokens a product team sets, their checks when an
//! entrypoint is saved (format and WCAG AA contrast), and their resolution
//! for a page, where anything unusable falls back to the default token by
//! token so a broken theme never breaks the page.

use portico_api_types::admin::ContrastPair;
use portico_api_types::{LOCALES, ThemeTexts, ThemeTokens};

pub use portico_api_types::Theme;

/// Portico's own look; the values of `style/main.css`'s `:root`.
pub mod defaults {
    pub const PRIMARY: &str = "#1d4ed8";
    pub const ON_PRIMARY: &str = "#ffffff";
    pub const BACKGROUND: &str = "#eef1f6";
    pub const SURFACE: &str = "#ffffff";
    pub const TEXT: &str = "#1f2330";
    pub const ERROR: &str = "#b91c1c";
    pub const MUTED: &str = "#4b5263";
    pub const BORDER: &str = "#6b7280";
    pub const ERROR_SURFACE: &str = "#fdf1f1";
    pub const INFO_SURFACE: &str = "#eef3fe";
    pub const WARNING_SURFACE: &str = "#fff7e6";
    pub const WARNING: &str = "#b45309";
    pub const FONT_FAMILY: &str = "system-ui, -apple-system, \"Segoe UI\", Roboto, sans-serif";
    pub const RADIUS: &str = "10px";
}

/// WCAG 2.x AA: normal text needs 4.5:1; borders and other non-text 3:1.
pub const AA_TEXT: f64 = 4.5;
pub const AA_NON_TEXT: f64 = 3.0;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rgb` or `#rrggbb`, nothing else: these are unambiguous, and their
    /// contrast can be checked (named colours and alpha cannot, simply).
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.trim().strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize, len: usize| u8::from_str_radix(hex.get(i..i + len)?, 16).ok();
        match hex.len() {
            3 => Some(Self(
                digit(0, 1)? * 17,
                digit(1, 1)? * 17,
                digit(2, 1)? * 17,
            )),
            6 => Some(Self(digit(0, 2)?, digit(2, 2)?, digit(4, 2)?)),
            _ => None,
        }
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG 2.x relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// `self` moved `amount` (0..=1) of the way towards `other`.
    pub fn mix(self, other: Self, amount: f64) -> Self {
        let m = |a: u8, b: u8| {
            let v = f64::from(a) + (f64::from(b) - f64::from(a)) * amount;
            // In 0..=255 by construction; the cast only drops the fraction.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let v = v.round().clamp(0.0, 255.0) as u8;
            v
        };
        Self(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// The WCAG 2.x contrast ratio, 1..=21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

fn font_ok(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty()
        && s.len() <= 200
        && s.chars()
            .all(|c| c.is_alphanumeric() || " ,-_'\"".contains(c))
}

/// `0`, or a number with px, rem or em, at most 48px (3rem).
fn radius_ok(s: &str) -> bool {
    let s = s.trim();
    if s == "0" {
        return true;
    }
    let (num, max) = if let Some(n) = s.strip_suffix("px") {
        (n, 48.0)
    } else if let Some(n) = s.strip_suffix("rem").or_else(|| s.strip_suffix("em")) {
        (n, 3.0)
    } else {
        return false;
    };
    !num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit() || c == '.')
        && num.parse::<f64>().is_ok_and(|v| (0.0..=max).contains(&v))
}

/// An image address a page may load: an absolute http(s) URL or a path on
/// this server. Quotes, brackets, backslashes and spaces are refused so the
/// value is safe inside CSS `url("...")`.
pub fn image_url_ok(s: &str) -> bool {
    if s.is_empty()
        || s.len() > 2048
        || s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'()\\<>".contains(c))
    {
        return false;
    }
    if s.starts_with('/') {
        return !s.starts_with("//");
    }
    url::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
}

/// The first usable colour: the theme's, else the default.
fn colour(value: Option<&str>, default: &str) -> Rgb {
    value
        .and_then(Rgb::parse)
        .or_else(|| Rgb::parse(default))
        .unwrap_or(Rgb(0, 0, 0))
}

/// The colours a page uses, theme values first.
#[derive(Debug, Clone, Copy)]
struct Palette {
    primary: Rgb,
    on_primary: Rgb,
    background: Rgb,
    surface: Rgb,
    text: Rgb,
    error: Rgb,
}

impl Palette {
    fn of(t: &Theme) -> Self {
        use defaults as d;
        Self {
            primary: colour(t.primary.as_deref(), d::PRIMARY),
            on_primary: colour(t.on_primary.as_deref(), d::ON_PRIMARY),
            background: colour(t.background.as_deref(), d::BACKGROUND),
            surface: colour(t.surface.as_deref(), d::SURFACE),
            text: colour(t.text.as_deref(), d::TEXT),
            error: colour(t.error.as_deref(), d::ERROR),
        }
    }

    fn default() -> Self {
        Self::of(&Theme::default())
    }

    /// The pairs people read, with the ratio each needs.
    fn pairs(&self) -> [(&'static str, Rgb, &'static str, Rgb, f64); 4] {
        [
            ("text", self.text, "surface", self.surface, AA_TEXT),
            (
                "on_primary",
                self.on_primary,
                "primary",
                self.primary,
                AA_TEXT,
            ),
            ("primary", self.primary, "surface", self.surface, AA_TEXT),
            ("error", self.error, "surface", self.surface, AA_TEXT),
        ]
    }

    fn failures(&self) -> Vec<String> {
        self.pairs()
            .into_iter()
            .filter(|(_, fg, _, bg, need)| contrast(*fg, *bg) < *need)
            .map(|(f, fg, b, bg, need)| {
                format!(
                    "{f} {} on {b} {} has a contrast of {:.2}:1; WCAG AA needs at least {need}:1",
                    fg.hex(),
                    bg.hex(),
                    // Rounded down so a value just under the limit never
                    // reads as the limit itself.
                    (contrast(fg, bg) * 100.0).floor() / 100.0
                )
            })
            .collect()
    }
}

/// A derived colour: `candidate` when it keeps `need` against `against`,
/// else `fallback` (which the checked pairs guarantee).
fn derived(candidate: Rgb, against: Rgb, need: f64, fallback: Rgb) -> Rgb {
    if contrast(candidate, against) >= need {
        candidate
    } else {
        fallback
    }
}

/// Every colour pair people read, with its WCAG 2 contrast and what AA
/// needs: what the cockpit shows beside the colours as they are edited.
/// A token that is not a colour counts as its default, as on the page.
pub fn pairs(t: &Theme) -> Vec<ContrastPair> {
    Palette::of(t)
        .pairs()
        .into_iter()
        .map(|(fg, fg_rgb, bg, bg_rgb, need)| {
            let ratio = contrast(fg_rgb, bg_rgb);
            ContrastPair {
                foreground: fg.to_owned(),
                background: bg.to_owned(),
                foreground_colour: fg_rgb.hex(),
                background_colour: bg_rgb.hex(),
                // Rounded down, as in the refusal: never shows the limit
                // for a ratio just under it.
                ratio: (ratio * 100.0).floor() / 100.0,
                needed: need,
                passes: ratio >= need,
            }
        })
        .collect()
}

/// Everything wrong with a theme, for the person saving it: each message
/// names the token and what would be accepted.
pub fn check(t: &Theme) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, value) in [
        ("primary", &t.primary),
        ("on_primary", &t.on_primary),
        ("background", &t.background),
        ("surface", &t.surface),
        ("text", &t.text),
        ("error", &t.error),
    ] {
        if let Some(v) = value
            && Rgb::parse(v).is_none()
        {
            problems.push(format!(
                "theme.{name} \"{v}\" is not a colour; use #rgb or #rrggbb"
            ));
        }
    }
    if let Some(f) = &t.font_family
        && !font_ok(f)
    {
        problems.push(format!(
            "theme.font_family \"{f}\" is not a font list; use names, quotes, commas and spaces"
        ));
    }
    if let Some(r) = &t.radius
        && !radius_ok(r)
    {
        problems.push(format!(
            "theme.radius \"{r}\" must be 0 or a length like 12px or 0.75rem (at most 48px or 3rem)"
        ));
    }
    for (name, value) in [
        ("logo_url", &t.logo_url),
        ("background_image", &t.background_image),
    ] {
        if let Some(v) = value
            && !image_url_ok(v)
        {
            problems.push(format!(
                "theme.{name} \"{v}\" must be an http(s) URL or a path starting with /, without quotes, brackets or spaces"
            ));
        }
    }
    for (locale, texts) in &t.texts {
        if !LOCALES.contains(&locale.as_str()) {
            problems.push(format!(
                "theme.texts.{locale}: unknown locale (known: {})",
                LOCALES.join(", ")
            ));
        }
        for (name, v) in text_fields(texts) {
            if let Some(v) = v
                && (v.trim().is_empty() || v.chars().count() > 200)
            {
                problems.push(format!(
                    "theme.texts.{locale}.{name} must have 1 to 200 characters"
                ));
            }
        }
    }
    problems.extend(
        Palette::of(t)
            .failures()
            .into_iter()
            .map(|m| format!("theme: {m}")),
    );
    problems
}

fn text_fields(t: &ThemeTexts) -> [(&'static str, &Option<String>); 5] {
    [
        ("title", &t.title),
        ("subtitle", &t.subtitle),
        ("sign_in", &t.sign_in),
        ("create_account", &t.create_account),
        ("continue_label", &t.continue_label),
    ]
}

/// The tokens a page uses. Each unusable token (a bad colour, a bad font
/// list, a bad URL) is replaced by the default on its own. A stored theme
/// that was never checked and whose colours fail the contrast pairs gets
/// the default colours as a whole, since swapping one colour of a failing
/// pair cannot be known to help.
pub fn resolve(t: &Theme) -> ThemeTokens {
    use defaults as d;
    let mut p = Palette::of(t);
    if !p.failures().is_empty() {
        tracing::warn!("an entrypoint theme fails the contrast checks; using the default colours");
        p = Palette::default();
    }
    let base = Palette::default();
    let mine = |x: Rgb, y: Rgb| x != y;
    let text_or_surface = mine(p.text, base.text) || mine(p.surface, base.surface);
    let pick = |themed: bool, computed: Rgb, default: &str| {
        if themed {
            computed.hex()
        } else {
            default.to_owned()
        }
    };
    let muted = derived(p.text.mix(p.surface, 0.25), p.surface, AA_TEXT, p.text);
    let border = derived(p.text.mix(p.surface, 0.45), p.surface, AA_NON_TEXT, p.text);
    let error_surface = derived(p.surface.mix(p.error, 0.06), p.error, AA_TEXT, p.surface);
    let info_surface = derived(p.surface.mix(p.primary, 0.07), p.text, AA_TEXT, p.surface);
    let amber = colour(Some(d::WARNING), d::WARNING);
    let warning_surface = derived(p.surface.mix(amber, 0.1), p.text, AA_TEXT, p.surface);
    let warning = derived(amber, warning_surface, AA_NON_TEXT, p.text);
    let url = |v: &Option<String>| v.clone().filter(|u| image_url_ok(u));
    ThemeTokens {
        primary: p.primary.hex(),
        on_primary: p.on_primary.hex(),
        background: p.background.hex(),
        surface: p.surface.hex(),
        text: p.text.hex(),
        error: p.error.hex(),
        muted: pick(text_or_surface, muted, d::MUTED),
        border: pick(text_or_surface, border, d::BORDER),
        error_surface: pick(
            mine(p.error, base.error) || mine(p.surface, base.surface),
            error_surface,
            d::ERROR_SURFACE,
        ),
        info_surface: pick(
            mine(p.primary, base.primary) || text_or_surface,
            info_surface,
            d::INFO_SURFACE,
        ),
        warning_surface: pick(text_or_surface, warning_surface, d::WARNING_SURFACE),
        warning: pick(text_or_surface, warning, d::WARNING),
        font_family: t
            .font_family
            .clone()
            .filter(|f| font_ok(f))
            .unwrap_or_else(|| d::FONT_FAMILY.to_owned()),
        radius: t
            .radius
            .clone()
            .filter(|r| radius_ok(r))
            .unwrap_or_else(|| d::RADIUS.to_owned()),
        logo_url: url(&t.logo_url),
        background_image: url(&t.background_image),
    }
}

/// The entrypoint's words for `locale`, leaving out unusable ones.
pub fn texts(t: &Theme, locale: &str) -> ThemeTexts {
    let Some(x) = t.texts.get(locale) else {
        return ThemeTexts::default();
    };
    let ok = |v: &Option<String>| {
        v.clone()
            .filter(|s| !s.trim().is_empty() && s.chars().count() <= 200)
    };
    ThemeTexts {
        title: ok(&x.title),
        subtitle: ok(&x.subtitle),
        sign_in: ok(&x.sign_in),
        create_account: ok(&x.create_account),
        continue_label: ok(&x.continue_label),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn ep(theme: Theme) -> Theme {
        theme
    }

    #[test]
    fn colours_parse_strictly() {
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse("#1D4ED8"), Some(Rgb(0x1d, 0x4e, 0xd8)));
        for bad in ["fff", "#ffff", "#gggggg", "red", "#12345", "", "#", "#ééé"] {
            assert_eq!(Rgb::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn contrast_matches_the_wcag_reference_values() {
        let white = Rgb(255, 255, 255);
        let black = Rgb(0, 0, 0);
        assert!((contrast(white, black) - 21.0).abs() < 1e-9);
        assert!((contrast(white, white) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic just-passing grey (4.54:1).
        let grey = Rgb(0x76, 0x76, 0x76);
        assert!((contrast(grey, white) - 4.54).abs() < 0.01);
        assert!(contrast(Rgb(0x77, 0x77, 0x77), white) < AA_TEXT);
    }

    #[test]
    fn the_default_theme_passes_and_resolves_to_the_stylesheet_values() {
        assert!(check(&ep(Theme::default())).is_empty());
        let t = resolve(&Theme::default());
        assert_eq!(t.primary, defaults::PRIMARY);
        assert_eq!(t.muted, defaults::MUTED);
        assert_eq!(t.warning_surface, defaults::WARNING_SURFACE);
        assert_eq!(t.radius, defaults::RADIUS);
        assert_eq!(t.logo_url, None);
    }

    #[test]
    fn failing_pairs_are_rejected_with_the_ratio_and_the_need() {
        let problems = check(&ep(Theme {
            primary: Some("#ffeb3b".into()),
            ..Theme::default()
        }));
        assert!(
            problems
                .iter()
                .any(|m| m.contains("on_primary #ffffff on primary #ffeb3b")
                    && m.contains("WCAG AA needs at least 4.5:1")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|m| m.contains("primary #ffeb3b on surface #ffffff"))
        );
        // Just under the limit is refused, just over accepted.
        assert!(
            !check(&ep(Theme {
                text: Some("#777777".into()),
                ..Theme::default()
            }))
            .is_empty()
        );
        assert!(
            check(&ep(Theme {
                text: Some("#767676".into()),
                ..Theme::default()
            }))
            .is_empty()
        );
    }

    #[test]
    fn a_dark_theme_passes_and_derives_readable_colours() {
        let dark = Theme {
            primary: Some("#7dd3fc".into()),
            on_primary: Some("#0c1a2b".into()),
            background: Some("#020617".into()),
            surface: Some("#0f172a".into()),
            text: Some("#e2e8f0".into()),
            error: Some("#fca5a5".into()),
            ..Theme::default()
        };
        assert_eq!(check(&ep(dark.clone())), Vec::<String>::new());
        let t = resolve(&dark);
        let c = |a: &str, b: &str| contrast(Rgb::parse(a).unwrap(), Rgb::parse(b).unwrap());
        assert!(c(&t.muted, &t.surface) >= AA_TEXT);
        assert!(c(&t.border, &t.surface) >= AA_NON_TEXT);
        assert!(c(&t.error, &t.error_surface) >= AA_TEXT);
        assert!(c(&t.text, &t.info_surface) >= AA_TEXT);
        assert!(c(&t.text, &t.warning_surface) >= AA_TEXT);
        assert!(c(&t.warning, &t.warning_surface) >= AA_NON_TEXT);
        assert_ne!(t.muted, defaults::MUTED);
    }

    #[test]
    fn malformed_tokens_are_named_at_save_and_fall_back_one_by_one() {
        let broken = Theme {
            primary: Some("blurple".into()),
            surface: Some("#fafafa".into()),
            font_family: Some("Inter; color: red".into()),
            radius: Some("99px".into()),
            logo_url: Some("javascript:alert(1)".into()),
            background_image: Some("/img/bg.png\")".into()),
            ..Theme::default()
        };
        let problems = check(&ep(broken.clone()));
        for field in [
            "theme.primary",
            "theme.font_family",
            "theme.radius",
            "theme.logo_url",
            "theme.background_image",
        ] {
            assert!(
                problems.iter().any(|m| m.starts_with(field)),
                "{field}: {problems:?}"
            );
        }
        let t = resolve(&broken);
        assert_eq!(t.primary, defaults::PRIMARY);
        assert_eq!(t.surface, "#fafafa", "the good token is kept");
        assert_eq!(t.font_family, defaults::FONT_FAMILY);
        assert_eq!(t.radius, defaults::RADIUS);
        assert_eq!(t.logo_url, None);
        assert_eq!(t.background_image, None);
    }

    #[test]
    fn an_unchecked_theme_with_unreadable_colours_gets_the_default_colours() {
        let t = resolve(&Theme {
            text: Some("#ffffff".into()),
            radius: Some("4px".into()),
            ..Theme::default()
        });
        assert_eq!(t.text, defaults::TEXT);
        assert_eq!(t.radius, "4px");
    }

    #[test]
    fn image_urls_are_http_or_local_paths_without_css_breakers() {
        for ok in [
            "https://cdn.example/logo.svg",
            "http://127.0.0.1:8080/x.png",
            "/public/logo.svg",
        ] {
            assert!(image_url_ok(ok), "{ok}");
        }
        for bad in [
            "//evil.example/x.png",
            "data:image/png;base64,AAAA",
            "javascript:alert(1)",
            "https://a.example/x y.png",
            "https://a.example/x).png",
            "logo.png",
            "",
        ] {
            assert!(!image_url_ok(bad), "{bad}");
        }
    }

    #[test]
    fn texts_are_checked_per_known_locale() {
        let mut words = BTreeMap::new();
        words.insert(
            "fr".to_owned(),
            ThemeTexts {
                title: Some("Bonjour".into()),
                ..ThemeTexts::default()
            },
        );
        words.insert(
            "es".to_owned(),
            ThemeTexts {
                title: Some(" ".into()),
                subtitle: Some("Hola".into()),
                ..ThemeTexts::default()
            },
        );
        let theme = Theme {
            texts: words,
            ..Theme::default()
        };
        let problems = check(&ep(theme.clone()));
        assert!(problems.iter().any(|m| m.contains("theme.texts.fr")));
        assert!(problems.iter().any(|m| m.contains("theme.texts.es.title")));
        let es = texts(&theme, "es");
        assert_eq!(es.title, None);
        assert_eq!(es.subtitle.as_deref(), Some("Hola"));
        assert_eq!(texts(&theme, "en"), ThemeTexts::default());
    }
}

//! The page a refused form shows (HTTP 200, no redirection: an unverified form's URLs cannot
//! be trusted). TEST mode names the error code and the faulty field; PRODUCTION shows a
//! generic message to the buyer. French unless `vads_language` asks for another language, then
//! English.

use super::error::{FormError, FormErrorCode};
use caisse_core::Mode;
use minijinja::{Environment, context};
use std::sync::OnceLock;

const TEMPLATES: [(&str, &str); 3] = [
    ("form/layout.html", include_str!("../../templates/form/layout.html")),
    ("form/error_fr.html", include_str!("../../templates/form/error_fr.html")),
    ("form/error_en.html", include_str!("../../templates/form/error_en.html")),
];

fn environment() -> Result<&'static Environment<'static>, &'static minijinja::Error> {
    static ENVIRONMENT: OnceLock<Result<Environment<'static>, minijinja::Error>> = OnceLock::new();
    ENVIRONMENT
        .get_or_init(|| {
            let mut environment = Environment::new();
            for (name, source) in TEMPLATES {
                environment.add_template(name, source)?;
            }
            Ok(environment)
        })
        .as_ref()
}

/// The page's language: `fr` (the default, and for `fr`), else `en`.
pub fn page_language(vads_language: Option<&str>) -> &'static str {
    match vads_language {
        None | Some("" | "fr") => "fr",
        Some(_) => "en",
    }
}

fn reason(code: FormErrorCode) -> &'static str {
    match code {
        FormErrorCode::SignatureMissing => "signature_missing",
        FormErrorCode::Signature => "signature",
        FormErrorCode::SignatureAlgorithm => "signature_algorithm",
        FormErrorCode::UnknownShop => "unknown_shop",
        FormErrorCode::MissingField => "missing",
        FormErrorCode::FieldFormat => "format",
        FormErrorCode::TransIdAlreadyUsed => "trans_id_used",
        FormErrorCode::SensitiveData => "sensitive_data",
    }
}

/// The error page's HTML for `error`, in `mode` (from the form's `vads_ctx_mode`), in the
/// language `vads_language` asks for.
pub fn render_error_page(error: &FormError, mode: Mode, vads_language: Option<&str>) -> String {
    let lang = page_language(vads_language);
    let rendered = environment().map_err(ToString::to_string).and_then(|environment| {
        let render = || {
            environment.get_template(&format!("form/error_{lang}.html"))?.render(context! {
                lang,
                test => mode == Mode::Test,
                code => error.page_code(),
                field => error.field.as_ref(),
                reason => reason(error.code),
            })
        };
        render().map_err(|failure| failure.to_string())
    });
    match rendered {
        Ok(html) => html,
        Err(failure) => {
            tracing::error!(%failure, "form error page template");
            fallback(lang)
        }
    }
}

/// Never reached while the templates compile (a test renders them all); a page all the same.
fn fallback(lang: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Erreur / Error</title></head>\
         <body><main><h1>Erreur / Error</h1></main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(error: &FormError, mode: Mode, language: Option<&str>) -> String {
        render_error_page(error, mode, language)
    }

    #[test]
    fn test_mode_shows_code_and_field_in_french_by_default() {
        let html = page(&FormError::format("vads_trans_date", 4), Mode::Test, None);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<html lang=\"fr\">"));
        assert!(html.contains("<title>Erreur lors de la demande de paiement</title>"));
        assert!(html.contains("<h1>"));
        assert!(html.contains("Erreur <strong>04</strong>"));
        assert!(html.contains("<code>vads_trans_date</code>"));
        assert!(html.contains("ne respecte pas le format"));
        assert!(html.contains("role=\"alert\""));
    }

    #[test]
    fn test_mode_in_english() {
        let html = page(&FormError::missing("vads_amount", 9), Mode::Test, Some("en"));
        assert!(html.contains("<html lang=\"en\">"));
        assert!(html.contains("Error <strong>09</strong>"));
        assert!(html.contains("required field <code>vads_amount</code> is missing"));
        let german = page(&FormError::signature(), Mode::Test, Some("de"));
        assert!(german.contains("<html lang=\"en\">"));
        assert!(german.contains("Error <strong>00</strong>"));
    }

    #[test]
    fn production_is_generic_in_both_languages() {
        for (language, generic) in [(Some("fr"), "Une erreur est survenue"), (Some("en"), "An error occurred")] {
            let html = page(&FormError::format("vads_trans_date", 4), Mode::Production, language);
            assert!(html.contains(generic), "{language:?}");
            assert!(!html.contains("vads_trans_date"), "{language:?}");
            assert!(!html.contains(">04<"), "{language:?}");
            assert!(html.contains("<title>"));
            assert!(html.contains("<h1>"));
        }
    }

    #[test]
    fn every_reason_has_its_wording() {
        let errors = [
            FormError::signature_missing(),
            FormError::signature(),
            FormError::signature_algorithm(),
            FormError::unknown_shop(),
            FormError::missing("vads_amount", 9),
            FormError::format("vads_amount", 9),
            FormError::trans_id_already_used(),
            FormError::sensitive_data("vads_order_info"),
        ];
        for language in ["fr", "en"] {
            let mut wordings = std::collections::HashSet::new();
            for error in &errors {
                let html = page(error, Mode::Test, Some(language));
                let cause = html.split("<h2>").nth(1).expect("a cause section").to_owned();
                assert!(wordings.insert(cause), "{language} {error}");
            }
        }
    }

    #[test]
    fn posted_names_are_escaped() {
        let html = page(&FormError::sensitive_data("vads_<script>alert(1)</script>"), Mode::Test, None);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }
}

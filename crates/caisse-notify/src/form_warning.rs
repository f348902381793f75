//! The warning e-mail of a refused payment form: which error, which field, which
//! `vads_trans_id`; never a value (a value may be card data). French, then English.

use crate::mail::FailureMail;
use caisse_core::shop::Mode;

/// What the warning says about a refused form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedForm<'a> {
    /// The shop the form names, when caisse knows it.
    pub shop_id: Option<&'a str>,
    /// The mode the form claims (PRODUCTION only when it says so exactly).
    pub mode: Mode,
    /// The error page's code (`00`, `04`, `999`…).
    pub code: &'a str,
    pub field: &'a str,
    pub trans_id: Option<&'a str>,
}

pub fn compose(form: &RefusedForm<'_>) -> FailureMail {
    let mode_tag = match form.mode {
        Mode::Test => "[MODE TEST] ",
        Mode::Production => "",
    };
    let shop = form.shop_id.unwrap_or("?");
    let trans_id = form.trans_id.unwrap_or("-");
    let subject =
        format!("{mode_tag}{shop} - Tr. ref. {trans_id} / WARNING: payment form refused (code {})", form.code);
    let text = format!(
        "Bonjour,\n\n\
         Un formulaire de paiement envoyé par votre site a été refusé par la plateforme.\n\
         Boutique : {shop}\nMode : {mode}\nvads_trans_id : {trans_id}\n\
         Code d'erreur : {code}\nChamp en cause : {field}\n\n\
         L'acheteur a vu une page d'erreur et n'a pas pu payer. Corrigez le champ indiqué (ou la \
         signature, ou la clé de la boutique) avant de renvoyer le formulaire.\n\n\
         ----\n\n\
         Hello,\n\n\
         A payment form sent by your website was refused by the platform.\n\
         Shop: {shop}\nMode: {mode}\nvads_trans_id: {trans_id}\n\
         Error code: {code}\nFaulty field: {field}\n\n\
         The buyer saw an error page and could not pay. Correct the field named above (or the \
         signature, or the shop's key) before sending the form again.\n",
        mode = form.mode.as_str(),
        code = form.code,
        field = form.field,
    );
    FailureMail { subject, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_code_the_field_and_the_id() {
        let mail = compose(&RefusedForm {
            shop_id: Some("12345678"),
            mode: Mode::Test,
            code: "04",
            field: "vads_trans_date",
            trans_id: Some("aB1234"),
        });
        assert_eq!(mail.subject, "[MODE TEST] 12345678 - Tr. ref. aB1234 / WARNING: payment form refused (code 04)");
        assert!(mail.text.contains("Champ en cause : vads_trans_date"));
        assert!(mail.text.contains("Faulty field: vads_trans_date"));
    }
}

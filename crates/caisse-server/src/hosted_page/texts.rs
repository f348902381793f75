//! The page's words in French and English.

use caisse_lyra::form::PaymentRequest;

/// The page's words, French when `vads_language` is `fr`, else English.
#[derive(serde::Serialize, Clone, Copy)]
pub(super) struct Texts {
    pub(super) lang: &'static str,
    pub(super) title: &'static str,
    pub(super) shop: &'static str,
    pub(super) amount: &'static str,
    pub(super) test_mode: &'static str,
    pub(super) card_number: &'static str,
    pub(super) expiry: &'static str,
    pub(super) month: &'static str,
    pub(super) year: &'static str,
    pub(super) cvv: &'static str,
    pub(super) pay: &'static str,
    pub(super) cancel: &'static str,
    pub(super) back: &'static str,
    pub(super) accepted: &'static str,
    pub(super) refused: &'static str,
    pub(super) cancelled: &'static str,
    pub(super) expired: &'static str,
    pub(super) bad_number: &'static str,
    pub(super) bad_expiry: &'static str,
    pub(super) bad_cvv: &'static str,
    pub(super) already_finished: &'static str,
    pub(super) unknown: &'static str,
    pub(super) authenticating: &'static str,
    pub(super) authenticating_note: &'static str,
    pub(super) continue_label: &'static str,
    pub(super) bad_authentication: &'static str,
}

pub(super) const ENGLISH: Texts = Texts {
    lang: "en",
    title: "Payment page",
    shop: "Shop",
    amount: "Amount",
    test_mode: "Test mode: no real payment is made.",
    card_number: "Card number",
    expiry: "Expiry date",
    month: "Month (MM)",
    year: "Year (YYYY)",
    cvv: "Security code (CVV)",
    pay: "Pay",
    cancel: "Cancel and return to the shop",
    back: "Return to the shop",
    accepted: "Payment accepted",
    refused: "Payment refused",
    cancelled: "Payment cancelled",
    expired: "Payment session expired",
    bad_number: "The card number is not valid.",
    bad_expiry: "The expiry date is not valid or has passed.",
    bad_cvv: "The security code must have 3 or 4 digits.",
    already_finished: "This payment is already finished.",
    unknown: "This payment page does not exist or is no longer available.",
    authenticating: "Authentication by your bank",
    authenticating_note: "Your bank checks that you are the cardholder (3-D Secure). Without JavaScript, press Continue.",
    continue_label: "Continue",
    bad_authentication: "This authentication result is not valid.",
};

pub(super) const FRENCH: Texts = Texts {
    lang: "fr",
    title: "Page de paiement",
    shop: "Boutique",
    amount: "Montant",
    test_mode: "Mode test : aucun paiement réel n'est effectué.",
    card_number: "Numéro de carte",
    expiry: "Date d'expiration",
    month: "Mois (MM)",
    year: "Année (AAAA)",
    cvv: "Cryptogramme visuel (CVV)",
    pay: "Payer",
    cancel: "Annuler et retourner à la boutique",
    back: "Retourner à la boutique",
    accepted: "Paiement accepté",
    refused: "Paiement refusé",
    cancelled: "Paiement annulé",
    expired: "Session de paiement expirée",
    bad_number: "Le numéro de carte n'est pas valide.",
    bad_expiry: "La date d'expiration n'est pas valide ou est dépassée.",
    bad_cvv: "Le cryptogramme doit avoir 3 ou 4 chiffres.",
    already_finished: "Ce paiement est déjà terminé.",
    unknown: "Cette page de paiement n'existe pas ou n'est plus disponible.",
    authenticating: "Authentification par votre banque",
    authenticating_note: "Votre banque vérifie que vous êtes le porteur de la carte (3-D Secure). Sans JavaScript, appuyez sur Continuer.",
    continue_label: "Continuer",
    bad_authentication: "Ce résultat d'authentification n'est pas valide.",
};

pub(super) fn texts(request: &PaymentRequest) -> Texts {
    match request.language.as_deref() {
        Some(language) if language.eq_ignore_ascii_case("fr") => FRENCH,
        _ => ENGLISH,
    }
}

//! The Cpay steps of the hosted page (`vads_payment_cards=AURORE-MULTI`): the buyer picks how
//! to pay (comptant, crédit, 5, 10 or 20 instalments), reads the financial conditions of a
//! credit and accepts them, then types the card. The choice travels with the card form (it is
//! the buyer's own, nothing secret) and is checked again when the card is posted.

use super::result::amount_text;
use super::texts::texts;
use super::{Page, render};
use axum::response::Html;
use caisse_core::cpay::CpayOption;
use caisse_lyra::form::{FinancialConditions, conditions};
use minijinja::context;
use serde::Serialize;

/// What the buyer posted about Cpay, as read from the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CpayProblem {
    NoOption,
    NotAccepted,
}

/// The option the buyer chose, once its conditions are accepted (comptant has none).
pub(super) fn chosen(option: &str, accepted: &str) -> Result<CpayOption, CpayProblem> {
    let option = CpayOption::parse(option.trim()).ok_or(CpayProblem::NoOption)?;
    if needs_acceptance(option) && accepted != "yes" {
        return Err(CpayProblem::NotAccepted);
    }
    Ok(option)
}

/// A credit (everything but comptant) is only granted on conditions the buyer accepted.
fn needs_acceptance(option: CpayOption) -> bool {
    option != CpayOption::Comptant
}

/// One option as the page shows it.
#[derive(Serialize)]
struct OptionView {
    code: &'static str,
    label: &'static str,
    credit: bool,
    instalments: u8,
    first: String,
    others: String,
    total: String,
    cost: String,
    annual_rate: String,
    debit_rate: String,
    checked: bool,
}

fn view(page: &Page<'_>, option: CpayOption, chosen: Option<CpayOption>) -> OptionView {
    let t = cpay_texts(&page.request);
    let payment = &page.session.payment;
    let money = |amount| amount_text(amount, payment.currency);
    let FinancialConditions {
        instalments,
        first_instalment,
        other_instalments,
        total_due,
        cost,
        annual_rate_basis_points,
        debit_rate_basis_points,
        ..
    } = conditions(option, payment.amount);
    OptionView {
        code: option.code(),
        label: t.label(option),
        credit: needs_acceptance(option),
        instalments,
        first: money(first_instalment),
        others: money(other_instalments),
        total: money(total_due),
        cost: money(cost),
        annual_rate: rate(annual_rate_basis_points, t.decimal_comma),
        debit_rate: rate(debit_rate_basis_points, t.decimal_comma),
        checked: chosen == Some(option),
    }
}

/// `1925` → `19.25 %` (`19,25 %` in French).
fn rate(basis_points: u32, decimal_comma: bool) -> String {
    let separator = if decimal_comma { ',' } else { '.' };
    format!("{}{separator}{:02} %", basis_points / 100, basis_points % 100)
}

/// The first Cpay step: the options with their conditions.
pub(super) fn options_page(page: &Page<'_>, chosen: Option<CpayOption>, problem: Option<CpayProblem>) -> Html<String> {
    let t = texts(&page.request);
    let c = cpay_texts(&page.request);
    let options: Vec<OptionView> = CpayOption::ALL.into_iter().map(|option| view(page, option, chosen)).collect();
    let error = problem.map(|problem| match problem {
        CpayProblem::NoOption => c.no_option,
        CpayProblem::NotAccepted => c.not_accepted,
    });
    render(
        "hosted_page/cpay_options.html",
        context! {
            lang => t.lang,
            t => t,
            c => c,
            shop => super::result::shop_label(&page.request),
            amount => amount_text(page.session.payment.amount, page.session.payment.currency),
            mode => page.session.mode.as_str(),
            options => options,
            error => error,
            action => page.action(),
        },
    )
}

/// What the card page carries and shows of the chosen option.
#[derive(Serialize)]
pub(super) struct Chosen {
    code: &'static str,
    accepted: &'static str,
    summary: String,
    change: &'static str,
}

pub(super) fn chosen_view(page: &Page<'_>, option: CpayOption) -> Chosen {
    let c = cpay_texts(&page.request);
    let shown = view(page, option, Some(option));
    let summary = if option == CpayOption::Comptant {
        format!("{} — {}", shown.label, shown.total)
    } else {
        format!("{} — {} × {} ({} {})", shown.label, shown.instalments, shown.others, c.total_due, shown.total)
    };
    Chosen {
        code: option.code(),
        accepted: if needs_acceptance(option) { "yes" } else { "" },
        summary,
        change: c.change,
    }
}

/// The Cpay steps' words.
#[derive(Serialize, Clone, Copy)]
pub(super) struct CpayTexts {
    title: &'static str,
    intro: &'static str,
    comptant: &'static str,
    credit: &'static str,
    instalments5: &'static str,
    instalments10: &'static str,
    instalments20: &'static str,
    instalments: &'static str,
    first: &'static str,
    then: &'static str,
    total_due: &'static str,
    cost: &'static str,
    annual_rate: &'static str,
    debit_rate: &'static str,
    accept: &'static str,
    warning: &'static str,
    no_option: &'static str,
    not_accepted: &'static str,
    change: &'static str,
    #[serde(skip)]
    decimal_comma: bool,
}

impl CpayTexts {
    fn label(&self, option: CpayOption) -> &'static str {
        match option {
            CpayOption::Comptant => self.comptant,
            CpayOption::Credit => self.credit,
            CpayOption::Instalments5 => self.instalments5,
            CpayOption::Instalments10 => self.instalments10,
            CpayOption::Instalments20 => self.instalments20,
        }
    }
}

const ENGLISH: CpayTexts = CpayTexts {
    title: "Pay with your Cpay card",
    intro: "Choose how to pay. A credit is granted by Cetelem on the conditions shown.",
    comptant: "Pay in full (comptant)",
    credit: "On credit (revolving credit, 12 monthly repayments)",
    instalments5: "In 5 monthly instalments",
    instalments10: "In 10 monthly instalments",
    instalments20: "In 20 monthly instalments",
    instalments: "Instalments",
    first: "First instalment",
    then: "Then each month",
    total_due: "Total due",
    cost: "Cost of the credit",
    annual_rate: "APR (TAEG)",
    debit_rate: "Fixed debit rate",
    accept: "I have read the financial conditions of the chosen option and I accept them.",
    warning: "A credit commits you and must be repaid. Check that you can repay it before committing yourself.",
    no_option: "Choose how to pay.",
    not_accepted: "Accept the financial conditions to pay on credit.",
    change: "Change the option",
    decimal_comma: false,
};

const FRENCH: CpayTexts = CpayTexts {
    title: "Payer avec votre carte Cpay",
    intro: "Choisissez comment payer. Un crédit est accordé par Cetelem aux conditions affichées.",
    comptant: "Paiement comptant",
    credit: "Paiement à crédit (crédit renouvelable, 12 mensualités)",
    instalments5: "En 5 mensualités",
    instalments10: "En 10 mensualités",
    instalments20: "En 20 mensualités",
    instalments: "Mensualités",
    first: "Première mensualité",
    then: "Puis chaque mois",
    total_due: "Montant total dû",
    cost: "Coût du crédit",
    annual_rate: "TAEG",
    debit_rate: "Taux débiteur fixe",
    accept: "J'ai pris connaissance des conditions financières de l'option choisie et je les accepte.",
    warning: "Un crédit vous engage et doit être remboursé. Vérifiez vos capacités de remboursement avant de vous engager.",
    no_option: "Choisissez comment payer.",
    not_accepted: "Acceptez les conditions financières pour payer à crédit.",
    change: "Modifier l'option",
    decimal_comma: true,
};

fn cpay_texts(request: &caisse_lyra::form::PaymentRequest) -> CpayTexts {
    if texts(request).lang == "fr" { FRENCH } else { ENGLISH }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_needs_its_conditions_accepted() {
        assert_eq!(chosen("CPT", ""), Ok(CpayOption::Comptant));
        assert_eq!(chosen("10X", "yes"), Ok(CpayOption::Instalments10));
        assert_eq!(chosen("10X", ""), Err(CpayProblem::NotAccepted));
        assert_eq!(chosen("CRD", "no"), Err(CpayProblem::NotAccepted));
        assert_eq!(chosen("", "yes"), Err(CpayProblem::NoOption));
        assert_eq!(chosen("7X", "yes"), Err(CpayProblem::NoOption));
    }

    #[test]
    fn rates_in_either_language() {
        assert_eq!(rate(1925, false), "19.25 %");
        assert_eq!(rate(905, true), "9,05 %");
        assert_eq!(rate(0, true), "0,00 %");
    }
}

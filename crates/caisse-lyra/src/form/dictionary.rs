//! The `vads_` fields caisse reads from a payment form: name, number (the error page code and
//! `vads_extra_result`), format, presence and whether results echo it. One table, data only;
//! `format` checks values, `request` turns them into types.
//!
//! Formats follow the seed's notation (`n` digits, `a` letters, `an`, `ans` anything but `<`
//! and `>`, `..12` up to 12, `enum`, `;` lists, `k=v;` maps). Where the docs write `an` for
//! free text whose own examples hold spaces, accents and `&` ("D. & Cie", "+33 1 02…",
//! "Labège"), the table says `Text`: see docs/form-api-choices.md. Numbers come from the public
//! error table (research §4); fields without a number there get 99 ("unknown error").

use super::error::OTHER_NUMBER;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `n`: ASCII digits, `min..=max` of them.
    Digits { min: usize, max: usize },
    /// `a`: ASCII letters.
    Letters { min: usize, max: usize },
    /// `an` in the strict sense: ASCII letters and digits.
    AlphaNum { min: usize, max: usize },
    /// `ans`: any character but `<` and `>`, at most `max` characters (`usize::MAX`: no limit).
    Text { max: usize },
    /// `enum`: one of the values, exactly (case matters).
    Enum(&'static [&'static str]),
    /// `liste d'enum`: `;`-separated values, each one of the list.
    EnumList(&'static [&'static str]),
    /// `map`: `KEY=value;KEY=value`, at most `max` characters.
    Map { max: usize },
    /// A delay in seconds, `0..=max`.
    Seconds { max: u16 },
    /// `vads_trans_id`: an6, `0-9a-zA-Z`; 900000–999999 are the platform's.
    TransId,
    /// n14 `YYYYMMDDHHMMSS`, a real UTC date and time.
    DateTime14,
    /// n8 `YYYYMMDD`, a real date.
    Date8,
    /// n3 ISO 4217 numeric code of a currency with a minor unit.
    Currency,
    /// `SINGLE`, `MULTI:first=…;count=…;period=…` or `MULTI_EXT:YYYYMMDD=amount;…`.
    PaymentConfig,
    /// `vads_order_id`: letters, digits, `-` and `_`, at most 64.
    OrderId,
    /// An `http://` or `https://` URL of at most `max` characters with no `<`, `>`, blanks.
    Url { max: usize },
    /// `vads_product_vatN`: an integer tax amount (n..12) or a rate below 100 with at most
    /// four decimals after a `.`.
    Vat,
    /// `vads_sub_desc`: an iCalendar recurrence rule, `RRULE:…`.
    Rrule,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Required,
    Optional,
    /// Required when the page action takes a payment or needs a transaction (every action
    /// but REGISTER and REGISTER_UPDATE, which only handle a token).
    RequiredToPay,
    /// Required by the subscription actions (REGISTER_SUBSCRIBE, REGISTER_PAY_SUBSCRIBE,
    /// SUBSCRIBE).
    RequiredToSubscribe,
}

/// How a name matches the entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Exactly this name.
    Single,
    /// This name followed by a line index N (`0`, `1`… no leading zero): the cart.
    Indexed,
    /// Any name that starts with this one and goes on (`vads_ext_info_<name>`).
    Prefix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub number: u16,
    pub format: Format,
    pub presence: Presence,
    /// Results (IPN and return) carry it back, value as sent, when the form had it.
    pub echo: bool,
    pub family: Family,
}

use Family::{Indexed, Prefix, Single};
use Format::*;
use Presence::{Optional, Required, RequiredToPay, RequiredToSubscribe};

const fn field(name: &'static str, number: u16, format: Format, presence: Presence, echo: bool) -> FieldSpec {
    FieldSpec { name, number, format, presence, echo, family: Single }
}

const fn family(name: &'static str, number: u16, format: Format, echo: bool, family: Family) -> FieldSpec {
    FieldSpec { name, number, format, presence: Optional, echo, family }
}

const fn text(name: &'static str, number: u16, max: usize) -> FieldSpec {
    field(name, number, Text { max }, Optional, true)
}

const fn url(name: &'static str, number: u16) -> FieldSpec {
    field(name, number, Url { max: 1024 }, Optional, false)
}

pub const VERSIONS: &[&str] = &["V2"];
pub const CTX_MODES: &[&str] = &["TEST", "PRODUCTION"];
pub const ACTION_MODES: &[&str] = &["INTERACTIVE", "SILENT"];
pub const PAGE_ACTIONS: &[&str] = &[
    "PAYMENT",
    "REGISTER",
    "REGISTER_UPDATE",
    "REGISTER_PAY",
    "REGISTER_SUBSCRIBE",
    "REGISTER_PAY_SUBSCRIBE",
    "SUBSCRIBE",
    "REGISTER_UPDATE_PAY",
    "ASK_REGISTER_PAY",
];
pub const VALIDATION_MODES: &[&str] = &["0", "1"];
pub const RETURN_MODES: &[&str] = &["GET", "POST", "NONE"];
/// 0/empty no preference, 1 deprecated, 2 frictionless, 3 challenge requested, 4 challenge
/// mandate, 5 no preference (3-D Secure 2 meanings on Sogecommerce).
pub const THREEDS_MPI: &[&str] = &["0", "1", "2", "3", "4", "5"];
pub const PAYMENT_SOURCES: &[&str] = &["EC", "MOTO", "CC", "OTHER"];
/// Languages of the payment page (ISO 639-1).
pub const LANGUAGES: &[&str] = &["de", "en", "zh", "es", "fr", "it", "ja", "nl", "pl", "pt", "ru", "sv", "tr"];
/// Card brands and means a form may ask for (`ALL`/`TOUTES` are refused: leave it empty).
pub const PAYMENT_CARDS: &[&str] = &[
    "AMEX",
    "AURORE-MULTI",
    "CB",
    "CUP",
    "DINERS",
    "DISCOVER",
    "E-CARTEBLEUE",
    "JCB",
    "MAESTRO",
    "MASTERCARD",
    "VISA",
    "VISA_ELECTRON",
    "VPAY",
];
pub const CPAY_CARD: &str = "AURORE-MULTI";
pub const STATUSES: &[&str] = &["PRIVATE", "COMPANY"];
pub const SHIP_TO_TYPES: &[&str] =
    &["RECLAIM_IN_SHOP", "RELAY_POINT", "RECLAIM_IN_STATION", "PACKAGE_DELIVERY_COMPANY", "ETICKET"];
pub const SHIP_TO_SPEEDS: &[&str] = &["STANDARD", "EXPRESS", "PRIORITY"];
pub const SHIP_TO_DELAYS: &[&str] = &["INFERIOR_EQUALS", "SUPERIOR", "IMMEDIATE", "ALWAYS"];
pub const PRODUCT_TYPES: &[&str] = &[
    "FOOD_AND_GROCERY",
    "AUTOMOTIVE",
    "ENTERTAINMENT",
    "HOME_AND_GARDEN",
    "HOME_APPLIANCE",
    "AUCTION_AND_GROUP_BUYING",
    "FLOWERS_AND_GIFTS",
    "COMPUTER_AND_SOFTWARE",
    "HEALTH_AND_BEAUTY",
    "SERVICE_FOR_INDIVIDUAL",
    "SERVICE_FOR_BUSINESS",
    "SPORTS",
    "CLOTHING_AND_ACCESSORIES",
    "TRAVEL",
    "HOME_AUDIO_PHOTO_VIDEO",
    "TELEPHONY",
];

const AMOUNT: Format = Digits { min: 1, max: 12 };

/// Every field caisse reads, in the order of their numbers (the order checks report in).
pub const FIELDS: &[FieldSpec] = &[
    field("vads_version", 1, Enum(VERSIONS), Required, true),
    field("vads_site_id", 2, Digits { min: 8, max: 8 }, Required, true),
    field("vads_trans_id", 3, TransId, RequiredToPay, true),
    field("vads_trans_date", 4, DateTime14, Required, true),
    field("vads_validation_mode", 5, Enum(VALIDATION_MODES), Optional, true),
    field("vads_capture_delay", 6, Digits { min: 1, max: 3 }, Optional, true),
    field("vads_payment_config", 7, PaymentConfig, RequiredToPay, true),
    field("vads_payment_cards", 8, EnumList(PAYMENT_CARDS), Optional, false),
    field("vads_amount", 9, AMOUNT, RequiredToPay, true),
    field("vads_currency", 10, Currency, RequiredToPay, true),
    field("vads_ctx_mode", 11, Enum(CTX_MODES), Required, true),
    field("vads_language", 12, Enum(LANGUAGES), Optional, true),
    field("vads_order_id", 13, OrderId, Optional, true),
    text("vads_order_info", 14, 255),
    text("vads_order_info2", 14, 255),
    text("vads_order_info3", 14, 255),
    text("vads_cust_email", 15, 150),
    text("vads_cust_id", 16, 63),
    text("vads_cust_title", 17, 63),
    text("vads_cust_name", 18, 127),
    text("vads_cust_address", 19, 255),
    // No number of its own in the public table; its sibling's.
    text("vads_cust_address2", 19, 255),
    text("vads_cust_zip", 20, 64),
    text("vads_cust_city", 21, 128),
    field("vads_cust_country", 22, Letters { min: 2, max: 2 }, Optional, true),
    text("vads_cust_phone", 23, 32),
    url("vads_url_success", 24),
    url("vads_url_refused", 25),
    url("vads_url_referral", 26),
    url("vads_url_cancel", 27),
    url("vads_url_return", 28),
    url("vads_url_error", 29),
    text("vads_identifier", 30, 50),
    text("vads_contrib", 31, 255),
    field("vads_theme_config", 32, Map { max: 4096 }, Optional, false),
    url("vads_url_check", 33),
    field("vads_redirect_success_timeout", 34, Seconds { max: 300 }, Optional, false),
    field("vads_redirect_success_message", 35, Text { max: 255 }, Optional, false),
    field("vads_redirect_error_timeout", 36, Seconds { max: 300 }, Optional, false),
    field("vads_redirect_error_message", 37, Text { max: 255 }, Optional, false),
    field("vads_return_post_params", 38, Text { max: 1024 }, Optional, false),
    field("vads_return_get_params", 39, Text { max: 1024 }, Optional, false),
    field("vads_page_action", 46, Enum(PAGE_ACTIONS), Required, true),
    field("vads_action_mode", 47, Enum(ACTION_MODES), Required, true),
    field("vads_return_mode", 48, Enum(RETURN_MODES), Optional, false),
    field("vads_threeds_mpi", 50, Enum(THREEDS_MPI), Optional, true),
    field("vads_payment_src", 60, Enum(PAYMENT_SOURCES), Optional, true),
    text("vads_user_info", 61, 255),
    field("vads_contracts", 62, Map { max: 1024 }, Optional, false),
    text("vads_subscription", 63, 50),
    field("vads_sub_desc", 64, Rrule, RequiredToSubscribe, true),
    field("vads_sub_amount", 65, AMOUNT, RequiredToSubscribe, true),
    field("vads_sub_init_amount", 66, AMOUNT, Optional, true),
    field("vads_sub_currency", 67, Currency, RequiredToSubscribe, true),
    field("vads_sub_init_amount_number", 68, Digits { min: 1, max: 3 }, Optional, true),
    field("vads_sub_effect_date", 69, Date8, RequiredToSubscribe, true),
    field("vads_available_languages", 71, EnumList(LANGUAGES), Optional, false),
    text("vads_shop_name", 72, 127),
    field("vads_shop_url", 73, Url { max: 1024 }, Optional, false),
    field("vads_birth_day", 76, Digits { min: 1, max: 2 }, Optional, false),
    field("vads_birth_month", 76, Digits { min: 1, max: 2 }, Optional, false),
    field("vads_birth_year", 76, Digits { min: 4, max: 4 }, Optional, false),
    text("vads_cust_cell_phone", 77, 32),
    text("vads_ship_to_name", 80, 63),
    text("vads_ship_to_street", 81, 255),
    text("vads_ship_to_street2", 82, 255),
    text("vads_ship_to_city", 83, 128),
    text("vads_ship_to_state", 84, 127),
    text("vads_ship_to_zip", 85, 64),
    field("vads_ship_to_country", 86, Letters { min: 2, max: 2 }, Optional, true),
    text("vads_ship_to_phone_num", 87, 32),
    text("vads_cust_state", 88, 127),
    family("vads_ext_info_", 91, Text { max: usize::MAX }, true, Prefix),
    field("vads_cust_status", 92, Enum(STATUSES), Optional, true),
    field("vads_ship_to_status", 93, Enum(STATUSES), Optional, true),
    field("vads_ship_to_type", 94, Enum(SHIP_TO_TYPES), Optional, true),
    field("vads_ship_to_speed", 95, Enum(SHIP_TO_SPEEDS), Optional, true),
    text("vads_ship_to_delivery_company_name", 96, 127),
    family("vads_product_label", 97, Text { max: 255 }, true, Indexed),
    family("vads_product_type", 98, Enum(PRODUCT_TYPES), true, Indexed),
    family("vads_product_ref", 100, Text { max: 64 }, true, Indexed),
    family("vads_product_qty", 101, AMOUNT, true, Indexed),
    family("vads_product_amount", 102, AMOUNT, true, Indexed),
    field("vads_payment_option_code", 103, AlphaNum { min: 1, max: 5 }, Optional, true),
    text("vads_cust_first_name", 104, 63),
    text("vads_cust_last_name", 105, 63),
    text("vads_ship_to_first_name", 106, 63),
    text("vads_ship_to_last_name", 107, 63),
    field("vads_tax_amount", 108, AMOUNT, Optional, true),
    field("vads_shipping_amount", 109, AMOUNT, Optional, true),
    field("vads_insurance_amount", 110, AMOUNT, Optional, true),
    text("vads_cust_address_number", 112, 64),
    text("vads_cust_district", 113, 127),
    text("vads_ship_to_street_number", 114, 64),
    text("vads_ship_to_district", 115, 127),
    text("vads_ship_to_user_info", 116, 255),
    text("vads_cust_legal_name", 121, 100),
    text("vads_ship_to_legal_name", 125, 100),
    family("vads_product_vat", 203, Vat, true, Indexed),
    // No number in the public table.
    field("vads_nb_products", OTHER_NUMBER, AMOUNT, Optional, true),
    family("vads_product_ext_id", OTHER_NUMBER, Text { max: 100 }, true, Indexed),
    text("vads_cust_national_id", OTHER_NUMBER, 255),
    field("vads_ship_to_delay", OTHER_NUMBER, Enum(SHIP_TO_DELAYS), Optional, true),
];

/// The entry for a posted name, and the line index for cart fields. Names the table does not
/// know are not read (they are still signed).
pub fn lookup(name: &str) -> Option<(&'static FieldSpec, Option<usize>)> {
    if let Some(spec) = FIELDS.iter().find(|spec| spec.family == Single && spec.name == name) {
        return Some((spec, None));
    }
    FIELDS.iter().find_map(|spec| {
        let rest = name.strip_prefix(spec.name)?;
        match spec.family {
            Single => None,
            Prefix => (!rest.is_empty()).then_some((spec, None)),
            Indexed => line_index(rest).map(|index| (spec, Some(index))),
        }
    })
}

/// The entry of a known single name; the table is the only place names live.
pub fn spec(name: &str) -> &'static FieldSpec {
    match lookup(name) {
        Some((spec, None)) => spec,
        _ => unreachable!("{name} is in the dictionary"),
    }
}

/// A cart line index: decimal digits without a leading zero (`0`, `1`, … `12`).
fn line_index(text: &str) -> Option<usize> {
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
        && text.len() <= 6;
    valid.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_public_table() {
        let number = |name: &str| lookup(name).map(|(spec, _)| spec.number);
        assert_eq!(number("vads_version"), Some(1));
        assert_eq!(number("vads_site_id"), Some(2));
        assert_eq!(number("vads_trans_date"), Some(4));
        assert_eq!(number("vads_amount"), Some(9));
        assert_eq!(number("vads_currency"), Some(10));
        assert_eq!(number("vads_page_action"), Some(46));
        assert_eq!(number("vads_cust_first_name"), Some(104));
        assert_eq!(number("vads_ship_to_country"), Some(86));
        assert_eq!(number("vads_product_amount3"), Some(102));
        assert_eq!(number("vads_product_vat0"), Some(203));
        assert_eq!(number("vads_ext_info_order_key"), Some(91));
        assert_eq!(number("vads_nonexistent"), None);
        assert_eq!(number("vads_ext_info_"), None);
    }

    #[test]
    fn cart_indexes() {
        assert_eq!(lookup("vads_product_label0").map(|(_, i)| i), Some(Some(0)));
        assert_eq!(lookup("vads_product_label12").map(|(_, i)| i), Some(Some(12)));
        for bad in ["vads_product_label", "vads_product_label01", "vads_product_labelx", "vads_product_label-1"] {
            assert_eq!(lookup(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_unique_and_ordered_by_number_where_numbered() {
        for (i, a) in FIELDS.iter().enumerate() {
            assert!(a.name.starts_with("vads_"), "{}", a.name);
            for b in &FIELDS[i + 1..] {
                assert_ne!(a.name, b.name);
            }
        }
        let numbered: Vec<u16> = FIELDS.iter().map(|f| f.number).filter(|n| *n != OTHER_NUMBER).collect();
        assert!(numbered.windows(2).all(|w| w[0] <= w[1]), "{numbered:?}");
    }

    #[test]
    fn exact_names_win_over_families() {
        // vads_order_info2 is its own entry, not a family member of vads_order_info.
        assert_eq!(lookup("vads_order_info2").map(|(s, _)| s.name), Some("vads_order_info2"));
        assert_eq!(spec("vads_cust_address2").name, "vads_cust_address2");
    }
}

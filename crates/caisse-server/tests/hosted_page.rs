//! The Form API hosted payment page end to end, with reqwest only: an accepted form opens a
//! session (303), its card form pays once or cancels, the result page carries the signed
//! result fields back to the shop, and the end-of-payment IPN is written with the payment.
//! Signatures are checked here with hmac/base64 directly, not with caisse's own code.

mod common;

use caisse_core::ShopId;
use caisse_core::clock::Clock;
use chrono::Duration;
use common::form::{Algo, assert_signed, base_form, signed, trans_date};
use common::ipn::IpnEndpoint;
use common::page::{follow, onward_form, return_form, return_link};
use common::{Backend, TestServer};

const SHOP: &str = "12345678";
const KEY: &str = "1122334455667788";
/// Enrolled, frictionless: through the ACS without a question, then accepted.
const ACCEPTED: &str = "4970100000000000";
/// Enrolled, frictionless, refused by the acquirer.
const REFUSED: &str = "4970100000000002";
/// Not enrolled: paid at once.
const NOT_ENROLLED: &str = "4970100000000001";
/// Enrolled, challenged: the ACS page asks.
const CHALLENGED: &str = "4970100000000009";
/// Enrolled, the authentication fails.
const AUTHENTICATION_FAILS: &str = "4970100000000097";
const SUCCESS: &str = "https://shop.example/success?from=caisse";
const SUCCESS_BASE: &str = "https://shop.example/success";
const REFUSED_URL: &str = "https://shop.example/refused";
const CANCEL: &str = "https://shop.example/cancel";

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("{name} in {pairs:?}"))
}

/// The signed result fields of a result page (answered 200) whose return link goes to `url`;
/// the success URL's own query (`from=caisse`) is left out.
fn returned(status: u16, result: &str, url: &str) -> Vec<(String, String)> {
    assert_eq!(status, 200, "{result}");
    let (base, mut fields) = return_link(result);
    assert_eq!(base, url);
    fields.retain(|(name, _)| name != "from");
    assert_signed(&fields, KEY);
    fields
}

struct Page {
    server: TestServer,
    /// Never follows redirects: the 303 is checked.
    client: reqwest::Client,
    /// The shop's IPN endpoint (`vads_url_check`).
    shop: IpnEndpoint,
    ipn_url: String,
}

impl Page {
    async fn start(backend: Backend) -> Page {
        let server = TestServer::start(backend).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let shop = IpnEndpoint::start().await;
        let ipn_url = shop.url("ipn");
        Page { server, client, shop, ipn_url }
    }

    fn form(&self, trans_id: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let page = [
            ("vads_url_success", SUCCESS),
            ("vads_url_refused", REFUSED_URL),
            ("vads_url_cancel", CANCEL),
            ("vads_url_check", self.ipn_url.as_str()),
            ("vads_return_mode", "GET"),
            ("vads_order_id", "order-42"),
        ];
        let fields: Vec<(&str, &str)> = page.iter().chain(extra).copied().collect();
        signed(base_form(SHOP, trans_id, &trans_date(self.server.clock.now()), &fields), KEY, Algo::Hmac)
    }

    /// Posts the form; answers the session page's path.
    async fn open(&self, trans_id: &str, extra: &[(&str, &str)]) -> String {
        let response =
            self.submit(format!("{}/vads-payment/", self.server.base_url), &self.form(trans_id, extra)).await;
        assert_eq!(response.status().as_u16(), 303);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/vads-payment/session/"), "{location}");
        location
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self.client.get(format!("{}{path}", self.server.base_url)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Posts `fields` url-encoded to `url`, as a browser submits a form.
    async fn submit<N: AsRef<str>, V: AsRef<str>>(&self, url: String, fields: &[(N, V)]) -> reqwest::Response {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = self.client.post(url).header("Content-Type", "application/x-www-form-urlencoded");
        request.body(body).send().await.unwrap()
    }

    /// Posts a form that must be refused with the error page naming `field` (HTTP 200).
    async fn assert_form_refused(&self, trans_id: &str, extra: &[(&str, &str)], field: &str) {
        let response =
            self.submit(format!("{}/vads-payment/", self.server.base_url), &self.form(trans_id, extra)).await;
        assert_eq!(response.status().as_u16(), 200);
        let error = response.text().await.unwrap();
        assert!(error.contains(field) && !error.contains("name=\"card_number\""), "{error}");
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let response = self.submit(format!("{}{path}", self.server.base_url), fields).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Pays as a browser would: the card form, then every auto-submitting form on the way
    /// (to the ACS and back); a challenge is answered with "authenticate".
    async fn pay(&self, path: &str, pan: &str) -> (u16, String) {
        self.pay_choosing(path, pan, "authenticate").await
    }

    async fn pay_choosing(&self, path: &str, pan: &str, choice: &str) -> (u16, String) {
        self.pay_with(path, pan, choice, &[]).await
    }

    /// The card form with `extra` fields, then the 3-D Secure hops.
    async fn pay_with(&self, path: &str, pan: &str, choice: &str, extra: &[(&str, &str)]) -> (u16, String) {
        let mut card = vec![("card_number", pan), ("expiry_month", "12"), ("expiry_year", "2030"), ("cvv", "123")];
        card.extend_from_slice(extra);
        card.push(("action", "pay"));
        let (status, page) = self.post(path, &card).await;
        follow(&self.client, status, page, choice).await
    }

    async fn post_to(&self, url: &str, fields: &[(String, String)]) -> (u16, String) {
        let response = self.submit(url.to_owned(), fields).await;
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn notifications(&self) -> Vec<caisse_core::notification::Notification> {
        self.server.state.payments.store().notifications(Some(&ShopId(SHOP.into())), 50).await.unwrap()
    }

    async fn transactions(&self) -> usize {
        self.server.state.payments.store().transactions_by_order(&ShopId(SHOP.into()), "order-42").await.unwrap().len()
    }
}

on_both_backends! {
    fixture = Page;

    async fn an_accepted_card_pays_and_returns_signed_fields(page) {
        let path = page.open("100001", &[]).await;
        let (status, card_page) = page.get(&path).await;
        assert_eq!(status, 200);
        assert!(card_page.contains("<html lang=\"en\">"), "{card_page}");
        assert!(card_page.contains("<label for=\"card_number\">"));
        assert!(card_page.contains("<dd id=\"amount\">15.24 EUR</dd>"));

        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200, "{result}");
        assert!(!result.contains(ACCEPTED), "the card number never comes back");
        let (base, fields) = return_link(&result);
        assert_eq!(base, SUCCESS_BASE);
        assert_eq!(fields[0], ("from".to_owned(), "caisse".to_owned()), "the URL's own query is kept");
        let fields = fields[1..].to_vec();
        assert_signed(&fields, KEY);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_trans_status"), "AUTHORISED");
        assert_eq!(value(&fields, "vads_trans_id"), "100001");
        assert_eq!(value(&fields, "vads_amount"), "1524");
        assert_eq!(page.transactions().await, 1);

        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(ipns[0].url, page.ipn_url);
        assert_signed(&ipns[0].body, KEY);
        assert_eq!(value(&ipns[0].body, "vads_url_check_src"), "PAY");
        assert_eq!(value(&ipns[0].body, "vads_trans_uuid"), value(&fields, "vads_trans_uuid"));

        // The notifier running with caisse delivers it, form-encoded.
        let (_, delivered) = page.shop.wait_for(|_| true).await;
        assert_signed(&delivered, KEY);
        assert_eq!(delivered, ipns[0].body);

        // A second payment of the same session: refused, nothing new stored.
        let (status, again) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409, "{again}");
        assert_eq!(page.transactions().await, 1);
        assert_eq!(page.notifications().await.len(), 1);
        // The page now shows the result.
        let (_, shown) = page.get(&path).await;
        assert!(shown.contains("data-result=\"00\""), "{shown}");
    }

    async fn a_refused_card_is_stored_and_notified(page) {
        let path = page.open("100002", &[("vads_language", "fr")]).await;
        let (_, card_page) = page.get(&path).await;
        assert!(card_page.contains("<html lang=\"fr\">"), "{card_page}");
        assert!(card_page.contains("Annuler et retourner à la boutique"));
        let (status, result) = page.pay(&path, REFUSED).await;
        let fields = returned(status, &result, REFUSED_URL);
        assert_eq!(value(&fields, "vads_result"), "05");
        assert_eq!(value(&fields, "vads_trans_status"), "REFUSED");
        assert_eq!(page.transactions().await, 1);
        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(value(&ipns[0].body, "vads_result"), "05");
    }

    async fn cancel_abandons_the_session(page) {
        let path = page.open("100003", &[]).await;
        let (status, result) = page.post(&path, &[("action", "cancel")]).await;
        let fields = returned(status, &result, CANCEL);
        assert_eq!(value(&fields, "vads_result"), "17");
        assert_eq!(value(&fields, "vads_trans_status"), "ABANDONED");
        // Cancelled: it pays no more.
        let (status, _) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409);
        assert_eq!(page.transactions().await, 0);
        assert!(page.notifications().await.is_empty());
    }

    async fn an_expired_session_is_abandoned(page) {
        let path = page.open("100004", &[]).await;
        page.server.clock.advance(Duration::minutes(11));
        let (status, shown) = page.get(&path).await;
        assert_eq!(status, 200);
        assert!(shown.contains("data-result=\"17\""), "{shown}");
        let (_, fields) = return_link(&shown);
        assert_eq!(value(&fields, "vads_payment_error"), "149");
        let (status, _) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 409);
        assert_eq!(page.transactions().await, 0);
    }

    async fn a_bad_card_number_shows_the_page_again(page) {
        let path = page.open("100005", &[]).await;
        let (status, again) = page.pay(&path, "4111111111111112").await;
        assert_eq!(status, 422);
        assert!(again.contains("id=\"error\""), "{again}");
        assert!(again.contains("<label for=\"card_number\">"));
        let (status, expired) = page
            .post(&path, &[("card_number", ACCEPTED), ("expiry_month", "01"), ("expiry_year", "2020"), ("action", "pay")])
            .await;
        assert_eq!(status, 422, "{expired}");
        assert_eq!(page.transactions().await, 0);
        assert!(page.notifications().await.is_empty());
        // Still open: a good card pays.
        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200);
        assert!(result.contains("data-result=\"00\""));
    }

    async fn return_mode_post_is_an_auto_submitting_form(page) {
        let path = page.open("100006", &[("vads_return_mode", "POST")]).await;
        let (status, result) = page.pay(&path, ACCEPTED).await;
        assert_eq!(status, 200, "{result}");
        assert!(!result.contains("id=\"return\""), "no link: {result}");
        let (action, fields) = return_form(&result).expect("a return form");
        assert_eq!(action, "https://shop.example/success?from=caisse");
        assert!(result.contains("<button type=\"submit\">"), "a visible button");
        assert_signed(&fields, KEY);
        assert_eq!(value(&fields, "vads_result"), "00");
    }

    async fn return_mode_none_links_without_fields(page) {
        let path = page.open("100007", &[("vads_return_mode", "NONE")]).await;
        let (_, result) = page.pay(&path, ACCEPTED).await;
        let (base, fields) = return_link(&result);
        assert_eq!(base, SUCCESS_BASE);
        assert_eq!(fields, [("from".to_owned(), "caisse".to_owned())]);
    }

    async fn an_unknown_session_is_not_found(page) {
        let (status, _) = page.get("/vads-payment/session/unknown").await;
        assert_eq!(status, 404);
        let (status, _) = page.pay("/vads-payment/session/unknown", ACCEPTED).await;
        assert_eq!(status, 404);
    }

    async fn a_card_not_enrolled_pays_at_once(page) {
        let path = page.open("100008", &[]).await;
        let card = [("card_number", NOT_ENROLLED), ("expiry_month", "12"), ("expiry_year", "2030"), ("action", "pay")];
        let (status, result) = page.post(&path, &card).await;
        assert_eq!(status, 200, "{result}");
        assert!(onward_form(&result).is_none(), "no 3-D Secure step: {result}");
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_threeds_enrolled"), "N");
        assert_eq!(value(&fields, "vads_threeds_status"), "");
    }

    async fn a_frictionless_card_goes_through_the_acs_without_a_question(page) {
        let path = page.open("100009", &[]).await;
        let card = [("card_number", ACCEPTED), ("expiry_month", "12"), ("expiry_year", "2030"), ("action", "pay")];
        let (status, to_acs) = page.post(&path, &card).await;
        assert_eq!(status, 200, "{to_acs}");
        let (action, fields) = onward_form(&to_acs).expect("an auto-submitting form to the ACS");
        assert_eq!(action, format!("{}/acs/authenticate", page.server.base_url));
        let term_url = value(&fields, "TermUrl").to_owned();
        assert_eq!(term_url, format!("{}{path}/3ds", page.server.base_url));
        assert!(to_acs.contains("<button type=\"submit\" id=\"continue\">"), "works without JavaScript");
        // Waiting for the authentication: no IPN yet, the page leads on to the ACS again.
        assert!(page.notifications().await.is_empty());
        let (_, again) = page.get(&path).await;
        assert!(onward_form(&again).is_some_and(|(action, _)| action.ends_with("/acs/authenticate")), "{again}");

        let (status, result) = page.post(&path, &card).await;
        assert_eq!(status, 409, "the session is taken by its waiting payment: {result}");
        assert!(onward_form(&result).is_some(), "and leads on to the ACS: {result}");
        let (status, back) = page.post_to(&action, &fields).await;
        assert_eq!(status, 200);
        let (to_shop, pa_res) = onward_form(&back).expect("the ACS posts the PaRes back");
        assert_eq!(to_shop, term_url);
        let (status, result) = page.post_to(&to_shop, &pa_res).await;
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_threeds_enrolled"), "Y");
        assert_eq!(value(&fields, "vads_threeds_status"), "Y");
        assert_eq!(value(&fields, "vads_threeds_auth_type"), "FRICTIONLESS");
        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(value(&ipns[0].body, "vads_threeds_status"), "Y");
        assert_eq!(value(&ipns[0].body, "vads_trans_uuid"), value(&fields, "vads_trans_uuid"));

        // The PaRes posted again: nothing new.
        let (status, _) = page.post_to(&to_shop, &pa_res).await;
        assert_eq!(status, 409);
        assert_eq!(page.transactions().await, 1);
        assert_eq!(page.notifications().await.len(), 1);
    }

    async fn a_challenged_card_pays_once_the_holder_authenticates(page) {
        let path = page.open("100010", &[]).await;
        let (status, result) = page.pay_choosing(&path, CHALLENGED, "authenticate").await;
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_threeds_auth_type"), "CHALLENGE");
        assert_eq!(value(&fields, "vads_threeds_status"), "Y");
        assert_eq!(value(&fields, "vads_warranty_result"), "YES");
    }

    async fn a_failed_authentication_refuses_without_asking_the_bank(page) {
        let path = page.open("100011", &[]).await;
        let (status, result) = page.pay(&path, AUTHENTICATION_FAILS).await;
        let fields = returned(status, &result, REFUSED_URL);
        assert_eq!(value(&fields, "vads_trans_status"), "REFUSED");
        assert_eq!(value(&fields, "vads_threeds_status"), "N");
        assert_eq!(value(&fields, "vads_auth_result"), "", "the acquirer was not asked");
        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 1);
        assert_eq!(value(&ipns[0].body, "vads_trans_status"), "REFUSED");
    }

    async fn the_holder_fails_the_challenge(page) {
        let path = page.open("100012", &[]).await;
        let (status, result) = page.pay_choosing(&path, CHALLENGED, "fail").await;
        let fields = returned(status, &result, REFUSED_URL);
        assert_eq!(value(&fields, "vads_trans_status"), "REFUSED");
        assert_eq!(value(&fields, "vads_threeds_status"), "N");
        assert_eq!(page.transactions().await, 1);
    }

    async fn a_pares_not_issued_by_caisse_is_refused(page) {
        let path = page.open("100013", &[]).await;
        let card = [("card_number", CHALLENGED), ("expiry_month", "12"), ("expiry_year", "2030"), ("action", "pay")];
        page.post(&path, &card).await;
        let forged = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "caisse-pares-1:0123.abcd");
        let (status, _) = page.post(&format!("{path}/3ds"), &[("PaRes", forged.as_str()), ("MD", "x")]).await;
        assert_eq!(status, 400);
        let (status, _) = page.post(&format!("{path}/3ds"), &[("MD", "x")]).await;
        assert_eq!(status, 400);
        assert!(page.notifications().await.is_empty());
    }

    async fn cancel_and_abandon_notify_when_the_rule_is_on(page) {
        let store = page.server.state.payments.store();
        let shop = ShopId(SHOP.into());
        let rules = store.notification_rules(&shop).await.unwrap().unwrap();
        store
            .set_notification_rules(&caisse_core::notification::NotificationRules { cancel_or_abandon: true, ..rules })
            .await
            .unwrap();
        let cancelled = page.open("100014", &[]).await;
        page.post(&cancelled, &[("action", "cancel")]).await;
        let expired = page.open("100015", &[]).await;
        let forgotten = page.open("100016", &[]).await;
        page.server.clock.advance(Duration::minutes(11));
        page.get(&expired).await;
        // Nobody comes back to the third: the sweeper abandons it.
        assert_eq!(caisse_server::hosted_page::sweep_once(&page.server.state).await, 1);
        assert_eq!(caisse_server::hosted_page::sweep_once(&page.server.state).await, 0);
        let ipns = page.notifications().await;
        assert_eq!(ipns.len(), 3, "{ipns:?}");
        for ipn in &ipns {
            assert_eq!(ipn.rule, caisse_core::notification::NotificationRule::CancelOrAbandon);
            assert_signed(&ipn.body, KEY);
            assert_eq!(value(&ipn.body, "vads_trans_status"), "ABANDONED");
            assert_eq!(value(&ipn.body, "vads_result"), "17");
        }
        let mut trans_ids: Vec<&str> = ipns.iter().map(|ipn| value(&ipn.body, "vads_trans_id")).collect();
        trans_ids.sort();
        assert_eq!(trans_ids, ["100014", "100015", "100016"]);
        let (_, shown) = page.get(&forgotten).await;
        assert!(shown.contains("data-result=\"17\""), "{shown}");
        assert_eq!(page.notifications().await.len(), 3, "abandoned once");
    }

    async fn cpay_in_ten_instalments_after_accepting_the_conditions(page) {
        let cpay = [("vads_payment_cards", "AURORE-MULTI"), ("vads_capture_delay", "3"), ("vads_amount", "120000")];
        let path = page.open("100017", &cpay).await;
        let (status, options) = page.get(&path).await;
        assert_eq!(status, 200, "{options}");
        for code in ["CPT", "CRD", "5X", "10X", "20X"] {
            assert!(options.contains(&format!("id=\"cpay-{code}\"")), "{code} offered: {options}");
        }
        assert!(options.contains("id=\"conditions-10X\""), "the conditions are shown");
        assert!(!options.contains("id=\"conditions-CPT\""), "comptant costs nothing");
        assert!(!options.contains("name=\"card_number\""), "the option comes before the card");

        // A credit without its conditions accepted: the options again.
        let (status, again) = page.post(&path, &[("cpay_option", "10X"), ("action", "cpay_option")]).await;
        assert_eq!(status, 422, "{again}");
        assert!(again.contains("id=\"error\""));
        let (status, card_page) =
            page.post(&path, &[("cpay_option", "10X"), ("cpay_accepted", "yes"), ("action", "cpay_option")]).await;
        assert_eq!(status, 200, "{card_page}");
        assert!(card_page.contains("id=\"cpay-chosen\""), "{card_page}");
        assert!(card_page.contains("name=\"card_number\""));
        // The card without the accepted conditions: refused before anything is stored.
        let (status, _) = page.pay_with(&path, ACCEPTED, "authenticate", &[("cpay_option", "10X")]).await;
        assert_eq!(status, 422);
        assert_eq!(page.transactions().await, 0);

        let chosen = [("cpay_option", "10X"), ("cpay_accepted", "yes")];
        let (status, result) = page.pay_with(&path, ACCEPTED, "authenticate", &chosen).await;
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_trans_status"), "CAPTURED", "captured at once: no capture delay");
        assert_eq!(value(&fields, "vads_card_brand"), "AURORE-MULTI");
        assert_eq!(value(&fields, "vads_acquirer_network"), "AURORE");
        assert_eq!(value(&fields, "vads_payment_option_code"), "10X");
        assert_eq!(value(&fields, "vads_threeds_status"), "Y");
        assert_eq!(value(&fields, "vads_warranty_result"), "YES");
        assert_eq!(value(&fields, "vads_auth_result"), "00");
        let shop = ShopId(SHOP.into());
        let stored = page.server.state.payments.store().transactions_by_order(&shop, "order-42").await.unwrap();
        assert_eq!(stored[0].cpay_option, Some(caisse_core::cpay::CpayOption::Instalments10));
        assert_eq!(stored[0].capture_day, 0);
    }

    async fn cpay_comptant_needs_no_acceptance(page) {
        let path = page.open("100018", &[("vads_payment_cards", "AURORE-MULTI"), ("vads_language", "fr")]).await;
        let (_, options) = page.get(&path).await;
        assert!(options.contains("Paiement comptant"), "{options}");
        assert!(options.contains("TAEG"));
        let (status, result) = page.pay_with(&path, NOT_ENROLLED, "authenticate", &[("cpay_option", "CPT")]).await;
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_payment_option_code"), "CPT");
        assert_eq!(value(&fields, "vads_card_brand"), "AURORE-MULTI");
    }

    async fn redirect_timeouts_send_the_browser_back_on_its_own(page) {
        let redirect = [("vads_redirect_success_timeout", "5"), ("vads_redirect_success_message", "Merci !")];
        let path = page.open("100019", &redirect).await;
        let (_, result) = page.pay(&path, NOT_ENROLLED).await;
        assert!(result.contains("<p id=\"redirect-message\" role=\"status\">Merci !</p>"), "{result}");
        let (target, _) = return_link(&result);
        let meta = "<meta http-equiv=\"refresh\" content=\"5;url=";
        let start = result.find(meta).expect("a timed redirection") + meta.len();
        let refresh = common::page::unescape(&result[start..start + result[start..].find('"').unwrap()]);
        assert!(refresh.starts_with(&target), "to the return link: {refresh}");

        let error = [("vads_redirect_error_timeout", "0"), ("vads_return_mode", "POST")];
        let path = page.open("100020", &error).await;
        let (_, refused) = page.pay(&path, REFUSED).await;
        assert!(refused.contains("setTimeout(function () { document.getElementById(\"return-form\").submit(); }, 0);"), "{refused}");
        // Without a timeout, the buyer clicks the link.
        let path = page.open("100021", &[]).await;
        let (_, clicked) = page.pay(&path, NOT_ENROLLED).await;
        assert!(!clicked.contains("http-equiv=\"refresh\""), "{clicked}");
    }

    async fn register_pay_keeps_the_card_of_an_accepted_payment(page) {
        let register = [("vads_page_action", "REGISTER_PAY"), ("vads_cust_email", "buyer@example.com")];
        let path = page.open("100022", &register).await;
        let (_, card_page) = page.get(&path).await;
        assert!(card_page.contains("id=\"register-notice\""), "the buyer is told: {card_page}");
        let (status, result) = page.pay(&path, NOT_ENROLLED).await;
        let fields = returned(status, &result, SUCCESS_BASE);
        assert_eq!(value(&fields, "vads_identifier_status"), "CREATED");
        let identifier = value(&fields, "vads_identifier");
        assert_eq!(identifier.len(), 32, "{identifier}");
        let shop = ShopId(SHOP.into());
        let token = page.server.state.payments.store().token(&shop, identifier).await.unwrap().expect("the token");
        assert_eq!(token.customer["email"], "buyer@example.com");
        let ipns = page.notifications().await;
        assert_eq!(value(&ipns[0].body, "vads_identifier"), identifier);

        // Through 3-D Secure, with the merchant's own identifier.
        let chosen = "0123456789abcdef0123456789abcdef";
        let path = page.open("100023", &[("vads_page_action", "REGISTER_PAY"), ("vads_identifier", chosen)]).await;
        let (_, result) = page.pay(&path, ACCEPTED).await;
        let (_, fields) = return_link(&result);
        assert_eq!(value(&fields, "vads_identifier"), chosen);
        assert_eq!(value(&fields, "vads_identifier_status"), "CREATED");
        assert!(page.server.state.payments.store().token(&shop, chosen).await.unwrap().is_some());
        // The identifier is now taken: a form naming it again is refused.
        page.assert_form_refused("100024", &[("vads_page_action", "REGISTER_PAY"), ("vads_identifier", chosen)], "vads_identifier").await;
    }

    async fn a_refused_register_pay_creates_no_token(page) {
        let path = page.open("100025", &[("vads_page_action", "REGISTER_PAY")]).await;
        let (_, result) = page.pay_choosing(&path, CHALLENGED, "fail").await;
        let (_, fields) = return_link(&result);
        assert_eq!(value(&fields, "vads_trans_status"), "REFUSED");
        assert_eq!(value(&fields, "vads_identifier_status"), "NOT_CREATED");
        let shop = ShopId(SHOP.into());
        let stored = page.server.state.payments.store().transactions_by_order(&shop, "order-42").await.unwrap();
        assert_eq!(stored[0].token_id, None, "no token named by a refused payment");
        let path = page.open("100026", &[("vads_page_action", "REGISTER_PAY")]).await;
        let (_, result) = page.pay(&path, REFUSED).await;
        let (_, fields) = return_link(&result);
        assert_eq!(value(&fields, "vads_identifier_status"), "NOT_CREATED");
    }

    async fn ask_register_pay_keeps_the_card_only_when_asked(page) {
        let path = page.open("100027", &[("vads_page_action", "ASK_REGISTER_PAY")]).await;
        let (_, card_page) = page.get(&path).await;
        assert!(card_page.contains("id=\"register_card\""), "{card_page}");
        let (_, result) = page.pay(&path, NOT_ENROLLED).await;
        let (_, fields) = return_link(&result);
        assert!(!fields.iter().any(|(name, _)| name == "vads_identifier_status"), "not asked: {fields:?}");
        let path = page.open("100028", &[("vads_page_action", "ASK_REGISTER_PAY")]).await;
        let (_, result) = page.pay_with(&path, ACCEPTED, "authenticate", &[("register_card", "yes")]).await;
        let (_, fields) = return_link(&result);
        assert_eq!(value(&fields, "vads_identifier_status"), "CREATED");
        let shop = ShopId(SHOP.into());
        let identifier = value(&fields, "vads_identifier");
        assert!(page.server.state.payments.store().token(&shop, identifier).await.unwrap().is_some());
    }

    async fn a_malformed_identifier_is_a_form_error(page) {
        let malformed = [("vads_page_action", "REGISTER_PAY"), ("vads_identifier", "my-alias")];
        page.assert_form_refused("100029", &malformed, "vads_identifier").await;
        assert_eq!(page.transactions().await, 0);
    }

    async fn register_checks_the_card_and_keeps_it(page) {
        let register = [
            ("vads_page_action", "REGISTER"),
            ("vads_amount", ""),
            ("vads_currency", ""),
            ("vads_payment_config", ""),
            ("vads_cust_email", "buyer@example.com"),
        ];
        let path = page.open("100030", &register).await;
        let (_, card_page) = page.get(&path).await;
        assert!(card_page.contains("id=\"register-notice\""), "{card_page}");
        // An enrolled card too: a verification runs no 3-D Secure.
        let (status, result) = page.pay(&path, ACCEPTED).await;
        let fields = returned(status, &result, "https://shop.example/success");
        assert_eq!(value(&fields, "vads_result"), "00");
        assert_eq!(value(&fields, "vads_operation_type"), "VERIFICATION");
        assert_eq!(value(&fields, "vads_identifier_status"), "CREATED");
        let shop = ShopId(SHOP.into());
        let token = page.server.state.payments.store().token(&shop, value(&fields, "vads_identifier")).await.unwrap();
        assert_eq!(token.expect("the token").customer["email"], "buyer@example.com");

        let path = page.open("100031", &register).await;
        let (status, refused) = page.pay(&path, REFUSED).await;
        let fields = returned(status, &refused, REFUSED_URL);
        assert_eq!(value(&fields, "vads_identifier_status"), "NOT_CREATED");

        // An amount on a REGISTER form charges nothing: the card is only checked.
        let with_amount = [("vads_page_action", "REGISTER"), ("vads_amount", "1000")];
        let path = page.open("100034", &with_amount).await;
        let (status, result) = page.pay(&path, NOT_ENROLLED).await;
        let fields = returned(status, &result, "https://shop.example/success");
        assert_eq!(value(&fields, "vads_operation_type"), "VERIFICATION");
        assert_eq!(value(&fields, "vads_effective_amount"), "0");
    }

    async fn leaving_during_3ds_abandons_the_payment(page) {
        // The holder cancels on the ACS page.
        let path = page.open("100032", &[]).await;
        let (status, result) = page.pay_choosing(&path, CHALLENGED, "cancel").await;
        let fields = returned(status, &result, CANCEL);
        assert_eq!(value(&fields, "vads_result"), "17");
        assert_eq!(value(&fields, "vads_trans_status"), "ABANDONED");

        // The holder never comes back from the ACS: the session's end abandons the payment.
        let store = page.server.state.payments.store();
        let shop = ShopId(SHOP.into());
        let rules = store.notification_rules(&shop).await.unwrap().unwrap();
        let rules = caisse_core::notification::NotificationRules { cancel_or_abandon: true, ..rules };
        store.set_notification_rules(&rules).await.unwrap();
        let path = page.open("100033", &[]).await;
        let card = [("card_number", CHALLENGED), ("expiry_month", "12"), ("expiry_year", "2030"), ("action", "pay")];
        let (_, to_acs) = page.post(&path, &card).await;
        assert!(onward_form(&to_acs).is_some());
        page.server.clock.advance(Duration::minutes(11));
        assert_eq!(caisse_server::hosted_page::sweep_once(&page.server.state).await, 1);
        assert_eq!(caisse_server::hosted_page::sweep_once(&page.server.state).await, 0, "once");
        let waiting = store.transactions_by_order(&shop, "order-42").await.unwrap();
        let left = waiting.iter().find(|tx| tx.reference == path.rsplit('/').next().unwrap()).expect("the payment");
        assert_eq!(left.status, caisse_core::TransactionStatus::Aborted);
        let abandon: Vec<_> = page
            .notifications()
            .await
            .into_iter()
            .filter(|ipn| ipn.rule == caisse_core::notification::NotificationRule::CancelOrAbandon)
            .collect();
        assert_eq!(abandon.len(), 1);
        assert_eq!(value(&abandon[0].body, "vads_trans_id"), "100033");
        let (_, shown) = page.get(&path).await;
        assert!(shown.contains("data-result=\"17\""), "{shown}");
    }
}

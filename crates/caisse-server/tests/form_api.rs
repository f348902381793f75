//! `POST /vads-payment/` end to end: the signature (HMAC-SHA-256 and SHA-1, per shop setting),
//! the field formats, the uniqueness of `vads_trans_id`, the error pages (TEST and PRODUCTION)
//! and the warning e-mail. Forms are signed here with hmac/sha1/base64 directly, not with
//! caisse's own signing code, so that a wrong rule in caisse fails these tests.

mod common;

use caisse_core::ShopId;
use caisse_core::clock::{Clock, TestClock};
use caisse_core::form_settings::{FormSettings, FormSignatureAlgorithm};
use chrono::{TimeZone, Utc};
use common::form::{Algo, base_form, signed, trans_date};
use common::{Backend, TestDatabase, TestServer, eml_files};
use std::path::PathBuf;
use std::sync::Arc;

const SHOP: &str = "12345678";
const TEST_KEY: &str = "1122334455667788";
const PRODUCTION_KEY: &str = "prod-key-12345678";

/// A server whose e-mails go to `.eml` files in a folder of the test's own.
struct Form {
    server: TestServer,
    mail: tempfile::TempDir,
}

impl Form {
    async fn start(backend: Backend) -> Form {
        let mail = tempfile::tempdir().unwrap();
        let data_dir = mail.path().to_owned();
        let database = Arc::new(TestDatabase::new(backend).await);
        let clock = TestClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap());
        let server = TestServer::start_with(database, clock, move |settings| settings.data_dir = Some(data_dir)).await;
        Form { server, mail }
    }

    /// PROTOCOLS.md §3's vector form, dated now on the server's clock, with `trans_id`.
    fn vector(&self, trans_id: &str) -> Vec<(String, String)> {
        base_form(SHOP, trans_id, &trans_date(self.server.clock.now()), &[("vads_language", "en")])
    }

    async fn post(&self, pairs: &[(String, String)]) -> (u16, String) {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        let response = self
            .server
            .client
            .post(format!("{}/vads-payment/", self.server.base_url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        (status, response.text().await.unwrap())
    }

    async fn set(&self, algorithm: FormSignatureAlgorithm, warning_emails: Vec<String>) {
        let settings = FormSettings {
            shop_id: ShopId(SHOP.into()),
            test_key: Some(TEST_KEY.into()),
            production_key: Some(PRODUCTION_KEY.into()),
            algorithm,
            warning_emails,
        };
        self.server.state.payments.store().set_form_settings(&settings).await.unwrap();
    }

    fn mails(&self) -> Vec<PathBuf> {
        eml_files(&self.mail.path().join("mail"))
    }
}

fn set_field(pairs: &mut Vec<(String, String)>, name: &str, value: Option<&str>) {
    pairs.retain(|(n, _)| n != name);
    if let Some(value) = value {
        pairs.push((name.into(), value.into()));
    }
}

fn assert_payment_page(status: u16, page: &str) {
    assert_eq!(status, 200);
    assert!(page.contains("<title>Payment page</title>"), "{page}");
    assert!(page.contains(&format!("<dd id=\"shop\">{SHOP}</dd>")), "{page}");
    assert!(page.contains("<dd id=\"amount\">15.24 EUR</dd>"), "{page}");
}

/// A TEST error page (English) naming `code` and `field`.
fn assert_error(status: u16, page: &str, code: &str, field: &str) {
    assert_eq!(status, 200, "the platform answers its error page with 200");
    assert!(page.contains(&format!("Error <strong>{code}</strong>: <code>{field}</code>")), "{code} {field}: {page}");
    assert!(!page.contains("Payment page"));
}

/// Fields to set (`Some`) or remove (`None`).
type Changes<'a> = Vec<(&'a str, Option<&'a str>)>;

on_both_backends! {
    fixture = Form;

    async fn the_vector_form_opens_the_payment_page(form) {
        let mut pairs = signed(form.vector("654321"), TEST_KEY, Algo::Hmac);
        // Names outside `vads_` are neither signed nor checked.
        pairs.push(("payer".into(), "<Pay>".into()));
        pairs.push(("vads".into(), "x".into()));
        let (status, page) = form.post(&pairs).await;
        assert_payment_page(status, &page);
        assert!(form.mails().is_empty());
    }

    async fn a_wrong_signature_shows_the_test_error_page(form) {
        let mut pairs = signed(form.vector("100001"), TEST_KEY, Algo::Hmac);
        set_field(&mut pairs, "vads_amount", Some("1525"));
        let (status, page) = form.post(&pairs).await;
        assert_error(status, &page, "00", "signature");
        let (status, page) = form.post(&signed(form.vector("100002"), "another key", Algo::Hmac)).await;
        assert_error(status, &page, "00", "signature");
        let mut unsigned = form.vector("100003");
        set_field(&mut unsigned, "signature", Some(""));
        let (status, page) = form.post(&unsigned).await;
        assert_error(status, &page, "70", "signature");
        // An unknown shop, or a mode with no key.
        let mut unknown = form.vector("100004");
        set_field(&mut unknown, "vads_site_id", Some("87654321"));
        let (status, page) = form.post(&signed(unknown, TEST_KEY, Algo::Hmac)).await;
        assert_error(status, &page, "02", "vads_site_id");
        let mut production = form.vector("100005");
        set_field(&mut production, "vads_ctx_mode", Some("PRODUCTION"));
        let (status, page) = form.post(&signed(production, TEST_KEY, Algo::Hmac)).await;
        assert_eq!(status, 200);
        assert!(page.contains("An error occurred during the payment request"), "{page}");
        // A signature failure reserves nothing: the id is still free.
        let (status, page) = form.post(&signed(form.vector("100001"), TEST_KEY, Algo::Hmac)).await;
        assert_payment_page(status, &page);
    }

    async fn production_shows_the_generic_message(form) {
        form.set(FormSignatureAlgorithm::HmacSha256, vec![]).await;
        let mut pairs = form.vector("200001");
        set_field(&mut pairs, "vads_ctx_mode", Some("PRODUCTION"));
        let good = signed(pairs.clone(), PRODUCTION_KEY, Algo::Hmac);
        // Signed with the TEST key: refused, without code or field.
        let (status, page) = form.post(&signed(pairs.clone(), TEST_KEY, Algo::Hmac)).await;
        assert_eq!(status, 200);
        assert!(page.contains("An error occurred during the payment request"), "{page}");
        assert!(!page.contains("<strong>00</strong>") && !page.contains("<code>signature</code>"), "{page}");
        // French by default.
        let mut french = pairs.clone();
        set_field(&mut french, "vads_language", None);
        let (_, page) = form.post(&signed(french, "wrong", Algo::Hmac)).await;
        assert!(page.contains("Une erreur est survenue lors de la demande de paiement"), "{page}");
        let (status, page) = form.post(&good).await;
        assert_payment_page(status, &page);
        assert!(page.contains("<dd id=\"mode\">PRODUCTION</dd>"));
    }

    async fn the_shops_algorithm_decides(form) {
        form.set(FormSignatureAlgorithm::Sha1, vec![]).await;
        let (status, page) = form.post(&signed(form.vector("300001"), TEST_KEY, Algo::Sha1)).await;
        assert_payment_page(status, &page);
        // SHA-1 hex in capitals is the same signature.
        let mut upper = signed(form.vector("300002"), TEST_KEY, Algo::Sha1);
        let last = upper.len() - 1;
        upper[last].1 = upper[last].1.to_uppercase();
        let (status, page) = form.post(&upper).await;
        assert_payment_page(status, &page);
        let (status, page) = form.post(&signed(form.vector("300003"), TEST_KEY, Algo::Hmac)).await;
        assert_error(status, &page, "204", "signature");

        form.set(FormSignatureAlgorithm::HmacSha256, vec![]).await;
        let (status, page) = form.post(&signed(form.vector("300004"), TEST_KEY, Algo::Sha1)).await;
        assert_error(status, &page, "204", "signature");
        let (status, page) = form.post(&signed(form.vector("300005"), TEST_KEY, Algo::Hmac)).await;
        assert_payment_page(status, &page);
    }

    async fn every_format_rule_names_its_field(form) {
        let now = form.server.clock.now();
        let old = trans_date(now - chrono::Duration::minutes(31));
        let ahead = trans_date(now + chrono::Duration::minutes(91));
        let line = |label: &'static str| -> Vec<(&'static str, Option<&'static str>)> {
            vec![
                ("vads_nb_products", Some("1")),
                ("vads_product_label0", Some(label)),
                ("vads_product_type0", Some("FOOD_AND_GROCERY")),
                ("vads_product_ref0", Some("R1")),
                ("vads_product_qty0", Some("1")),
                ("vads_product_amount0", Some("1524")),
            ]
        };
        let mut cases: Vec<(Changes, &str, &str)> = vec![
            (vec![("vads_site_id", None)], "02", "vads_site_id"),
            (vec![("vads_site_id", Some("1234567"))], "02", "vads_site_id"),
            (vec![("vads_trans_id", None)], "03", "vads_trans_id"),
            (vec![("vads_trans_id", Some("12345"))], "03", "vads_trans_id"),
            (vec![("vads_trans_id", Some("12_456"))], "03", "vads_trans_id"),
            (vec![("vads_trans_id", Some("900001"))], "03", "vads_trans_id"),
            (vec![("vads_trans_date", Some("20261128250000"))], "04", "vads_trans_date"),
            (vec![("vads_trans_date", Some("2026112810000"))], "04", "vads_trans_date"),
            (vec![("vads_trans_date", Some(old.as_str()))], "04", "vads_trans_date"),
            (vec![("vads_trans_date", Some(ahead.as_str()))], "04", "vads_trans_date"),
            (vec![("vads_payment_config", Some("MULTI"))], "07", "vads_payment_config"),
            (vec![("vads_amount", Some("12.50"))], "09", "vads_amount"),
            (vec![("vads_amount", Some("0"))], "09", "vads_amount"),
            (vec![("vads_amount", None)], "09", "vads_amount"),
            (vec![("vads_currency", Some("999"))], "10", "vads_currency"),
            (vec![("vads_currency", Some("EUR"))], "10", "vads_currency"),
            (vec![("vads_ctx_mode", Some("test"))], "11", "vads_ctx_mode"),
            (vec![("vads_validation_mode", Some("2"))], "05", "vads_validation_mode"),
            (vec![("vads_capture_delay", Some("1000"))], "06", "vads_capture_delay"),
            (vec![("vads_payment_cards", Some("ALL"))], "08", "vads_payment_cards"),
            (vec![("vads_order_id", Some("A B"))], "13", "vads_order_id"),
            (vec![("vads_cust_email", Some("<b>x</b>"))], "15", "vads_cust_email"),
            (vec![("vads_url_return", Some("javascript:alert(1)"))], "28", "vads_url_return"),
            (vec![("vads_order_info", Some("4970100000000055"))], "999", "vads_order_info"),
        ];
        // The cart: a line needs its fields, its quantity at least 1, no line past the count.
        let mut no_qty = line("Apples");
        no_qty[4].1 = None;
        cases.push((no_qty, "101", "vads_product_qty0"));
        let mut zero = line("Apples");
        zero[4].1 = Some("0");
        cases.push((zero, "101", "vads_product_qty0"));
        let mut beyond = line("Apples");
        beyond.push(("vads_product_label1", Some("Pears")));
        cases.push((beyond, "97", "vads_product_label1"));
        cases.push((vec![("vads_product_label0", Some("Apples"))], "97", "vads_product_label0"));
        let mut bad_type = line("Apples");
        bad_type[2].1 = Some("FOOD");
        cases.push((bad_type, "98", "vads_product_type0"));

        for (index, (changes, code, field)) in cases.into_iter().enumerate() {
            let mut pairs = form.vector(&format!("{:06}", 400_000 + index));
            for (name, value) in &changes {
                set_field(&mut pairs, name, *value);
            }
            let (status, page) = form.post(&signed(pairs, TEST_KEY, Algo::Hmac)).await;
            assert_error(status, &page, code, field);
        }
        // A good cart passes.
        let mut pairs = form.vector("499999");
        for (name, value) in line("Apples") {
            set_field(&mut pairs, name, value);
        }
        let (status, page) = form.post(&signed(pairs, TEST_KEY, Algo::Hmac)).await;
        assert_payment_page(status, &page);
        // A `vads_` field posted twice.
        let mut twice = signed(form.vector("500001"), TEST_KEY, Algo::Hmac);
        twice.push(("vads_amount".into(), "1".into()));
        let (status, page) = form.post(&twice).await;
        assert_error(status, &page, "09", "vads_amount");
    }

    async fn a_trans_id_is_used_once_per_utc_day(form) {
        let (status, page) = form.post(&signed(form.vector("xYz123"), TEST_KEY, Algo::Hmac)).await;
        assert_payment_page(status, &page);
        let (status, page) = form.post(&signed(form.vector("XYZ123"), TEST_KEY, Algo::Hmac)).await;
        assert_error(status, &page, "03", "vads_trans_id");
        let (status, page) = form.post(&signed(form.vector("xyz123"), TEST_KEY, Algo::Hmac)).await;
        assert_error(status, &page, "03", "vads_trans_id");
        // Another shop may use it.
        let mut other = form.vector("xyz123");
        set_field(&mut other, "vads_site_id", Some("69876357"));
        let (status, page) = form.post(&signed(other, "38453613e7f44dc58732bad3dca2bca3", Algo::Hmac)).await;
        assert_eq!(status, 200);
        assert!(page.contains("<dd id=\"shop\">69876357</dd>"), "{page}");
        // The next UTC day, it is free again.
        form.server.advance_days(1);
        let (status, page) = form.post(&signed(form.vector("XYZ123"), TEST_KEY, Algo::Hmac)).await;
        assert_payment_page(status, &page);
    }

    async fn a_refused_form_sends_the_warning_email(form) {
        form.set(FormSignatureAlgorithm::HmacSha256, vec!["alerts@shop.example".into()]).await;
        let mut pairs = form.vector("600001");
        set_field(&mut pairs, "vads_currency", Some("999"));
        set_field(&mut pairs, "vads_cust_address", Some("4970100000000055"));
        let (status, page) = form.post(&signed(pairs, TEST_KEY, Algo::Hmac)).await;
        assert_error(status, &page, "10", "vads_currency");
        let mut mails = form.mails();
        for _ in 0..100 {
            if !mails.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            mails = form.mails();
        }
        assert_eq!(mails.len(), 1, "one warning e-mail");
        let text = std::fs::read_to_string(&mails[0]).unwrap();
        assert!(text.contains("To: alerts@shop.example"), "{text}");
        assert!(text.contains("Subject: [MODE TEST] 12345678 - Tr. ref. 600001"), "{text}");
        assert!(text.contains("Faulty field: vads_currency") && text.contains("Error code: 10"), "{text}");
        assert!(!text.contains("4970100000000055"), "no card data in the e-mail");
        assert!(!text.contains(TEST_KEY));
    }
}

//! `cargo run --release -p caisse-bench`: starts caisse on a fresh SQLite database (durable:
//! WAL, synchronous=FULL) and drives it over HTTP/1.1 keep-alive connections, first with
//! `GET /healthz` (the machine's ceiling for a request that does no work), then with pre-sealed
//! `checkout/cardOrder` requests, each a new durable transaction, then with REST V4 zero-click
//! payments (`Charge/CreatePayment`, SILENT, by a token created first through the API), then
//! Form API payments (the signed form, then the card on the hosted page it redirects to: two
//! requests, one payment). Prints throughput, p50/p99 latency and each scenario's ratio to
//! healthz. The load generator shares the machine's cores with the server, as in CI.

mod forms;
mod load;

/// glibc's allocator showed up at several percent of a cardOrder's CPU time; mimalloc's
/// thread-local free lists make the many small JSON allocations cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context;
use caisse_core::ShopId;
use caisse_core::clock::SystemClock;
use caisse_core::notification::NotificationStatus;
use caisse_core::ports::Store;
use caisse_server::Settings;
use clap::Parser;
use load::{Load, Report};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Seconds of measurement per scenario and round.
    #[arg(long, default_value_t = 3)]
    seconds: u64,
    /// Rounds of healthz, cardOrder, CreatePayment, Form API in turn. Each ratio is taken within its
    /// round (adjacent windows), and the median over the rounds is the figure: a shared,
    /// noisy machine shifts whole windows, which one round alone would report as a ratio.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Concurrent keep-alive connections: enough in flight for group commit to fill its
    /// groups, few enough to keep p99 low.
    #[arg(long, default_value_t = 24)]
    connections: usize,
    /// Server worker threads.
    #[arg(long, default_value_t = 2)]
    server_threads: usize,
    /// Load generator threads.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Pre-sealed cardOrder requests to build (each is used once).
    #[arg(long, default_value_t = 400_000)]
    requests: usize,
    /// Distinct REST V4 payment bodies to build (used in turn).
    #[arg(long, default_value_t = 10_000)]
    rest_bodies: usize,
    /// Seconds of rest before each durable scenario, so that the WAL checkpoints the previous
    /// one's writes first and every scenario starts from a quiet server.
    #[arg(long, default_value_t = 2)]
    settle_seconds: u64,
    /// Form API forms to sign before each Form API window (each is used once).
    #[arg(long, default_value_t = 30_000)]
    forms: usize,
    /// Skip the cardOrder scenario (to profile the REST one alone).
    #[arg(long)]
    skip_card_order: bool,
    /// Skip the Form API scenario.
    #[arg(long)]
    skip_form: bool,
}

/// Where REST V4 zero-click payments go.
const CREATE_PAYMENT: &str = "/api-payment/V4/Charge/CreatePayment";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());

    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.server_threads)
        .thread_name("caisse-server")
        .enable_all()
        .build()?;
    let settings = Settings {
        database_url: database_url.clone(),
        vault_key: Some("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff".into()),
        ..Settings::default()
    };
    let (address, store) = server_runtime.block_on(async {
        let state = caisse_server::build_state(&settings, Arc::new(SystemClock)).await?;
        let store = state.payments.store().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let settings = settings.clone();
        tokio::spawn(async move {
            let _ = caisse_server::serve(listener, &settings, state, std::future::pending()).await;
        });
        anyhow::Ok((address, store))
    })?;

    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads)
        .thread_name("load")
        .enable_all()
        .build()?;
    let duration = Duration::from_secs(args.seconds);

    println!("caisse-bench: server on {address} (SQLite, WAL, synchronous=FULL), {database_url}");
    println!(
        "{} connections, {} s per scenario, {} server threads, {} load threads, {} cores",
        args.connections,
        args.seconds,
        args.server_threads,
        args.client_threads,
        std::thread::available_parallelism().map(usize::from).unwrap_or(1)
    );
    let orders = load::sealed_card_orders(args.requests);
    let healthz = Load::get(address, "/healthz");
    let card_order = Load::post_each(address, "/rs-services/v2/checkout/cardOrder", orders);

    client_runtime.block_on(async {
        // Warm-up: connections, caches, the SQLite file.
        healthz.run(args.connections, Duration::from_millis(500)).await.context("warm-up")?;
        let token_payment = token_payment_load(address, args.rest_bodies).await.context("token set-up")?;
        let settle = Duration::from_secs(args.settle_seconds);
        let mut rounds = Vec::with_capacity(args.rounds);
        for round in 1..=args.rounds {
            println!("-- round {round}");
            let health = healthz.run(args.connections, duration).await.context("healthz")?;
            print_report("GET /healthz", &health);
            let orders = if args.skip_card_order {
                None
            } else {
                tokio::time::sleep(settle).await;
                let orders = card_order.run(args.connections, duration).await.context("cardOrder")?;
                print_report("POST checkout/cardOrder (durable)", &orders);
                Some(orders)
            };
            tokio::time::sleep(settle).await;
            let payments = token_payment.run(args.connections, duration).await.context("CreatePayment")?;
            print_report("POST Charge/CreatePayment SILENT", &payments);
            let form = if args.skip_form {
                None
            } else {
                tokio::time::sleep(settle).await;
                let first = (round - 1) * args.forms;
                Some(form_window(address, &store, first..first + args.forms, args.connections, duration).await?)
            };
            rounds.push(Round { health, orders, payments, form });
        }
        println!("-- medians over {} rounds", rounds.len());
        let health: Vec<&Report> = rounds.iter().map(|round| &round.health).collect();
        println!("GET /healthz {:>9.0} req/s", median(health.iter().map(|report| report.throughput())));
        if !args.skip_card_order {
            let orders: Vec<(&Report, &Report)> =
                rounds.iter().filter_map(|round| round.orders.as_ref().map(|orders| (orders, &round.health))).collect();
            print_ratio("cardOrder", &orders);
        }
        let payments: Vec<(&Report, &Report)> = rounds.iter().map(|round| (&round.payments, &round.health)).collect();
        print_ratio("CreatePayment", &payments);
        let forms: Vec<(&Report, &Report)> =
            rounds.iter().filter_map(|round| round.form.as_ref().map(|form| (form, &round.health))).collect();
        if !forms.is_empty() {
            print_flow_ratio("Form API", &forms);
        }
        let failed_orders: u64 =
            rounds.iter().filter_map(|round| round.orders.as_ref()).map(|orders| orders.failures).sum();
        let failed_payments: u64 = rounds.iter().map(|round| round.payments.failures).sum();
        anyhow::ensure!(failed_orders == 0, "{failed_orders} cardOrder requests did not answer responseCode 00");
        anyhow::ensure!(failed_payments == 0, "{failed_payments} REST payments did not answer PAID");
        let failed_forms: u64 = rounds.iter().filter_map(|round| round.form.as_ref()).map(|form| form.failures).sum();
        anyhow::ensure!(failed_forms == 0, "{failed_forms} Form API payments did not end on result 00");
        anyhow::Ok(())
    })?;
    Ok(())
}

/// Creates a token through the API (Charge/CreateToken with card data), then builds the
/// zero-click payments that use it.
async fn token_payment_load(address: std::net::SocketAddr, bodies: usize) -> anyhow::Result<Load> {
    let authorization = load::demo_shop_authorization();
    let request = serde_json::json!({
        "orderId": "BENCH-TOKEN",
        "customer": {"email": "bench@example.com"},
        "paymentForms": [{"paymentMethodType": "CARD", "pan": "4970100000000000", "expiryMonth": "12",
                          "expiryYear": "30", "securityCode": "123"}],
    });
    let answer =
        load::post_once(address, "/api-payment/V4/Charge/CreateToken", &authorization, request.to_string()).await?;
    let answer: serde_json::Value = serde_json::from_slice(&answer)?;
    let transaction = &answer["answer"]["transactions"][0];
    let token = transaction["paymentMethodToken"].as_str().context("no token in the CreateToken answer")?;
    let chaining = transaction["transactionDetails"]["cardDetails"]["initialIssuerTransactionIdentifier"]
        .as_str()
        .unwrap_or_default();
    Load::post_cycle(address, CREATE_PAYMENT, load::token_payments(bodies, token, chaining), &authorization)
}

/// One Form API window: signs the forms whose `vads_trans_id` are at `ids` (just before the
/// window: `vads_trans_date` is checked against the clock), pays them, then waits for the
/// notifier to attempt every IPN they wrote, so that the next window starts from a quiet server.
async fn form_window(
    address: std::net::SocketAddr,
    store: &Arc<dyn Store>,
    ids: std::ops::Range<usize>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Report> {
    let forms = forms::signed_forms(ids, chrono::Utc::now());
    let load = Load::form_payments(address, forms, bytes::Bytes::from_static(forms::CARD_FORM));
    let report = load.run(connections, duration).await.context("Form API")?;
    print_flow("Form API: form + hosted page (2 req)", &report);
    let drained = outbox_drained(store).await.context("IPN outbox")?;
    println!("{:<36} {:>9.1} s after the window", "  IPN outbox drained", drained.as_secs_f64());
    Ok(report)
}

/// One round's windows.
struct Round {
    health: Report,
    orders: Option<Report>,
    payments: Report,
    form: Option<Report>,
}

/// How long the notifier takes, after a Form API window, to attempt the last IPN it wrote
/// (claims go oldest first). The shop's rule has no URL: each attempt is recorded as failed,
/// without replay, and its failure e-mail written as a file beside the database.
async fn outbox_drained(store: &Arc<dyn Store>) -> anyhow::Result<Duration> {
    const PATIENCE: Duration = Duration::from_secs(120);
    let shop = ShopId(forms::SHOP.to_owned());
    let start = Instant::now();
    loop {
        let newest = store.notifications(Some(&shop), 1).await?;
        if newest.first().is_none_or(|notification| notification.status != NotificationStatus::Pending) {
            return Ok(start.elapsed());
        }
        anyhow::ensure!(start.elapsed() < PATIENCE, "IPNs still pending {} s after the window", PATIENCE.as_secs());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// A scenario's median rate, p50, p99 and ratio to healthz within each round, with the target
/// every durable scenario shares.
fn print_ratio(name: &str, windows: &[(&Report, &Report)]) {
    let ratio = median(windows.iter().map(|(report, health)| report.throughput() / health.throughput()));
    let throughput = median(windows.iter().map(|(report, _)| report.throughput()));
    let p50 = median(windows.iter().map(|(report, _)| report.p50_ms()));
    let p99 = median(windows.iter().map(|(report, _)| report.p99_ms()));
    let met = ratio >= 0.25 && p99 < 5.0;
    println!(
        "{name:<14} {throughput:>9.0} req/s   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   ratio to healthz {:.1}%  \
         (target ≥ 25% with p99 < 5 ms: {})",
        ratio * 100.0,
        if met { "met" } else { "NOT met" }
    );
}

/// A two-request flow's median payment rate, p50/p99 of the whole flow, and its ratio to
/// healthz per payment and per request (two requests per payment); no target is set for it.
fn print_flow_ratio(name: &str, windows: &[(&Report, &Report)]) {
    let ratio = median(windows.iter().map(|(report, health)| report.throughput() / health.throughput()));
    let throughput = median(windows.iter().map(|(report, _)| report.throughput()));
    let p50 = median(windows.iter().map(|(report, _)| report.p50_ms()));
    let p99 = median(windows.iter().map(|(report, _)| report.p99_ms()));
    println!(
        "{name:<14} {throughput:>9.0} pay/s   p50 {p50:>6.2} ms   p99 {p99:>6.2} ms   ratio to healthz {:.1}% per \
         payment, {:.1}% per request",
        ratio * 100.0,
        ratio * 200.0
    );
}

fn print_flow(name: &str, report: &Report) {
    println!(
        "{name:<36} {:>9.0} pay/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} payments, {} failed)",
        report.throughput(),
        report.p50_ms(),
        report.p99_ms(),
        report.completed,
        report.failures
    );
}

fn print_report(name: &str, report: &Report) {
    println!(
        "{name:<36} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} requests, {} failed)",
        report.throughput(),
        report.p50_ms(),
        report.p99_ms(),
        report.completed,
        report.failures
    );
}

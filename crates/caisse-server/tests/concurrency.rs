//! Cash-management limits under concurrency: 50 partial operations at once on one transaction,
//! spread over two caisse instances sharing one database, never exceed its amount.

mod common;

use common::*;
use serde_json::json;
use std::sync::Arc;

const PARALLEL: usize = 50;

async fn hammer(method: &str, servers: [Arc<TestServer>; 2], amount_each: u64) -> u64 {
    let mut tasks = Vec::new();
    for index in 0..PARALLEL {
        let server = servers[index % 2].clone();
        let method = method.to_owned();
        tasks.push(tokio::spawn(async move { server.operation(&method, "HOT", amount_each).await }));
    }
    let mut accepted = 0;
    for task in tasks {
        let answer = task.await.expect("task");
        match text(&answer, "responseCode") {
            "00" => accepted += amount_each,
            "24" => {}
            other => panic!("unexpected responseCode {other}: {answer:?}"),
        }
    }
    accepted
}

async fn two_instances(backend: Backend) -> [Arc<TestServer>; 2] {
    let first = TestServer::start(backend).await;
    let second = TestServer::start_on(first.database.clone(), first.clock.clone()).await;
    [Arc::new(first), Arc::new(second)]
}

async fn concurrent_refunds(backend: Backend) {
    let servers = two_instances(backend).await;
    let answer = servers[0].card_order("HOT", 1000, "4100000000000000", json!({"captureMode": "IMMEDIATE"})).await;
    assert_eq!(text(&answer, "responseCode"), "00");
    // 50 × 30 = 1500 asked for a 1000 transaction: at most 33 can pass.
    let accepted = hammer("refund", servers.clone(), 30).await;
    assert_eq!(accepted, 990);
    let data = servers[1].transaction_data("HOT").await;
    assert_eq!(text(&data, "transactionStatus"), "CAPTURED");
    let refunded_rest = servers[1].operation("refund", "HOT", 10).await;
    assert_eq!(text(&refunded_rest, "newStatus"), "CREDITED");
}

async fn concurrent_cancels(backend: Backend) {
    let servers = two_instances(backend).await;
    servers[0].card_order("HOT", 1000, "4100000000000000", json!({})).await;
    let accepted = hammer("cancel", servers.clone(), 40).await;
    assert_eq!(accepted, 1000);
    let data = servers[0].transaction_data("HOT").await;
    assert_eq!(text(&data, "transactionStatus"), "CANCELLED");
    assert_eq!(text(&data, "currentAmount"), "0");
}

async fn concurrent_same_reference(backend: Backend) {
    let servers = two_instances(backend).await;
    let mut tasks = Vec::new();
    for index in 0..20 {
        let server = servers[index % 2].clone();
        tasks.push(tokio::spawn(async move { server.card_order("SAME", 100, "4100000000000000", json!({})).await }));
    }
    let mut codes = Vec::new();
    for task in tasks {
        codes.push(text(&task.await.unwrap(), "responseCode").to_owned());
    }
    assert_eq!(codes.iter().filter(|code| *code == "00").count(), 1, "{codes:?}");
    assert!(codes.iter().all(|code| code == "00" || code == "94"), "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_on_postgres_two_instances() {
    concurrent_refunds(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_on_sqlite() {
    concurrent_refunds(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancels_on_postgres_two_instances() {
    concurrent_cancels(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancels_on_sqlite() {
    concurrent_cancels(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_reference_on_postgres_two_instances() {
    concurrent_same_reference(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_reference_on_sqlite() {
    concurrent_same_reference(Backend::Sqlite).await;
}

//! A closed-loop HTTP/1.1 load generator: each connection sends its next request as soon as the
//! previous answer arrived. Requests are built (and sealed) before the clock starts.

use bytes::Bytes;
use caisse_client::OfficeClient;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What an accepted cardOrder answer contains (serde_json writes it without spaces).
const ACCEPTED: &[u8] = b"\"responseCode\":\"00\"";

pub struct Report {
    pub completed: u64,
    pub failures: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
}

impl Report {
    pub fn throughput(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64()
    }

    pub fn p50_ms(&self) -> f64 {
        self.latency_us.value_at_quantile(0.50) as f64 / 1000.0
    }

    pub fn p99_ms(&self) -> f64 {
        self.latency_us.value_at_quantile(0.99) as f64 / 1000.0
    }
}

/// One scenario: either the same GET again and again, or each of a list of POST bodies once.
#[derive(Clone)]
pub struct Load {
    address: SocketAddr,
    path: &'static str,
    bodies: Option<Arc<Vec<Bytes>>>,
    next_body: Arc<AtomicUsize>,
}

impl Load {
    pub fn get(address: SocketAddr, path: &'static str) -> Load {
        Load { address, path, bodies: None, next_body: Arc::new(AtomicUsize::new(0)) }
    }

    pub fn post_each(address: SocketAddr, path: &'static str, bodies: Vec<Bytes>) -> Load {
        Load { address, path, bodies: Some(Arc::new(bodies)), next_body: Arc::new(AtomicUsize::new(0)) }
    }

    pub async fn run(&self, connections: usize, duration: Duration) -> anyhow::Result<Report> {
        let start = Instant::now();
        let deadline = start + duration;
        let mut tasks = Vec::with_capacity(connections);
        for _ in 0..connections {
            let load = self.clone();
            tasks.push(tokio::spawn(async move { load.connection(deadline).await }));
        }
        let mut report = Report { completed: 0, failures: 0, elapsed: Duration::ZERO, latency_us: Histogram::new(3)? };
        for task in tasks {
            let (completed, failures, histogram) = task.await??;
            report.completed += completed;
            report.failures += failures;
            report.latency_us.add(histogram)?;
        }
        report.elapsed = start.elapsed();
        Ok(report)
    }

    async fn connection(self, deadline: Instant) -> anyhow::Result<(u64, u64, Histogram<u64>)> {
        let stream = tokio::net::TcpStream::connect(self.address).await?;
        stream.set_nodelay(true)?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let mut histogram = Histogram::<u64>::new(3)?;
        let (mut completed, mut failures) = (0u64, 0u64);
        while Instant::now() < deadline {
            let request = match &self.bodies {
                None => Request::get(self.path).header("host", "bench").body(Full::new(Bytes::new()))?,
                Some(bodies) => {
                    let index = self.next_body.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(index) else {
                        anyhow::bail!("ran out of pre-sealed requests: raise --requests");
                    };
                    Request::post(self.path)
                        .header("host", "bench")
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))?
                }
            };
            let sent = Instant::now();
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let ok = response.status().is_success();
            let body = response.into_body().collect().await?.to_bytes();
            histogram.record(sent.elapsed().as_micros() as u64)?;
            completed += 1;
            if !ok || (self.bodies.is_some() && !body.windows(ACCEPTED.len()).any(|window| window == ACCEPTED)) {
                failures += 1;
            }
        }
        Ok((completed, failures, histogram))
    }
}

/// `count` distinct cardOrder requests for the guide's test shop, sealed by the merchant's client.
pub fn sealed_card_orders(count: usize) -> Vec<Bytes> {
    let client = OfficeClient::new("http://unused", "011223344550000", 1, "secret123");
    (0..count)
        .map(|index| {
            let fields = json!({
                "amount": (100 + index % 9000).to_string(),
                "currencyCode": "978",
                "cardNumber": "4100000000000000",
                "cardExpiryDate": "203012",
                "cardCSCValue": "123",
                "captureMode": "AUTHOR_CAPTURE",
                "captureDay": "0",
                "orderChannel": "INTERNET",
                "orderId": format!("ORDER{index}"),
                "transactionReference": format!("BENCH{index}"),
            });
            let Value::Object(fields) = fields else { unreachable!("a JSON object literal") };
            Bytes::from(Value::Object(client.sealed_body("checkout", fields)).to_string())
        })
        .collect()
}

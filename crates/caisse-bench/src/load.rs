//! A closed-loop HTTP/1.1 load generator: each connection sends its next request as soon as the
//! previous answer arrived. Requests are built (and sealed) before the clock starts. A Form API
//! payment is two requests on the same connection, measured as one operation: the form, then
//! the card posted on the hosted page it redirects to.

use bytes::Bytes;
use caisse_client::OfficeClient;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What an accepted cardOrder answer contains (serde_json writes it without spaces).
pub const CARD_ORDER_ACCEPTED: &[u8] = b"\"responseCode\":\"00\"";
/// What an accepted REST V4 payment contains.
pub const REST_PAID: &[u8] = b"\"orderStatus\":\"PAID\"";
/// What the hosted page's result page of an accepted payment contains.
pub const FORM_PAID: &[u8] = b"data-result=\"00\"";
const JSON: &str = "application/json";
const URLENCODED: &str = "application/x-www-form-urlencoded";

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

/// One scenario: either the same GET again and again, or a list of POST bodies, each used
/// once (or in turn, when `cycle`: requests that may repeat, such as REST V4 payments).
#[derive(Clone)]
pub struct Load {
    address: SocketAddr,
    path: &'static str,
    bodies: Option<Arc<Vec<Bytes>>>,
    next_body: Arc<AtomicUsize>,
    cycle: bool,
    authorization: Option<HeaderValue>,
    content_type: &'static str,
    /// Form API: each answer is a 303 to a hosted page, where this card form is posted next.
    hosted_card: Option<Bytes>,
    accepted: &'static [u8],
}

impl Load {
    pub fn get(address: SocketAddr, path: &'static str) -> Load {
        Load {
            address,
            path,
            bodies: None,
            next_body: Arc::new(AtomicUsize::new(0)),
            cycle: false,
            authorization: None,
            content_type: JSON,
            hosted_card: None,
            accepted: b"",
        }
    }

    pub fn post_each(address: SocketAddr, path: &'static str, bodies: Vec<Bytes>) -> Load {
        Load { bodies: Some(Arc::new(bodies)), accepted: CARD_ORDER_ACCEPTED, ..Load::get(address, path) }
    }

    /// REST V4 calls with HTTP Basic authentication, the bodies used in turn.
    pub fn post_cycle(
        address: SocketAddr,
        path: &'static str,
        bodies: Vec<Bytes>,
        authorization: &str,
    ) -> anyhow::Result<Load> {
        Ok(Load {
            bodies: Some(Arc::new(bodies)),
            cycle: true,
            authorization: Some(HeaderValue::from_str(authorization)?),
            accepted: REST_PAID,
            ..Load::get(address, path)
        })
    }

    /// Form API payments: each form used once, then `card` posted on its hosted page.
    pub fn form_payments(address: SocketAddr, forms: Vec<Bytes>, card: Bytes) -> Load {
        Load {
            bodies: Some(Arc::new(forms)),
            content_type: URLENCODED,
            hosted_card: Some(card),
            accepted: FORM_PAID,
            ..Load::get(address, "/vads-payment/")
        }
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
                    let mut index = self.next_body.fetch_add(1, Ordering::Relaxed);
                    if self.cycle {
                        index %= bodies.len();
                    }
                    let Some(body) = bodies.get(index) else {
                        anyhow::bail!("ran out of pre-sealed requests: raise --requests");
                    };
                    let mut request =
                        Request::post(self.path).header("host", "bench").header(CONTENT_TYPE, self.content_type);
                    if let Some(authorization) = &self.authorization {
                        request = request.header(AUTHORIZATION, authorization.clone());
                    }
                    request.body(Full::new(body.clone()))?
                }
            };
            let sent = Instant::now();
            let (status, location, body) = exchange(&mut sender, request).await?;
            let accepted = match &self.hosted_card {
                None => status.is_success() && (self.bodies.is_none() || contains(&body, self.accepted)),
                Some(card) => match location {
                    Some(page) if status == StatusCode::SEE_OTHER => {
                        let request = Request::post(page)
                            .header("host", "bench")
                            .header(CONTENT_TYPE, URLENCODED)
                            .body(Full::new(card.clone()))?;
                        let (status, _, body) = exchange(&mut sender, request).await?;
                        status.is_success() && contains(&body, self.accepted)
                    }
                    // Refused forms answer 200 with the error page: no second request.
                    _ => false,
                },
            };
            histogram.record(sent.elapsed().as_micros() as u64)?;
            completed += 1;
            if !accepted {
                failures += 1;
            }
        }
        Ok((completed, failures, histogram))
    }
}

/// Sends `request` once the connection is free and reads the whole answer: its status, its
/// `Location` and its body.
async fn exchange(
    sender: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> anyhow::Result<(StatusCode, Option<String>, Bytes)> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let location = response.headers().get(LOCATION).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, location, body))
}

fn contains(body: &[u8], wanted: &[u8]) -> bool {
    body.windows(wanted.len()).any(|window| window == wanted)
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

/// One POST on a fresh connection; the answer's body. For set-up steps, not for measuring.
pub async fn post_once(address: SocketAddr, path: &str, authorization: &str, body: String) -> anyhow::Result<Bytes> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::post(path)
        .header("host", "bench")
        .header("content-type", "application/json")
        .header(AUTHORIZATION, authorization)
        .body(Full::new(Bytes::from(body)))?;
    let response = sender.send_request(request).await?;
    anyhow::ensure!(response.status().is_success(), "{path}: HTTP {}", response.status());
    Ok(response.into_body().collect().await?.to_bytes())
}

/// The demo shop's REST V4 credentials (PROTOCOLS.md §2), as an Authorization header.
pub fn demo_shop_authorization() -> String {
    // base64("69876357:testpassword_DEMOPRIVATEKEY23G4475zXZQ2UA5x7M"), the documented vector.
    "Basic Njk4NzYzNTc6dGVzdHBhc3N3b3JkX0RFTU9QUklWQVRFS0VZMjNHNDQ3NXpYWlEyVUE1eDdN".to_owned()
}

/// `count` distinct zero-click payments (SILENT, by `token`), used in turn.
pub fn token_payments(count: usize, token: &str, chaining: &str) -> Vec<Bytes> {
    (0..count)
        .map(|index| {
            let body = json!({
                "amount": 100 + index % 9000,
                "currency": "EUR",
                "orderId": format!("ZC{index}"),
                "formAction": "SILENT",
                "paymentMethodToken": token,
                "transactionOptions": {"cardOptions": {"initialIssuerTransactionIdentifier": chaining}},
            });
            Bytes::from(body.to_string())
        })
        .collect()
}

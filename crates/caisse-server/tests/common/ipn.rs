//! A shop's IPN endpoint on 127.0.0.1: answers 200 to a POST on any path and keeps each one's
//! path and form fields, in the order they came.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type Fields = Vec<(String, String)>;

#[derive(Clone)]
pub struct IpnEndpoint {
    address: SocketAddr,
    received: Arc<Mutex<Vec<(String, Fields)>>>,
}

impl IpnEndpoint {
    pub async fn start() -> IpnEndpoint {
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/{path}",
            axum::routing::post(move |axum::extract::Path(path): axum::extract::Path<String>, body: String| {
                let kept = Arc::clone(&kept);
                async move {
                    let fields = form_urlencoded::parse(body.as_bytes())
                        .map(|(name, value)| (name.into_owned(), value.into_owned()))
                        .collect();
                    kept.lock().unwrap().push((path, fields));
                    "OK"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        IpnEndpoint { address, received }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.address)
    }

    /// Every IPN received so far: its path and fields.
    pub fn received(&self) -> Vec<(String, Fields)> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (20 s at most) for the first IPN whose fields `matches` accepts.
    pub async fn wait_for(&self, matches: impl Fn(&Fields) -> bool) -> (String, Fields) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(found) = self.received().into_iter().find(|(_, fields)| matches(fields)) {
                return found;
            }
            assert!(Instant::now() < deadline, "the IPN did not come: {:?}", self.received());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

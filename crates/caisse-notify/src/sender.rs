//! One IPN call: the signed fields as an `application/x-www-form-urlencoded` POST. Only the
//! status counts; the answer's body is not read beyond what closing the connection needs,
//! and nothing of the request's body is ever logged.

use caisse_core::notification::AttemptOutcome;
use std::time::Duration;

/// How the e-mail and the logs word an attempt that got no HTTP status.
pub const TIMEOUT: &str = "timeout";
pub const CONNECTION_REFUSED: &str = "connection refused";
pub const CONNECTION_FAILED: &str = "connection failed";
pub const REQUEST_FAILED: &str = "request failed";

/// The client every attempt shares. Redirections are not followed: the platform counts 301,
/// 302, 303, 307 and 308 as delivered, and following one would lose the POST data anyway.
pub fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("caisse/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The body as it goes on the wire, fields in their order.
pub fn encode(body: &[(String, String)]) -> String {
    let mut encoder = form_urlencoded::Serializer::new(String::new());
    for (name, value) in body {
        encoder.append_pair(name, value);
    }
    encoder.finish()
}

pub async fn post(client: &reqwest::Client, url: &str, body: &[(String, String)]) -> AttemptOutcome {
    if url.is_empty() {
        return AttemptOutcome::NoUrl;
    }
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded; charset=UTF-8")
        .body(encode(body))
        .send()
        .await;
    match sent {
        Ok(response) => AttemptOutcome::Http(response.status().as_u16()),
        Err(error) => AttemptOutcome::Error(describe(&error)),
    }
}

/// A word for what went wrong, never the URL's query or the body.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return TIMEOUT.into();
    }
    if error.is_connect() {
        let refused = std::error::Error::source(error)
            .and_then(|source| {
                let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source);
                while let Some(current) = cause {
                    if let Some(io) = current.downcast_ref::<std::io::Error>() {
                        return Some(io.kind() == std::io::ErrorKind::ConnectionRefused);
                    }
                    cause = current.source();
                }
                None
            })
            .unwrap_or(false);
        return if refused { CONNECTION_REFUSED.into() } else { CONNECTION_FAILED.into() };
    }
    if error.is_builder() {
        return "invalid URL".into();
    }
    REQUEST_FAILED.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_in_order() {
        let body = vec![
            ("vads_order_info".to_owned(), "D. & Cie + é".to_owned()),
            ("vads_amount".to_owned(), "1524".to_owned()),
            ("signature".to_owned(), "ab+/c=".to_owned()),
        ];
        assert_eq!(encode(&body), "vads_order_info=D.+%26+Cie+%2B+%C3%A9&vads_amount=1524&signature=ab%2B%2Fc%3D");
    }

    #[tokio::test]
    async fn refused_connection_and_no_url() {
        let client = client(Duration::from_secs(2)).unwrap();
        // A port nobody listens on: bind one, then close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let outcome = post(&client, &format!("http://127.0.0.1:{port}/ipn"), &[]).await;
        assert_eq!(outcome, AttemptOutcome::Error(CONNECTION_REFUSED.into()));
        assert_eq!(post(&client, "", &[]).await, AttemptOutcome::NoUrl);
        assert_eq!(post(&client, "not a url", &[]).await, AttemptOutcome::Error("invalid URL".into()));
    }
}

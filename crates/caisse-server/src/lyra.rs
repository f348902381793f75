//! Sogecommerce REST API V4 transport: `POST /api-payment/V4/<Group>/<Service>`. This module
//! owns only what HTTP decides (body size, the Authorization header, the public base URL,
//! status codes); `caisse-lyra` does the rest and answers every outcome in its own format.

use crate::state::AppState;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caisse_lyra::{MAX_BODY_BYTES, RestReply};

pub fn router() -> Router<AppState> {
    Router::new().route("/api-payment/V4/{*service}", post(rest_v4))
}

/// Any Content-Type is read as JSON (clients send `application/json`, with or without a
/// charset, and some none at all): a body that is not JSON is answered INT_902 either way.
async fn rest_v4(
    State(state): State<AppState>,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    let server_url = public_base_url(state.public_url.as_deref(), &headers);
    let reply = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => state.rest.call(&service, authorization, &bytes, &server_url).await,
        Err(_) => state.rest.too_large(&service, authorization, &server_url).await,
    };
    json(reply)
}

fn json(reply: RestReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json;charset=UTF-8")], reply.body).into_response()
}

/// `CAISSE_PUBLIC_URL` when set, else the scheme and Host of the request (PROTOCOLS.md §4):
/// `X-Forwarded-Proto` names the scheme behind a TLS-terminating proxy.
pub fn public_base_url(configured: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = configured {
        return url.trim_end_matches('/').to_owned();
    }
    let text = |name| headers.get(name).and_then(|value: &header::HeaderValue| value.to_str().ok());
    let scheme = match text("x-forwarded-proto").map(str::trim) {
        Some("https") => "https",
        _ => "http",
    };
    let host = text(header::HOST.as_str())
        .filter(|host| !host.is_empty() && host.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn base_url_from_setting_or_host() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("pay.example:8080"));
        assert_eq!(public_base_url(Some("https://caisse.example/"), &headers), "https://caisse.example");
        assert_eq!(public_base_url(None, &headers), "http://pay.example:8080");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(public_base_url(None, &headers), "https://pay.example:8080");
        assert_eq!(public_base_url(None, &HeaderMap::new()), "http://localhost");
    }
}

//! Office Serveur SOAP transport: `POST /services/v2/<family>` (SOAP 1.1) and its WSDL at
//! `GET /services/v2/<family>?wsdl`. This module owns only what HTTP decides (body size,
//! status codes, the public base URL of the WSDL's address); `caisse-sips` does the rest.
//!
//! Any Content-Type is read: SOAP 1.1 clients send `text/xml`, a few none; what is not a
//! SOAP 1.1 envelope gets a SOAP fault either way.

use crate::lyra::public_base_url;
use crate::sips::MAX_BODY_BYTES;
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caisse_sips::SoapReply;
use caisse_sips::soap::{self, CONTENT_TYPE};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/services/v2/{family}", post(office_soap).get(office_wsdl))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn office_soap(
    State(state): State<AppState>,
    Path(family): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let base_url = public_base_url(state.public_url.as_deref(), &headers);
    match state.office.soap(&family, &body, Some(&base_url)).await {
        SoapReply::Answer(xml) => (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], xml).into_response(),
        // SOAP 1.1 §6.2: a fault travels with HTTP 500.
        SoapReply::Fault(xml) => {
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, CONTENT_TYPE)], xml).into_response()
        }
        SoapReply::UnknownFamily => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The WSDL when the query names `wsdl` (any case, with or without a value, as CXF reads it);
/// a GET without it is not a SOAP call: 405, POST only.
async fn office_wsdl(
    State(state): State<AppState>,
    Path(family): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let base_url = public_base_url(state.public_url.as_deref(), &headers);
    let Some(wsdl) = soap::wsdl(&family, &base_url) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !asks_for_wsdl(query.as_deref()) {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], wsdl).into_response()
}

fn asks_for_wsdl(query: Option<&str>) -> bool {
    query.is_some_and(|query| {
        query.split('&').any(|pair| pair.split('=').next().is_some_and(|key| key.eq_ignore_ascii_case("wsdl")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsdl_query() {
        for yes in ["wsdl", "WSDL", "wsdl=", "a=1&wsdl"] {
            assert!(asks_for_wsdl(Some(yes)), "{yes}");
        }
        for no in ["", "wsdl2", "xsd=1", "a=wsdl"] {
            assert!(!asks_for_wsdl(Some(no)), "{no}");
        }
        assert!(!asks_for_wsdl(None));
    }
}

//! Office Serveur JSON transport: `POST /rs-services/v2/<family>/<method>`. This module owns
//! only what HTTP decides (content type, body size, status codes); `caisse-sips` does the rest.

use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use caisse_sips::{OfficeReply, UNSUPPORTED_MEDIA_TYPE_HTML};

/// Largest request body accepted; the biggest legitimate Office request (a cart with many
/// items) stays far below.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rs-services/v2/{family}/{method}", post(office_json))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

async fn office_json(
    State(state): State<AppState>,
    Path((family, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            [(header::CONTENT_TYPE, "text/html; charset=iso-8859-1")],
            UNSUPPORTED_MEDIA_TYPE_HTML,
        )
            .into_response();
    }
    let public_url = crate::lyra::public_base_url(state.public_url.as_deref(), &headers);
    match state.office.json_at(&family, &method, &body, Some(&public_url)).await {
        OfficeReply::Answer(json) => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], json).into_response()
        }
        OfficeReply::UnknownMethod => StatusCode::NOT_FOUND.into_response(),
        OfficeReply::BadRequest(json) => {
            (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "application/json")], json).into_response()
        }
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media_type| media_type.trim().eq_ignore_ascii_case("application/json"))
}

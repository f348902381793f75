//! The entry point: one call is Authorization → web service → request → core → answer, in
//! the V4 envelope (PROTOCOLS.md §2, research §1.3). Every failure becomes an error answer;
//! nothing here panics on input.

use crate::auth::{self, Check, CredentialCache};
use crate::error::{ErrorCode, WsError};
use crate::fields::Fields;
use crate::json::{Json, Object, to_text};
use crate::objects::date_time;
use crate::registry;
use crate::services::{self, Context};
use caisse_core::payments::Payments;
use caisse_core::{Mode, ShopId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use tracing::Instrument;

/// `applicationVersion`: caisse's own version (the platform's is e.g. "6.25.0"; no client
/// reads it).
pub const APPLICATION_VERSION: &str = env!("CARGO_PKG_VERSION");
/// `applicationProvider` of Sogecommerce (PROTOCOLS.md §2).
pub const APPLICATION_PROVIDER: &str = "SOGECOMMERCE";
/// Largest request body the server reads; a bigger one is answered INT_914.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Longest `webService` echoed back from the path.
const WEB_SERVICE_CHARS_MAX: usize = 128;

/// HTTP status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestReply {
    pub status: u16,
    pub body: String,
}

pub struct RestApi {
    payments: Payments,
    credentials: CredentialCache,
}

/// The request's body as the server could read it.
enum Body<'a> {
    Bytes(&'a [u8]),
    TooLarge,
}

/// Who called, once authenticated.
struct Caller {
    shop_id: ShopId,
    mode: Mode,
}

impl RestApi {
    pub fn new(payments: Payments) -> RestApi {
        RestApi { payments, credentials: CredentialCache::new() }
    }

    /// `POST /api-payment/V4/<path>`: `path` is `Charge/CreatePayment`, `authorization` the
    /// raw header, `server_url` caisse's public base URL (echoed as `serverUrl`).
    pub async fn call(&self, path: &str, authorization: Option<&str>, body: &[u8], server_url: &str) -> RestReply {
        self.answer(path, authorization, Body::Bytes(body), server_url).await
    }

    /// A body over [`MAX_BODY_BYTES`]: authenticated like any call, then INT_914.
    pub async fn too_large(&self, path: &str, authorization: Option<&str>, server_url: &str) -> RestReply {
        self.answer(path, authorization, Body::TooLarge, server_url).await
    }

    async fn answer(&self, path: &str, authorization: Option<&str>, body: Body<'_>, server_url: &str) -> RestReply {
        let web_service: String = path.trim_start_matches('/').chars().take(WEB_SERVICE_CHARS_MAX).collect();
        let span = tracing::info_span!(
            "lyra",
            web_service = %web_service,
            shop_id = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        async {
            let now = self.payments.clock().now();
            let envelope = Envelope { web_service: &web_service, now, server_url };
            let Some((shop_id, password)) = auth::parse_basic(authorization) else {
                return envelope.refused(None);
            };
            tracing::Span::current().record("shop_id", shop_id.as_str());
            let mode = match self.credentials.check(self.payments.store().as_ref(), &shop_id, &password).await {
                Check::Authenticated(mode) => mode,
                Check::Refused => return envelope.refused(Some(&password)),
                Check::Unavailable => {
                    let error = WsError::new(ErrorCode::Psp999);
                    return envelope.error(&error, None, guessed_mode(Some(&password)));
                }
            };
            let caller = Caller { shop_id, mode };
            let outcome = self.serve(&web_service, &caller, body, now).await;
            let shown = match &outcome {
                Ok(_) => "SUCCESS",
                Err(error) => error.code.as_str(),
            };
            tracing::Span::current().record("outcome", shown);
            tracing::info!("answered");
            match outcome {
                Ok(answer) => envelope.success(answer, caller.mode),
                Err(error) => envelope.error(&error, Some(caller.shop_id.as_str()), caller.mode),
            }
        }
        .instrument(span)
        .await
    }

    async fn serve(&self, path: &str, caller: &Caller, body: Body<'_>, now: DateTime<Utc>) -> Result<Object, WsError> {
        let service = registry::lookup(path)
            .ok_or_else(|| WsError::detailed(ErrorCode::Int901, format!("no web-service found at V4/{path}")))?;
        let bytes = match body {
            Body::Bytes(bytes) => bytes,
            Body::TooLarge => {
                return Err(WsError::detailed(
                    ErrorCode::Int914,
                    format!("the request is larger than {MAX_BODY_BYTES} bytes"),
                ));
            }
        };
        let request = match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(request)) => request,
            Ok(_) => return Err(WsError::detailed(ErrorCode::Int902, "can't decode JSON data : not a JSON object")),
            // serde_json names a line and a column, never the content (which may hold a PAN).
            Err(error) => {
                return Err(WsError::detailed(
                    ErrorCode::Int902,
                    format!("can't decode JSON data : line: {} column: {}", error.line(), error.column()),
                ));
            }
        };
        let context = Context { payments: &self.payments, shop_id: &caller.shop_id, mode: caller.mode, now };
        services::run(service, &context, &Fields::new(&request)).await
    }
}

/// The mode an unauthenticated answer shows: what the password's prefix claims.
fn guessed_mode(password: Option<&str>) -> Mode {
    match password {
        Some(password) if password.starts_with("prodpassword_") => Mode::Production,
        _ => Mode::Test,
    }
}

/// `V4/WebService/Response` around an answer.
struct Envelope<'a> {
    web_service: &'a str,
    now: DateTime<Utc>,
    server_url: &'a str,
}

impl Envelope<'_> {
    fn success(&self, answer: Object, mode: Mode) -> RestReply {
        RestReply { status: 200, body: self.text("SUCCESS", answer, mode) }
    }

    fn error(&self, error: &WsError, shop_id: Option<&str>, mode: Mode) -> RestReply {
        RestReply { status: 200, body: self.text("ERROR", error.answer(shop_id), mode) }
    }

    /// Missing, malformed or wrong credentials: HTTP 401 with INT_905 (PROTOCOLS.md §2).
    fn refused(&self, password: Option<&str>) -> RestReply {
        let answer = WsError::new(ErrorCode::Int905).answer(None);
        RestReply { status: 401, body: self.text("ERROR", answer, guessed_mode(password)) }
    }

    fn text(&self, status: &'static str, answer: Object, mode: Mode) -> String {
        let envelope = Object::new()
            .with("webService", self.web_service.to_owned())
            .with("version", "V4")
            .with("applicationVersion", APPLICATION_VERSION)
            .with("status", status)
            .with("answer", Json::Object(answer))
            .with("ticket", uuid::Uuid::new_v4().simple().to_string())
            .with("serverDate", date_time(self.now))
            .with("applicationProvider", APPLICATION_PROVIDER)
            .with("metadata", Json::Null)
            .with("mode", mode.as_str())
            .with("serverUrl", self.server_url.to_owned())
            .typed("V4/WebService/Response");
        to_text(&envelope)
    }
}

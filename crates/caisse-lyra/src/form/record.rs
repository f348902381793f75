//! What the hosted page keeps of a session's origin: the `request` of a payment session, opaque
//! to the core. A Form API post keeps its pairs; a REST `formToken` keeps pairs made from its
//! request (they show the same page) and where its `kr-*` answer goes.

use super::post::FormPost;
use super::request::PaymentRequest;
use crate::embedded::KrReturnUrls;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// The Form API pairs as posted.
    pub pairs: Vec<(String, String)>,
    /// Set for a REST `formToken`: the result goes back as `kr-answer`, not as `vads_` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest: Option<RestOrigin>,
}

/// A session opened by a REST `formToken`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestOrigin {
    pub form_token: String,
    pub urls: KrReturnUrls,
    /// The request's `ipnTargetUrl`, which overrides the shop's notification URL.
    pub ipn_target_url: Option<String>,
}

impl SessionRecord {
    pub fn to_json(&self) -> String {
        // Strings and options only: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(record: &str) -> Option<SessionRecord> {
        serde_json::from_str(record).ok()
    }

    /// The pairs parsed again with the session's creation instant, so that the
    /// `vads_trans_date` window is the one that accepted them.
    pub fn request(&self, created_at: DateTime<Utc>) -> Option<PaymentRequest> {
        PaymentRequest::parse(&FormPost::from_pairs(self.pairs.clone()), created_at).ok()
    }
}

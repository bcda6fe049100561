//! `POST /v1/hooks/sms/twilio`: Twilio's incoming-message webhook, for STOP and START.
//! Configure the Twilio number's "A message comes in" webhook (HTTP POST) with this
//! URL. The request is verified with `X-Twilio-Signature` over the URL Twilio requested
//! (what the Worker sees) and the form parameters, keyed with `TWILIO_AUTH_TOKEN`, and
//! must name our `AccountSid`; anything else is a 401 and changes nothing.
//!
//! STOP (and Twilio's other opt-out words) records the number's hash in
//! `sms_optouts` and stops its signups' texts (`sms_stopped_at`) in every database: one
//! sender serves every shop, and Twilio blocks the number for all of them. START (or
//! UNSTOP, YES) lifts both. Every other message is ignored. The answer is always the
//! empty TwiML, so Twilio sends its own confirmation and we never send a second one.

use restock_shared::phone::Phone;
use serde_json::json;
use worker::{Request, Response};

use super::inbound::{SIGNATURE_HEADER, TWIML_CONTENT_TYPE};
use super::{TWIML_EMPTY, opt_out, parse_form, twilio_signature_valid};
use crate::config::SmsConfig;
use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http;

pub async fn receive(ctx: &Ctx, req: &mut Request) -> Result<Response, ApiError> {
    // Unsigned is unauthorized whatever the configuration.
    if req.headers().get(SIGNATURE_HEADER).ok().flatten().is_none_or(|s| s.is_empty()) {
        return Err(ApiError::Unauthorized);
    }
    let SmsConfig::Twilio { account_sid: Some(sid), auth_token: Some(token), .. } = &ctx.config.sms else {
        return Err(ApiError::not_found(
            "webhook_not_configured",
            "set SMS_PROVIDER to twilio, with TWILIO_ACCOUNT_SID and the TWILIO_AUTH_TOKEN secret",
        ));
    };
    let url = req.url().map_err(|_| ApiError::bad_request("invalid_url", "the request URL could not be parsed"))?;
    let signature = req.headers().get(SIGNATURE_HEADER).ok().flatten().unwrap_or_default();
    let raw = http::read_body(req, "application/x-www-form-urlencoded").await?;
    let body = String::from_utf8(raw).map_err(|_| ApiError::bad_request("invalid_body", "not UTF-8"))?;
    let params = parse_form(&body);
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if !twilio_signature_valid(token.expose(), url.as_str(), &params, &signature) || param("AccountSid") != Some(sid) {
        return Err(ApiError::Unauthorized);
    }
    let twiml = || http::respond(200, &[("content-type", TWIML_CONTENT_TYPE)], TWIML_EMPTY.as_bytes().to_vec());
    // A short code or an alphanumeric sender is nobody we text.
    let (Some(word), Some(Ok(phone))) = (param("Body").and_then(opt_out), param("From").map(Phone::parse)) else {
        return Ok(twiml());
    };
    super::record(ctx, &phone, word).await?;
    // The number is not logged: only what happened.
    let what = json!({ "sms_opt_out": matches!(word, super::OptOut::Stop) });
    worker::console_log!("twilio inbound: {what}");
    Ok(twiml())
}

//! Request decoding as the Worker does it (`http::parse_json`, then the same
//! conversion into validated types) on arbitrary bytes, for every JSON body the API
//! takes: never a panic, and every refusal has a stable error code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::error::ApiError;
use restock_edge::http::parse_json;
use restock_edge::shops::settings::SettingsPatch;
use restock_edge::stock::orders::{OrderRequest, ReportedOrder};
use restock_edge::stock::products::{ProductInput, ProductRequest};
use restock_edge::stock::purchase_orders::{PurchaseOrderRequest, po_input};
use restock_edge::stock::receive::{Receive, ReceiveRequest};
use restock_shared::Date;
use restock_shared::wire::{BackorderOrder, BackorderRequest, WaitlistRequest, WaitlistSignup};

fn code_of(e: ApiError) {
    let code = e.code();
    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
    assert!(e.status() >= 400 && e.status() < 500, "input errors are 4xx: {}", e.status());
}

fuzz_target!(|data: &[u8]| {
    match parse_json::<WaitlistRequest>(data).map(WaitlistSignup::try_from) {
        Ok(Ok(s)) => assert!(s.consent_text.len() <= WaitlistSignup::CONSENT_MAX * 4),
        Ok(Err(e)) => code_of(e.into()),
        Err(e) => code_of(e),
    }
    match parse_json::<BackorderRequest>(data).map(BackorderOrder::try_from) {
        Ok(Ok(o)) => assert!(o.quantity.get() >= 1),
        Ok(Err(e)) => code_of(e.into()),
        Err(e) => code_of(e),
    }
    let today = Date::parse("2026-11-23").ok();
    match (parse_json::<ProductRequest>(data), today) {
        (Ok(r), Some(today)) => {
            let current = r.past_release(today);
            if let Err(e) = ProductInput::parse(r, today, current) {
                code_of(e);
            }
        }
        (Err(e), _) => code_of(e),
        _ => {}
    }
    match parse_json::<SettingsPatch>(data) {
        Ok(patch) => {
            if let Err(e) = patch.validate(None, "whsec_fuzz") {
                code_of(e);
            }
        }
        Err(e) => code_of(e),
    }
    match (parse_json::<PurchaseOrderRequest>(data), today) {
        (Ok(r), Some(today)) => {
            if let Err(e) = po_input(today, r) {
                code_of(e);
            }
        }
        (Err(e), _) => code_of(e),
        _ => {}
    }
    match parse_json::<ReceiveRequest>(data).map(Receive::try_from) {
        Ok(Ok(r)) => assert!(r.quantity.is_some() || r.purchase_order_id.is_some()),
        Ok(Err(e)) | Err(e) => code_of(e),
    }
    match parse_json::<OrderRequest>(data).map(ReportedOrder::try_from) {
        Ok(Ok(o)) => assert!(o.quantity.get() >= 1 && !o.reference.is_empty()),
        Ok(Err(e)) | Err(e) => code_of(e),
    }
});

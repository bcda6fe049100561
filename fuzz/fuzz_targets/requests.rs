//! Request decoding as the Worker does it (`http::parse_json`, then the same
//! conversion into validated types) on arbitrary bytes, for every JSON body the API
//! takes: never a panic, and every refusal has a stable error code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use restock_edge::admin::desk::{MoveRequest, NoteRequest, Query};
use restock_edge::error::ApiError;
use restock_edge::http::parse_json;
use restock_edge::notify::copy::{CopyRequest, EmailKind, INTRO_MAX, SUBJECT_MAX, fill, template};
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
            if let Err(e) = patch.validate() {
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
    // Editable emails (issue 18): a template that passes has only its kind's
    // placeholders, so filling them leaves no brace behind.
    match parse_json::<CopyRequest>(data) {
        Ok(r) => {
            for kind in EmailKind::ALL {
                for (field, text, max) in [("subject", &r.subject, SUBJECT_MAX), ("intro", &r.intro, INTRO_MAX)] {
                    let Some(text) = text else { continue };
                    match template(field, text, kind, max) {
                        Ok(t) => {
                            let vars: Vec<(&str, &str)> = kind.placeholders().iter().map(|p| (*p, "v")).collect();
                            let filled = fill(&t, &vars, false);
                            assert!(!filled.contains('{') && !filled.contains('}'), "{t:?} -> {filled:?}");
                        }
                        Err(e) => code_of(e),
                    }
                }
            }
        }
        Err(e) => code_of(e),
    }
    for e in [parse_json::<MoveRequest>(data).err(), parse_json::<NoteRequest>(data).err()].into_iter().flatten() {
        code_of(e);
    }
    if let Ok(q) = std::str::from_utf8(data)
        && let Err(e) = Query::parse(Some(q))
    {
        code_of(e);
    }
});

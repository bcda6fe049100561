//! Talking to the Restock API with `fetch`. There is no JSON parser in the wasm: the
//! browser parses, `decode` reads the JS objects.

use restock_shared::wire::{AvailabilityView, WidgetSettings};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Why a request produced no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// Network failure, timeout, 5xx, or an answer we could not read: retry later.
    Unavailable,
    /// 404: the shop does not exist.
    NotFound,
}

fn window() -> Result<web_sys::Window, FetchError> {
    web_sys::window().ok_or(FetchError::Unavailable)
}

/// `GET {api}/v1/shops/{shop}/availability?skus=...`.
pub async fn fetch_batch(
    api: &str,
    shop: &str,
    skus: &[String],
) -> Result<(WidgetSettings, Vec<AvailabilityView>), FetchError> {
    let mut url = String::with_capacity(api.len() + 64);
    url.push_str(api);
    url.push_str("/v1/shops/");
    url.push_str(&String::from(js_sys::encode_uri_component(shop)));
    url.push_str("/availability?skus=");
    for (i, sku) in skus.iter().enumerate() {
        if i > 0 {
            url.push(',');
        }
        url.push_str(&String::from(js_sys::encode_uri_component(sku)));
    }
    let promise = window()?.fetch_with_str(&url);
    let resp: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(|_| FetchError::Unavailable)?
        .dyn_into()
        .map_err(|_| FetchError::Unavailable)?;
    match resp.status() {
        200 => {}
        404 => return Err(FetchError::NotFound),
        _ => return Err(FetchError::Unavailable),
    }
    let json =
        JsFuture::from(resp.json().map_err(|_| FetchError::Unavailable)?).await.map_err(|_| FetchError::Unavailable)?;
    crate::decode::batch(&json).ok_or(FetchError::Unavailable)
}

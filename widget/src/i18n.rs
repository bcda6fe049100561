//! The widget's texts in each language Restock speaks (`Lang`), and number/date
//! formatting that avoids `core::fmt` (the widget's bytes are a feature).

use restock_shared::Lang;
use restock_shared::wire::StatusCode;

/// A message the widget shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Checking,
    InStock,
    /// Followed by a count: "Only 3 left".
    OnlyLeft,
    OutOfStock,
    Backorder,
    Preorder,
    Discontinued,
}

pub fn text(lang: Lang, t: Text) -> &'static str {
    use Lang::*;
    use Text::*;
    match (lang, t) {
        (En, Checking) => "Checking stock…",
        (De, Checking) => "Lagerbestand wird geprüft…",
        (Fr, Checking) => "Vérification du stock…",
        (Es, Checking) => "Comprobando existencias…",
        (Ja, Checking) => "在庫を確認中…",
        (En, InStock) => "In stock",
        (De, InStock) => "Auf Lager",
        (Fr, InStock) => "En stock",
        (Es, InStock) => "En stock",
        (Ja, InStock) => "在庫あり",
        (En, OnlyLeft) => "Only {n} left",
        (De, OnlyLeft) => "Nur noch {n} verfügbar",
        (Fr, OnlyLeft) => "Plus que {n} en stock",
        (Es, OnlyLeft) => "Solo quedan {n}",
        (Ja, OnlyLeft) => "残り{n}点",
        (En, OutOfStock) => "Out of stock",
        (De, OutOfStock) => "Ausverkauft",
        (Fr, OutOfStock) => "Épuisé",
        (Es, OutOfStock) => "Agotado",
        (Ja, OutOfStock) => "在庫切れ",
        (En, Backorder) => "Available on backorder",
        (De, Backorder) => "Jetzt vorbestellen, Versand bei Eingang",
        (Fr, Backorder) => "Disponible en précommande",
        (Es, Backorder) => "Disponible bajo pedido",
        (Ja, Backorder) => "お取り寄せ可能",
        (En, Preorder) => "Preorder now",
        (De, Preorder) => "Jetzt vorbestellen",
        (Fr, Preorder) => "Précommander",
        (Es, Preorder) => "Resérvalo ya",
        (Ja, Preorder) => "予約受付中",
        (En, Discontinued) => "No longer available",
        (De, Discontinued) => "Nicht mehr erhältlich",
        (Fr, Discontinued) => "Plus disponible",
        (Es, Discontinued) => "Ya no está disponible",
        (Ja, Discontinued) => "販売終了",
    }
}

/// Replaces `{n}` in a template with a number.
pub fn with_count(template: &str, n: u32) -> String {
    template.replace("{n}", &digits(n))
}

/// Decimal digits of `n` without `core::fmt`.
pub fn digits(mut n: u32) -> String {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf[i..].iter().map(|&b| char::from(b)).collect()
}

/// The headline for a status.
pub fn status_line(lang: Lang, status: StatusCode, left: Option<u32>) -> String {
    match status {
        StatusCode::InStock => text(lang, Text::InStock).to_owned(),
        StatusCode::LowStock => with_count(text(lang, Text::OnlyLeft), left.unwrap_or(0)),
        StatusCode::OutOfStock => text(lang, Text::OutOfStock).to_owned(),
        StatusCode::Backorder => text(lang, Text::Backorder).to_owned(),
        StatusCode::Preorder => text(lang, Text::Preorder).to_owned(),
        StatusCode::Discontinued => text(lang, Text::Discontinued).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_without_fmt() {
        for n in [0, 7, 10, 409, u32::MAX] {
            assert_eq!(digits(n), n.to_string());
        }
    }

    #[test]
    fn every_language_has_every_text() {
        for lang in Lang::ALL {
            for t in [
                Text::Checking,
                Text::InStock,
                Text::OnlyLeft,
                Text::OutOfStock,
                Text::Backorder,
                Text::Preorder,
                Text::Discontinued,
            ] {
                assert!(!text(lang, t).is_empty());
            }
            assert!(text(lang, Text::OnlyLeft).contains("{n}"));
        }
        assert_eq!(status_line(Lang::En, StatusCode::LowStock, Some(3)), "Only 3 left");
        assert_eq!(status_line(Lang::Ja, StatusCode::LowStock, Some(2)), "残り2点");
    }
}

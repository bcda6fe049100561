//! What the storefront says about a product, in the shopper's language: its status
//! line, the date it is back or ships, the places left to order, and the lines of the
//! alternatives offered instead. Decided once, here, from the [`AvailabilityView`]:
//! the Worker adds these lines to each item of the batch availability answer (rendered
//! per request from the language-free snapshot), the widget's loader paints them the
//! moment the answer arrives, and the forms, which come after, never rewrite them. So the first paint and everything after it read the same.
//!
//! Dates and numbers are written here too, in the language's CLDR "medium" style (what
//! `Intl.DateTimeFormat(lang, { dateStyle: 'medium' })` writes for the language
//! itself, no region), so no browser's `Intl` is involved and every shopper of a
//! language reads the same. Every value inside a sentence sits between Unicode
//! isolates (FSI ... PDI), so a right-to-left page never reorders a date or a number
//! against the words around it.

use crate::prelude::*;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::eta::EtaBasis;
use crate::input::Lang;
use crate::wire::{AvailabilityView, StatusCode};

macro_rules! lines {
    ($($name:ident => [$en:expr, $de:expr, $fr:expr, $es:expr, $ja:expr, $ar:expr, $he:expr]),* $(,)?) => {
        /// A line the storefront says (`{n}` or `{date}` is its one placeholder, if any).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Line { $($name),* }

        impl Line {
            pub const ALL: &'static [Line] = &[$(Line::$name),*];

            /// The line's words in `lang`, placeholder unfilled.
            pub fn words(self, lang: Lang) -> &'static str {
                let row: [&str; 7] = match self { $(Line::$name => [$en, $de, $fr, $es, $ja, $ar, $he]),* };
                row[lang as usize]
            }
        }
    };
}

lines! {
    InStock => ["In stock", "Auf Lager", "En stock", "En stock", "在庫あり", "متوفر", "במלאי"],
    OnlyLeft => ["Only {n} left", "Nur noch {n} verfügbar", "Plus que {n} en stock", "Solo quedan {n}", "残り{n}点", "تبقّى {n} فقط", "נותרו רק {n}"],
    OutOfStock => ["Out of stock", "Ausverkauft", "Épuisé", "Agotado", "在庫切れ", "نفد من المخزون", "אזל מהמלאי"],
    Backorder => ["Available on backorder", "Jetzt bestellen, Versand bei Eingang", "Disponible en réapprovisionnement", "Disponible bajo pedido", "お取り寄せ可能", "متاح للطلب ويُشحن عند توفّره", "ניתן להזמין, יישלח כשיחזור למלאי"],
    Preorder => ["Preorder: out {date}", "Vorbestellung: erscheint am {date}", "Précommande : sortie le {date}", "Preventa: sale el {date}", "予約受付中：{date}発売", "طلب مسبق: يصدر في {date}", "הזמנה מוקדמת: יוצא ב-{date}"],
    Discontinued => ["No longer available", "Nicht mehr erhältlich", "Plus disponible", "Ya no está disponible", "販売終了", "لم يعد متوفرًا", "כבר לא זמין"],
    BackBy => ["Expected back {date}", "Voraussichtlich wieder da am {date}", "Retour prévu le {date}", "Vuelve previsiblemente el {date}", "{date}に再入荷予定", "يُتوقَّع توفّره مجددًا في {date}", "צפוי לחזור למלאי ב-{date}"],
    BackAround => ["Usually back by {date}", "Meist bis {date} wieder da", "Généralement de retour d'ici le {date}", "Suele volver antes del {date}", "通常{date}までに再入荷", "يعود عادةً بحلول {date}", "בדרך כלל חוזר למלאי עד {date}"],
    ShipsBy => ["Ships {date}", "Versand am {date}", "Expédition le {date}", "Se envía el {date}", "{date}発送予定", "يُشحن في {date}", "יישלח ב-{date}"],
    ShipsAround => ["Ships around {date}", "Versand um den {date}", "Expédition vers le {date}", "Se envía hacia el {date}", "{date}頃発送", "يُشحن في حدود {date}", "יישלח בסביבות {date}"],
    ShipsWhenIn => ["Ships as soon as stock arrives", "Versand, sobald Ware eintrifft", "Expédié dès l'arrivée du stock", "Se envía en cuanto llegue el stock", "入荷次第発送", "يُشحن فور وصول المخزون", "יישלח ברגע שהמלאי יגיע"],
    PlacesLeft => ["{n} left to order", "Noch {n} bestellbar", "Encore {n} à commander", "Quedan {n} por pedir", "あと{n}点注文可能", "متبقٍّ للطلب: {n}", "נותרו {n} להזמנה"],
    Also => ["Available now instead:", "Stattdessen sofort lieferbar:", "Disponible tout de suite à la place :", "Disponible ahora en su lugar:", "代わりにすぐ買える商品：", "متوفر الآن بدلًا منه:", "זמין עכשיו במקום זאת:"],
    FewLeft => ["Only a few left", "Nur noch wenige verfügbar", "Plus que quelques-uns", "Quedan pocas unidades", "残りわずか", "الكمية محدودة", "נותרו יחידות בודדות"],
}

/// The status dot's tone: the widget's class for it (`.in .d`, `.low .d`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    In,
    Low,
    Out,
    /// Backorder or preorder: it can be ordered now.
    Bo,
    Gone,
}

/// What the storefront says about one product (`say` on each item of the batch
/// availability answer). Each line is plain text, never markup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Says {
    pub tone: Tone,
    /// "Out of stock", "Only 3 left", "Preorder: out Jan 16, 2027", ...
    pub status: String,
    /// When it is back, or when an order would ship (null: no date to give, or it is
    /// in stock).
    pub eta: Option<String>,
    /// Places left to order (backorders and preorders with a cap; else null).
    pub left: Option<String>,
    /// The heading over the alternatives, when the answer offers any (else null).
    pub also: Option<String>,
}

impl Says {
    /// What `view` says in `lang`; `alternatives` is whether the answer offers any.
    pub fn of(view: &AvailabilityView, lang: Lang, alternatives: bool) -> Says {
        let (tone, status) = match view.status {
            StatusCode::InStock => (Tone::In, say(lang, Line::InStock, None)),
            StatusCode::LowStock => (Tone::Low, say(lang, Line::OnlyLeft, view.left.map(|n| number(lang, n)))),
            StatusCode::OutOfStock => (Tone::Out, say(lang, Line::OutOfStock, None)),
            StatusCode::Backorder => (Tone::Bo, say(lang, Line::Backorder, None)),
            StatusCode::Preorder => (Tone::Bo, say(lang, Line::Preorder, view.release_date.map(|d| date(lang, d)))),
            StatusCode::Discontinued => (Tone::Gone, say(lang, Line::Discontinued, None)),
        };
        let ordering = matches!(view.status, StatusCode::Backorder | StatusCode::Preorder);
        // A lead-time date is an estimate ("around"); a purchase order's or a release's
        // is a plan ("by").
        let eta = match (view.eta, ordering) {
            (Some(e), true) => {
                let line = if e.basis == EtaBasis::LeadTime { Line::ShipsAround } else { Line::ShipsBy };
                Some(say(lang, line, Some(date(lang, e.date))))
            }
            (None, true) => Some(say(lang, Line::ShipsWhenIn, None)),
            (Some(e), false) => {
                let line = if e.basis == EtaBasis::LeadTime { Line::BackAround } else { Line::BackBy };
                Some(say(lang, line, Some(date(lang, e.date))))
            }
            (None, false) => None,
        };
        let left = view.left.filter(|_| ordering).map(|n| say(lang, Line::PlacesLeft, Some(number(lang, n))));
        let also = alternatives.then(|| say(lang, Line::Also, None));
        Says { tone, status, eta, left, also }
    }
}

/// The line of an alternative offered instead (only products in stock are offered).
pub fn alternative(status: StatusCode, lang: Lang) -> &'static str {
    match status {
        StatusCode::LowStock => Line::FewLeft.words(lang),
        _ => Line::InStock.words(lang),
    }
}

/// `line` in `lang`, its placeholder filled with `value` between isolates.
pub fn say(lang: Lang, line: Line, value: Option<String>) -> String {
    let words = line.words(lang);
    let (Some(value), Some(open), Some(close)) = (value, words.find('{'), words.find('}')) else {
        return words.to_owned();
    };
    let mut out = String::with_capacity(words.len() + value.len() + 6);
    out.push_str(words.get(..open).unwrap_or_default());
    out.push('\u{2068}');
    out.push_str(&value);
    out.push('\u{2069}');
    out.push_str(words.get(close + 1..).unwrap_or_default());
    out
}

/// A whole number as the language writes it: Latin digits, grouped in thousands by
/// `,` (English, Japanese, Arabic, Hebrew), `.` (German; Spanish from 10,000) or a
/// narrow no-break space (French), as CLDR's defaults for these languages do.
pub fn number(lang: Lang, n: u32) -> String {
    let mut out = String::new();
    push_number(&mut out, lang, n);
    out
}

/// [`number`], appended to `out` (without `core::fmt`, so the widget's wasm can link
/// it cheaply).
pub fn push_number(out: &mut String, lang: Lang, n: u32) {
    let sep = match lang {
        Lang::De | Lang::Es => Some('.'),
        Lang::Fr => Some('\u{202f}'),
        _ => Some(','),
    };
    // Spanish groups only from five digits on (CLDR's minimum grouping digits, 2).
    push_grouped(out, n, sep.filter(|_| !(lang == Lang::Es && n < 10_000)));
}

/// The digits of `n`, with `sep` between groups of three when there is one.
fn push_grouped(out: &mut String, n: u32, sep: Option<char>) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    let mut rest = n;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (rest % 10) as u8;
        }
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits.get(i).copied().unwrap_or(b'0')));
        if let Some(sep) = sep.filter(|_| i > 0 && i % 3 == 0) {
            out.push(sep);
        }
    }
}

const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_FR: [&str; 12] =
    ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
const MONTHS_ES: [&str; 12] = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"];
const MONTHS_HE: [&str; 12] =
    ["בינו׳", "בפבר׳", "במרץ", "באפר׳", "במאי", "ביוני", "ביולי", "באוג׳", "בספט׳", "באוק׳", "בנוב׳", "בדצמ׳"];

/// A date as the language writes it in CLDR's medium style: `Dec 24, 2026`,
/// `24.12.2026`, `24 déc. 2026`, `24 dic 2026`, `2026/12/24`, `24‏/12‏/2026` (with
/// right-to-left marks), `24 בדצמ׳ 2026`.
pub fn date(lang: Lang, d: Date) -> String {
    let (y, m, day) = d.ymd();
    let year = y.unsigned_abs();
    let month = |names: &[&'static str; 12]| names.get(m as usize - 1).copied().unwrap_or_default();
    let mut out = String::with_capacity(16);
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let plain = |out: &mut String, n: u32| push_grouped(out, n, None);
    match lang {
        Lang::En => {
            out.push_str(month(&MONTHS_EN));
            out.push(' ');
            plain(&mut out, day);
            out.push_str(", ");
            plain(&mut out, year);
        }
        Lang::De => {
            two(&mut out, day);
            out.push('.');
            two(&mut out, m);
            out.push('.');
            plain(&mut out, year);
        }
        Lang::Fr | Lang::Es | Lang::He => {
            plain(&mut out, day);
            out.push(' ');
            out.push_str(month(match lang {
                Lang::Fr => &MONTHS_FR,
                Lang::Es => &MONTHS_ES,
                _ => &MONTHS_HE,
            }));
            out.push(' ');
            plain(&mut out, year);
        }
        Lang::Ja => {
            plain(&mut out, year);
            out.push('/');
            two(&mut out, m);
            out.push('/');
            two(&mut out, day);
        }
        Lang::Ar => {
            two(&mut out, day);
            out.push_str("\u{200f}/");
            two(&mut out, m);
            out.push_str("\u{200f}/");
            plain(&mut out, year);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eta::RestockEta;
    use std::string::ToString;

    fn view(status: StatusCode, left: Option<u32>, eta: Option<(Date, EtaBasis)>) -> AvailabilityView {
        AvailabilityView {
            sku: "A".into(),
            name: "Tee".into(),
            status,
            left,
            release_date: Date::from_ymd(2027, 1, 16).ok().filter(|_| status == StatusCode::Preorder),
            eta: eta.map(|(date, basis)| RestockEta { date, basis }),
            waitlist: true,
            max_quantity: 0,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> Date {
        Date::from_ymd(y, m, d).unwrap_or(Date::from_days(0))
    }

    /// What `view` says in `lang`, isolates shown as `<` and `>`.
    fn check(v: &AvailabilityView, lang: Lang, expected: (Tone, &str, Option<&str>, Option<&str>)) {
        let s = Says::of(v, lang, false);
        let show = |t: &str| t.replace('\u{2068}', "<").replace('\u{2069}', ">");
        let got = (s.tone, show(&s.status), s.eta.as_deref().map(show), s.left.as_deref().map(show));
        let want = (expected.0, expected.1.to_string(), expected.2.map(str::to_owned), expected.3.map(str::to_owned));
        assert_eq!(got, want, "{:?} in {lang:?}", v.status);
    }

    #[test]
    fn every_status_says_its_line_with_dates_and_places() {
        let po = Some((day(2026, 12, 24), EtaBasis::PurchaseOrder));
        let lead = Some((day(2027, 2, 1), EtaBasis::LeadTime));
        use StatusCode::*;
        check(&view(InStock, None, None), Lang::En, (Tone::In, "In stock", None, None));
        check(&view(LowStock, Some(3), None), Lang::En, (Tone::Low, "Only <3> left", None, None));
        check(
            &view(OutOfStock, None, po),
            Lang::En,
            (Tone::Out, "Out of stock", Some("Expected back <Dec 24, 2026>"), None),
        );
        check(
            &view(OutOfStock, None, lead),
            Lang::De,
            (Tone::Out, "Ausverkauft", Some("Meist bis <01.02.2027> wieder da"), None),
        );
        check(&view(OutOfStock, None, None), Lang::En, (Tone::Out, "Out of stock", None, None));
        check(
            &view(Backorder, Some(1234), lead),
            Lang::En,
            (Tone::Bo, "Available on backorder", Some("Ships around <Feb 1, 2027>"), Some("<1,234> left to order")),
        );
        check(
            &view(Backorder, None, None),
            Lang::Fr,
            (Tone::Bo, "Disponible en réapprovisionnement", Some("Expédié dès l'arrivée du stock"), None),
        );
        check(
            &view(Preorder, Some(4), Some((day(2027, 1, 16), EtaBasis::Release))),
            Lang::Ja,
            (Tone::Bo, "予約受付中：<2027/01/16>発売", Some("<2027/01/16>発送予定"), Some("あと<4>点注文可能")),
        );
        check(&view(Discontinued, None, None), Lang::He, (Tone::Gone, "כבר לא זמין", None, None));
        let with = Says::of(&view(OutOfStock, None, None), Lang::Es, true);
        assert_eq!(with.also.as_deref(), Some("Disponible ahora en su lugar:"));
        assert_eq!(alternative(LowStock, Lang::En), "Only a few left");
        assert_eq!(alternative(InStock, Lang::Ar), "متوفر");
    }

    #[test]
    fn dates_read_as_each_languages_medium_style() {
        let d = day(2026, 12, 4);
        let expected = [
            (Lang::En, "Dec 4, 2026"),
            (Lang::De, "04.12.2026"),
            (Lang::Fr, "4 déc. 2026"),
            (Lang::Es, "4 dic 2026"),
            (Lang::Ja, "2026/12/04"),
            (Lang::Ar, "04\u{200f}/12\u{200f}/2026"),
            (Lang::He, "4 בדצמ׳ 2026"),
        ];
        for (lang, text) in expected {
            assert_eq!(date(lang, d), text, "{lang:?}");
        }
        assert_eq!(date(Lang::Fr, day(2027, 2, 28)), "28 févr. 2027");
        assert_eq!(date(Lang::Es, day(2027, 9, 1)), "1 sept 2027");
        assert_eq!(date(Lang::He, day(2027, 3, 10)), "10 במרץ 2027");
    }

    #[test]
    fn numbers_group_as_each_language_does() {
        for (lang, n, text) in [
            (Lang::En, 0, "0"),
            (Lang::En, 999, "999"),
            (Lang::En, 1000, "1,000"),
            (Lang::Ja, 4_294_967_295, "4,294,967,295"),
            (Lang::De, 12_345, "12.345"),
            (Lang::Es, 1234, "1234"),
            (Lang::Es, 12_345, "12.345"),
            (Lang::Fr, 12_345, "12\u{202f}345"),
            (Lang::Ar, 1_000_000, "1,000,000"),
        ] {
            assert_eq!(number(lang, n), text, "{lang:?} {n}");
        }
    }

    #[test]
    fn every_line_exists_in_every_language_with_the_same_placeholder() {
        for &line in Line::ALL {
            let placeholder = |t: &str| t.find('{').and_then(|a| t.get(a..=t.find('}')?)).map(str::to_owned);
            let en = placeholder(line.words(Lang::En));
            for lang in Lang::ALL {
                let words = line.words(lang);
                assert!(!words.is_empty(), "{line:?} {lang:?}");
                assert_eq!(placeholder(words), en, "{line:?} {lang:?}");
                assert!(!words.chars().any(|c| c.is_control() || ('\u{2066}'..='\u{2069}').contains(&c)));
            }
            let script =
                |lang, range: core::ops::RangeInclusive<char>| line.words(lang).chars().any(|c| range.contains(&c));
            assert!(script(Lang::Ar, '\u{0600}'..='\u{06ff}') && script(Lang::He, '\u{05d0}'..='\u{05ea}'), "{line:?}");
        }
    }

    #[test]
    fn says_round_trips_as_the_answer_writes_it() {
        let s = Says::of(&view(StatusCode::LowStock, Some(2), None), Lang::En, true);
        let json = serde_json::to_value(&s).unwrap_or_default();
        assert_eq!(json["tone"], "low");
        assert_eq!(json["eta"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<Says>(json).ok(), Some(s));
    }
}

//! One widget's state and its transitions, with no DOM types: testable natively.

use restock_shared::Lang;
use restock_shared::wire::AvailabilityView;

/// Where the availability answer stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Load {
    Loading,
    Ready(AvailabilityView),
    /// The shop has no such SKU: render nothing rather than something wrong.
    Unknown,
    /// The API is slow or down: render nothing broken; retry later.
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub sku: String,
    pub lang: Lang,
    pub load: Load,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Loaded(AvailabilityView),
    NotFound,
    Failed,
    /// The shopper picked another variant.
    SkuChanged(String),
}

impl State {
    pub fn new(sku: String, lang: Lang) -> State {
        State { sku, lang, load: Load::Loading }
    }

    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Loaded(view) if view.sku == self.sku => self.load = Load::Ready(view),
            // An answer for a SKU we switched away from.
            Msg::Loaded(_) => {}
            Msg::NotFound => self.load = Load::Unknown,
            // Keep showing what we had if a refresh fails; only a first load goes blank.
            Msg::Failed => {
                if !matches!(self.load, Load::Ready(_)) {
                    self.load = Load::Unavailable;
                }
            }
            Msg::SkuChanged(sku) => {
                if sku != self.sku {
                    self.sku = sku;
                    self.load = Load::Loading;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use restock_shared::wire::StatusCode;

    fn view(sku: &str, status: StatusCode) -> AvailabilityView {
        AvailabilityView {
            sku: sku.into(),
            name: "Tee".into(),
            status,
            left: None,
            release_date: None,
            eta: None,
            waitlist: false,
            max_quantity: 0,
        }
    }

    #[test]
    fn loads_then_switches_variant() {
        let mut s = State::new("A".into(), Lang::En);
        s.update(Msg::Loaded(view("A", StatusCode::InStock)));
        assert_eq!(s.load, Load::Ready(view("A", StatusCode::InStock)));
        s.update(Msg::SkuChanged("B".into()));
        assert_eq!((s.sku.as_str(), &s.load), ("B", &Load::Loading));
        s.update(Msg::Loaded(view("A", StatusCode::InStock)));
        assert_eq!(s.load, Load::Loading, "a late answer for the old variant is ignored");
    }

    #[test]
    fn failures_never_replace_a_good_answer() {
        let mut s = State::new("A".into(), Lang::En);
        s.update(Msg::Failed);
        assert_eq!(s.load, Load::Unavailable);
        s.update(Msg::Loaded(view("A", StatusCode::OutOfStock)));
        s.update(Msg::Failed);
        assert_eq!(s.load, Load::Ready(view("A", StatusCode::OutOfStock)));
    }
}

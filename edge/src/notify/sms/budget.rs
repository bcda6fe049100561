//! How many texts a waitlist wave may send. SMS costs the merchant per message (emails
//! cost next to nothing), so each restock has a budget of texts, counted over all the
//! waves of its release; the rest of a wave is told by email only.

/// The number of the wave's `wave_size` SMS recipients that may be texted, given the
/// release's `per_restock_budget` and the texts `already_sent_in_this_release`: all of
/// them while the budget lasts, then what is left of it, then none. A budget of 0 turns
/// SMS off for restocks.
pub fn sms_allowed(wave_size: u32, per_restock_budget: u32, already_sent_in_this_release: u32) -> u32 {
    wave_size.min(per_restock_budget.saturating_sub(already_sent_in_this_release))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wave_gets_what_is_left_of_the_budget() {
        for (wave, budget, sent, allowed) in [
            (10, 100, 0, 10),
            (10, 100, 90, 10),
            (10, 100, 95, 5),
            (10, 100, 100, 0),
            // More sent than budgeted (the budget was lowered mid-release): none, no underflow.
            (10, 100, 250, 0),
            (0, 100, 0, 0),
            (10, 0, 0, 0),
            (u32::MAX, u32::MAX, 0, u32::MAX),
            (u32::MAX, u32::MAX, u32::MAX, 0),
        ] {
            assert_eq!(sms_allowed(wave, budget, sent), allowed, "wave {wave}, budget {budget}, sent {sent}");
        }
    }

    #[test]
    fn waves_never_add_up_past_the_budget() {
        let (budget, mut sent) = (25, 0);
        for wave in [10, 10, 10, 10] {
            sent += sms_allowed(wave, budget, sent);
        }
        assert_eq!(sent, 25);
    }
}

//! Texts the Worker renders (link pages and emails) in each `Lang`. Placeholders are
//! `{product}`, `{qty}`, `{date}`, `{shop}`, `{position}`, `{code}`; values are
//! substituted as text and escaped by whoever renders HTML.

use restock_shared::Lang;

macro_rules! messages {
    ($($name:ident => [$en:expr, $de:expr, $fr:expr, $es:expr, $ja:expr]),* $(,)?) => {
        /// A message key.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum M { $($name),* }

        impl M {
            pub const ALL: &'static [M] = &[$(M::$name),*];
        }

        /// The text of `m` in `lang`.
        pub fn t(lang: Lang, m: M) -> &'static str {
            match m {
                $(M::$name => match lang {
                    Lang::En => $en,
                    Lang::De => $de,
                    Lang::Fr => $fr,
                    Lang::Es => $es,
                    Lang::Ja => $ja,
                }),*
            }
        }
    };
}

messages! {
    ConfirmTitle => ["Confirm your signup", "Anmeldung bestätigen", "Confirmez votre inscription", "Confirma tu suscripción", "登録の確認"],
    ConfirmPrompt => [
        "Confirm that you want one email when {product} is back in stock.",
        "Bestätigen Sie, dass Sie eine E-Mail erhalten möchten, sobald {product} wieder verfügbar ist.",
        "Confirmez que vous souhaitez recevoir un e-mail quand {product} sera de retour en stock.",
        "Confirma que quieres recibir un correo cuando {product} vuelva a estar disponible.",
        "{product}の再入荷時にメールを受け取ることを確認してください。"
    ],
    ConfirmButton => ["Confirm", "Bestätigen", "Confirmer", "Confirmar", "確認する"],
    Confirmed => [
        "You're on the list. We'll email you once when {product} is back.",
        "Sie stehen auf der Liste. Wir schreiben Ihnen einmal, sobald {product} wieder da ist.",
        "Vous êtes sur la liste. Nous vous écrirons une fois quand {product} sera de retour.",
        "Estás en la lista. Te escribiremos una vez cuando {product} vuelva.",
        "登録が完了しました。{product}が再入荷したら一度だけお知らせします。"
    ],
    UnsubscribeTitle => ["Unsubscribe", "Abmelden", "Se désinscrire", "Darse de baja", "配信停止"],
    UnsubscribePrompt => [
        "Stop emails about {product}?",
        "Keine E-Mails mehr zu {product}?",
        "Ne plus recevoir d'e-mails au sujet de {product} ?",
        "¿Dejar de recibir correos sobre {product}?",
        "{product}に関するメールを停止しますか？"
    ],
    UnsubscribeButton => ["Unsubscribe", "Abmelden", "Se désinscrire", "Darme de baja", "配信を停止する"],
    Unsubscribed => [
        "You're unsubscribed: no more emails about {product}.",
        "Sie sind abgemeldet: keine E-Mails mehr zu {product}.",
        "Vous êtes désinscrit : plus d'e-mails au sujet de {product}.",
        "Te has dado de baja: no recibirás más correos sobre {product}.",
        "配信を停止しました。{product}に関するメールは届きません。"
    ],
    CancelTitle => ["Cancel your order", "Bestellung stornieren", "Annuler votre commande", "Cancelar tu pedido", "注文のキャンセル"],
    CancelPrompt => [
        "Cancel your order of {qty} × {product}? Your place in the queue goes to the next shopper.",
        "Ihre Bestellung von {qty} × {product} stornieren? Ihr Platz in der Warteschlange geht an die nächste Person.",
        "Annuler votre commande de {qty} × {product} ? Votre place dans la file revient au client suivant.",
        "¿Cancelar tu pedido de {qty} × {product}? Tu lugar en la cola pasa al siguiente cliente.",
        "{product}（{qty}点）の注文をキャンセルしますか？順番は次のお客様に移ります。"
    ],
    CancelButton => ["Cancel order", "Stornieren", "Annuler la commande", "Cancelar pedido", "キャンセルする"],
    Cancelled => [
        "Your order of {product} is cancelled.",
        "Ihre Bestellung von {product} ist storniert.",
        "Votre commande de {product} est annulée.",
        "Tu pedido de {product} está cancelado.",
        "{product}の注文はキャンセルされました。"
    ],
    NotCancellable => [
        "This order is already being prepared and can't be cancelled here. Please contact the shop.",
        "Diese Bestellung wird bereits vorbereitet und kann hier nicht storniert werden. Bitte kontaktieren Sie den Shop.",
        "Cette commande est déjà en préparation et ne peut pas être annulée ici. Veuillez contacter la boutique.",
        "Este pedido ya se está preparando y no puede cancelarse aquí. Contacta con la tienda.",
        "この注文はすでに準備中のため、ここではキャンセルできません。ショップにお問い合わせください。"
    ],
    InvalidLink => [
        "This link is not valid. It may have been shortened or altered.",
        "Dieser Link ist ungültig. Möglicherweise wurde er gekürzt oder verändert.",
        "Ce lien n'est pas valide. Il a peut-être été tronqué ou modifié.",
        "Este enlace no es válido. Puede que se haya acortado o modificado.",
        "このリンクは無効です。短縮または変更された可能性があります。"
    ],
    ExpiredLink => [
        "This link has expired. Sign up again on the product page.",
        "Dieser Link ist abgelaufen. Melden Sie sich auf der Produktseite erneut an.",
        "Ce lien a expiré. Inscrivez-vous à nouveau sur la page du produit.",
        "Este enlace ha caducado. Vuelve a suscribirte en la página del producto.",
        "このリンクは期限切れです。商品ページから再度登録してください。"
    ],
}

/// `t(lang, m)` with placeholders filled in (as plain text).
pub fn fill(lang: Lang, m: M, vars: &[(&str, &str)]) -> String {
    let mut out = t(lang, m).to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language_with_the_same_placeholders() {
        for &m in M::ALL {
            let en = t(Lang::En, m);
            let holes: Vec<&str> = ["{product}", "{qty}", "{date}", "{shop}", "{position}", "{code}"]
                .into_iter()
                .filter(|h| en.contains(h))
                .collect();
            for lang in Lang::ALL {
                let text = t(lang, m);
                assert!(!text.is_empty(), "{m:?} {lang:?}");
                for h in &holes {
                    assert!(text.contains(h), "{m:?} in {lang:?} lacks {h}");
                }
            }
        }
    }

    #[test]
    fn fill_substitutes_text() {
        assert_eq!(
            fill(Lang::En, M::Cancelled, &[("product", "<b>Tee</b>")]),
            "Your order of <b>Tee</b> is cancelled."
        );
    }
}

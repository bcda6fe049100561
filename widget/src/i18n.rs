//! The widget's form texts in each language Restock speaks (`Lang`), with `{n}` and
//! `{name}` placeholders. The status lines (and their dates) are not here: the Worker says
//! them (`restock_shared::say`), so the loader can paint them before the wasm arrives.
//!
//! This table is the only source of the texts, but the wasm does not carry it: the
//! build writes one file per language (`pack`, content-hashed next to the wasm), the
//! page downloads only its own language's, and the main script (`js/dom.js`) refers to
//! a text by its `T`: the build defines `T.<Name>` as its index there
//! (`build::text_defines`), so both sides take the indexes from this table.

use alloc::string::String;

use restock_shared::Lang;

macro_rules! texts {
    ($($name:ident => [$en:expr, $de:expr, $fr:expr, $es:expr, $ja:expr, $ar:expr, $he:expr]),* $(,)?) => {
        /// A message the widget shows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($name),* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$name),*];
            /// Each text's name, in `ALL` order (the main script's `T.<Name>`).
            pub const NAMES: &'static [&'static str] = &[$(stringify!($name)),*];
        }

        /// The text of `t` in `lang`.
        pub fn text(lang: Lang, t: T) -> &'static str {
            let row: [&str; 7] = match t { $(T::$name => [$en, $de, $fr, $es, $ja, $ar, $he]),* };
            row[lang as usize]
        }
    };
}

texts! {
    WaitlistHeading => ["Get an email when {name} is back", "E-Mail erhalten, wenn {name} wieder da ist", "Recevoir un e-mail au retour de {name}", "Recibe un correo cuando {name} vuelva", "{name}の再入荷をメールで受け取る", "احصل على إشعار بالبريد عند عودة {name}", "קבלו מייל כשהמוצר {name} יחזור למלאי"],
    OrderHeading => ["Order {name} now", "{name} jetzt bestellen", "Commander {name} maintenant", "Pide {name} ahora", "{name}を今すぐ注文", "اطلب {name} الآن", "הזמינו את {name} עכשיו"],
    EmailLabel => ["Email", "E-Mail", "E-mail", "Correo electrónico", "メールアドレス", "البريد الإلكتروني", "אימייל"],
    QuantityLabel => ["Quantity", "Menge", "Quantité", "Cantidad", "数量", "الكمية", "כמות"],
    PhoneLabel => ["Mobile number for a text too (optional)", "Handynummer für eine SMS (optional)", "Numéro de mobile pour un SMS (facultatif)", "Móvil para recibir también un SMS (opcional)", "SMSも受け取る携帯番号（任意）", "رقم الجوال لرسالة نصية أيضًا (اختياري)", "מספר נייד לקבלת SMS (לא חובה)"],
    NotifyButton => ["Notify me", "Benachrichtigen", "M'avertir", "Avisarme", "通知を受け取る", "أبلغني", "עדכנו אותי"],
    BackorderButton => ["Backorder", "Bestellen", "Commander", "Pedir", "取り寄せ注文", "اطلب الآن", "להזמנה"],
    PreorderButton => ["Preorder", "Vorbestellen", "Précommander", "Reservar", "予約する", "احجز مسبقًا", "להזמנה מוקדמת"],
    PreferWaitlist => ["Just email me when it's back", "Nur benachrichtigen, wenn wieder da", "Simplement m'avertir du retour", "Solo avisarme cuando vuelva", "再入荷の通知だけ受け取る", "أبلغني بالبريد عند عودته فقط", "רק לעדכן אותי במייל כשיחזור"],
    PreferOrder => ["Order instead", "Doch bestellen", "Commander plutôt", "Mejor pedirlo", "注文する", "أفضّل الطلب الآن", "להזמין במקום זאת"],
    Sending => ["Sending…", "Wird gesendet…", "Envoi…", "Enviando…", "送信中…", "جارٍ الإرسال…", "שולחים…"],
    CheckInbox => ["Almost there: check your inbox to confirm.", "Fast geschafft: Bitte bestätigen Sie über den Link in Ihrem Postfach.", "Presque fini : confirmez via l'e-mail reçu.", "Casi listo: confirma desde tu bandeja de entrada.", "あと少し：受信メールから登録を確認してください。", "خطوة أخيرة: افتح بريدك الوارد لتأكيد الاشتراك.", "כמעט סיימנו: בדקו את תיבת הדואר כדי לאשר."],
    Joined => ["You're on the list. We'll email you once when it's back.", "Sie stehen auf der Liste. Wir schreiben Ihnen einmal, sobald es wieder da ist.", "Vous êtes sur la liste. Nous vous écrirons une fois à son retour.", "Estás en la lista. Te escribiremos una vez cuando vuelva.", "登録しました。再入荷時に一度だけお知らせします。", "أنت الآن في القائمة. سنراسلك مرة واحدة عند عودته.", "נרשמת לרשימה. נשלח לך מייל אחד כשהמוצר יחזור."],
    Ordered => ["Thank you! You're number {n} in line; we've emailed you the details.", "Danke! Sie sind Nummer {n} in der Warteschlange; die Details kommen per E-Mail.", "Merci ! Vous êtes numéro {n} dans la file ; les détails vous ont été envoyés.", "¡Gracias! Eres el número {n} de la cola; te hemos enviado los detalles.", "ありがとうございます。{n}番目で承りました。詳細をメールでお送りしました。", "شكرًا لك! ترتيبك {n} في قائمة الانتظار، وقد أرسلنا إليك التفاصيل بالبريد.", "תודה! מספרך בתור הוא {n}; שלחנו לך את הפרטים במייל."],
    HandedToCart => ["Added to your cart.", "Zum Warenkorb hinzugefügt.", "Ajouté à votre panier.", "Añadido a tu carrito.", "カートに追加しました。", "تمت الإضافة إلى سلتك.", "נוסף לעגלה שלך."],
    ErrorEmail => ["Enter an email address like name@example.com.", "Geben Sie eine E-Mail-Adresse wie name@example.com ein.", "Saisissez une adresse comme nom@exemple.com.", "Escribe un correo como nombre@ejemplo.com.", "name@example.com の形式で入力してください。", "أدخل بريدًا إلكترونيًا مثل name@example.com.", "הזינו כתובת אימייל כמו name@example.com."],
    ErrorConsent => ["Please tick the box to agree.", "Bitte setzen Sie das Häkchen, um zuzustimmen.", "Cochez la case pour accepter.", "Marca la casilla para aceptar.", "同意のチェックを入れてください。", "يُرجى تحديد المربع للموافقة.", "יש לסמן את התיבה כדי לאשר."],
    ErrorPhone => ["Enter a mobile number with its country code, like +44 7700 900123.", "Geben Sie eine Handynummer mit Ländervorwahl ein, etwa +49 1512 3456789.", "Saisissez un numéro avec l'indicatif du pays, par exemple +33 6 12 34 56 78.", "Escribe un móvil con el prefijo del país, por ejemplo +34 612 345 678.", "国番号を付けて入力してください（例：+81 90 1234 5678）。", "أدخل رقم الجوال مع رمز الدولة، مثل \u{2068}+971 50 123 4567\u{2069}.", "הזינו מספר נייד עם קידומת המדינה, למשל \u{2068}+972 50 123 4567\u{2069}."],
    ErrorSms => ["Tick the box to get a text too, or leave the number empty.", "Setzen Sie das Häkchen für eine SMS, oder lassen Sie die Nummer leer.", "Cochez la case pour recevoir un SMS, ou laissez le numéro vide.", "Marca la casilla para recibir un SMS, o deja el número vacío.", "SMSも受け取る場合はチェックを入れ、不要なら番号を空欄にしてください。", "حدّد المربع لتلقّي رسالة نصية، أو اترك الرقم فارغًا.", "סמנו את התיבה כדי לקבל SMS, או השאירו את המספר ריק."],
    ErrorQuantity => ["Choose a quantity from 1 to {n}.", "Wählen Sie eine Menge von 1 bis {n}.", "Choisissez une quantité de 1 à {n}.", "Elige una cantidad de 1 a {n}.", "1〜{n}の数量を選んでください。", "اختر كمية من 1 إلى {n}.", "בחרו כמות בין 1 ל-{n}."],
    ErrorNetwork => ["Something went wrong. Please try again.", "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.", "Un problème est survenu. Veuillez réessayer.", "Algo salió mal. Inténtalo de nuevo.", "エラーが発生しました。もう一度お試しください。", "حدث خطأ ما. يُرجى المحاولة مرة أخرى.", "משהו השתבש. נסו שוב."],
    ErrorRateLimited => ["Too many attempts. Please wait a minute and try again.", "Zu viele Versuche. Bitte warten Sie eine Minute.", "Trop de tentatives. Patientez une minute.", "Demasiados intentos. Espera un minuto.", "試行回数が多すぎます。1分後にお試しください。", "محاولات كثيرة جدًا. يُرجى الانتظار دقيقة ثم المحاولة مجددًا.", "יותר מדי ניסיונות. המתינו דקה ונסו שוב."],
    ErrorSoldOut => ["Sorry, the last places were just taken.", "Leider wurden die letzten Plätze gerade vergeben.", "Désolé, les dernières places viennent de partir.", "Lo sentimos, acaban de agotarse las últimas plazas.", "申し訳ありません。ちょうど受付枠が埋まりました。", "عذرًا، نفدت الأماكن الأخيرة للتو.", "מצטערים, המקומות האחרונים נתפסו זה עתה."],
    NotForGroup => ["Your account can't order this before it's back in stock. You can get an email instead.", "Mit Ihrem Konto ist eine Bestellung erst möglich, wenn der Artikel wieder da ist. Sie können sich stattdessen benachrichtigen lassen.", "Votre compte ne peut pas commander cet article avant son retour en stock. Vous pouvez être averti par e-mail.", "Tu cuenta no puede pedir este artículo hasta que vuelva. Puedes recibir un correo cuando vuelva.", "お客様のアカウントでは再入荷前にご注文いただけません。代わりにメールでお知らせできます。", "لا يمكن لحسابك طلب هذا المنتج قبل عودته إلى المخزون. يمكنك تلقّي إشعار بالبريد بدلًا من ذلك.", "החשבון שלך לא יכול להזמין את המוצר לפני שיחזור למלאי. אפשר לקבל מייל במקום."],
    SmsOff => ["Texts aren't available right now: leave the number empty and we'll email you.", "SMS sind gerade nicht verfügbar: Lassen Sie die Nummer leer, dann schreiben wir Ihnen per E-Mail.", "Les SMS ne sont pas disponibles pour le moment : laissez le numéro vide, nous vous écrirons par e-mail.", "Los SMS no están disponibles ahora: deja el número vacío y te escribiremos por correo.", "現在SMSはご利用いただけません。番号を空欄にすればメールでお知らせします。", "الرسائل النصية غير متاحة الآن: اترك الرقم فارغًا وسنراسلك بالبريد.", "הודעות SMS לא זמינות כרגע: השאירו את המספר ריק ונשלח לכם מייל."],
    Close => ["Close", "Schließen", "Fermer", "Cerrar", "閉じる", "إغلاق", "סגירה"],
    CartFailed => [
        "We couldn't add it to your cart. Please try again.",
        "Wir konnten es nicht in Ihren Warenkorb legen. Bitte versuchen Sie es erneut.",
        "Impossible de l'ajouter à votre panier. Veuillez réessayer.",
        "No hemos podido añadirlo a tu carrito. Inténtalo de nuevo.",
        "カートに追加できませんでした。もう一度お試しください。",
        "تعذّرت إضافته إلى سلتك. يُرجى المحاولة مرة أخرى.",
        "לא הצלחנו להוסיף לעגלה. נסו שוב."
    ],
}

/// Separates the texts in a language pack (never inside a text: tested below).
const SEP: char = '\u{1f}';

/// The language pack of `lang`: every text in `T::ALL` order (`T as usize` is a text's
/// index), separated by U+001F. The build writes it to a file; `dom.js` splits it.
pub fn pack(lang: Lang) -> String {
    let mut out = String::new();
    for (i, &t) in T::ALL.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        out.push_str(text(lang, t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_text_with_the_same_placeholders() {
        for &t in T::ALL {
            let en = text(Lang::En, t);
            for lang in Lang::ALL {
                let s = text(lang, t);
                assert!(!s.is_empty(), "{t:?} {lang:?}");
                for hole in ["{n}", "{name}"] {
                    assert_eq!(en.contains(hole), s.contains(hole), "{t:?} in {lang:?}: {hole}");
                }
            }
        }
        // dom.js fills the one placeholder a text has, whatever its name.
        for &t in T::ALL {
            assert!(text(Lang::En, t).matches('{').count() <= 1, "{t:?} has one placeholder at most");
        }
    }

    #[test]
    fn right_to_left_columns_are_in_their_own_script() {
        let script = |s: &str, range: core::ops::RangeInclusive<char>| s.chars().any(|c| range.contains(&c));
        for &t in T::ALL {
            assert!(script(text(Lang::Ar, t), '\u{0600}'..='\u{06FF}'), "{t:?} in Arabic");
            assert!(script(text(Lang::He, t), '\u{05D0}'..='\u{05EA}'), "{t:?} in Hebrew");
        }
    }

    #[test]
    fn packs_hold_every_text_in_order() {
        for lang in Lang::ALL {
            let pack = pack(lang);
            let texts: Vec<&str> = pack.split(SEP).collect();
            assert_eq!(texts.len(), T::ALL.len(), "{lang:?}");
            for (i, &t) in T::ALL.iter().enumerate() {
                assert_eq!(t as usize, i, "{t:?} is its own index");
                assert!(!text(lang, t).contains(SEP), "{t:?} in {lang:?} holds the separator");
                assert_eq!(texts[i], text(lang, t), "{t:?} in {lang:?}");
            }
        }
    }

    #[test]
    fn lang_indexes_the_rows_in_order() {
        assert_eq!(Lang::ALL.map(|l| l as usize), [0, 1, 2, 3, 4, 5, 6]);
    }
}

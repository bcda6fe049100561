//! Texts the Worker renders (link pages and emails) in each `Lang`. Placeholders are
//! `{product}`, `{qty}`, `{date}`, `{shop}`, `{position}`, `{code}`, `{days}`, `{url}`, `{was}`
//! (an earlier date), `{done}` (units set aside); values are substituted as text and
//! escaped by whoever renders HTML.

use restock_shared::Lang;

macro_rules! messages {
    ($($name:ident => [$en:expr, $de:expr, $fr:expr, $es:expr, $ja:expr, $ar:expr, $he:expr]),* $(,)?) => {
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
                    Lang::Ar => $ar,
                    Lang::He => $he,
                }),*
            }
        }
    };
}

messages! {
    SmsRestock => [
        "{shop}: {product} is back in stock. {url} Reply STOP to opt out.",
        "{shop}: {product} ist wieder verfügbar. {url} Antworte STOP zum Abmelden.",
        "{shop} : {product} est de retour en stock. {url} Répondez STOP pour vous désinscrire.",
        "{shop}: {product} vuelve a estar disponible. {url} Responde STOP para darte de baja.",
        "{shop}：{product}が再入荷しました。{url} 配信停止はSTOPと返信。",
        "{shop}: عاد {product} إلى المخزون. {url} أرسل STOP لإلغاء الاشتراك.",
        "{shop}: {product} חזר למלאי. {url} להסרה השיבו STOP."
    ],
    ConfirmTitle => ["Confirm your signup", "Anmeldung bestätigen", "Confirmez votre inscription", "Confirma tu suscripción", "登録の確認", "تأكيد اشتراكك", "אישור ההרשמה"],
    ConfirmPrompt => [
        "Confirm that you want one email when {product} is back in stock.",
        "Bestätigen Sie, dass Sie eine E-Mail erhalten möchten, sobald {product} wieder verfügbar ist.",
        "Confirmez que vous souhaitez recevoir un e-mail quand {product} sera de retour en stock.",
        "Confirma que quieres recibir un correo cuando {product} vuelva a estar disponible.",
        "{product}の再入荷時にメールを受け取ることを確認してください。",
        "أكّد أنك تريد تلقّي رسالة واحدة بالبريد الإلكتروني عند عودة {product} إلى المخزون.",
        "אשרו שברצונכם לקבל מייל אחד כאשר {product} יחזור למלאי."
    ],
    ConfirmButton => ["Confirm", "Bestätigen", "Confirmer", "Confirmar", "確認する", "تأكيد", "אישור"],
    Confirmed => [
        "You're on the list. We'll email you once when {product} is back.",
        "Sie stehen auf der Liste. Wir schreiben Ihnen einmal, sobald {product} wieder da ist.",
        "Vous êtes sur la liste. Nous vous écrirons une fois quand {product} sera de retour.",
        "Estás en la lista. Te escribiremos una vez cuando {product} vuelva.",
        "登録が完了しました。{product}が再入荷したら一度だけお知らせします。",
        "أنت الآن في القائمة. سنراسلك مرة واحدة عند عودة {product}.",
        "נרשמת לרשימה. נשלח לך מייל אחד כאשר {product} יחזור."
    ],
    UnsubscribeTitle => ["Unsubscribe", "Abmelden", "Se désinscrire", "Darse de baja", "配信停止", "إلغاء الاشتراك", "ביטול הרשמה"],
    UnsubscribePrompt => [
        "Stop emails about {product}?",
        "Keine E-Mails mehr zu {product}?",
        "Ne plus recevoir d'e-mails au sujet de {product} ?",
        "¿Dejar de recibir correos sobre {product}?",
        "{product}に関するメールを停止しますか？",
        "هل تريد إيقاف الرسائل بشأن {product}؟",
        "להפסיק לקבל מיילים על {product}?"
    ],
    UnsubscribeButton => ["Unsubscribe", "Abmelden", "Se désinscrire", "Darme de baja", "配信を停止する", "إلغاء الاشتراك", "ביטול ההרשמה"],
    Unsubscribed => [
        "You're unsubscribed: no more emails about {product}.",
        "Sie sind abgemeldet: keine E-Mails mehr zu {product}.",
        "Vous êtes désinscrit : plus d'e-mails au sujet de {product}.",
        "Te has dado de baja: no recibirás más correos sobre {product}.",
        "配信を停止しました。{product}に関するメールは届きません。",
        "تم إلغاء اشتراكك: لن تصلك رسائل أخرى بشأن {product}.",
        "ההרשמה בוטלה: לא יישלחו אליך עוד מיילים על {product}."
    ],
    CancelTitle => ["Cancel your order", "Bestellung stornieren", "Annuler votre commande", "Cancelar tu pedido", "注文のキャンセル", "إلغاء طلبك", "ביטול ההזמנה"],
    CancelPrompt => [
        "Cancel your order of {qty} × {product}? Your place in the queue goes to the next shopper.",
        "Ihre Bestellung von {qty} × {product} stornieren? Ihr Platz in der Warteschlange geht an die nächste Person.",
        "Annuler votre commande de {qty} × {product} ? Votre place dans la file revient au client suivant.",
        "¿Cancelar tu pedido de {qty} × {product}? Tu lugar en la cola pasa al siguiente cliente.",
        "{product}（{qty}点）の注文をキャンセルしますか？順番は次のお客様に移ります。",
        "هل تريد إلغاء طلبك ({qty} × {product})؟ سينتقل دورك في قائمة الانتظار إلى العميل التالي.",
        "לבטל את ההזמנה של {qty} × {product}? מקומך בתור יעבור ללקוח הבא."
    ],
    CancelButton => ["Cancel order", "Stornieren", "Annuler la commande", "Cancelar pedido", "キャンセルする", "إلغاء الطلب", "ביטול ההזמנה"],
    Cancelled => [
        "Your order of {product} is cancelled.",
        "Ihre Bestellung von {product} ist storniert.",
        "Votre commande de {product} est annulée.",
        "Tu pedido de {product} está cancelado.",
        "{product}の注文はキャンセルされました。",
        "تم إلغاء طلبك: {product}.",
        "ההזמנה של {product} בוטלה."
    ],
    NotCancellable => [
        "This order is already being prepared and can't be cancelled here. Please contact the shop.",
        "Diese Bestellung wird bereits vorbereitet und kann hier nicht storniert werden. Bitte kontaktieren Sie den Shop.",
        "Cette commande est déjà en préparation et ne peut pas être annulée ici. Veuillez contacter la boutique.",
        "Este pedido ya se está preparando y no puede cancelarse aquí. Contacta con la tienda.",
        "この注文はすでに準備中のため、ここではキャンセルできません。ショップにお問い合わせください。",
        "طلبك قيد التجهيز بالفعل ولا يمكن إلغاؤه من هنا. يُرجى التواصل مع المتجر.",
        "ההזמנה כבר בהכנה ולא ניתן לבטל אותה כאן. נא לפנות לחנות."
    ],
    InvalidLink => [
        "This link is not valid. It may have been shortened or altered.",
        "Dieser Link ist ungültig. Möglicherweise wurde er gekürzt oder verändert.",
        "Ce lien n'est pas valide. Il a peut-être été tronqué ou modifié.",
        "Este enlace no es válido. Puede que se haya acortado o modificado.",
        "このリンクは無効です。短縮または変更された可能性があります。",
        "هذا الرابط غير صالح. ربما تم اختصاره أو تعديله.",
        "הקישור אינו תקין. ייתכן שקוצר או שונה."
    ],
    ConfirmSubject => [
        "Confirm: email me when {product} is back",
        "Bestätigen: E-Mail, wenn {product} wieder da ist",
        "Confirmez : e-mail quand {product} revient",
        "Confirma: avísame cuando {product} vuelva",
        "確認：{product}の再入荷通知",
        "تأكيد: أبلغني بالبريد عند عودة {product}",
        "אישור: מייל כאשר {product} יחזור למלאי"
    ],
    ConfirmBody => [
        "Please confirm that you want one email when {product} is back in stock.",
        "Bitte bestätigen Sie, dass Sie eine E-Mail erhalten möchten, sobald {product} wieder verfügbar ist.",
        "Merci de confirmer que vous souhaitez un e-mail quand {product} sera de retour en stock.",
        "Confirma que quieres un correo cuando {product} vuelva a estar disponible.",
        "{product}が再入荷したときにメールを受け取るには、登録を確認してください。",
        "يُرجى تأكيد رغبتك في تلقّي رسالة واحدة بالبريد الإلكتروني عند عودة {product} إلى المخزون.",
        "נא לאשר שברצונך לקבל מייל אחד כאשר {product} יחזור למלאי."
    ],
    RestockSubject => ["{product} is back in stock", "{product} ist wieder da", "{product} est de retour", "{product} vuelve a estar disponible", "{product}が再入荷しました", "{product} متوفر مجددًا", "{product} חזר למלאי"],
    RestockBody => [
        "Good news: {product} is back in stock. Stock is limited, and we are telling everyone on the list in the order they signed up.",
        "Gute Nachricht: {product} ist wieder verfügbar. Der Bestand ist begrenzt; wir benachrichtigen alle auf der Liste in der Reihenfolge ihrer Anmeldung.",
        "Bonne nouvelle : {product} est de retour en stock. Le stock est limité et nous prévenons chacun dans l'ordre d'inscription.",
        "Buenas noticias: {product} vuelve a estar disponible. Las existencias son limitadas y avisamos por orden de suscripción.",
        "{product}が再入荷しました。在庫に限りがあるため、登録順にお知らせしています。",
        "أخبار سارّة: {product} متوفر مجددًا. الكمية محدودة، ونُبلغ المسجّلين في القائمة حسب ترتيب اشتراكهم.",
        "חדשות טובות: {product} חזר למלאי. המלאי מוגבל, ואנחנו מעדכנים את כל מי שברשימה לפי סדר ההרשמה."
    ],
    RestockHeld => [
        "We are holding one for you until {date}.",
        "Wir halten bis {date} ein Exemplar für Sie zurück.",
        "Nous vous en réservons un jusqu'au {date}.",
        "Te guardamos una unidad hasta el {date}.",
        "{date}まで1点をお取り置きしています。",
        "نحتفظ لك بقطعة واحدة حتى {date}.",
        "אנחנו שומרים עבורך יחידה אחת עד {date}."
    ],
    RestockCode => [
        "Use the code {code} at checkout.",
        "Verwenden Sie an der Kasse den Code {code}.",
        "Utilisez le code {code} lors du paiement.",
        "Usa el código {code} al pagar.",
        "ご購入時にコード{code}をご利用ください。",
        "استخدم الرمز {code} عند الدفع.",
        "השתמשו בקוד {code} בקופה."
    ],
    ViewProduct => ["View {product}", "{product} ansehen", "Voir {product}", "Ver {product}", "{product}を見る", "عرض {product}", "לצפייה ב-{product}"],
    BackorderSubject => ["Your order of {product}", "Ihre Bestellung: {product}", "Votre commande : {product}", "Tu pedido: {product}", "ご注文：{product}", "طلبك: {product}", "ההזמנה שלך: {product}"],
    BackorderBody => [
        "Thank you. We have your order of {qty} × {product}. You are number {position} in the queue and we will ship as soon as stock arrives.",
        "Vielen Dank. Wir haben Ihre Bestellung von {qty} × {product}. Sie sind Nummer {position} in der Warteschlange; wir versenden, sobald Ware eintrifft.",
        "Merci. Nous avons bien votre commande de {qty} × {product}. Vous êtes numéro {position} dans la file ; nous expédions dès l'arrivée du stock.",
        "Gracias. Tenemos tu pedido de {qty} × {product}. Eres el número {position} de la cola y enviaremos en cuanto llegue el stock.",
        "ご注文ありがとうございます。{product}（{qty}点）を承りました。順番は{position}番目で、入荷次第発送します。",
        "شكرًا لك. استلمنا طلبك ({qty} × {product}). ترتيبك {position} في قائمة الانتظار، وسنشحن الطلب فور وصول المخزون.",
        "תודה. קיבלנו את הזמנתך של {qty} × {product}. מספרך בתור הוא {position}, ונשלח ברגע שהמלאי יגיע."
    ],
    ExpectedShip => ["Expected to ship: {date}.", "Voraussichtlicher Versand: {date}.", "Expédition prévue : {date}.", "Envío previsto: {date}.", "発送予定日：{date}", "موعد الشحن المتوقع: {date}.", "מועד משלוח צפוי: {date}."],
    NoDateYet => [
        "We don't have a shipping date yet and will email you when we do.",
        "Wir haben noch kein Versanddatum und melden uns, sobald es feststeht.",
        "Nous n'avons pas encore de date d'expédition et vous écrirons dès que possible.",
        "Aún no tenemos fecha de envío; te escribiremos cuando la tengamos.",
        "発送日が決まり次第、メールでお知らせします。",
        "لا يوجد موعد شحن بعد، وسنراسلك عند تحديده.",
        "עדיין אין לנו תאריך משלוח, ונעדכן אותך במייל כשיהיה."
    ],
    CancelAnyTime => [
        "Changed your mind? Cancel with one click:",
        "Anders entschieden? Mit einem Klick stornieren:",
        "Vous avez changé d'avis ? Annulez en un clic :",
        "¿Has cambiado de idea? Cancela con un clic:",
        "キャンセルはワンクリックで：",
        "غيّرت رأيك؟ ألغِ الطلب بنقرة واحدة:",
        "התחרטת? אפשר לבטל בלחיצה אחת:"
    ],
    DelaySubject => ["Your order of {product} is delayed", "Ihre Bestellung von {product} verzögert sich", "Votre commande de {product} est retardée", "Tu pedido de {product} se retrasa", "{product}のご注文が遅れています", "تأخّر طلبك: {product}", "ההזמנה של {product} מתעכבת"],
    DelayBody => [
        "We're sorry: your order of {product} will not ship on the date we gave you.",
        "Es tut uns leid: Ihre Bestellung von {product} wird nicht zum angegebenen Datum versendet.",
        "Nous sommes désolés : votre commande de {product} ne sera pas expédiée à la date annoncée.",
        "Lo sentimos: tu pedido de {product} no se enviará en la fecha indicada.",
        "申し訳ありません。{product}のご注文は、お知らせした日に発送できません。",
        "نعتذر: لن يُشحن طلبك ({product}) في الموعد الذي أبلغناك به.",
        "אנו מצטערים: ההזמנה של {product} לא תישלח בתאריך שמסרנו לך."
    ],
    NewDate => ["The new expected date is {date}.", "Neuer voraussichtlicher Termin: {date}.", "La nouvelle date prévue est le {date}.", "La nueva fecha prevista es el {date}.", "新しい発送予定日は{date}です。", "الموعد المتوقع الجديد هو {date}.", "התאריך הצפוי החדש הוא {date}."],
    UnknownDate => [
        "We don't know the new date yet and will tell you as soon as we do.",
        "Den neuen Termin kennen wir noch nicht; wir melden uns, sobald er feststeht.",
        "Nous ne connaissons pas encore la nouvelle date et vous tiendrons informé.",
        "Aún no conocemos la nueva fecha y te avisaremos en cuanto la sepamos.",
        "新しい日程は未定です。決まり次第お知らせします。",
        "لا نعرف الموعد الجديد بعد، وسنخبرك به فور معرفته.",
        "עדיין איננו יודעים את התאריך החדש, ונעדכן אותך ברגע שנדע."
    ],
    AllocatedSubject => ["{product} is ready to ship", "{product} ist versandbereit", "{product} est prêt à être expédié", "{product} está listo para enviar", "{product}の発送準備ができました", "{product} جاهز للشحن", "{product} מוכן למשלוח"],
    AllocatedBody => [
        "Good news: all {qty} of your {product} are set aside for you and will ship soon.",
        "Gute Nachricht: alle {qty} × {product} sind für Sie reserviert und werden bald versendet.",
        "Bonne nouvelle : vos {qty} × {product} vous sont réservés et partiront bientôt.",
        "Buenas noticias: tus {qty} × {product} están apartados y se enviarán pronto.",
        "{product}（{qty}点）をお取り置きしました。まもなく発送します。",
        "أخبار سارّة: خصّصنا لك طلبك كاملًا ({qty} × {product})، وسيُشحن قريبًا.",
        "חדשות טובות: כל {qty} היחידות של {product} שמורות עבורך ויישלחו בקרוב."
    ],
    ReminderSubject => ["{product} is still in stock", "{product} ist noch verfügbar", "{product} est toujours en stock", "{product} sigue disponible", "{product}はまだ在庫があります", "{product} لا يزال متوفرًا", "{product} עדיין במלאי"],
    ReminderBody => [
        "A reminder, once: {product}, which you waited for, is still in stock.",
        "Eine einmalige Erinnerung: {product}, auf das Sie gewartet haben, ist noch verfügbar.",
        "Un seul rappel : {product}, que vous attendiez, est toujours en stock.",
        "Un único recordatorio: {product}, que esperabas, sigue disponible.",
        "一度だけのお知らせです：お待ちいただいていた{product}は、まだ在庫があります。",
        "تذكير لمرة واحدة: {product} الذي انتظرته لا يزال متوفرًا.",
        "תזכורת אחת בלבד: {product}, שחיכית לו, עדיין במלאי."
    ],
    Unsubscribe => ["Unsubscribe", "Abmelden", "Se désinscrire", "Darse de baja", "配信停止", "إلغاء الاشتراك", "הסרה מהרשימה"],
    WhyThisEmail => [
        "You asked {shop} to tell you about this product.",
        "Sie haben {shop} gebeten, Sie zu diesem Produkt zu benachrichtigen.",
        "Vous avez demandé à {shop} de vous prévenir pour ce produit.",
        "Pediste a {shop} que te avisara sobre este producto.",
        "{shop}にこの商品のお知らせを依頼されました。",
        "طلبتَ من {shop} إبلاغك بشأن هذا المنتج.",
        "ביקשת מ-{shop} לעדכן אותך על המוצר הזה."
    ],
    DigestSubject => ["Weekly supplier digest", "Wöchentliche Lieferantenübersicht", "Récapitulatif fournisseurs hebdomadaire", "Resumen semanal de proveedores", "週次サプライヤーダイジェスト", "الملخص الأسبوعي للموردين", "סיכום ספקים שבועי"],
    DigestBody => [
        "Open backorders per supplier and SKU, as CSV below (also attached).",
        "Offene Rückstände je Lieferant und SKU, unten als CSV (auch im Anhang).",
        "Commandes en attente par fournisseur et SKU, en CSV ci-dessous (et en pièce jointe).",
        "Pedidos pendientes por proveedor y SKU, en CSV abajo (también adjunto).",
        "サプライヤー・SKUごとの未出荷注文（CSV、添付あり）。",
        "الطلبات المؤجَّلة المفتوحة لكل مورّد وSKU، بصيغة CSV أدناه (ومرفقة أيضًا).",
        "הזמנות פתוחות הממתינות למלאי לפי ספק ו-SKU, כ-CSV למטה (וגם בקובץ מצורף)."
    ],
    ExpiredLink => [
        "This link has expired. Sign up again on the product page.",
        "Dieser Link ist abgelaufen. Melden Sie sich auf der Produktseite erneut an.",
        "Ce lien a expiré. Inscrivez-vous à nouveau sur la page du produit.",
        "Este enlace ha caducado. Vuelve a suscribirte en la página del producto.",
        "このリンクは期限切れです。商品ページから再度登録してください。",
        "انتهت صلاحية هذا الرابط. اشترك مجددًا من صفحة المنتج.",
        "תוקף הקישור פג. אפשר להירשם שוב בדף המוצר."
    ],
    ExpiredTitle => ["This link has expired", "Dieser Link ist abgelaufen", "Ce lien a expiré", "Este enlace ha caducado", "このリンクは期限切れです", "انتهت صلاحية هذا الرابط", "תוקף הקישור פג"],
    ConfirmExpired => [
        "Confirmation links work for {days} days. To join the waitlist for {product}, ask for a new link: we'll email it to the address you signed up with. Or sign up again on the product page.",
        "Bestätigungslinks gelten {days} Tage. Um sich für {product} vormerken zu lassen, fordern Sie einen neuen Link an: Wir senden ihn an die Adresse, mit der Sie sich angemeldet haben. Oder melden Sie sich auf der Produktseite erneut an.",
        "Les liens de confirmation sont valables {days} jours. Pour rejoindre la liste d'attente de {product}, demandez un nouveau lien : nous l'enverrons à l'adresse utilisée pour l'inscription. Ou inscrivez-vous à nouveau sur la page du produit.",
        "Los enlaces de confirmación valen {days} días. Para unirte a la lista de espera de {product}, pide un enlace nuevo: lo enviaremos a la dirección con la que te suscribiste. O vuelve a suscribirte en la página del producto.",
        "確認リンクの有効期間は{days}日間です。{product}の入荷待ちリストに登録するには、新しいリンクをリクエストしてください。登録時のメールアドレスにお送りします。商品ページから再度登録することもできます。",
        "روابط التأكيد صالحة لمدة {days} أيام. للانضمام إلى قائمة انتظار {product}، اطلب رابطًا جديدًا وسنرسله إلى العنوان الذي اشتركت به، أو اشترك مجددًا من صفحة المنتج.",
        "קישורי אישור תקפים {days} ימים. כדי להצטרף לרשימת ההמתנה ל-{product}, בקשו קישור חדש: נשלח אותו לכתובת שאיתה נרשמתם. אפשר גם להירשם שוב בדף המוצר."
    ],
    ResendButton => ["Send me a new link", "Neuen Link senden", "M'envoyer un nouveau lien", "Enviarme un enlace nuevo", "新しいリンクを送信", "أرسل لي رابطًا جديدًا", "שלחו לי קישור חדש"],
    ConfirmResent => [
        "We've sent a new confirmation link for {product} to the address you signed up with. It works for {days} days.",
        "Wir haben einen neuen Bestätigungslink für {product} an Ihre Anmeldeadresse gesendet. Er gilt {days} Tage.",
        "Nous avons envoyé un nouveau lien de confirmation pour {product} à l'adresse utilisée pour l'inscription. Il est valable {days} jours.",
        "Hemos enviado un nuevo enlace de confirmación para {product} a la dirección con la que te suscribiste. Vale {days} días.",
        "{product}の新しい確認リンクを登録時のメールアドレスに送信しました。有効期間は{days}日間です。",
        "أرسلنا رابط تأكيد جديدًا لـ {product} إلى العنوان الذي اشتركت به. الرابط صالح لمدة {days} أيام.",
        "שלחנו קישור אישור חדש ל-{product} לכתובת שאיתה נרשמתם. הוא תקף {days} ימים."
    ],    // The shopper's backorder page, regular updates and incentives (issue 18).
    OrdersTitle => ["Your orders", "Ihre Bestellungen", "Vos commandes", "Tus pedidos", "ご注文一覧", "طلباتك", "ההזמנות שלך"],
    OrdersIntro => [
        "Your backorders and preorders with {shop}, newest first.",
        "Ihre Rückstands- und Vorbestellungen bei {shop}, die neuesten zuerst.",
        "Vos commandes en attente et précommandes chez {shop}, les plus récentes d'abord.",
        "Tus pedidos pendientes y reservas en {shop}, los más recientes primero.",
        "{shop}での入荷待ち注文と予約注文（新しい順）。",
        "طلباتك المؤجَّلة والمسبقة لدى {shop}، الأحدث أولًا.",
        "ההזמנות וההזמנות המוקדמות שלך ב-{shop}, מהחדשה לישנה."
    ],
    OrderLine => ["{qty} × {product}", "{qty} × {product}", "{qty} × {product}", "{qty} × {product}", "{product}（{qty}点）", "{qty} قطعة من {product}", "{qty} יחידות של {product}"],
    OrderWaiting => [
        "Waiting for stock: number {position} in the queue.",
        "Wartet auf Ware: Nummer {position} in der Warteschlange.",
        "En attente de stock : numéro {position} dans la file.",
        "Esperando stock: número {position} de la cola.",
        "入荷待ち：{position}番目です。",
        "بانتظار المخزون: ترتيبك {position} في قائمة الانتظار.",
        "ממתין למלאי: מספר {position} בתור."
    ],
    OrderReady => [
        "Set aside for you: ready to ship.",
        "Für Sie reserviert: versandbereit.",
        "Réservé pour vous : prêt à être expédié.",
        "Apartado para ti: listo para enviar.",
        "お取り置き済み：発送準備ができました。",
        "محجوز لك: جاهز للشحن.",
        "שמור עבורך: מוכן למשלוח."
    ],
    OrderCancelled => ["Cancelled.", "Storniert.", "Annulée.", "Cancelado.", "キャンセル済みです。", "أُلغي الطلب.", "ההזמנה בוטלה."],
    OrderPlaced => ["Ordered on {date}.", "Bestellt am {date}.", "Commandé le {date}.", "Pedido el {date}.", "{date}にご注文。", "طُلب في {date}.", "הוזמן ב-{date}."],
    OrderDelayed => [
        "Delayed: we first expected {was}.",
        "Verzögert: zuerst erwartet am {was}.",
        "Retardée : d'abord prévue le {was}.",
        "Retrasado: primero previsto para el {was}.",
        "遅延：当初の予定は{was}でした。",
        "متأخر: كان الموعد المتوقع أولًا {was}.",
        "מתעכב: תחילה צפינו ל-{was}."
    ],
    OrderPartly => [
        "{done} of them already set aside for you.",
        "{done} davon sind bereits für Sie reserviert.",
        "{done} déjà réservés pour vous.",
        "{done} ya están apartados para ti.",
        "うち{done}点はお取り置き済みです。",
        "{done} منها محجوزة لك بالفعل.",
        "{done} מהן כבר שמורות עבורך."
    ],
    OrderMoved => [
        "Changed by the shop from {product}.",
        "Vom Shop geändert, vorher: {product}.",
        "Modifiée par la boutique, auparavant : {product}.",
        "Cambiado por la tienda, antes: {product}.",
        "ショップにより{product}から変更されました。",
        "غيّره المتجر، وكان: {product}.",
        "שונה על ידי החנות, קודם: {product}."
    ],
    OrdersNone => [
        "There are no orders to show for this link.",
        "Für diesen Link gibt es keine Bestellungen.",
        "Aucune commande à afficher pour ce lien.",
        "No hay pedidos que mostrar para este enlace.",
        "このリンクで表示できる注文はありません。",
        "لا توجد طلبات لعرضها لهذا الرابط.",
        "אין הזמנות להצגה עבור קישור זה."
    ],
    OrdersOlder => ["Older orders", "Ältere Bestellungen", "Commandes plus anciennes", "Pedidos anteriores", "以前の注文", "طلبات أقدم", "הזמנות קודמות"],
    OrdersExpired => [
        "This link to your orders has expired. We can email a new one to the address you ordered with.",
        "Dieser Link zu Ihren Bestellungen ist abgelaufen. Wir können Ihnen einen neuen an die Adresse senden, mit der Sie bestellt haben.",
        "Ce lien vers vos commandes a expiré. Nous pouvons en envoyer un nouveau à l'adresse utilisée pour commander.",
        "Este enlace a tus pedidos ha caducado. Podemos enviar uno nuevo a la dirección con la que hiciste el pedido.",
        "ご注文ページへのリンクの有効期限が切れました。ご注文時のメールアドレスに新しいリンクをお送りできます。",
        "انتهت صلاحية رابط طلباتك. يمكننا إرسال رابط جديد إلى العنوان الذي طلبت به.",
        "תוקף הקישור להזמנות שלך פג. נוכל לשלוח קישור חדש לכתובת שאיתה הזמנת."
    ],
    OrdersLinkSent => [
        "We've emailed a new link to the address you ordered with.",
        "Wir haben einen neuen Link an die Adresse gesendet, mit der Sie bestellt haben.",
        "Nous avons envoyé un nouveau lien à l'adresse utilisée pour commander.",
        "Hemos enviado un enlace nuevo a la dirección con la que hiciste el pedido.",
        "ご注文時のメールアドレスに新しいリンクを送信しました。",
        "أرسلنا رابطًا جديدًا إلى العنوان الذي طلبت به.",
        "שלחנו קישור חדש לכתובת שאיתה הזמנת."
    ],
    OrdersButton => ["See your orders", "Ihre Bestellungen ansehen", "Voir vos commandes", "Ver tus pedidos", "注文を確認する", "عرض طلباتك", "לצפייה בהזמנות"],
    OrdersNote => [
        "All your orders with {shop}, with their dates and a cancel button:",
        "Alle Ihre Bestellungen bei {shop} mit Terminen und Stornierung:",
        "Toutes vos commandes chez {shop}, avec leurs dates et l'annulation :",
        "Todos tus pedidos en {shop}, con sus fechas y la opción de cancelar:",
        "{shop}でのすべてのご注文（日程とキャンセル）：",
        "جميع طلباتك لدى {shop} مع مواعيدها وزر الإلغاء:",
        "כל ההזמנות שלך ב-{shop}, עם התאריכים ואפשרות ביטול:"
    ],
    OrdersLinkSubject => ["Your orders with {shop}", "Ihre Bestellungen bei {shop}", "Vos commandes chez {shop}", "Tus pedidos en {shop}", "{shop}でのご注文", "طلباتك لدى {shop}", "ההזמנות שלך ב-{shop}"],
    OrdersLinkBody => [
        "Here is a new link to see and manage your orders with {shop}.",
        "Hier ist ein neuer Link, um Ihre Bestellungen bei {shop} zu sehen und zu verwalten.",
        "Voici un nouveau lien pour voir et gérer vos commandes chez {shop}.",
        "Aquí tienes un enlace nuevo para ver y gestionar tus pedidos en {shop}.",
        "{shop}でのご注文を確認・管理するための新しいリンクです。",
        "إليك رابطًا جديدًا لعرض طلباتك لدى {shop} وإدارتها.",
        "הנה קישור חדש לצפייה בהזמנות שלך ב-{shop} ולניהולן."
    ],
    StatusSubject => [
        "Update on your order of {product}",
        "Neuigkeiten zu Ihrer Bestellung: {product}",
        "Des nouvelles de votre commande : {product}",
        "Novedades de tu pedido: {product}",
        "ご注文の状況：{product}",
        "مستجدات طلبك: {product}",
        "עדכון על ההזמנה שלך: {product}"
    ],
    StatusBody => [
        "Your order of {qty} × {product} is still waiting for stock: you are number {position} in the queue.",
        "Ihre Bestellung von {qty} × {product} wartet noch auf Ware: Sie sind Nummer {position} in der Warteschlange.",
        "Votre commande de {qty} × {product} attend toujours le stock : vous êtes numéro {position} dans la file.",
        "Tu pedido de {qty} × {product} sigue esperando stock: eres el número {position} de la cola.",
        "{product}（{qty}点）のご注文は入荷待ちです。順番は{position}番目です。",
        "لا يزال طلبك ({qty} × {product}) بانتظار المخزون: ترتيبك {position} في قائمة الانتظار.",
        "ההזמנה שלך של {qty} × {product} עדיין ממתינה למלאי: מספרך בתור הוא {position}."
    ],
    BackorderCode => [
        "Thank you for waiting: use the code {code} on your next order.",
        "Danke für Ihre Geduld: Verwenden Sie den Code {code} bei Ihrer nächsten Bestellung.",
        "Merci de votre patience : utilisez le code {code} lors de votre prochaine commande.",
        "Gracias por esperar: usa el código {code} en tu próximo pedido.",
        "お待ちいただきありがとうございます。次回のご注文でコード{code}をご利用ください。",
        "شكرًا لانتظارك: استخدم الرمز {code} في طلبك القادم.",
        "תודה על ההמתנה: השתמשו בקוד {code} בהזמנה הבאה."
    ],
    FreeShippingOrder => [
        "Shipping is free on this order.",
        "Der Versand dieser Bestellung ist kostenlos.",
        "La livraison de cette commande est offerte.",
        "El envío de este pedido es gratuito.",
        "このご注文の送料は無料です。",
        "الشحن مجاني لهذا الطلب.",
        "המשלוח בהזמנה זו חינם."
    ],
    FreeShippingRestock => [
        "Shipping is free when you order now.",
        "Wenn Sie jetzt bestellen, ist der Versand kostenlos.",
        "La livraison est offerte si vous commandez maintenant.",
        "El envío es gratuito si haces el pedido ahora.",
        "今ご注文いただくと送料無料です。",
        "الشحن مجاني عند الطلب الآن.",
        "המשלוח חינם אם מזמינים עכשיו."
    ],
}

const MONTHS: [[&str; 12]; 6] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"],
    ["ינואר", "פברואר", "מרץ", "אפריל", "מאי", "יוני", "יולי", "אוגוסט", "ספטמבר", "אוקטובר", "נובמבר", "דצמבר"],
];

/// A date written out the way each language writes it ("24 December 2026",
/// "24. Dezember 2026", "24 décembre 2026", "24 de diciembre de 2026", "2026年12月24日",
/// "24 ديسمبر 2026", "24 בדצמבר 2026"). Digits are always ASCII: Arabic emails read
/// them as well as Arabic-Indic ones, and quantities and queue positions beside the
/// date are ASCII too.
pub fn long_date(lang: Lang, date: restock_shared::Date) -> String {
    let (y, m, d) = date.ymd();
    let month = |i: usize| MONTHS[i][(m as usize).saturating_sub(1).min(11)];
    match lang {
        Lang::En => format!("{d} {} {y}", month(0)),
        Lang::De => format!("{d}. {} {y}", month(1)),
        Lang::Fr => format!("{d} {} {y}", month(2)),
        Lang::Es => format!("{d} de {} de {y}", month(3)),
        Lang::Ja => format!("{y}年{m}月{d}日"),
        Lang::Ar => format!("{d} {} {y}", month(4)),
        Lang::He => format!("{d} ב{} {y}", month(5)),
    }
}

/// `t(lang, m)` with placeholders filled in (as plain text). In a right-to-left
/// language each value goes between Unicode isolates (FSI … PDI): a product name in
/// Latin script, a date or a discount code then keeps its own order instead of being
/// reordered with the words around it (the widget does the same).
pub fn fill(lang: Lang, m: M, vars: &[(&str, &str)]) -> String {
    let mut out = t(lang, m).to_owned();
    for (name, value) in vars {
        let value = if lang.rtl() { format!("\u{2068}{value}\u{2069}") } else { (*value).to_owned() };
        out = out.replace(&format!("{{{name}}}"), &value);
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
            let holes: Vec<&str> = [
                "{product}",
                "{qty}",
                "{date}",
                "{shop}",
                "{position}",
                "{code}",
                "{days}",
                "{url}",
                "{was}",
                "{done}",
            ]
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
    fn dates_are_written_per_language() {
        let d = restock_shared::Date::from_ymd(2026, 12, 24).expect("valid");
        assert_eq!(long_date(Lang::En, d), "24 December 2026");
        assert_eq!(long_date(Lang::De, d), "24. Dezember 2026");
        assert_eq!(long_date(Lang::Fr, d), "24 décembre 2026");
        assert_eq!(long_date(Lang::Es, d), "24 de diciembre de 2026");
        assert_eq!(long_date(Lang::Ja, d), "2026年12月24日");
        assert_eq!(long_date(Lang::Ar, d), "24 ديسمبر 2026");
        assert_eq!(long_date(Lang::He, d), "24 בדצמבר 2026");
    }

    #[test]
    fn fill_substitutes_text() {
        assert_eq!(
            fill(Lang::En, M::Cancelled, &[("product", "<b>Tee</b>")]),
            "Your order of <b>Tee</b> is cancelled."
        );
        assert_eq!(
            fill(Lang::He, M::RestockCode, &[("code", "BACK10")]),
            "השתמשו בקוד \u{2068}BACK10\u{2069} בקופה.",
            "values in right-to-left text are isolated"
        );
    }

    #[test]
    fn right_to_left_messages_are_in_their_own_script() {
        let script = |s: &str, range: std::ops::RangeInclusive<char>| s.chars().any(|c| range.contains(&c));
        for &m in M::ALL {
            assert!(script(t(Lang::Ar, m), '\u{0600}'..='\u{06FF}'), "{m:?} in Arabic");
            assert!(script(t(Lang::He, m), '\u{05D0}'..='\u{05EA}'), "{m:?} in Hebrew");
        }
    }
}

"""Write examples/nps_sample.csv: the bundled NPS survey export that `feedback-nlp demo` analyses.

Every comment below was written for this project (MIT, like the rest of the repository); nothing
is copied from a data set. The export is from an imaginary online retailer of fashion and home
goods that ships across Europe and to Thailand. Rows combine a hand-written comment with, now and
then, a short opening or closing sentence in the same language, so that repeated complaints read
like different customers without becoming garbled templates.

What an analyst should find in it:
- app crashes at checkout (and the payment failures that come with them) grow in July-August;
- complaints about prices and shipping costs grow after June; the chatbot appears in May;
- late delivery, damaged parcels, refunds and returns are steady, large detractor themes.

And the mess of a real export: blank comments, "n/a" / "-" / "keine" / "brak", one record
exported twice, emoji, one mojibake row (UTF-8 read as cp1252), one comment over 2,000
characters with line breaks, one with an e-mail address and a phone number, one with a
<script> tag, one with <br>; UTF-8 with a BOM and CRLF line ends, as Excel writes it.

Run:  python scripts/make_sample.py [--out examples/nps_sample.csv]
Deterministic: the same bytes on every run (fixed seed, no clock, no set iteration).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
import string
from datetime import date
from pathlib import Path

SEED = 20260901
OUT = Path(__file__).resolve().parent.parent / "examples" / "nps_sample.csv"

COL_ID = "Response ID"
COL_DATE = "Date"
COL_CHANNEL = "Channel"
COL_SCORE = "How likely are you to recommend us? (0-10)"
COL_COMMENT = "Why did you give this score?"
COLUMNS = [COL_ID, COL_DATE, COL_CHANNEL, COL_SCORE, COL_COMMENT]

MONTHS = [(2026, m) for m in range(3, 9)]  # March..August 2026
MONTH_VOLUME = [1.0, 0.95, 1.05, 1.0, 1.1, 1.15]

# comment rows per language (blanks and non-answers come on top)
ROWS_PER_LANGUAGE = {"en": 140, "de": 60, "pl": 60, "th": 40, "fr": 48, "es": 52}

# Groups: D = detractor (0-6) complains, P = passive (6-8) mixed, R = promoter (9-10) praises.
# fmt: off
COMMENTS: dict[str, list[tuple[str, str, str]]] = {
    "en": [
        ("late_delivery", "D", "My order took almost three weeks to arrive, even though the website promised 3–5 working days."),
        ("late_delivery", "D", "Parcel was a week late and nobody told me why. The tracking page just said 'in transit' the whole time."),
        ("late_delivery", "D", "Ordered a dress for a wedding with express shipping and it arrived two days after the wedding. Paid extra for nothing."),
        ("late_delivery", "D", "Delivery was late again. Third time this year, so I've stopped paying for express."),
        ("damaged_parcel", "D", "The box was completely crushed and two of the glasses inside were broken."),
        ("damaged_parcel", "D", "My lamp arrived with a cracked base. The packaging was far too thin for something that fragile."),
        ("damaged_parcel", "D", "Jacket came with a torn seam and a stain on the sleeve, clearly a returned item that was sent out again."),
        ("left_outside", "D", "Courier left my parcel outside the front door in the rain without even knocking. The box was soaked."),
        ("left_outside", "D", "The driver marked it as delivered but left it next to the bins. Anyone could have taken it."),
        ("left_outside", "D", "Parcel was thrown over the gate and landed in a puddle. A photo on the tracking page doesn't make that OK."),
        ("refund_slow", "D", "Returned a coat five weeks ago and I'm still waiting for my refund."),
        ("refund_slow", "D", "Refunds take forever. You took my money instantly but need a month to give it back?"),
        ("refund_slow", "D", "I was told the refund would take 5 days. It's been 3 weeks and every email gets the same copy-paste answer."),
        ("return_label", "D", "The return label in the app wouldn't generate, so I had to pay for the return postage myself."),
        ("return_label", "D", "Return label printed with the wrong address and the parcel came back to me after ten days."),
        ("return_label", "D", "Why do I need to print a return label in 2026? No printer at home, and the QR code option never worked."),
        ("app_checkout", "D", "The app crashes every time I tap 'Pay now'. Tried three times and gave up."),
        ("app_checkout", "D", "App froze at checkout and I ended up being charged twice for the same order."),
        ("app_checkout", "D", "Since the last update the app closes itself as soon as I open the basket. Had to order on my laptop instead."),
        ("app_checkout", "D", "Checkout in the app is broken – it spins forever after I enter my card details 😡"),
        ("app_checkout", "D", "Couldn't complete my order in the app, it kept crashing on the delivery options screen."),
        ("app_checkout", "D", "The app logged me out at checkout and emptied my basket. Twice."),
        ("app_checkout", "D", "App keeps crashing on my iPhone at the payment step. Very frustrating when the sale ends tonight."),
        ("payment", "D", "My card was declined at checkout even though it works everywhere else. The bank says the problem is on your side."),
        ("payment", "D", "Payment declined three times, then I found three pending charges on my account."),
        ("payment", "D", "The PayPal option disappeared at checkout and my card kept getting rejected."),
        ("promo_code", "D", "The promo code from your newsletter didn't work, and customer service just told me it had expired. It hadn't."),
        ("promo_code", "D", "Discount code wasn't applied at checkout even though the item was part of the offer."),
        ("rude_service", "D", "The agent on the phone was rude and kept interrupting me. Felt like I was bothering her."),
        ("rude_service", "D", "Customer service was dismissive and basically called me a liar about the damaged item."),
        ("hold_time", "D", "Waited 50 minutes on hold just to be told to send an email."),
        ("hold_time", "D", "Spent over an hour on hold, then the call dropped. Nobody called back."),
        ("chatbot", "D", "The chatbot is useless. It keeps sending me links to the FAQ and there is no way to reach a real person."),
        ("chatbot", "D", "Your new chat assistant answered a completely different question and then closed the chat."),
        ("sizes", "D", "Sizes are all over the place. A medium in one of your brands fits like an XS in another."),
        ("sizes", "D", "Ordered my usual size 10 and it was huge. The size guide on the website is not accurate."),
        ("fabric_quality", "D", "The fabric is so thin you can see through it. After one wash the T-shirt lost its shape."),
        ("fabric_quality", "D", "Poor quality. The sweater started pilling after two days of wearing it."),
        ("colour_photos", "D", "The colour is nothing like the photos. The 'sage green' cushion covers are basically grey."),
        ("colour_photos", "D", "The bedding looked cream in the pictures and turned out bright yellow."),
        ("price_increase", "D", "Prices have gone up a lot in the last couple of months. The same jeans cost €15 more than in spring."),
        ("price_increase", "D", "Everything got more expensive and the quality didn't improve. Not worth it anymore."),
        ("shipping_costs", "D", "Shipping costs are ridiculous. €6.95 for a pair of socks?"),
        ("shipping_costs", "D", "The free delivery threshold went up again. I now have to spend €80 to avoid paying for shipping."),
        ("packaging_waste", "D", "Far too much packaging. One small scarf came in a huge box full of plastic air pillows."),
        ("website_search", "D", "The website search is hopeless, searching for 'linen shirt' shows me candles."),
        ("website_search", "D", "Filters on the website keep resetting when I go back a page. Shopping takes ages."),
        ("damaged_parcel", "P", "Delivery was fast but the jacket had a small tear on the pocket."),
        ("refund_slow", "P", "Good quality clothes, but returns are a hassle and the refund took almost three weeks."),
        ("app_checkout", "P", "Nice products overall, although the app is getting slower and crashed once at checkout."),
        ("general", "P", "Prices are fair, delivery is OK. Nothing special, nothing terrible."),
        ("sizes", "P", "I like the home collection, but the sizes in the clothing section are inconsistent."),
        ("store_staff", "P", "Store staff were helpful, but the item I wanted was out of stock in every size."),
        ("shipping_costs", "P", "The towels are great. Shipping to Thailand is expensive though."),
        ("left_outside", "P", "Decent service. Would be a 9 if the courier actually rang the bell instead of leaving a card."),
        ("colour_photos", "P", "Quick delivery, but the colour of the rug is darker than on the website."),
        ("hold_time", "P", "The customer service agent solved my problem in the end, but it took three emails and a long wait on the phone."),
        ("general", "P", "Good value for basics. I wouldn't buy anything fancy here though."),
        ("fast_delivery", "R", "Super fast delivery, ordered on Monday and it arrived on Tuesday morning!"),
        ("good_quality", "R", "Great quality for the price. The linen shirts are my favourite, I've bought four."),
        ("store_staff", "R", "The staff in the Berlin store were really helpful and found my size in the back."),
        ("easy_returns", "R", "Easy returns and the refund came within three days. That's why I keep coming back."),
        ("fast_delivery", "R", "Lovely packaging, everything arrived in perfect condition. 😊"),
        ("good_service", "R", "Customer service sorted out my damaged parcel in one call and sent a replacement straight away."),
        ("app_praise", "R", "The app is easy to use and checkout takes seconds."),
        ("good_quality", "R", "Beautiful bedding, soft fabric and the colour is exactly like the photos."),
        ("general", "R", "Always reliable. Good quality, fair prices and fast shipping."),
        ("good_quality", "R", "Love the new autumn collection ❤️ The wool coat is gorgeous."),
        ("fast_delivery", "R", "Delivered to Bangkok in 4 days, well packed. Impressed!"),
        ("sizes", "R", "Sizes are true to fit and the size guide actually helps. Rare these days."),
        ("store_staff", "R", "Friendly store staff in Kraków, they even offered to hem my trousers."),
        ("general", "R", "Fast, simple, no problems at all."),
    ],
    "de": [
        ("late_delivery", "D", "Die Lieferung hat fast drei Wochen gedauert, obwohl 3–5 Werktage angegeben waren."),
        ("late_delivery", "D", "Paket kam eine Woche zu spät und niemand hat mir gesagt, warum."),
        ("late_delivery", "D", "Expressversand bezahlt und trotzdem vier Tage gewartet. Ärgerlich."),
        ("damaged_parcel", "D", "Der Karton war völlig zerdrückt, zwei Gläser waren kaputt."),
        ("damaged_parcel", "D", "Die Lampe kam mit einem Riss im Fuß an. Viel zu dünn verpackt."),
        ("left_outside", "D", "Der Paketbote hat das Paket einfach vor die Haustür gelegt, ohne zu klingeln. Es hat geregnet."),
        ("left_outside", "D", "Als zugestellt markiert, dabei lag das Paket bei einem Nachbarn drei Häuser weiter."),
        ("refund_slow", "D", "Ich warte seit über einem Monat auf meine Rückerstattung."),
        ("refund_slow", "D", "Das Geld wird sofort abgebucht, aber die Erstattung dauert Wochen. Das geht gar nicht."),
        ("return_label", "D", "Das Retourenetikett ließ sich in der App nicht erstellen, ich musste das Porto selbst zahlen."),
        ("return_label", "D", "Die Rücksendung ist umständlich, das Etikett war fehlerhaft und die Packstation hat es nicht angenommen."),
        ("app_checkout", "D", "Die App stürzt jedes Mal ab, wenn ich auf „Jetzt bezahlen“ tippe."),
        ("app_checkout", "D", "Beim Bezahlen ist die App eingefroren und ich wurde doppelt belastet."),
        ("app_checkout", "D", "Seit dem letzten Update schließt sich die App, sobald ich den Warenkorb öffne."),
        ("app_checkout", "D", "Der Checkout in der App funktioniert nicht mehr, er hängt nach der Eingabe der Kartendaten 😤"),
        ("payment", "D", "Meine Karte wurde abgelehnt, obwohl sie überall sonst funktioniert."),
        ("payment", "D", "Die Zahlung per Rechnung wird ständig abgelehnt, ohne Begründung."),
        ("promo_code", "D", "Der Gutscheincode aus dem Newsletter funktioniert nicht, und der Support konnte auch nicht helfen."),
        ("rude_service", "D", "Die Mitarbeiterin am Telefon war unfreundlich und hat mich ständig unterbrochen."),
        ("hold_time", "D", "45 Minuten in der Warteschleife und dann wurde einfach aufgelegt."),
        ("chatbot", "D", "Der Chatbot ist nutzlos, man kommt nie zu einem echten Menschen durch."),
        ("sizes", "D", "Die Größen fallen völlig unterschiedlich aus. M ist mal zu groß, mal zu klein."),
        ("sizes", "D", "Ich habe meine normale Größe 38 bestellt und die Hose war viel zu eng."),
        ("fabric_quality", "D", "Der Stoff ist dünn und nach der ersten Wäsche war das Shirt total verzogen."),
        ("fabric_quality", "D", "Der Pullover hat schon nach zwei Tagen Knötchen gebildet. Schlechte Qualität."),
        ("colour_photos", "D", "Die Farbe sieht ganz anders aus als auf den Fotos. Statt Salbeigrün eher Grau."),
        ("price_increase", "D", "Die Preise sind in den letzten Monaten stark gestiegen, die Qualität leider nicht."),
        ("shipping_costs", "D", "Versandkosten von 6,95 € für ein Paar Socken sind eine Frechheit."),
        ("packaging_waste", "D", "Viel zu viel Verpackungsmüll für einen kleinen Schal. Unnötig viel Plastik."),
        ("website_search", "D", "Die Suche auf der Website findet nie, was ich suche."),
        ("damaged_parcel", "P", "Die Lieferung war schnell, aber die Jacke hatte ein Loch an der Tasche."),
        ("refund_slow", "P", "Gute Qualität, aber die Rücksendung ist kompliziert und die Erstattung dauert zu lange."),
        ("app_checkout", "P", "Schöne Sachen, nur die App stürzt in letzter Zeit öfter beim Bezahlen ab."),
        ("general", "P", "Preis-Leistung ist okay. Nichts Besonderes, aber auch nichts Schlimmes."),
        ("store_staff", "P", "Freundliches Personal in der Filiale, aber meine Größe war nicht vorrätig."),
        ("colour_photos", "P", "Die Handtücher sind toll, die Farbe ist aber etwas dunkler als auf der Website."),
        ("fast_delivery", "R", "Super schnelle Lieferung, am Montag bestellt und am Dienstag war alles da!"),
        ("good_quality", "R", "Tolle Qualität zum fairen Preis. Die Leinenhemden sind klasse."),
        ("store_staff", "R", "Sehr hilfsbereite Mitarbeiter in der Filiale in Hamburg, danke!"),
        ("easy_returns", "R", "Rücksendung problemlos und das Geld war nach drei Tagen wieder auf dem Konto."),
        ("fast_delivery", "R", "Alles perfekt verpackt und schnell geliefert 👍"),
        ("good_service", "R", "Der Kundenservice hat mein Problem sofort gelöst und Ersatz geschickt."),
        ("app_praise", "R", "Die App ist übersichtlich und der Bezahlvorgang geht schnell."),
        ("good_quality", "R", "Die Bettwäsche fühlt sich hochwertig an und die Farbe stimmt genau."),
    ],
    "pl": [
        ("late_delivery", "D", "Paczka szła prawie trzy tygodnie, a na stronie było napisane 3–5 dni roboczych."),
        ("late_delivery", "D", "Zamówienie przyszło z tygodniowym opóźnieniem i nikt mnie o tym nie poinformował."),
        ("late_delivery", "D", "Zapłaciłam za dostawę ekspresową, a i tak czekałam cztery dni."),
        ("damaged_parcel", "D", "Karton był zgnieciony, a dwie szklanki w środku potłuczone."),
        ("damaged_parcel", "D", "Lampa przyszła pęknięta. Opakowanie było zdecydowanie za słabe."),
        ("left_outside", "D", "Kurier zostawił paczkę pod drzwiami i nawet nie zadzwonił. Padał deszcz."),
        ("left_outside", "D", "Kurier oznaczył paczkę jako doręczoną, a zostawił ją przy śmietniku."),
        ("refund_slow", "D", "Czekam na zwrot pieniędzy już ponad miesiąc."),
        ("refund_slow", "D", "Pieniądze pobieracie od razu, a zwrot trwa tygodniami. Tak nie może być."),
        ("return_label", "D", "Etykieta zwrotna nie generowała się w aplikacji, musiałem sam zapłacić za odesłanie."),
        ("return_label", "D", "Zwrot to koszmar – etykieta miała błędny adres i paczka wróciła do mnie."),
        ("app_checkout", "D", "Aplikacja wyłącza się za każdym razem, gdy klikam „Zapłać”."),
        ("app_checkout", "D", "Aplikacja zawiesiła się przy płatności i pobrało mi pieniądze dwa razy."),
        ("app_checkout", "D", "Od ostatniej aktualizacji aplikacja się zamyka, gdy tylko otworzę koszyk."),
        ("app_checkout", "D", "Nie da się dokończyć zamówienia w aplikacji, ciągle się wysypuje przy wyborze dostawy 😡"),
        ("payment", "D", "Karta została odrzucona przy płatności, chociaż wszędzie indziej działa."),
        ("payment", "D", "BLIK nie działa przy finalizacji zamówienia, trzy próby i nic."),
        ("promo_code", "D", "Kod rabatowy z newslettera nie działał, a obsługa twierdziła, że wygasł."),
        ("rude_service", "D", "Konsultantka była niemiła i ciągle mi przerywała."),
        ("hold_time", "D", "Czekałem na linii 40 minut, po czym rozmowa się rozłączyła."),
        ("chatbot", "D", "Chatbot jest bezużyteczny, nie da się połączyć z prawdziwym człowiekiem."),
        ("sizes", "D", "Rozmiary są bardzo niekonsekwentne, M raz jest za duże, a raz za małe."),
        ("sizes", "D", "Zamówiłam swój standardowy rozmiar 38 i sukienka była ogromna."),
        ("fabric_quality", "D", "Materiał jest cienki i prześwitujący, po jednym praniu koszulka się rozciągnęła."),
        ("fabric_quality", "D", "Sweter zmechacił się po dwóch dniach noszenia. Słaba jakość."),
        ("colour_photos", "D", "Kolor zupełnie inny niż na zdjęciach, zamiast beżowego przyszedł żółty."),
        ("price_increase", "D", "Ceny mocno poszły w górę w ostatnich miesiącach, a jakość się nie poprawiła."),
        ("shipping_costs", "D", "Koszt wysyłki 24,99 zł za jedną koszulkę to przesada."),
        ("packaging_waste", "D", "Za dużo plastiku w opakowaniu, mały szalik w ogromnym kartonie."),
        ("website_search", "D", "Wyszukiwarka na stronie nie działa, wpisuję „lniana koszula” i pokazuje świeczki."),
        ("damaged_parcel", "P", "Dostawa szybka, ale kurtka miała rozdarcie przy kieszeni."),
        ("refund_slow", "P", "Dobra jakość ubrań, ale zwroty są uciążliwe i długo czekałam na pieniądze."),
        ("app_checkout", "P", "Fajne produkty, tylko aplikacja ostatnio często się zawiesza przy płatności."),
        ("general", "P", "Ceny w porządku, dostawa też. Nic specjalnego."),
        ("store_staff", "P", "Obsługa w sklepie miła, ale nie było mojego rozmiaru."),
        ("colour_photos", "P", "Ręczniki świetne, ale kolor jest ciemniejszy niż na stronie."),
        ("fast_delivery", "R", "Bardzo szybka dostawa, zamówiłam w poniedziałek, a we wtorek paczka była u mnie!"),
        ("good_quality", "R", "Świetna jakość w dobrej cenie. Lniane koszule są super."),
        ("store_staff", "R", "Bardzo pomocna obsługa w sklepie w Krakowie, dziękuję!"),
        ("easy_returns", "R", "Zwrot bez problemu, pieniądze wróciły po trzech dniach."),
        ("fast_delivery", "R", "Wszystko dobrze zapakowane i dostarczone na czas 👍"),
        ("good_service", "R", "Konsultant od razu rozwiązał mój problem i wysłał nową paczkę."),
        ("app_praise", "R", "Aplikacja jest wygodna, a płatność trwa chwilę."),
        ("good_quality", "R", "Pościel jest miękka, a kolor dokładnie taki jak na zdjęciu."),
    ],
    "th": [
        ("late_delivery", "D", "ส่งของช้ามาก สั่งไปเกือบสามอาทิตย์กว่าจะได้ของ"),
        ("late_delivery", "D", "ของมาช้ากว่าที่แจ้งไว้หนึ่งอาทิตย์ ไม่มีใครแจ้งอะไรเลย"),
        ("damaged_parcel", "D", "กล่องบุบมาก แก้วข้างในแตกสองใบ"),
        ("damaged_parcel", "D", "โคมไฟที่สั่งมาฐานร้าว แพ็คของมาบางเกินไป"),
        ("left_outside", "D", "คนส่งของวางกล่องไว้หน้าบ้านตอนฝนตก ไม่โทรบอกเลย ของเปียกหมด"),
        ("refund_slow", "D", "ขอคืนเงินไปเกือบเดือนแล้ว ยังไม่ได้เงินคืนเลย"),
        ("refund_slow", "D", "ตัดเงินเร็วมาก แต่คืนเงินช้ามาก ติดต่อไปก็ตอบแบบเดิมทุกครั้ง"),
        ("return_label", "D", "สร้างใบส่งคืนสินค้าในแอปไม่ได้ ต้องจ่ายค่าส่งคืนเอง"),
        ("app_checkout", "D", "แอปเด้งออกทุกครั้งที่กดชำระเงิน ลองสามรอบแล้วก็ไม่ได้ 😡"),
        ("app_checkout", "D", "แอปค้างตอนจ่ายเงิน แล้วโดนตัดเงินซ้ำสองครั้ง"),
        ("app_checkout", "D", "หลังอัปเดตล่าสุด เปิดตะกร้าแล้วแอปปิดเองทุกครั้ง"),
        ("payment", "D", "บัตรเครดิตโดนปฏิเสธตอนชำระเงิน ทั้งที่ใช้ที่อื่นได้ปกติ"),
        ("promo_code", "D", "โค้ดส่วนลดใช้ไม่ได้ แอดมินบอกว่าหมดอายุแล้ว แต่จริงๆ ยังไม่หมด"),
        ("rude_service", "D", "พนักงานคอลเซ็นเตอร์พูดจาไม่ดี ไม่ค่อยฟังลูกค้า"),
        ("hold_time", "D", "รอสายนานเกือบชั่วโมง แล้วสายก็ตัดไป"),
        ("chatbot", "D", "แชทบอทไม่ช่วยอะไรเลย ตอบไม่ตรงคำถาม ติดต่อคนจริงๆ ไม่ได้"),
        ("sizes", "D", "ไซส์ไม่ตรงตามตาราง สั่ง M มาใส่ไม่ได้เลย เล็กมาก"),
        ("fabric_quality", "D", "ผ้าบางมาก ซักครั้งเดียวเสื้อย้วยเลย"),
        ("colour_photos", "D", "สีไม่ตรงกับรูป ในรูปเป็นสีครีม ของจริงเหลืองมาก"),
        ("shipping_costs", "D", "ค่าส่งมาไทยแพงเกินไป แพงกว่าค่าเสื้ออีก"),
        ("price_increase", "D", "ช่วงนี้ราคาขึ้นเยอะมาก แต่คุณภาพเหมือนเดิม"),
        ("damaged_parcel", "P", "ส่งไว แต่เสื้อแจ็คเก็ตมีรอยขาดนิดหน่อยที่กระเป๋า"),
        ("refund_slow", "P", "ของดี แต่ขั้นตอนคืนสินค้ายุ่งยาก รอเงินคืนนาน"),
        ("app_checkout", "P", "โดยรวมโอเค แต่แอปช้าลงและค้างบ่อยตอนจ่ายเงิน"),
        ("shipping_costs", "P", "ผ้าขนหนูดีมาก แต่ค่าส่งแพงไปหน่อย"),
        ("fast_delivery", "R", "ส่งเร็วมาก สั่งวันจันทร์ ได้ของวันพุธ แพ็คมาดีมากค่ะ"),
        ("good_quality", "R", "คุณภาพดีมาก ใส่สบาย ราคาคุ้มค่า จะสั่งอีกแน่นอน 😊"),
        ("store_staff", "R", "พนักงานที่สาขาเซ็นทรัลเวิลด์บริการดีมาก ช่วยหาไซส์ให้"),
        ("easy_returns", "R", "คืนสินค้าง่าย ได้เงินคืนภายในสามวัน ประทับใจครับ"),
        ("app_praise", "R", "แอปใช้ง่าย จ่ายเงินไม่กี่วินาทีก็เสร็จ"),
        ("good_quality", "R", "ผ้าปูที่นอนนุ่ม สีตรงปก ชอบมากค่ะ ❤️"),
        ("good_service", "R", "แอดมินตอบไว แก้ปัญหาให้ทันที ขอบคุณครับ"),
        ("fast_delivery", "R", "แพ็คของดี ส่งถึงกรุงเทพฯ ใน 4 วัน ประทับใจ"),
    ],
    "fr": [
        ("late_delivery", "D", "Ma commande a mis presque trois semaines à arriver alors qu'on m'annonçait 3 à 5 jours ouvrés."),
        ("late_delivery", "D", "Colis livré avec une semaine de retard, sans aucune explication."),
        ("late_delivery", "D", "J'ai payé la livraison express et j'ai quand même attendu quatre jours."),
        ("damaged_parcel", "D", "Le carton était complètement écrasé et deux verres étaient cassés."),
        ("damaged_parcel", "D", "La lampe est arrivée fissurée, l'emballage était beaucoup trop léger."),
        ("left_outside", "D", "Le livreur a laissé le colis devant la porte sous la pluie, sans sonner."),
        ("left_outside", "D", "Colis marqué comme livré alors qu'il était posé à côté des poubelles."),
        ("refund_slow", "D", "J'attends mon remboursement depuis plus d'un mois."),
        ("refund_slow", "D", "Vous débitez tout de suite mais le remboursement prend des semaines. Inadmissible."),
        ("return_label", "D", "Impossible de générer l'étiquette de retour dans l'appli, j'ai dû payer le retour moi-même."),
        ("app_checkout", "D", "L'application plante à chaque fois que j'appuie sur « Payer »."),
        ("app_checkout", "D", "L'appli s'est figée au moment du paiement et j'ai été débitée deux fois."),
        ("app_checkout", "D", "Depuis la dernière mise à jour, l'application se ferme dès que j'ouvre le panier 😤"),
        ("payment", "D", "Ma carte a été refusée au paiement alors qu'elle fonctionne partout ailleurs."),
        ("promo_code", "D", "Le code promo de la newsletter ne fonctionnait pas et personne n'a pu m'aider."),
        ("rude_service", "D", "La conseillère au téléphone était désagréable et me coupait sans arrêt la parole."),
        ("hold_time", "D", "45 minutes d'attente au téléphone pour qu'on me dise d'envoyer un e-mail."),
        ("chatbot", "D", "Le chatbot ne sert à rien, impossible de parler à un vrai conseiller."),
        ("sizes", "D", "Les tailles sont incohérentes, un M taille parfois comme un S."),
        ("sizes", "D", "J'ai commandé ma taille habituelle et le pantalon était beaucoup trop serré."),
        ("fabric_quality", "D", "Le tissu est fin et transparent, le t-shirt s'est déformé au premier lavage."),
        ("fabric_quality", "D", "Le pull a bouloché au bout de deux jours. Qualité décevante."),
        ("colour_photos", "D", "La couleur n'a rien à voir avec les photos, le vert sauge est en fait gris."),
        ("price_increase", "D", "Les prix ont beaucoup augmenté ces derniers mois, la qualité non."),
        ("shipping_costs", "D", "6,95 € de frais de port pour une paire de chaussettes, c'est abusé."),
        ("packaging_waste", "D", "Beaucoup trop d'emballage plastique pour une petite écharpe."),
        ("website_search", "D", "La recherche sur le site est nulle : je tape « chemise en lin » et on me propose des bougies."),
        ("damaged_parcel", "P", "Livraison rapide, mais la veste était abîmée au niveau de la poche."),
        ("refund_slow", "P", "Bonne qualité, mais les retours sont compliqués et le remboursement trop long."),
        ("app_checkout", "P", "Jolis produits, mais l'appli plante de plus en plus souvent au paiement."),
        ("general", "P", "Rapport qualité-prix correct. Rien d'exceptionnel."),
        ("store_staff", "P", "Personnel sympa en magasin, mais ma taille n'était pas disponible."),
        ("colour_photos", "P", "Les serviettes sont top, la couleur est juste un peu plus foncée que sur le site."),
        ("fast_delivery", "R", "Livraison ultra rapide, commandé lundi et reçu mardi !"),
        ("good_quality", "R", "Très bonne qualité pour le prix, les chemises en lin sont parfaites."),
        ("store_staff", "R", "Vendeuses très serviables dans le magasin de Lyon, merci !"),
        ("easy_returns", "R", "Retour facile et remboursement en trois jours, rien à redire."),
        ("fast_delivery", "R", "Colis bien emballé et arrivé en parfait état 👍"),
        ("good_service", "R", "Le service client a réglé mon problème en un appel et m'a renvoyé un article."),
        ("app_praise", "R", "L'appli est simple et le paiement se fait en quelques secondes."),
        ("good_quality", "R", "Linge de lit très doux et couleur conforme aux photos."),
    ],
    "es": [
        ("late_delivery", "D", "Mi pedido tardó casi tres semanas en llegar y en la web ponía de 3 a 5 días laborables."),
        ("late_delivery", "D", "El paquete llegó con una semana de retraso y nadie me avisó."),
        ("late_delivery", "D", "Pagué el envío exprés y aun así esperé cuatro días."),
        ("damaged_parcel", "D", "La caja llegó aplastada y dos vasos estaban rotos."),
        ("damaged_parcel", "D", "La lámpara llegó con la base rajada. El embalaje era demasiado fino."),
        ("left_outside", "D", "El repartidor dejó el paquete en la puerta bajo la lluvia sin llamar al timbre."),
        ("left_outside", "D", "Marcaron el pedido como entregado, pero lo dejaron junto a los contenedores de basura."),
        ("refund_slow", "D", "Llevo más de un mes esperando el reembolso."),
        ("refund_slow", "D", "Cobráis al instante, pero el reembolso tarda semanas. No es serio."),
        ("return_label", "D", "La etiqueta de devolución no se generaba en la app y tuve que pagar yo el envío."),
        ("return_label", "D", "La etiqueta de devolución tenía mal la dirección y el paquete volvió a mi casa."),
        ("app_checkout", "D", "La aplicación se cierra cada vez que pulso «Pagar»."),
        ("app_checkout", "D", "La app se quedó colgada en el pago y me cobraron dos veces."),
        ("app_checkout", "D", "Desde la última actualización la app se cierra en cuanto abro la cesta 😡"),
        ("app_checkout", "D", "No hay manera de terminar la compra en la app, se bloquea al elegir el envío."),
        ("payment", "D", "Me rechazaron la tarjeta en el pago, y en cualquier otra tienda funciona."),
        ("promo_code", "D", "El código de descuento de la newsletter no funcionaba."),
        ("rude_service", "D", "La agente fue muy borde y no me dejaba hablar."),
        ("hold_time", "D", "Estuve 50 minutos en espera para que me dijeran que mandara un correo."),
        ("chatbot", "D", "El chatbot no sirve para nada, no hay forma de hablar con una persona."),
        ("sizes", "D", "Las tallas no tienen lógica, una M a veces es una S."),
        ("sizes", "D", "Pedí mi talla de siempre y el vestido me quedaba enorme."),
        ("fabric_quality", "D", "La tela es finísima, la camiseta se deformó en el primer lavado."),
        ("fabric_quality", "D", "El jersey cogió bolitas a los dos días. Muy mala calidad."),
        ("colour_photos", "D", "El color no se parece nada al de las fotos, el verde salvia es gris."),
        ("price_increase", "D", "Los precios han subido mucho estos últimos meses y la calidad sigue igual."),
        ("shipping_costs", "D", "6,95 € de gastos de envío por un par de calcetines es un abuso."),
        ("packaging_waste", "D", "Demasiado plástico para una bufanda pequeña. Podríais mejorar el embalaje."),
        ("website_search", "D", "El buscador de la web no encuentra nada de lo que busco."),
        ("damaged_parcel", "P", "El envío fue rápido, pero la chaqueta venía con un roto en el bolsillo."),
        ("refund_slow", "P", "Buena calidad, pero las devoluciones son un lío y el reembolso tarda demasiado."),
        ("app_checkout", "P", "Productos bonitos, aunque la app se cuelga cada vez más al pagar."),
        ("general", "P", "Precio razonable, entrega correcta. Nada del otro mundo."),
        ("store_staff", "P", "El personal de la tienda fue amable, pero no tenían mi talla."),
        ("colour_photos", "P", "Las toallas son geniales, aunque el color es más oscuro que en la web."),
        ("fast_delivery", "R", "Entrega rapidísima, lo pedí el lunes y el martes ya lo tenía."),
        ("good_quality", "R", "Muy buena calidad por el precio. Las camisas de lino son perfectas."),
        ("store_staff", "R", "Las dependientas de la tienda de Madrid fueron muy atentas, ¡gracias!"),
        ("easy_returns", "R", "Devolución fácil y el dinero me llegó en tres días."),
        ("fast_delivery", "R", "Todo bien embalado y llegó en perfecto estado 👍"),
        ("good_service", "R", "Atención al cliente me solucionó el problema en una llamada y me mandaron otro artículo."),
        ("app_praise", "R", "La app es muy cómoda y el pago es rapidísimo."),
        ("good_quality", "R", "Ropa de cama muy suave y el color es igual que en la foto."),
    ],
}

# Short sentences a respondent might put before or after the comment, per language and group;
# chosen to fit any comment of their group (no "first order" before "third time this year").
OPENERS = {
    "en": ["I order from you quite often.", "Long-time customer here."],
    "de": ["Ich bestelle regelmäßig bei euch.", "Bin seit Jahren Kundin."],
    "pl": ["Zamawiam u was regularnie.", "Kupuję u was od lat."],
    "th": ["สั่งประจำ", "เป็นลูกค้ามาหลายปีแล้ว"],
    "fr": ["Je commande régulièrement chez vous.", "Cliente depuis des années."],
    "es": ["Compro aquí a menudo.", "Soy clienta desde hace años."],
}
CLOSERS = {
    "en": {
        "D": ["Very disappointed.", "I won't be ordering again.", "Please sort this out.", "Not acceptable."],
        "P": ["Otherwise fine.", "Could be better.", "Room for improvement."],
        "R": ["Keep it up!", "Will definitely order again.", "Highly recommend.", "Thank you!"],
    },
    "de": {
        "D": ["Sehr enttäuschend.", "Ich bestelle nicht mehr.", "Bitte dringend verbessern."],
        "P": ["Sonst alles in Ordnung.", "Da ist noch Luft nach oben."],
        "R": ["Weiter so!", "Gerne wieder.", "Absolut empfehlenswert."],
    },
    "pl": {
        "D": ["Bardzo słabo.", "Więcej nie zamówię.", "Proszę to poprawić."],
        "P": ["Poza tym w porządku.", "Mogłoby być lepiej."],
        "R": ["Tak trzymać!", "Na pewno zamówię ponownie.", "Polecam!"],
    },
    "th": {
        "D": ["ผิดหวังมาก", "ไม่สั่งอีกแล้ว", "ช่วยปรับปรุงด้วย"],
        "P": ["นอกนั้นโอเค", "ควรปรับปรุงอีกนิด"],
        "R": ["จะกลับมาสั่งอีก", "แนะนำเลย", "ชอบมาก"],
    },
    "fr": {
        "D": ["Très déçue.", "Je ne commanderai plus.", "À revoir."],
        "P": ["Sinon, rien à signaler.", "Peut mieux faire."],
        "R": ["Continuez comme ça !", "Je recommande !", "Merci !"],
    },
    "es": {
        "D": ["Muy decepcionada.", "No vuelvo a comprar.", "A ver si lo mejoráis."],
        "P": ["Por lo demás, bien.", "Mejorable."],
        "R": ["¡Seguid así!", "Repetiré seguro.", "Lo recomiendo."],
    },
}

# Where the survey was triggered, by theme: (channel, weight).
CHANNELS = {
    "late_delivery": [("Delivery", 9), ("Website", 1)],
    "damaged_parcel": [("Delivery", 8), ("Returns", 1), ("Customer service", 1)],
    "left_outside": [("Delivery", 10)],
    "fast_delivery": [("Delivery", 8), ("Website", 1), ("Mobile app", 1)],
    "packaging_waste": [("Delivery", 9), ("Website", 1)],
    "refund_slow": [("Returns", 8), ("Customer service", 2)],
    "return_label": [("Returns", 9), ("Mobile app", 1)],
    "easy_returns": [("Returns", 10)],
    "app_checkout": [("Mobile app", 6), ("Checkout", 4)],
    "app_praise": [("Mobile app", 8), ("Checkout", 2)],
    "payment": [("Checkout", 8), ("Mobile app", 2)],
    "promo_code": [("Checkout", 7), ("Website", 2), ("Customer service", 1)],
    "rude_service": [("Customer service", 10)],
    "hold_time": [("Customer service", 10)],
    "chatbot": [("Customer service", 8), ("Website", 2)],
    "good_service": [("Customer service", 10)],
    "sizes": [("Website", 5), ("Mobile app", 2), ("Returns", 2), ("Store", 1)],
    "fabric_quality": [("Website", 5), ("Mobile app", 2), ("Store", 1), ("Returns", 2)],
    "colour_photos": [("Website", 6), ("Mobile app", 3), ("Returns", 1)],
    "good_quality": [("Website", 5), ("Mobile app", 3), ("Store", 2)],
    "price_increase": [("Website", 6), ("Mobile app", 3), ("Store", 1)],
    "shipping_costs": [("Checkout", 6), ("Website", 4)],
    "website_search": [("Website", 10)],
    "store_staff": [("Store", 10)],
    "general": [("Website", 4), ("Mobile app", 3), ("Delivery", 2), ("Store", 1)],
}
ALL_CHANNELS = ["Website", "Mobile app", "Checkout", "Delivery", "Returns", "Customer service", "Store"]

# Themes that move over the months (weights for March..August); all others are flat.
TREND = {
    "app_checkout": [0.3, 0.3, 0.4, 0.7, 2.6, 3.2],   # the June app release breaks checkout
    "payment": [0.6, 0.6, 0.6, 0.8, 1.6, 1.8],
    "price_increase": [0.2, 0.3, 0.4, 1.6, 1.7, 1.8],  # new price list in June
    "shipping_costs": [0.5, 0.5, 0.6, 1.4, 1.5, 1.5],
    "chatbot": [0.0, 0.0, 0.8, 1.0, 1.2, 1.2],          # the chatbot goes live in May
}
# Extra weight when a comment is drawn a second time, so the growing themes are big enough.
REPEAT_WEIGHT = {"app_checkout": 3.0, "payment": 1.5, "price_increase": 2.0, "shipping_costs": 1.3}
# Most respondents who bother to write are unhappy, but not that many: draw praise more often
# the second time round, for an NPS near zero rather than a wall of complaints.
GROUP_WEIGHT = {"D": 1.0, "P": 2.5, "R": 10.0}

LONG_COMMENT = (
    "I have been a customer for about four years and I have never written a review before, but "
    "this order was such a mess that I feel I have to explain what happened. On 2 July I ordered "
    "a linen duvet cover, two pairs of curtains and a rain jacket for my son, about €240 in total. "
    "The website said delivery in 3–5 working days. After a week the tracking still said 'label "
    "created', and when I asked in the chat, the chatbot sent me the same FAQ link about delivery "
    "times three times in a row and then closed the conversation. I called customer service "
    "instead and waited 47 minutes on hold before someone picked up. The agent was polite but "
    "could only tell me that the parcel was 'delayed at the depot' and that I should wait a few "
    "more days.\n"
    "The parcel finally arrived twelve days after I ordered, but the courier did not ring the "
    "bell. He left it on the doorstep in the rain, took a photo and drove off. By the time I got "
    "home the box was soaked through and one of the curtains had a large water stain that did "
    "not come out in the wash. The rain jacket was fine, but it was two sizes too small, even "
    "though I ordered the same size he wears from your own brand last year.\n"
    "So I started a return. The return label would not generate in the app (it crashed twice at "
    "the last step), so I printed one from the website at work. The drop-off point refused the "
    "parcel because the barcode would not scan. I went back the next day, tried another shop, "
    "and it was finally accepted. That was on 21 July. Today, more than five weeks later, I still "
    "have not received my refund of €129. Every email I send gets the same answer: 'your return "
    "is being processed, please allow 14 days'. It has been a lot more than 14 days.\n"
    "I understand that things go wrong sometimes, and the duvet cover itself is lovely. But every "
    "single step after I paid was a problem: the delivery, the courier, the sizing, the app, the "
    "return label and now the refund. Nobody takes responsibility, and I have spent hours of my "
    "own time chasing you for my own money. Unless the refund arrives this week I will dispute "
    "the payment with my bank, and I will not be ordering from you again."
)

# (language, date, channel, score, comment): rows that test a reader, a cleaner and a report.
SPECIAL_ROWS = [
    ("en", "2026-08-27", "Returns", 0, LONG_COMMENT),
    ("en", "2026-07-14", "Returns", 2,
     ("Still no refund for my return from June. Please call me back on +44 20 7946 0958 or write "
     "to m.harrison@example.com – I have asked three times already.")),
    ("en", "2026-06-09", "Website", 4,
     ("Your site search is broken. I pasted <script>alert(1)</script> into the search box out of "
     "curiosity and it showed it straight back on the results page. Please get that checked.")),
    ("en", "2026-05-18", "Delivery", 7,
     "Order arrived on time.<br>The cushion covers are lovely, but the zip on one of them was broken."),
    # UTF-8 text that went through a cp1252 decode somewhere upstream
    ("de", "2026-04-22", "Delivery", 7,
     "Die Lieferung war schnell, aber die Größe passt nicht.".encode().decode("cp1252")),
]
NON_ANSWERS = ["n/a", "N/A", "-", "keine", "brak", "Nothing to add", "nada"]
N_BLANK = 15
# fmt: on


def pick_weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def score_for(rng: random.Random, group: str) -> int:
    if group == "D":
        return rng.choices(range(7), weights=[5, 6, 8, 9, 9, 8, 6])[0]
    if group == "P":
        return rng.choices([6, 7, 8], weights=[1, 5, 4])[0]
    return rng.choices([9, 10], weights=[4, 6])[0]


def random_day(rng: random.Random, month_index: int) -> str:
    year, month = MONTHS[month_index]
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    return date(year, month, day).isoformat()


def pick_month(rng: random.Random, theme: str) -> int:
    trend = TREND.get(theme, [1.0] * len(MONTHS))
    weights = [v * t for v, t in zip(MONTH_VOLUME, trend)]
    return rng.choices(range(len(MONTHS)), weights=weights)[0]


def pick_channel(rng: random.Random, theme: str) -> str:
    roll = rng.random()
    if roll < 0.07:
        return ""  # the survey tool did not record where it was triggered
    if roll < 0.12:
        return rng.choice(ALL_CHANNELS)  # surveyed at another touchpoint than the complaint
    return pick_weighted(rng, CHANNELS[theme])


def compose(rng: random.Random, lang: str, group: str, core: str, used: set[str]) -> str:
    """The comment, sometimes with an opener or closer; a new variant when the text was used."""
    sep = " "
    for attempt in range(12):
        opener = rng.choice(OPENERS[lang]) if rng.random() < (0.12 + 0.1 * attempt) else ""
        closer = rng.choice(CLOSERS[lang][group]) if rng.random() < (0.3 + 0.1 * attempt) else ""
        if closer and closer[:4] in core:  # "ชอบมากค่ะ" + "ชอบมาก", "Polecam!" twice
            closer = ""
        text = sep.join(part for part in (opener, core, closer) if part)
        if text not in used:
            break
    used.add(text)
    return text


def comment_rows(rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for lang, n_rows in ROWS_PER_LANGUAGE.items():
        cores = COMMENTS[lang]
        n_rows -= sum(1 for special in SPECIAL_ROWS if special[0] == lang)
        picks = list(cores)
        rng.shuffle(picks)
        picks = picks[:n_rows]
        weights = [REPEAT_WEIGHT.get(theme, 1.0) * GROUP_WEIGHT[group] for theme, group, _ in cores]
        picks += rng.choices(cores, weights=weights, k=n_rows - len(picks))
        used: set[str] = set()
        for theme, group, core in picks:
            rows.append(
                {
                    COL_DATE: random_day(rng, pick_month(rng, theme)),
                    COL_CHANNEL: pick_channel(rng, theme),
                    COL_SCORE: score_for(rng, group),
                    COL_COMMENT: compose(rng, lang, group, core, used),
                }
            )
    return rows


def build_rows(seed: int = SEED) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = comment_rows(rng)
    for _, day, channel, score, text in SPECIAL_ROWS:
        rows.append({COL_DATE: day, COL_CHANNEL: channel, COL_SCORE: score, COL_COMMENT: text})
    for text in NON_ANSWERS:
        rows.append(
            {
                COL_DATE: random_day(rng, rng.randrange(len(MONTHS))),
                COL_CHANNEL: rng.choice(ALL_CHANNELS),
                COL_SCORE: rng.choice([5, 7, 8, 8, 9, 10]),
                COL_COMMENT: text,
            }
        )
    for _ in range(N_BLANK):  # passives and promoters often skip the comment box
        rows.append(
            {
                COL_DATE: random_day(rng, rng.randrange(len(MONTHS))),
                COL_CHANNEL: rng.choice([*ALL_CHANNELS, ""]),
                COL_SCORE: rng.choice([3, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10, 10]),
                COL_COMMENT: "",
            }
        )
    # a survey export is in submission order; same-day order is arbitrary
    rows = [row for _, row in sorted(((row[COL_DATE], rng.random()), row) for row in rows)]
    alphabet = string.ascii_letters + string.digits
    seen: set[str] = set()
    for row in rows:
        rid = "R_" + "".join(rng.choices(alphabet, k=15))
        while rid in seen:
            rid = "R_" + "".join(rng.choices(alphabet, k=15))
        seen.add(rid)
        row[COL_ID] = rid
    # one record exported twice (two overlapping downloads pasted together)
    original = next(
        i for i, row in enumerate(rows) if "Refunds take forever" in str(row[COL_COMMENT])
    )
    rows.insert(min(original + 41, len(rows)), dict(rows[original]))
    return rows


def write_csv(rows: list[dict[str, object]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file (default: {OUT})")
    args = parser.parse_args()
    rows = build_rows()
    write_csv(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()

"""Demo data of verified sellers and certificates, loaded by `manage.py demo` (idempotent):
秀英家庭农场 verified as a farmer selling her own produce, its sweet-potato lot with a
承诺达标合格证 and a verified 绿色食品 certificate; the 洛川 cooperative verified with its credit
code and licence, its apple lot with a 承诺达标合格证 and a verified 地理标志 of the whole farm;
王家龙井茶园 waiting for staff (the admin shows it). Made through the services as the farm and
staff would; the numbers are specimens whose check characters hold."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from benefit.codes import check_character
from certificates import services
from certificates.models import Certificate, SellerVerification
from demo.accounts import DemoAccount
from producers.models import Batch, Producer

# Specimens with valid check characters (GB 11643's own example; a GB 32100 code of a
# farmers' cooperative, 93...), never real people's numbers.
FARMER_ID = "11010519491231002X"
COOP_FIRST17 = "93610629MA6Y12345"  # + its check character, below
PDF = b"%PDF-1.4\n% demo licence\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _coop_code() -> str:
    return COOP_FIRST17 + check_character(COOP_FIRST17)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _verified(producer: Producer, **fields) -> None:
    if SellerVerification.objects.filter(producer=producer).exists():
        return
    verification = services.verification_submit(producer=producer, **fields)
    services.verification_decide(verification_id=verification.pk, verified=True)


def _lot(producer: Producer, title: str) -> Batch:
    return (Batch.objects.filter(listing__producer=producer, listing__title=title)
            .order_by("harvested_on", "id").first())


def load(*, stdout) -> list[DemoAccount]:
    farmer = Producer.objects.get(user__username="farmer_taikang")
    coop = Producer.objects.get(user__username="coop_luochuan")
    tea = Producer.objects.get(user__username="farmer_xihu")
    _verified(farmer, kind="individual_farmer", name="李秀英", id_number=FARMER_ID)
    _verified(coop, kind="cooperative", name=coop.name, credit_code=_coop_code(),
              files=[_pdf("licence.pdf")])
    if not SellerVerification.objects.filter(producer=tea).exists():
        services.verification_submit(producer=tea, kind="individual_farmer", name="王建国",
                                     id_number="440524198001010013")
    if not Certificate.objects.filter(producer__in=[farmer, coop]).exists():
        potatoes = _lot(farmer, "太康沙地红薯")
        apples = _lot(coop, "洛川红富士苹果 10斤礼盒")
        for lot, producer in ((potatoes, farmer), (apples, coop)):
            services.certificate_add(batch=lot, producer=producer, kind="chengnuo_hege",
                                     basis="own_test", issued_on=lot.harvested_on)
        green = services.certificate_add(
            batch=potatoes, producer=farmer, kind="green", number="LB-15-23100412345A",
            issuer="中国绿色食品发展中心", issued_on=date(2025, 3, 1),
            expires_on=date(2028, 2, 29), file=_pdf("green.pdf"))
        gi = services.certificate_add(
            batch=None, producer=coop, kind="gi", number="AGI00013", issuer="农业农村部",
            issued_on=date(2008, 9, 1), file=_pdf("gi.pdf"))
        for certificate in (green, gi):
            services.certificate_decide(certificate_id=certificate.pk, verified=True)
    stdout.write("Certificates: 2 sellers verified, 1 waiting; 承诺达标合格证, 绿色食品, 地理标志.")
    return []

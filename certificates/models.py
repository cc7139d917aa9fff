"""A seller's verification (E-commerce Law art. 27) and the certificates of a farm and its lots.

Id numbers and credit codes are stored only encrypted (certificates.crypto); files (licences,
certificates, test reports) live in the private `reports` storage under `certificates/`, never
the public media."""

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import F, Q

from producers.models import Batch, Producer, Region


class PrivateStorage(Storage):
    """The private `reports` entry of STORAGES, looked up on every use: a FileField binds its
    storage once, when the model is defined, and STORAGES may be another by the time a file
    is saved (object storage configured later, a test's own)."""

    @staticmethod
    def _target() -> Storage:
        return storages["reports"]

    def open(self, name, mode="rb"):
        return self._target().open(name, mode)

    def save(self, name, content, max_length=None):
        return self._target().save(name, content, max_length=max_length)

    def generate_filename(self, filename):
        return self._target().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return self._target().get_available_name(name, max_length=max_length)

    def delete(self, name):
        return self._target().delete(name)

    def exists(self, name):
        return self._target().exists(name)

    def size(self, name):
        return self._target().size(name)

    def url(self, name):
        return self._target().url(name)


_PRIVATE = PrivateStorage()


def private_storage() -> Storage:
    return _PRIVATE


class SellerVerification(models.Model):
    """Who a farm is, as staff checked it: one per farm, submitted again to change it."""

    class Kind(models.TextChoices):
        INDIVIDUAL_FARMER = "individual_farmer", "个人（销售自产农副产品）"
        INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
        COMPANY = "company", "企业"
        COOPERATIVE = "cooperative", "农民专业合作社"

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        VERIFIED = "verified", "已核验"
        REJECTED = "rejected", "未通过"
        EXPIRED = "expired", "待复核"

    class NumberKind(models.TextChoices):
        ID_NUMBER = "id_number", "居民身份证号码"
        CREDIT_CODE = "credit_code", "统一社会信用代码"

    producer = models.OneToOneField(Producer, on_delete=models.PROTECT,
                                    related_name="verification")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    name = models.CharField(max_length=100)
    number_kind = models.CharField(max_length=16, choices=NumberKind.choices)
    # the Fernet token of the number (never the number), and a keyed hash to find duplicates
    number_token = models.TextField()
    number_fingerprint = models.CharField(max_length=32, db_index=True)
    number_masked = models.CharField(max_length=24)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    recheck_due = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "recheck_due"], name="verification_due")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"


class VerificationFile(models.Model):
    """A licence or id photo of a verification, in the private storage."""

    verification = models.ForeignKey(SellerVerification, on_delete=models.CASCADE,
                                     related_name="files")
    file = models.FileField(storage=private_storage, upload_to="certificates/sellers/%Y/%m/")
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name


class Certificate(models.Model):
    """A certificate of a lot (or of the whole farm): the farm's own 承诺达标合格证, or a
    document staff verify (绿色食品, 有机, 地理标志, SC licence, test report)."""

    class Kind(models.TextChoices):
        CHENGNUO_HEGE = "chengnuo_hege", "承诺达标合格证"
        GREEN = "green", "绿色食品"
        ORGANIC = "organic", "有机产品"
        GI = "gi", "地理标志"
        SC = "sc", "食品生产许可（SC）"
        TEST_REPORT = "test_report", "检测报告"

    class Status(models.TextChoices):
        SELF_DECLARED = "self_declared", "自我承诺"
        PENDING = "pending", "待审核"
        VERIFIED = "verified", "已核验"
        REJECTED = "rejected", "未通过"
        EXPIRED = "expired", "已过期"

    class Basis(models.TextChoices):
        SELF_CONTROL = "self_control", "质量安全控制符合要求"
        OWN_TEST = "own_test", "自行检测合格"
        COMMISSIONED_TEST = "commissioned_test", "委托检测合格"

    producer = models.ForeignKey(Producer, on_delete=models.PROTECT, related_name="certificates")
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="certificates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    number = models.CharField(max_length=64, blank=True)
    issuer = models.CharField(max_length=100, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    file = models.FileField(storage=private_storage, upload_to="certificates/documents/%Y/%m/",
                            blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    # 承诺达标合格证 only: what the 办法 asks the label to say
    product = models.CharField(max_length=120, blank=True)
    quantity = models.CharField(max_length=40, blank=True)
    origin_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    committed_by = models.CharField(max_length=100, blank=True)
    contact = models.CharField(max_length=32, blank=True)
    basis = models.CharField(max_length=24, choices=Basis.choices, blank=True)
    commitment = models.TextField(blank=True)
    # a cooperative's lot made of its members' lots: [{batch_id, lot_code, trace_code, member}]
    sources = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="certificate_expires_after_issued"),
        ]
        indexes = [
            models.Index(fields=["batch", "status"], name="certificate_batch_status"),
            models.Index(fields=["producer", "status"], name="certificate_producer_status"),
            models.Index(fields=["status", "expires_on"], name="certificate_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()

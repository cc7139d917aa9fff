"""Where uploaded files live (listing photos, their thumbnails, report files): Django's
STORAGES, on this machine's disk or in S3-compatible object storage.

MEDIA_STORAGE=filesystem (the default): MEDIA_ROOT, served at MEDIA_URL (by `make run` itself,
by a web server in production). MEDIA_STORAGE=s3: one bucket of any S3-compatible store
(MinIO, Ceph, Alibaba OSS, Tencent COS, AWS) through django-storages, so that every machine
behind the proxy sees the same files. Stores other than AWS reject or mishandle the CRC
checksums that recent boto3 sends by default, so checksums are sent and checked only when an
operation requires them (`when_required`). The code only ever goes through the storage API
(open, save, delete, url): never a path on disk.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

STATICFILES = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def storages(kind: str, reports_root: Path, s3: dict[str, str]) -> dict:
    """STORAGES for MEDIA_STORAGE=`kind`: `default` (photos, public) and `reports` (private);
    `s3`: the S3_* settings by their names."""
    kind = kind.strip().lower()
    if kind == "filesystem":
        return {
            # MEDIA_ROOT and MEDIA_URL, read when used (so a test may move them)
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": STATICFILES,
            "reports": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": str(reports_root)}},
        }
    if kind != "s3":
        raise ImproperlyConfigured("MEDIA_STORAGE must be filesystem or s3.")
    options = s3_options(s3)
    # reports: the same bucket under reports/, never public; the app serves them to their owner
    private = {**options, "location": "reports", "default_acl": "private",
               "custom_domain": None, "querystring_auth": True}
    return {"default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
            "staticfiles": STATICFILES,
            "reports": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": private}}


def s3_options(env) -> dict:
    from botocore.config import Config

    bucket = env.get("S3_BUCKET", "")
    if not bucket:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs S3_BUCKET.")
    addressing = env.get("S3_ADDRESSING_STYLE", "path")
    return {
        "bucket_name": bucket,
        "endpoint_url": env.get("S3_ENDPOINT_URL") or None,
        "region_name": env.get("S3_REGION") or None,
        "access_key": env.get("S3_ACCESS_KEY_ID") or None,
        "secret_key": env.get("S3_SECRET_ACCESS_KEY") or None,
        # public URLs (a CDN or the bucket's own domain) or signed ones that expire
        "custom_domain": env.get("S3_CUSTOM_DOMAIN") or None,
        "querystring_auth": not env.get("S3_CUSTOM_DOMAIN"),
        "querystring_expire": int(env.get("S3_URL_EXPIRE_SECONDS") or 3600),
        "file_overwrite": False,
        "client_config": Config(
            signature_version="s3v4",
            s3={"addressing_style": addressing},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
        ),
    }

"""After a key rotation (a new key first in ID_NUMBER_KEYS): every stored number encrypted
again with the new key, so the old one can be taken out."""

from django.core.management.base import BaseCommand

from certificates import crypto
from certificates.models import SellerVerification


class Command(BaseCommand):
    help = "Encrypt every seller's stored id number again with the first key of ID_NUMBER_KEYS."

    def handle(self, *args, **options):
        done = 0
        for pk, token in SellerVerification.objects.values_list("pk", "number_token").iterator():
            SellerVerification.objects.filter(pk=pk, number_token=token).update(
                number_token=crypto.rotate(token))
            done += 1
        self.stdout.write(f"{done} numbers encrypted with the first key.")

from django.core.management.base import BaseCommand
from tqdm import tqdm

from producers.regions import regions_load_official


class Command(BaseCommand):
    help = "Load the official province / prefecture / county list (GB/T 2260). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, no_progress=False, **options):
        def progress(codes):
            return tqdm(codes, desc="regions", unit="region", disable=no_progress,
                        file=self.stderr._out)

        created, updated = regions_load_official(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Regions: {created} created, {updated} updated."))

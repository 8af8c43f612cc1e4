from django.core.management.base import BaseCommand

from engagement.setup import ensure_site_structure


class Command(BaseCommand):
    help = "Create the home page, consultation hub, accessibility statement and privacy notice."

    def handle(self, *args, **options):
        home = ensure_site_structure()
        self.stdout.write(self.style.SUCCESS(f"Site structure ready (home page: {home.title})."))

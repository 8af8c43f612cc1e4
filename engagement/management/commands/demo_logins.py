from django.core.management.base import BaseCommand

from engagement.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Print the demo accounts created by seed_demo and where to use them."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Common Ground is starting on {url}"))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, name, organisation, role, superuser in DEMO_ACCOUNTS:
            what = (
                "site administrator"
                if superuser
                else (f"{role.label.lower()} at {organisation}" if role else "resident")
            )
            self.stdout.write(f"  {email:<42} {name} ({what})")
        self.stdout.write(f"The content management system is at {url}admin/")
        self.stdout.write("")

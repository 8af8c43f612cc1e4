"""Queue the calendar digests for ``manage.py db_worker`` to send. Safe to run as often as the
scheduler likes (hourly, say): each person gets at most one digest of each kind per period."""

from django.core.management.base import BaseCommand

from engagement.calendar.tasks import send_calendar_digests

FREQUENCIES = {"weekly": ["weekly"], "monthly": ["monthly"], "all": ["weekly", "monthly"]}


class Command(BaseCommand):
    help = (
        "Queue the weekly and/or monthly calendar digests. Idempotent per period: a person "
        "already sent this week's (or month's) digest is not sent another."
    )

    def add_arguments(self, parser):
        parser.add_argument("--frequency", choices=sorted(FREQUENCIES), default="all")

    def handle(self, *args, frequency: str, **options):
        for each in FREQUENCIES[frequency]:
            result = send_calendar_digests.enqueue(each)
            self.stdout.write(f"Queued the {each} calendar digests (task {result.id}).")

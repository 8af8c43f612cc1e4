"""Freeze closed consultations and flag overdue outcomes. Run every few minutes by the scheduler."""

from django.core.management.base import BaseCommand

from consultations.services import flag_overdue_outcomes, freeze_closed


class Command(BaseCommand):
    help = "Freeze the response sets of closed consultations and flag outcomes overdue by 12 weeks."

    def handle(self, *args, **options):
        frozen = freeze_closed()
        flagged = flag_overdue_outcomes()
        self.stdout.write(f"Frozen {frozen} consultation(s); flagged {flagged} overdue outcome(s).")

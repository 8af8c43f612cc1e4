"""``manage.py rebuild_pin_cells``: recount the hotspot summary from the visible pins."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from places import cells
from places.models import Pin


class Command(BaseCommand):
    help = (
        "Recount every hotspot cell (places.PinCell and places.PinCellTotal) from the visible "
        "pins, in the database. Safe to run at any time; both are replaced in one transaction."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = cells.rebuild()
        self.stdout.write(
            f"Rebuilt the hotspot summary: {rows:,} cell rows from "
            f"{Pin.objects.visible().count():,} visible pins in {time.monotonic() - started:.1f}s."
        )

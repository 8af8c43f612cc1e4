"""The map's moderation decisions go in the same audit trail as everything else."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_log_actions")
def register_place_log_actions(actions):
    actions.register_action("places.pin_hidden", _("Pin hidden"), _("Hid a pin"))
    actions.register_action(
        "places.pin_published", _("Pin published"), _("Approved or restored a pin")
    )
    actions.register_action("places.pin_kept", _("Pin kept"), _("Closed the reports on a pin"))

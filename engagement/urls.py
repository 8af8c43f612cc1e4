"""HTTP routes. Wagtail's catch-all page serving comes last."""

from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from engagement import pages_routing, views
from engagement.calendar import feeds as calendar_feeds

handler400 = "engagement.views.bad_request"
handler403 = "engagement.views.permission_denied"
handler404 = "engagement.views.page_not_found"
handler500 = "engagement.views.server_error"
# allauth looks this up on the root URLconf when a rate limit is hit.
handler429 = "engagement.views.too_many_requests"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # The CMS signs people in through the same rate-limited, MFA-aware allauth login as the site.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="account_login", query_string=True),
        name="wagtailadmin_login",
    ),
    path(
        "admin/logout/",
        RedirectView.as_view(pattern_name="account_logout"),
        name="wagtailadmin_logout",
    ),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/", include("allauth.urls")),
    path("manage/consultations/", include("consultations.urls")),
    path("places/", include("places.urls")),
    path("forums/", include("engagement.forums.urls")),
    path("calendar.ics", calendar_feeds.feed, name="calendar_feed"),
    path("calendar/", include("engagement.calendar.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's routes, its catch-all page serving last, found in fewer queries (pages_routing.serve).
urlpatterns += [p for p in wagtail_urls.urlpatterns if getattr(p, "name", "") != "wagtail_serve"]
urlpatterns.append(re_path(wagtail_urls.serve_pattern, pages_routing.serve, name="wagtail_serve"))

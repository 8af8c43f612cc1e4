from django.conf import settings


def site(request):
    """Values every page template needs."""
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "MAP_TILE_URL": settings.MAP_TILE_URL,
        "MAP_ATTRIBUTION": settings.MAP_ATTRIBUTION,
    }

"""Officers' views of a consultation (results, themes, exports, outcome)."""

from django.http import Http404


def results(request, pk):
    raise Http404

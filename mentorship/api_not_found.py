"""JSON 404 for an /api/ path no route matches (an id that is not a number, a misspelt operation).

Without it Django answers with its HTML 404 page, which API clients cannot parse and the OpenAPI schema does not
describe. Mounted last, so it only sees what every API route refused.
"""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # it changes nothing; without this a POST would get the CSRF failure page instead of the 404
def api_not_found(request):
    return JsonResponse({"detail": "Not found."}, status=404)

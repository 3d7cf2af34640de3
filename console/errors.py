from django.shortcuts import render


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without the request context: whatever failed may be in it.
    from django.template.loader import render_to_string
    from django.http import HttpResponseServerError

    return HttpResponseServerError(render_to_string("500.html"))

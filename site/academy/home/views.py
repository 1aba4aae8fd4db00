from django.shortcuts import render


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that might fail again: a plain render of a self-contained template.
    return render(request, "500.html", status=500)

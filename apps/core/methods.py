"""Which HTTP methods a view of the portal answers. A function view answers GET and
HEAD only, unless it declares more with `accepts` (or is `post_only`): the portal's
methods middleware (apps.web.methods) refuses any other method with the 405 page
before the view runs, so a page that only reads never meets a POST or a DELETE."""

from __future__ import annotations

from collections.abc import Callable

SAFE = frozenset({"GET", "HEAD"})


def accepts(*methods: str, safe: bool = True) -> Callable:
    """The view answers `methods` too (and GET and HEAD unless `safe` is False)."""
    allowed = frozenset(m.upper() for m in methods) | (SAFE if safe else frozenset())

    def decorate(view: Callable) -> Callable:
        view.http_methods = allowed
        return view

    return decorate


# An action: only a form's POST reaches it.
post_only = accepts("POST", safe=False)

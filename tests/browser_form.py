"""What a browser submits from a form on a page, read from the page's HTML.

As a browser does: inputs by name (checkboxes and radios only when checked;
file inputs and disabled controls never), the selected option of each select (or
its first), textareas without the newline that follows the opening tag, and the
pressed button's name and value. A date input whose value is not an ISO date
(2023-04-25) is submitted empty: browsers drop "2023/04/25", which is how the
onboarding form once erased its dates when saved unchanged."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select = None
        self._multiple = False
        self._textarea = None
        self._first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"attrs": a, "fields": [], "selected": {}, "buttons": []}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            value = a.get("value") or ""
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form["fields"].append((name, a.get("value", "on")))
            elif kind in ("submit", "button", "image"):
                form["buttons"].append((name, value))
            elif kind == "file":
                pass
            elif kind == "date" and value and not ISO_DATE.match(value):
                form["fields"].append((name, ""))
            else:
                form["fields"].append((name, value))
        elif tag == "button" and name:
            form["buttons"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
            self._multiple = "multiple" in a
            if not self._multiple:
                form["fields"].append((name, None))
        elif tag == "option" and self._select:
            value = a.get("value", "")
            self._first_option.setdefault(self._select, value)
            if "selected" in a:
                if self._multiple:  # every selected option, none if none is
                    form["fields"].append((self._select, value))
                else:
                    form["selected"][self._select] = value
        elif tag == "textarea" and name:
            self._textarea = [name, ""]

    def handle_endtag(self, tag):
        form = self._form
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select and form is not None:
            name = self._select
            value = form["selected"].get(name, self._first_option.get(name, ""))
            form["fields"] = [
                (n, value if n == name and v is None else v) for n, v in form["fields"]
            ]
            self._select = None
        elif tag == "textarea" and self._textarea and form is not None:
            name, value = self._textarea
            form["fields"].append((name, value[1:] if value.startswith("\n") else value))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data


def browser_forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_data(html: str, form_id: str | None = None, *, method: str = "post") -> dict:
    """The fields a browser submits from the form `form_id` (or the only form with
    `method`), as a dict of lists (a name may repeat)."""
    candidates = [
        f
        for f in browser_forms(html)
        if (form_id and f["attrs"].get("id") == form_id)
        or (not form_id and f["attrs"].get("method", "get").lower() == method)
    ]
    assert len(candidates) == 1, f"{len(candidates)} forms match {form_id or method}"
    data: dict[str, list[str]] = {}
    for name, value in candidates[0]["fields"]:
        data.setdefault(name, []).append(value)
    return data

"""apps.core.forms.Select writes what Django's template-rendered Select writes."""

import pytest
from django import forms
from django.test.html import parse_html

from apps.core.forms import Select
from apps.regions.models import Region

CHOICES = [
    ("", "全部"),
    ("a", "甲 <b>&"),
    ("分组", [("x", "乙"), ("y", '丙"')]),
    (3, "三"),
]


@pytest.mark.parametrize("value", [None, "", "a", "y", 3, "missing"])
@pytest.mark.parametrize(
    "attrs", [{}, {"class": "form-select", "required": True, "disabled": False}]
)
def test_the_same_html_as_django(value, attrs):
    ours = Select(attrs=attrs, choices=CHOICES).render("f", value, attrs={"id": "id_f"})
    django = forms.Select(attrs=attrs, choices=CHOICES).render("f", value, attrs={"id": "id_f"})
    assert parse_html(ours) == parse_html(django)
    assert "甲 &lt;b&gt;&amp;" in ours
    if value in ("a", "y", 3):
        assert f'<option value="{value}" selected>' in ours


@pytest.mark.django_db
def test_a_model_choice_field_renders_the_same():
    Region.objects.create(code="411500", name="信阳市", level="city")
    Region.objects.create(code="411502", name="浉河区", level="county")

    class Form(forms.Form):
        ours = forms.ModelChoiceField(Region.objects.all(), to_field_name="code", widget=Select)
        theirs = forms.ModelChoiceField(Region.objects.all(), to_field_name="code")

    form = Form({"ours": "411502", "theirs": "411502"})
    ours, theirs = str(form["ours"]), str(form["theirs"])
    assert parse_html(ours.replace("ours", "theirs")) == parse_html(theirs)
    assert 'value="411502" selected' in ours

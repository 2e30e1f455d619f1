from django.db import models
from django.utils.translation import gettext_lazy as _

ORG_CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z-]{2,31}$"


class Institution(models.Model):
    class Category(models.TextChoices):
        GENERAL = "综合医院", _("General hospital")
        TCM = "中医医院", _("Traditional Chinese medicine hospital")
        INTEGRATED = "中西医结合医院", _("Integrated Chinese and Western medicine hospital")
        MATERNAL = "妇幼保健院", _("Maternal and child health hospital")
        PSYCHIATRIC = "精神病医院", _("Psychiatric hospital")
        INFECTIOUS = "传染病医院", _("Infectious disease hospital")
        SPECIALTY = "专科医院", _("Specialty hospital")
        REGIONAL_PLATFORM = "区域平台", _("Regional platform")
        PUBLIC_HEALTH = "公共卫生机构", _("Public health institution")
        PRIMARY = "基层医疗卫生机构", _("Primary care institution")
        OTHER = "其他", _("Other")

    class Grade(models.TextChoices):
        G3A = "三级甲等", _("Grade 3A")
        G3B = "三级乙等", _("Grade 3B")
        G3 = "三级", _("Grade 3")
        G2A = "二级甲等", _("Grade 2A")
        G2B = "二级乙等", _("Grade 2B")
        G2 = "二级", _("Grade 2")
        G1 = "一级", _("Grade 1")
        UNGRADED = "未定级", _("Ungraded")

    org_code = models.CharField(_("institution code"), max_length=32, unique=True)
    name = models.CharField(_("institution name"), max_length=128)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("supervising region"),
        on_delete=models.PROTECT,
        related_name="institutions",
    )
    category = models.CharField(_("institution category"), max_length=16, choices=Category.choices)
    grade = models.CharField(_("grade"), max_length=8, choices=Grade.choices)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("healthcare institution")
        verbose_name_plural = _("healthcare institutions")
        ordering = ["region__sort_key", "org_code"]

    def __str__(self) -> str:
        return self.name

    @property
    def region_label(self) -> str:
        """How a bulletin names the supervising region: 省属 for the hospitals
        directly under a province commission, 市直 for those directly under a city
        commission (a city's own platform, one unit on the province platform, by its
        city's name), else the county's name."""
        if self.region.level == self.region.Level.PROVINCE:
            return str(_("Under the province"))
        if self.region.level == self.region.Level.CITY:
            if self.category == self.Category.REGIONAL_PLATFORM:
                return self.region.name
            return str(_("Directly under the city"))
        return self.region.name


def name_header(institutions) -> str:
    """The name column's header of a list of institutions: 单位名称 where one is a city
    platform (a province's units), else 医院名称."""
    units = any(i.category == Institution.Category.REGIONAL_PLATFORM for i in institutions)
    return str(_("Unit name") if units else _("Institution"))

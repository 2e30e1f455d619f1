from django.db import models
from django.utils.translation import gettext_lazy as _

ORG_CODE_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z-]{2,31}$"


class Institution(models.Model):
    class Category(models.TextChoices):
        GENERAL = "综合医院", _("综合医院")
        TCM = "中医医院", _("中医医院")
        INTEGRATED = "中西医结合医院", _("中西医结合医院")
        MATERNAL = "妇幼保健院", _("妇幼保健院")
        PSYCHIATRIC = "精神病医院", _("精神病医院")
        INFECTIOUS = "传染病医院", _("传染病医院")
        SPECIALTY = "专科医院", _("专科医院")
        REGIONAL_PLATFORM = "区域平台", _("区域平台")
        PUBLIC_HEALTH = "公共卫生机构", _("公共卫生机构")
        PRIMARY = "基层医疗卫生机构", _("基层医疗卫生机构")
        OTHER = "其他", _("其他")

    class Grade(models.TextChoices):
        G3A = "三级甲等", _("三级甲等")
        G3B = "三级乙等", _("三级乙等")
        G3 = "三级", _("三级")
        G2A = "二级甲等", _("二级甲等")
        G2B = "二级乙等", _("二级乙等")
        G2 = "二级", _("二级")
        G1 = "一级", _("一级")
        UNGRADED = "未定级", _("未定级")

    org_code = models.CharField(_("机构代码"), max_length=32, unique=True)
    name = models.CharField(_("机构名称"), max_length=128)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("主管区划"),
        on_delete=models.PROTECT,
        related_name="institutions",
    )
    category = models.CharField(_("机构类别"), max_length=16, choices=Category.choices)
    grade = models.CharField(_("等级"), max_length=8, choices=Grade.choices)
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("医疗机构")
        verbose_name_plural = _("医疗机构")
        ordering = ["region__path", "org_code"]

    def __str__(self) -> str:
        return self.name

    @property
    def region_label(self) -> str:
        """How a bulletin names the supervising region: 市直 for the hospitals
        directly under a city commission, else the county's name."""
        if self.region.level == self.region.Level.CITY:
            return str(_("市直"))
        return self.region.name

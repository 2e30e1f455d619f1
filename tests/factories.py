"""factory_boy factories for the registry, statistics and users."""

import datetime as dt

import factory

from apps.accounts.models import User
from apps.institutions.models import Institution
from apps.platforms.models import CatalogueTable, Platform, TableEdition
from apps.regions.models import Region


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{419000 + n:06d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = Region.Level.COUNTY
    parent = None


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("org_code",)

    org_code = factory.Sequence(lambda n: f"TEST{n:07d}")
    name = factory.Sequence(lambda n: f"测试医院{n}")
    region = factory.SubFactory(RegionFactory)
    category = Institution.Category.GENERAL
    grade = Institution.Grade.G2A


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("code",)

    code = "city"
    name = "市全民健康信息平台"


class EditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TableEdition
        skip_postgeneration_save = True

    platform = factory.SubFactory(PlatformFactory)
    name = factory.Sequence(lambda n: f"E{n}")
    valid_from = dt.date(2023, 1, 1)
    categories = factory.LazyFunction(list)

    @factory.post_generation
    def codes(self, create, extracted, **kwargs):
        for code in extracted or ():
            CatalogueTable.objects.create(edition=self, code=code, name=f"表{code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-for-tests")

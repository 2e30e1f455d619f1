import pytest
from rest_framework.test import APIClient


@pytest.fixture
def client_for(db):
    """An API client signed in (with a session) as the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make

"""Signed-in console clients for the personas: alice's root user and bob (IAM user)."""

import pytest
from django.test import Client

from tests.console.helpers import iam_sign_in, root_sign_in


@pytest.fixture
def root_client(client, alice_account):
    assert root_sign_in(client).status_code == 302
    return client


@pytest.fixture
def bob_client(bob):
    client = Client()
    assert iam_sign_in(client).status_code == 302
    return client

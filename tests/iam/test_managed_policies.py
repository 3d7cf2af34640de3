"""The AWS managed policies shipped in iam/managed_policies/, synced after migrate."""

import json
from pathlib import Path

import pytest

from iam.managed_policies import FOLDER, policy_id, sync_aws_managed_policies
from iam.models import ManagedPolicy, PolicyVersion
from tests.iam.helpers import decoded, ok

pytestmark = pytest.mark.django_db

# The team's shared/ folder sits beside the repository (as it does for CI).
SHARED = Path(__file__).resolve().parents[3] / "shared" / "aws-managed-policies"
FILES = sorted(FOLDER.glob("*.json"))


def published(path):
    return json.loads(path.read_text())["PolicyVersion"]


def test_every_shipped_file_is_an_aws_managed_policy_after_migrate():
    arns = set(ManagedPolicy.objects.filter(account=None).values_list("arn", flat=True))
    assert arns == {f"arn:aws:iam::aws:policy/{path.stem}" for path in FILES}
    assert len(FILES) == 17


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_default_version_matches_the_file(path):
    policy = ManagedPolicy.objects.get(arn=f"arn:aws:iam::aws:policy/{path.stem}")
    version = policy.versions.get()
    file_version = published(path)
    assert version.is_default
    assert version.version_id == policy.default_version_id == file_version["VersionId"]
    assert json.loads(version.document) == file_version["Document"]
    assert policy.account is None and policy.path == "/"


def test_sync_is_idempotent():
    before = list(ManagedPolicy.objects.filter(account=None).order_by("arn").values_list("pk", "policy_id"))
    sync_aws_managed_policies()
    sync_aws_managed_policies()
    after = list(ManagedPolicy.objects.filter(account=None).order_by("arn").values_list("pk", "policy_id"))
    assert before == after
    assert PolicyVersion.objects.filter(policy__account=None).count() == len(FILES)


def test_sync_restores_a_changed_document():
    version = PolicyVersion.objects.get(policy__arn="arn:aws:iam::aws:policy/AdministratorAccess")
    version.document = "{}"
    version.save()
    sync_aws_managed_policies()
    version.refresh_from_db()
    assert json.loads(version.document) == published(FOLDER / "AdministratorAccess.json")["Document"]


def test_policy_ids_are_stable_anpa_ids():
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert policy_id(arn) == policy_id(arn)
    assert policy_id(arn).startswith("ANPA") and len(policy_id(arn)) == 21


@pytest.mark.skipif(not SHARED.exists(), reason="the shared data folder is not on this machine")
def test_shipped_files_are_unchanged_copies():
    for path in SHARED.iterdir():
        assert (FOLDER / path.name).read_bytes() == path.read_bytes()


def test_get_policy_version_of_aws_policy_returns_the_document(alice):
    version = ok(alice, "GetPolicyVersion", {
        "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "VersionId": published(FOLDER / "AdministratorAccess.json")["VersionId"],
    }).result["PolicyVersion"]
    assert decoded(version["Document"]) == published(FOLDER / "AdministratorAccess.json")["Document"]

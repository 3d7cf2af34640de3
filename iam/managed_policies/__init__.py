"""AWS managed policies, as AWS publishes them (see README.md in this folder), synced
into the database as read-only policies every account can see and attach.

``sync_aws_managed_policies()`` runs after every ``migrate`` (``iam.apps``). It is
idempotent: each file's policy is created once under its fixed ARN, and a changed file
replaces the stored default version; nothing is ever duplicated."""

import base64
import hashlib
import json
from datetime import datetime
from pathlib import Path

from django.db import transaction

FOLDER = Path(__file__).resolve().parent


def policy_id(arn):
    """A stable ANPA ID derived from the ARN, so an AWS managed policy has the same ID in
    every installation and after every sync (AWS's IDs are fixed too)."""
    digest = base64.b32encode(hashlib.sha256(arn.encode()).digest()).decode()
    return "ANPA" + digest[:17]


def published():
    """(name, version_id, document_text, create_date) for every file, by name."""
    for path in sorted(FOLDER.glob("*.json")):
        version = json.loads(path.read_text(encoding="utf-8"))["PolicyVersion"]
        created = datetime.fromisoformat(version["CreateDate"].replace("Z", "+00:00"))
        # The document as JSON text, keys in the file's order; IAM stores text.
        document = json.dumps(version["Document"], indent=4)
        yield path.stem, version["VersionId"], document, created


def sync_aws_managed_policies(using="default"):
    from iam.models import ManagedPolicy, PolicyVersion

    with transaction.atomic(using=using):
        for name, version_id, document, created in published():
            arn = f"arn:aws:iam::aws:policy/{name}"
            policy, _ = ManagedPolicy.objects.using(using).update_or_create(
                arn=arn,
                defaults=dict(
                    account=None,
                    policy_name=name,
                    policy_id=policy_id(arn),
                    path="/",
                    default_version_id=version_id,
                    latest_version=int(version_id[1:].split(".")[0]),
                    create_date=created,
                    update_date=created,
                ),
            )
            PolicyVersion.objects.using(using).filter(policy=policy).exclude(version_id=version_id).delete()
            PolicyVersion.objects.using(using).update_or_create(
                policy=policy,
                version_id=version_id,
                defaults=dict(document=document, is_default=True, create_date=created),
            )

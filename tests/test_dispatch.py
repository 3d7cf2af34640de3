"""The dispatcher: authorize, run in one transaction, record exactly one event."""

from unittest import mock

import pytest

from awsapi.dispatch import dispatch
from awsapi.errors import AccessDenied
from iam.models import PasswordPolicy
from trail.models import Event

pytestmark = pytest.mark.django_db


def test_a_defect_in_an_operation_is_audited_as_internal_failure(alice, alice_account):
    with mock.patch("iam.operations.PasswordPolicy.objects.update_or_create", side_effect=RuntimeError("secret detail")):
        with pytest.raises(RuntimeError):
            dispatch(alice, "iam:UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10})
    (event,) = Event.objects.all()
    assert event.error_code == "InternalFailure"
    assert "secret detail" not in event.error_message


def test_denied_call_never_runs_the_operation(bob_ctx, alice_account):
    with mock.patch("iam.operations.PasswordPolicy.objects.update_or_create") as write:
        with pytest.raises(AccessDenied):
            dispatch(bob_ctx, "iam:UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10})
    write.assert_not_called()
    assert Event.objects.get().error_code == "AccessDenied"


def test_failed_operation_leaves_no_partial_change(alice, alice_account):
    # The policy row is written, then the trail write fails: the transaction must undo both.
    with mock.patch("awsapi.dispatch.record.api_call", side_effect=[RuntimeError("disk full"), None]):
        with pytest.raises(RuntimeError):
            dispatch(alice, "iam:UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10})
    assert not PasswordPolicy.objects.exists()


def test_successful_call_and_its_event_are_written_together(alice, alice_account):
    dispatch(alice, "iam:UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10, "RequireSymbols": True})
    event = Event.objects.get()
    assert event.as_record()["requestParameters"] == {"minimumPasswordLength": 10, "requireSymbols": True}
    assert event.as_record()["userIdentity"]["type"] == "Root"
    assert PasswordPolicy.objects.get().minimum_password_length == 10


def test_a_nul_character_is_recorded_without_breaking_the_trail(alice, alice_account):
    from awsapi.errors import ValidationError

    with pytest.raises(ValidationError):
        dispatch(alice, "iam:CreateUser", {"UserName": "bad\x00name"})
    event = Event.objects.get()
    assert event.request_parameters == {"userName": "bad\ufffdname"}
    assert event.error_code == "ValidationError"


def test_an_answer_said_ahead_then_replaced_is_recorded_as_returned(alice, alice_account):
    # An operation may say its answer before its first write (answer_ahead), so that its
    # event is made outside the write lock; if it then returns another answer, the event
    # must be made again from what it returned.
    from awsapi.dispatch import operation_for

    create_user = operation_for("iam:CreateUser")

    def replacing(ctx, **kwargs):
        said = create_user(ctx, **kwargs)  # says its answer ahead, then returns it
        return {"User": {**said["User"], "Path": "/replaced/"}}

    replacing.spec = create_user.spec
    with mock.patch("awsapi.dispatch.operation_for", return_value=replacing):
        result = dispatch(alice, "iam:CreateUser", {"UserName": "kept"})
    assert result["User"]["Path"] == "/replaced/"
    event = Event.objects.get(event_name="CreateUser")
    assert event.response_elements["user"]["path"] == "/replaced/"
    assert event.response_elements["user"]["userName"] == "kept"


def test_an_answer_said_ahead_is_recorded_once_with_the_call(alice, alice_account):
    result = dispatch(alice, "iam:CreateUser", {"UserName": "early"})
    (event,) = Event.objects.filter(event_name="CreateUser")
    assert event.response_elements["user"]["userId"] == result["User"]["UserId"]
    assert event.resources == [{"type": "AWS::IAM::User", "name": "early", "arn": result["User"]["Arn"]}]
    assert event.error_code == ""

"""IAM actions through the dispatcher, as the console and the API call them:
authorization, AWS's errors, and the one trail event each call writes."""

import json

import pytest
from django.contrib.auth.hashers import check_password

from awsapi.dispatch import dispatch
from awsapi.errors import ValidationError
from awsapi.registry import REGISTRY
from iam import operations
from iam.models import Account, LoginProfile, PasswordHistory, PasswordPolicy, User
from iam.principals import user_principal as _principal
from tests.iam.helpers import call, denied_message, fails, ok  # noqa: F401
from tests.conftest import (
    ALICE_ACCOUNT,
    ALICE_EMAIL,
    BOB_PASSWORD,
    CHARLIE_ACCOUNT,
    context_for,
    make_user,
)
from trail.models import Event

SECRET_PARAMS = {"Password", "OldPassword", "NewPassword"}
BOB_ARN = f"arn:aws:iam::{ALICE_ACCOUNT}:user/bob"
NEW_PASSWORD = "Bob-new-Passw0rd!"
CAROL_PASSWORD = "Carol-console-Passw0rd!"


# --- helpers ---------------------------------------------------------------------------


def event_text(event):
    """Everything an event row stores, as one string, to look for leaked secrets in."""
    return json.dumps(
        {
            "request": event.request_parameters,
            "response": event.response_elements,
            "error": event.error_message,
            "identity": event.user_identity,
            "record": event.as_record(),
        },
        default=str,
    )


def bob_profile():
    return LoginProfile.objects.get(user__user_name="bob")


def policy_of(ctx):
    return dispatch(ctx, "iam:GetAccountPasswordPolicy")["PasswordPolicy"]


@pytest.fixture
def carol(alice_account):
    """An IAM user of alice's account without a console password."""
    return make_user(alice_account, "carol")


@pytest.fixture
def users_may_change_password(alice):
    dispatch(alice, "iam:UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True})


# --- every action: denied for an IAM user without policies ------------------------------

USER_RESOURCE = f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol"

DENIED_CASES = {
    "ChangePassword": ({"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD}, BOB_ARN),
    "CreateAccountAlias": ({"AccountAlias": "bob-lab"}, "*"),
    "CreateLoginProfile": ({"UserName": "carol", "Password": CAROL_PASSWORD}, USER_RESOURCE),
    "CreateUser": ({"UserName": "carol"}, USER_RESOURCE),
    "DeleteAccountAlias": ({"AccountAlias": "alice-lab"}, "*"),
    "DeleteAccountPasswordPolicy": ({}, "*"),
    "GetAccountPasswordPolicy": ({}, "*"),
    "ListAccountAliases": ({}, "*"),
    "UpdateAccountPasswordPolicy": ({"MinimumPasswordLength": 20}, "*"),
    "UpdateLoginProfile": ({"UserName": "carol", "Password": CAROL_PASSWORD}, USER_RESOURCE),
}


def test_every_denied_case_is_a_registered_action():
    # Cases for the other actions are in test_users, test_groups, test_roles and
    # test_policies; test_policies checks that together they cover the registry.
    assert set(DENIED_CASES) <= set(REGISTRY["iam"])


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_iam_user_without_policies_is_denied_with_aws_message(action, bob_ctx):
    params, resource = DENIED_CASES[action]
    outcome = fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))
    assert outcome.error.status == 403
    assert outcome.event.user_identity["userName"] == "bob"
    assert outcome.event.username == "bob"


@pytest.mark.parametrize("action", sorted(DENIED_CASES))
def test_denied_call_records_parameters_without_secrets(action, bob_ctx):
    params, _ = DENIED_CASES[action]
    event = fails(bob_ctx, action, params, "AccessDenied").event
    public = {k[0].lower() + k[1:]: v for k, v in params.items() if k not in SECRET_PARAMS}
    assert event.request_parameters == (public or None)
    assert event.response_elements is None
    for secret in (BOB_PASSWORD, NEW_PASSWORD, CAROL_PASSWORD):
        assert secret not in event_text(event)


def test_denied_calls_change_nothing(bob_ctx, alice):
    for action, (params, _) in DENIED_CASES.items():
        fails(bob_ctx, action, params, "AccessDenied")
    assert not User.objects.filter(user_name="carol").exists()
    assert Account.objects.get(account_id=ALICE_ACCOUNT).alias == "alice-lab"
    assert not PasswordPolicy.objects.exists()
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_denied_create_user_names_the_path_in_the_resource(bob_ctx):
    fails(
        bob_ctx,
        "CreateUser",
        {"UserName": "carol", "Path": "/division/"},
        "AccessDenied",
        denied_message("CreateUser", f"arn:aws:iam::{ALICE_ACCOUNT}:user/division/carol"),
    )


@pytest.mark.parametrize("action", ["CreateLoginProfile", "UpdateLoginProfile"])
def test_denied_login_profile_action_names_the_users_path_in_the_resource(action, alice_account, bob_ctx):
    make_user(alice_account, "dave", path="/division/")
    fails(
        bob_ctx,
        action,
        {"UserName": "dave", "Password": CAROL_PASSWORD},
        "AccessDenied",
        denied_message(action, f"arn:aws:iam::{ALICE_ACCOUNT}:user/division/dave"),
    )


# --- password policy ---------------------------------------------------------------------

FULL_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 5,
    "HardExpiry": True,
}

DEFAULT_SHAPE = {
    "MinimumPasswordLength": 6,
    "RequireSymbols": False,
    "RequireNumbers": False,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False,
    "ExpirePasswords": False,
}


def test_update_password_policy_stores_every_parameter(alice):
    outcome = ok(alice, "UpdateAccountPasswordPolicy", FULL_POLICY)
    assert outcome.result == {}
    assert ok(alice, "GetAccountPasswordPolicy").result == {"PasswordPolicy": {**FULL_POLICY, "ExpirePasswords": True}}


def test_update_password_policy_event_records_parameters(alice):
    event = ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 12, "RequireSymbols": True}).event
    assert event.request_parameters == {"minimumPasswordLength": 12, "requireSymbols": True}
    assert event.response_elements is None
    assert event.user_identity["type"] == "Root"
    assert event.username == "root"


def test_update_password_policy_with_no_parameters_takes_defaults(alice):
    ok(alice, "UpdateAccountPasswordPolicy", {})
    assert policy_of(alice) == DEFAULT_SHAPE


def test_omitted_parameters_reset_to_defaults_not_current_values(alice):
    ok(alice, "UpdateAccountPasswordPolicy", FULL_POLICY)
    ok(alice, "UpdateAccountPasswordPolicy", {"RequireNumbers": True})
    assert policy_of(alice) == {**DEFAULT_SHAPE, "RequireNumbers": True}


def test_get_password_policy_without_policy_is_no_such_entity(alice):
    outcome = fails(
        alice,
        "GetAccountPasswordPolicy",
        {},
        "NoSuchEntity",
        "The Password Policy with domain name 111122223333 cannot be found.",
    )
    assert outcome.error.status == 404


def test_get_password_policy_event_is_read_only_without_response(alice):
    ok(alice, "UpdateAccountPasswordPolicy", {})
    event = ok(alice, "GetAccountPasswordPolicy").event
    assert event.read_only is True
    assert event.request_parameters is None
    assert event.response_elements is None


@pytest.mark.parametrize(
    "params, failure",
    [
        (
            {"MinimumPasswordLength": 5},
            "Value '5' at 'minimumPasswordLength' failed to satisfy constraint: "
            "Member must have value greater than or equal to 6",
        ),
        (
            {"MinimumPasswordLength": 129},
            "Value '129' at 'minimumPasswordLength' failed to satisfy constraint: "
            "Member must have value less than or equal to 128",
        ),
        (
            {"MaxPasswordAge": 0},
            "Value '0' at 'maxPasswordAge' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            {"MaxPasswordAge": 1096},
            "Value '1096' at 'maxPasswordAge' failed to satisfy constraint: "
            "Member must have value less than or equal to 1095",
        ),
        (
            {"PasswordReusePrevention": 0},
            "Value '0' at 'passwordReusePrevention' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            {"PasswordReusePrevention": 25},
            "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
            "Member must have value less than or equal to 24",
        ),
    ],
    ids=["length-5", "length-129", "age-0", "age-1096", "reuse-0", "reuse-25"],
)
def test_out_of_range_policy_value_is_validation_error(alice, params, failure):
    outcome = fails(
        alice, "UpdateAccountPasswordPolicy", params, "ValidationError", "1 validation error detected: " + failure
    )
    assert outcome.error.status == 400
    assert not PasswordPolicy.objects.exists()


def test_several_out_of_range_values_are_reported_together(alice):
    fails(
        alice,
        "UpdateAccountPasswordPolicy",
        {"MinimumPasswordLength": 5, "MaxPasswordAge": 1096, "PasswordReusePrevention": 25},
        "ValidationError",
        "3 validation errors detected: "
        "Value '5' at 'minimumPasswordLength' failed to satisfy constraint: "
        "Member must have value greater than or equal to 6; "
        "Value '1096' at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095; "
        "Value '25' at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24",
    )


@pytest.mark.parametrize(
    "params",
    [
        {"MinimumPasswordLength": 6, "MaxPasswordAge": 1, "PasswordReusePrevention": 1},
        {"MinimumPasswordLength": 128, "MaxPasswordAge": 1095, "PasswordReusePrevention": 24},
    ],
    ids=["lowest", "highest"],
)
def test_policy_range_bounds_are_accepted(alice, params):
    ok(alice, "UpdateAccountPasswordPolicy", params)
    policy = policy_of(alice)
    assert policy["MinimumPasswordLength"] == params["MinimumPasswordLength"]
    assert policy["MaxPasswordAge"] == params["MaxPasswordAge"]
    assert policy["PasswordReusePrevention"] == params["PasswordReusePrevention"]


def test_failed_policy_update_changes_nothing(alice):
    ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10, "RequireNumbers": True})
    fails(
        alice,
        "UpdateAccountPasswordPolicy",
        {"MinimumPasswordLength": 12, "RequireSymbols": True, "MaxPasswordAge": 0},
        "ValidationError",
    )
    assert policy_of(alice) == {**DEFAULT_SHAPE, "MinimumPasswordLength": 10, "RequireNumbers": True}


def test_expire_passwords_is_true_when_max_password_age_is_set(alice):
    ok(alice, "UpdateAccountPasswordPolicy", {"MaxPasswordAge": 30})
    policy = policy_of(alice)
    assert policy["ExpirePasswords"] is True
    assert policy["MaxPasswordAge"] == 30


def test_expire_passwords_is_false_without_max_password_age(alice):
    ok(alice, "UpdateAccountPasswordPolicy", {"MaxPasswordAge": 30})
    ok(alice, "UpdateAccountPasswordPolicy", {"HardExpiry": True})
    policy = policy_of(alice)
    assert policy["ExpirePasswords"] is False
    assert "MaxPasswordAge" not in policy


def test_delete_password_policy_returns_account_to_default(alice):
    ok(alice, "UpdateAccountPasswordPolicy", FULL_POLICY)
    event = ok(alice, "DeleteAccountPasswordPolicy").event
    assert event.request_parameters is None
    assert not PasswordPolicy.objects.exists()
    fails(alice, "GetAccountPasswordPolicy", {}, "NoSuchEntity")


def test_delete_password_policy_without_policy_is_no_such_entity(alice):
    fails(
        alice,
        "DeleteAccountPasswordPolicy",
        {},
        "NoSuchEntity",
        "The Password Policy with domain name 111122223333 cannot be found.",
    )


# --- account-level grants -----------------------------------------------------------------


def test_allow_users_to_change_password_lets_user_read_the_policy(users_may_change_password, bob_ctx):
    outcome = ok(bob_ctx, "GetAccountPasswordPolicy")
    assert outcome.result["PasswordPolicy"]["AllowUsersToChangePassword"] is True
    assert outcome.event.user_identity["type"] == "IAMUser"


def test_allow_users_to_change_password_lets_user_change_own_password(users_may_change_password, bob_ctx):
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    assert check_password(NEW_PASSWORD, bob_profile().password)


@pytest.mark.parametrize(
    "action, params",
    [
        ("UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 6}),
        ("DeleteAccountPasswordPolicy", {}),
        ("UpdateLoginProfile", {"UserName": "bob", "Password": NEW_PASSWORD}),
    ],
)
def test_allow_users_to_change_password_grants_nothing_else(users_may_change_password, bob_ctx, action, params):
    resource = f"arn:aws:iam::{ALICE_ACCOUNT}:user/bob" if "UserName" in params else "*"
    fails(bob_ctx, action, params, "AccessDenied", denied_message(action, resource))


def test_another_accounts_policy_flag_does_not_grant_anything(charlie, bob_ctx):
    ok(charlie, "UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True})
    fails(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD}, "AccessDenied")


def test_password_change_required_context_lets_user_change_password_without_flag(bob):
    ctx = context_for(_principal(bob), password_change_required=True)
    ok(ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    assert check_password(NEW_PASSWORD, bob_profile().password)


def test_password_change_required_context_grants_nothing_else(bob):
    ctx = context_for(_principal(bob), password_change_required=True)
    fails(ctx, "CreateUser", {"UserName": "carol"}, "AccessDenied", denied_message("CreateUser", USER_RESOURCE))


# --- ChangePassword ---------------------------------------------------------------------


def change(ctx, old, new):
    return call(ctx, "ChangePassword", {"OldPassword": old, "NewPassword": new})


def test_change_password_succeeds_and_records_no_parameters(users_may_change_password, bob_ctx):
    outcome = ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    assert outcome.result == {}
    assert outcome.event.request_parameters is None
    assert outcome.event.response_elements is None


def test_change_password_with_wrong_old_password_is_invalid_user_type(users_may_change_password, bob_ctx):
    fails(
        bob_ctx,
        "ChangePassword",
        {"OldPassword": "Not-bobs-Passw0rd!", "NewPassword": NEW_PASSWORD},
        "InvalidUserType",
        "The old password is incorrect.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_change_password_to_the_same_password_is_refused(users_may_change_password, bob_ctx):
    fails(
        bob_ctx,
        "ChangePassword",
        {"OldPassword": BOB_PASSWORD, "NewPassword": BOB_PASSWORD},
        "PasswordPolicyViolation",
        "The new password must be different from the old password.",
    )


def test_change_password_lists_every_unmet_policy_rule(alice, bob_ctx):
    ok(
        alice,
        "UpdateAccountPasswordPolicy",
        {
            "MinimumPasswordLength": 12,
            "RequireSymbols": True,
            "RequireNumbers": True,
            "RequireUppercaseCharacters": True,
            "RequireLowercaseCharacters": True,
            "AllowUsersToChangePassword": True,
        },
    )
    fails(
        bob_ctx,
        "ChangePassword",
        {"OldPassword": BOB_PASSWORD, "NewPassword": "abc~"},
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy: "
        "Password should have a minimum length of 12; "
        "Password should have at least one uppercase letter; "
        "Password should have at least one number; "
        "Password should have at least one symbol.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_change_password_uses_the_custom_policy_not_the_default(users_may_change_password, bob_ctx):
    # The custom policy (length 6, nothing required) accepts what the default policy refuses.
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": "simple"})


def test_change_password_stores_a_new_hash_and_keeps_the_old_in_history(users_may_change_password, bob_ctx):
    old_hash = bob_profile().password
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    profile = bob_profile()
    assert profile.password.startswith("argon2")
    assert not check_password(BOB_PASSWORD, profile.password)
    assert list(PasswordHistory.objects.filter(user__user_name="bob").values_list("password", flat=True)) == [
        old_hash
    ]


def test_change_password_clears_reset_required_and_updates_password_changed(
    frozen_clock, users_may_change_password, bob_ctx
):
    LoginProfile.objects.filter(user__user_name="bob").update(password_reset_required=True)
    frozen_clock.advance(hours=3)
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    profile = bob_profile()
    assert profile.password_reset_required is False
    assert profile.password_changed == frozen_clock.current


def test_root_cannot_use_change_password(alice):
    outcome = fails(
        alice,
        "ChangePassword",
        {"OldPassword": "Alice-root-Passw0rd!", "NewPassword": "Alice-new-Passw0rd!"},
        "InvalidUserType",
        "Only IAM users can change their own password with ChangePassword.",
    )
    assert outcome.event.user_identity["type"] == "Root"


def test_change_password_without_login_profile_is_no_such_entity(users_may_change_password, carol):
    ctx = context_for(_principal(carol))
    fails(
        ctx,
        "ChangePassword",
        {"OldPassword": "anything1", "NewPassword": "anything2"},
        "NoSuchEntity",
        "Login Profile for User carol cannot be found.",
    )


@pytest.mark.parametrize(
    "params, failure",
    [
        (
            {"OldPassword": "", "NewPassword": NEW_PASSWORD},
            "Value '***' at 'oldPassword' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1",
        ),
        (
            {"OldPassword": BOB_PASSWORD, "NewPassword": "Long-Passw0rd!" * 10},
            "Value '***' at 'newPassword' failed to satisfy constraint: "
            "Member must have length less than or equal to 128",
        ),
        (
            {"OldPassword": BOB_PASSWORD, "NewPassword": "Pässwørd-\u0100-1"},
            "Value '***' at 'newPassword' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+",
        ),
    ],
    ids=["empty-old", "long-new", "outside-latin1"],
)
def test_malformed_password_is_validation_error_without_the_password(
    users_may_change_password, bob_ctx, params, failure
):
    outcome = fails(bob_ctx, "ChangePassword", params, "ValidationError", "1 validation error detected: " + failure)
    text = event_text(outcome.event)
    for value in params.values():
        if value:
            assert value not in text
            assert value not in outcome.error.message


@pytest.mark.parametrize(
    "old, new",
    [
        (BOB_PASSWORD, NEW_PASSWORD),  # success
        ("Wrong-old-Passw0rd!", NEW_PASSWORD),  # wrong old password
        (BOB_PASSWORD, BOB_PASSWORD),  # same password
        (BOB_PASSWORD, "Sh0rt!"),  # policy violation
    ],
    ids=["success", "wrong-old", "same", "policy"],
)
def test_passwords_never_appear_in_the_event(alice, bob_ctx, old, new):
    ok(alice, "UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True, "MinimumPasswordLength": 8})
    event = change(bob_ctx, old, new).event
    text = event_text(event)
    assert old not in text
    assert new not in text
    assert event.request_parameters is None


SECOND, THIRD = "Second-Passw0rd!", "Third-Passw0rd!"
NOT_LAST_TWO = (
    "Password does not conform to the account password policy: Password should not be one of your last 2 passwords."
)


@pytest.fixture
def three_passwords(frozen_clock, alice, bob_ctx):
    """Reuse prevention 2; bob went BOB_PASSWORD -> SECOND -> THIRD, a day apart."""
    ok(alice, "UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True, "PasswordReusePrevention": 2})
    frozen_clock.advance(days=1)
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": SECOND})
    frozen_clock.advance(days=1)
    ok(bob_ctx, "ChangePassword", {"OldPassword": SECOND, "NewPassword": THIRD})
    frozen_clock.advance(days=1)


def test_reuse_prevention_refuses_the_previous_password(three_passwords, bob_ctx):
    fails(
        bob_ctx, "ChangePassword", {"OldPassword": THIRD, "NewPassword": SECOND}, "PasswordPolicyViolation", NOT_LAST_TWO
    )
    assert check_password(THIRD, bob_profile().password)


def test_reuse_prevention_accepts_a_password_older_than_the_last_n(three_passwords, bob_ctx):
    ok(bob_ctx, "ChangePassword", {"OldPassword": THIRD, "NewPassword": BOB_PASSWORD})
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_reuse_prevention_refuses_an_administrator_reset_to_the_current_password(three_passwords, alice):
    fails(alice, "UpdateLoginProfile", {"UserName": "bob", "Password": THIRD}, "PasswordPolicyViolation", NOT_LAST_TWO)


def test_reuse_prevention_counts_the_current_password_among_the_last_n(frozen_clock, alice, bob_ctx):
    # With N=1 only the current password is remembered, so the one before it is allowed again.
    ok(alice, "UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True, "PasswordReusePrevention": 1})
    frozen_clock.advance(days=1)
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": SECOND})
    frozen_clock.advance(days=1)
    ok(bob_ctx, "ChangePassword", {"OldPassword": SECOND, "NewPassword": BOB_PASSWORD})


def test_without_reuse_prevention_a_previous_password_may_return(frozen_clock, users_may_change_password, bob_ctx):
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    frozen_clock.advance(days=1)
    ok(bob_ctx, "ChangePassword", {"OldPassword": NEW_PASSWORD, "NewPassword": BOB_PASSWORD})


def test_reuse_prevention_is_deterministic_for_changes_at_the_same_instant(frozen_clock, alice, bob_ctx):
    ok(alice, "UpdateAccountPasswordPolicy", {"AllowUsersToChangePassword": True, "PasswordReusePrevention": 2})
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": "Second-Passw0rd!"})
    ok(bob_ctx, "ChangePassword", {"OldPassword": "Second-Passw0rd!", "NewPassword": "Third-Passw0rd!"})
    fails(
        bob_ctx,
        "ChangePassword",
        {"OldPassword": "Third-Passw0rd!", "NewPassword": "Second-Passw0rd!"},
        "PasswordPolicyViolation",
    )


# --- password expiry and HardExpiry ----------------------------------------------------------


@pytest.fixture
def expiring(frozen_clock, alice, bob):
    """MaxPasswordAge 1 day and HardExpiry; bob's password set at the frozen instant."""
    LoginProfile.objects.filter(user=bob).update(password_changed=frozen_clock.current)
    ok(
        alice,
        "UpdateAccountPasswordPolicy",
        {"MaxPasswordAge": 1, "HardExpiry": True, "AllowUsersToChangePassword": True},
    )
    return frozen_clock


def test_hard_expiry_refuses_console_change_of_an_expired_password(expiring, bob_ctx):
    expiring.advance(days=2)
    fails(
        bob_ctx,
        "ChangePassword",
        {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD},
        "InvalidUserType",
        "Your password has expired and the password policy requires an administrator to reset it.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_hard_expiry_refuses_even_the_forced_change_password_step(expiring, bob):
    expiring.advance(days=2)
    ctx = context_for(_principal(bob), password_change_required=True)
    fails(ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD}, "InvalidUserType")


def test_hard_expiry_does_not_apply_to_the_api(expiring, bob):
    expiring.advance(days=2)
    api = context_for(_principal(bob), via_console=False)
    ok(api, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})
    assert bob_profile().password_changed == expiring.current


def test_password_expires_exactly_at_max_password_age(expiring, bob_ctx):
    expiring.advance(days=1)
    fails(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD}, "InvalidUserType")


def test_unexpired_password_can_be_changed_under_hard_expiry(expiring, bob_ctx):
    expiring.advance(hours=23, minutes=59)
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})


def test_expired_password_can_be_changed_without_hard_expiry(frozen_clock, alice, bob, bob_ctx):
    LoginProfile.objects.filter(user=bob).update(password_changed=frozen_clock.current)
    ok(alice, "UpdateAccountPasswordPolicy", {"MaxPasswordAge": 1, "AllowUsersToChangePassword": True})
    frozen_clock.advance(days=2)
    ok(bob_ctx, "ChangePassword", {"OldPassword": BOB_PASSWORD, "NewPassword": NEW_PASSWORD})


def test_administrator_reset_lets_an_expired_user_change_password_again(expiring, alice, bob_ctx):
    expiring.advance(days=2)
    ok(alice, "UpdateLoginProfile", {"UserName": "bob", "Password": "Admin-reset-Passw0rd!"})
    ok(bob_ctx, "ChangePassword", {"OldPassword": "Admin-reset-Passw0rd!", "NewPassword": NEW_PASSWORD})


# --- CreateUser ---------------------------------------------------------------------------


def test_create_user_returns_aws_shape_and_stores_the_user(frozen_clock, alice):
    outcome = ok(alice, "CreateUser", {"UserName": "carol"})
    user = outcome.result["User"]
    assert set(user) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    assert user["Path"] == "/"
    assert user["UserName"] == "carol"
    assert user["Arn"] == f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert user["CreateDate"] == frozen_clock.current
    stored = User.objects.get(user_name="carol")
    assert stored.account.account_id == ALICE_ACCOUNT
    assert stored.user_id == user["UserId"]


def test_create_user_event_records_request_and_response(frozen_clock, alice):
    outcome = ok(alice, "CreateUser", {"UserName": "carol"})
    event = outcome.event
    assert event.request_parameters == {"userName": "carol"}
    assert event.response_elements == {
        "user": {
            "path": "/",
            "userName": "carol",
            "userId": outcome.result["User"]["UserId"],
            "arn": f"arn:aws:iam::{ALICE_ACCOUNT}:user/carol",
            "createDate": "Nov 29, 2026 12:00:00 PM",
        }
    }


def test_create_user_with_path_puts_the_path_in_the_arn(alice):
    user = ok(alice, "CreateUser", {"UserName": "carol", "Path": "/division/team/"}).result["User"]
    assert user["Path"] == "/division/team/"
    assert user["Arn"] == f"arn:aws:iam::{ALICE_ACCOUNT}:user/division/team/carol"


def test_create_user_accepts_a_64_character_name(alice):
    ok(alice, "CreateUser", {"UserName": "u" * 64})
    assert User.objects.filter(user_name="u" * 64).exists()


def test_create_user_refuses_a_65_character_name(alice):
    name = "u" * 65
    fails(
        alice,
        "CreateUser",
        {"UserName": name},
        "ValidationError",
        f"1 validation error detected: Value '{name}' at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64",
    )
    assert not User.objects.filter(user_name=name).exists()


def test_create_user_refuses_a_name_outside_the_pattern(alice):
    fails(
        alice,
        "CreateUser",
        {"UserName": "bad name!"},
        "ValidationError",
        "1 validation error detected: Value 'bad name!' at 'userName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [\w+=,.@-]+",
    )


def test_create_user_refuses_an_empty_name(alice):
    fails(
        alice,
        "CreateUser",
        {"UserName": ""},
        "ValidationError",
        "1 validation error detected: Value '' at 'userName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


def test_create_user_with_a_name_differing_only_in_case_already_exists(alice, bob):
    outcome = fails(alice, "CreateUser", {"UserName": "BOB"}, "EntityAlreadyExists", "User with name BOB already exists.")
    assert outcome.error.status == 409
    assert User.objects.filter(account__account_id=ALICE_ACCOUNT).count() == 1


@pytest.mark.parametrize(
    "name",
    ["Élodie", "用户", "x'; DROP TABLE iam_user;--", "<script>alert(1)</script>", "bob\x00", "bob\n"],
    ids=["accented", "cjk", "sql", "html", "nul", "newline"],
)
def test_hostile_or_unicode_user_names_are_rejected_cleanly(alice, bob, name):
    outcome = fails(alice, "CreateUser", {"UserName": name}, "ValidationError")
    assert "Member must satisfy regular expression pattern" in outcome.error.message
    assert outcome.error.status == 400
    assert list(User.objects.values_list("user_name", flat=True)) == ["bob"]


@pytest.mark.parametrize(
    "path, failure",
    [
        (
            "division",
            "Value 'division' at 'path' failed to satisfy constraint: "
            r"Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
        ),
        (
            "",
            "Value '' at 'path' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            "/" + "a" * 511 + "/",
            "Value '/" + "a" * 511 + "/' at 'path' failed to satisfy constraint: "
            "Member must have length less than or equal to 512",
        ),
    ],
    ids=["no-slashes", "empty", "513-chars"],
)
def test_create_user_validates_the_path(alice, path, failure):
    fails(
        alice,
        "CreateUser",
        {"UserName": "carol", "Path": path},
        "ValidationError",
        "1 validation error detected: " + failure,
    )
    assert not User.objects.filter(user_name="carol").exists()


def test_create_user_reports_name_and_path_errors_together(alice):
    outcome = fails(alice, "CreateUser", {"UserName": "bad name!", "Path": "x"}, "ValidationError")
    assert outcome.error.message.startswith("2 validation errors detected: Value 'bad name!' at 'userName'")
    assert "Value 'x' at 'path'" in outcome.error.message


def test_create_user_beyond_the_quota_is_limit_exceeded(monkeypatch, alice, bob):
    monkeypatch.setattr(operations, "USERS_PER_ACCOUNT", 1)
    fails(alice, "CreateUser", {"UserName": "carol"}, "LimitExceeded", "Cannot exceed quota for UsersPerAccount: 1")
    assert not User.objects.filter(user_name="carol").exists()


def test_call_missing_a_required_parameter_is_still_audited_once(alice):
    with pytest.raises(ValidationError):
        dispatch(alice, "iam:CreateUser", {})
    (event,) = Event.objects.all()
    assert event.event_name == "CreateUser"
    assert event.error_code == "ValidationError"
    assert not User.objects.exists()


def test_create_user_without_user_name_is_validation_error_with_an_event(alice):
    fails(
        alice,
        "CreateUser",
        {},
        "ValidationError",
        "1 validation error detected: Value null at 'userName' failed to satisfy constraint: "
        "Member must not be null",
    )


def test_create_user_with_null_path_uses_the_default_path(alice):
    user = ok(alice, "CreateUser", {"UserName": "carol", "Path": None}).result["User"]
    assert user["Path"] == "/"


# --- CreateLoginProfile -------------------------------------------------------------------


def test_create_login_profile_gives_the_user_a_console_password(frozen_clock, alice, carol):
    outcome = ok(
        alice, "CreateLoginProfile", {"UserName": "carol", "Password": CAROL_PASSWORD, "PasswordResetRequired": True}
    )
    assert outcome.result == {
        "LoginProfile": {"UserName": "carol", "CreateDate": frozen_clock.current, "PasswordResetRequired": True}
    }
    profile = LoginProfile.objects.get(user=carol)
    assert check_password(CAROL_PASSWORD, profile.password)
    assert profile.password.startswith("argon2")
    assert profile.password_reset_required is True
    assert profile.password_changed == frozen_clock.current


def test_create_login_profile_event_omits_the_password(alice, carol):
    event = ok(alice, "CreateLoginProfile", {"UserName": "carol", "Password": CAROL_PASSWORD}).event
    assert event.request_parameters == {"userName": "carol"}
    assert event.response_elements["loginProfile"]["userName"] == "carol"
    assert CAROL_PASSWORD not in event_text(event)


def test_create_login_profile_finds_the_user_ignoring_case(alice, carol):
    outcome = ok(alice, "CreateLoginProfile", {"UserName": "CAROL", "Password": CAROL_PASSWORD})
    assert outcome.result["LoginProfile"]["UserName"] == "carol"
    assert LoginProfile.objects.filter(user=carol).exists()


def test_create_login_profile_for_unknown_user_is_no_such_entity(alice):
    fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "nobody", "Password": CAROL_PASSWORD},
        "NoSuchEntity",
        "The user with name nobody cannot be found.",
    )


def test_create_login_profile_twice_already_exists(alice, bob):
    fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "bob", "Password": NEW_PASSWORD},
        "EntityAlreadyExists",
        "Login Profile for user bob already exists.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_create_login_profile_enforces_the_default_policy_without_custom_policy(alice, carol):
    outcome = fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "carol", "Password": "abcdefgh1"},
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy: "
        "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols.",
    )
    assert not LoginProfile.objects.filter(user=carol).exists()
    assert "abcdefgh1" not in event_text(outcome.event)


def test_default_policy_refuses_the_root_email_as_password(alice, carol):
    fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "carol", "Password": ALICE_EMAIL.upper()[:1] + ALICE_EMAIL[1:]},
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy: "
        "Password should not be the same as the account name or email address.",
    )


def test_create_login_profile_enforces_the_custom_policy(alice, carol):
    ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 10, "RequireSymbols": True})
    fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "carol", "Password": "Abcdefg1"},
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy: "
        "Password should have a minimum length of 10; Password should have at least one symbol.",
    )


def test_create_login_profile_refuses_an_empty_password_without_echoing_it(alice, carol):
    fails(
        alice,
        "CreateLoginProfile",
        {"UserName": "carol", "Password": ""},
        "ValidationError",
        "1 validation error detected: Value '***' at 'password' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    )


# --- UpdateLoginProfile -------------------------------------------------------------------


def test_update_login_profile_resets_the_password(frozen_clock, alice, bob):
    old_hash = bob_profile().password
    frozen_clock.advance(days=3)
    outcome = ok(
        alice, "UpdateLoginProfile", {"UserName": "bob", "Password": NEW_PASSWORD, "PasswordResetRequired": True}
    )
    assert outcome.result == {}
    profile = bob_profile()
    assert check_password(NEW_PASSWORD, profile.password)
    assert profile.password_reset_required is True
    assert profile.password_changed == frozen_clock.current
    assert list(PasswordHistory.objects.values_list("password", flat=True)) == [old_hash]


def test_update_login_profile_event_omits_the_password(alice, bob):
    event = ok(alice, "UpdateLoginProfile", {"UserName": "bob", "Password": NEW_PASSWORD}).event
    assert event.request_parameters == {"userName": "bob"}
    assert event.response_elements is None
    assert NEW_PASSWORD not in event_text(event)


def test_update_login_profile_can_only_require_a_reset(alice, bob):
    ok(alice, "UpdateLoginProfile", {"UserName": "bob", "PasswordResetRequired": True})
    profile = bob_profile()
    assert profile.password_reset_required is True
    assert check_password(BOB_PASSWORD, profile.password)
    assert not PasswordHistory.objects.exists()


def test_update_login_profile_for_unknown_user_is_no_such_entity(alice):
    fails(
        alice,
        "UpdateLoginProfile",
        {"UserName": "nobody", "Password": NEW_PASSWORD},
        "NoSuchEntity",
        "The user with name nobody cannot be found.",
    )


def test_update_login_profile_without_profile_is_no_such_entity(alice, carol):
    fails(
        alice,
        "UpdateLoginProfile",
        {"UserName": "carol", "Password": NEW_PASSWORD},
        "NoSuchEntity",
        "Login Profile for User carol cannot be found.",
    )
    assert not LoginProfile.objects.filter(user=carol).exists()


def test_update_login_profile_enforces_the_password_policy(alice, bob):
    outcome = fails(
        alice,
        "UpdateLoginProfile",
        {"UserName": "bob", "Password": "short"},
        "PasswordPolicyViolation",
        "Password does not conform to the account password policy: "
        "Password should have a minimum length of 8; "
        "Password should have at least three of: uppercase letters, lowercase letters, numbers, symbols.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)
    assert "short" not in json.dumps(outcome.event.request_parameters)


@pytest.mark.parametrize(
    "action, params, member",
    [
        ("CreateLoginProfile", {"UserName": "bad name!", "Password": CAROL_PASSWORD}, "userName"),
        ("UpdateLoginProfile", {"UserName": "u" * 65, "Password": CAROL_PASSWORD}, "userName"),
        ("DeleteAccountAlias", {"AccountAlias": "Not--An-Alias"}, "accountAlias"),
    ],
    ids=["create-login-profile", "update-login-profile", "delete-account-alias"],
)
def test_malformed_names_are_validation_errors_on_every_action(alice, action, params, member):
    outcome = fails(alice, action, params, "ValidationError")
    assert f"at '{member}' failed to satisfy constraint" in outcome.error.message


# --- account alias ------------------------------------------------------------------------


def alias_of(account_id=ALICE_ACCOUNT):
    return Account.objects.get(account_id=account_id).alias


def test_create_account_alias_replaces_the_alias(alice):
    event = ok(alice, "CreateAccountAlias", {"AccountAlias": "alice-new"}).event
    assert alias_of() == "alice-new"
    assert event.request_parameters == {"accountAlias": "alice-new"}
    assert ok(alice, "ListAccountAliases").result == {"AccountAliases": ["alice-new"], "IsTruncated": False}


def test_create_account_alias_again_with_the_same_alias_succeeds(alice):
    ok(alice, "CreateAccountAlias", {"AccountAlias": "alice-lab"})
    assert alias_of() == "alice-lab"


@pytest.mark.parametrize(
    "alias",
    ["-alice", "alice-", "alice--lab", "Alice", "alice_lab", "alice.lab", "ab", "a" * 64, "élan"],
)
def test_create_account_alias_outside_aws_pattern_is_validation_error(alice, alias):
    outcome = fails(alice, "CreateAccountAlias", {"AccountAlias": alias}, "ValidationError")
    assert f"Value '{alias}' at 'accountAlias'" in outcome.error.message
    assert alias_of() == "alice-lab"


def test_create_account_alias_too_short_reports_length_and_pattern(alice):
    fails(
        alice,
        "CreateAccountAlias",
        {"AccountAlias": "ab"},
        "ValidationError",
        "2 validation errors detected: "
        "Value 'ab' at 'accountAlias' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3; "
        "Value 'ab' at 'accountAlias' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
    )


@pytest.mark.parametrize("alias", ["abc", "a1-b2-c3", "a" * 63])
def test_create_account_alias_accepts_aws_aliases(alice, alias):
    ok(alice, "CreateAccountAlias", {"AccountAlias": alias})
    assert alias_of() == alias


def test_create_account_alias_of_another_account_already_exists(alice, charlie):
    ok(charlie, "CreateAccountAlias", {"AccountAlias": "charlie-lab"})
    fails(
        alice,
        "CreateAccountAlias",
        {"AccountAlias": "charlie-lab"},
        "EntityAlreadyExists",
        "The account alias charlie-lab already exists.",
    )
    assert alias_of() == "alice-lab"
    assert alias_of(CHARLIE_ACCOUNT) == "charlie-lab"


@pytest.mark.parametrize("alias", ["123456789012", CHARLIE_ACCOUNT, "2024"])
def test_all_digit_alias_is_refused(alice, alias):
    outcome = fails(alice, "CreateAccountAlias", {"AccountAlias": alias}, "ValidationError")
    assert "at least one lowercase letter or hyphen" in outcome.error.message
    assert alias_of() == "alice-lab"


def test_delete_account_alias_removes_it(alice):
    event = ok(alice, "DeleteAccountAlias", {"AccountAlias": "alice-lab"}).event
    assert alias_of() is None
    assert event.request_parameters == {"accountAlias": "alice-lab"}
    assert ok(alice, "ListAccountAliases").result == {"AccountAliases": [], "IsTruncated": False}


def test_delete_a_different_alias_is_no_such_entity(alice):
    fails(
        alice,
        "DeleteAccountAlias",
        {"AccountAlias": "other-lab"},
        "NoSuchEntity",
        "The account alias other-lab cannot be found.",
    )
    assert alias_of() == "alice-lab"


def test_delete_alias_when_account_has_none_is_no_such_entity(alice):
    ok(alice, "DeleteAccountAlias", {"AccountAlias": "alice-lab"})
    fails(alice, "DeleteAccountAlias", {"AccountAlias": "alice-lab"}, "NoSuchEntity")


def test_list_account_aliases_is_read_only_and_records_no_response(alice):
    outcome = ok(alice, "ListAccountAliases")
    assert outcome.result == {"AccountAliases": ["alice-lab"], "IsTruncated": False}
    assert outcome.event.read_only is True
    assert outcome.event.response_elements is None


# --- cross-account isolation ----------------------------------------------------------------


def test_other_root_cannot_see_the_password_policy(alice, charlie):
    ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 20})
    outcome = fails(
        charlie,
        "GetAccountPasswordPolicy",
        {},
        "NoSuchEntity",
        f"The Password Policy with domain name {CHARLIE_ACCOUNT} cannot be found.",
    )
    assert outcome.event.recipient_account_id == CHARLIE_ACCOUNT


def test_other_root_updates_only_its_own_password_policy(alice, charlie):
    ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 20})
    ok(charlie, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 8})
    assert policy_of(alice)["MinimumPasswordLength"] == 20
    assert policy_of(charlie)["MinimumPasswordLength"] == 8


def test_other_root_cannot_delete_the_password_policy(alice, charlie):
    ok(alice, "UpdateAccountPasswordPolicy", {"MinimumPasswordLength": 20})
    fails(charlie, "DeleteAccountPasswordPolicy", {}, "NoSuchEntity")
    assert policy_of(alice)["MinimumPasswordLength"] == 20


def test_other_root_cannot_reset_a_users_password(charlie, bob):
    fails(
        charlie,
        "UpdateLoginProfile",
        {"UserName": "bob", "Password": NEW_PASSWORD},
        "NoSuchEntity",
        "The user with name bob cannot be found.",
    )
    assert check_password(BOB_PASSWORD, bob_profile().password)


def test_other_root_creates_users_in_its_own_account(charlie, bob):
    user = ok(charlie, "CreateUser", {"UserName": "bob"}).result["User"]
    assert user["Arn"] == f"arn:aws:iam::{CHARLIE_ACCOUNT}:user/bob"
    assert User.objects.filter(user_name="bob").count() == 2


def test_other_root_cannot_delete_the_alias(alice, charlie):
    fails(charlie, "DeleteAccountAlias", {"AccountAlias": "alice-lab"}, "NoSuchEntity")
    assert alias_of() == "alice-lab"
    assert ok(charlie, "ListAccountAliases").result["AccountAliases"] == []

"""Evaluation logic and AccessDenied texts ("Policy evaluation logic")."""

import json

import pytest

from iam.policy import Decision, Request, compile_policy, denial_message, evaluate

ACCOUNT = "123456789012"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ops"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/alice"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
BUCKET = "arn:aws:s3:::demo-bucket"


def policy(*statements, kind="identity", version="2012-10-17"):
    body = {"Statement": list(statements)}
    if version:
        body["Version"] = version
    return compile_policy(json.dumps(body), kind)


def stmt(effect="Allow", action="s3:GetObject", resource="*", **extra):
    statement = {"Effect": effect}
    if action is not None:
        statement["Action"] = action
    if resource is not None:
        statement["Resource"] = resource
    statement.update(extra)
    return statement


def labelled(kind, *policies, name="P"):
    return [({"type": kind, "name": f"{name}{i}"}, p) for i, p in enumerate(policies)]


def bob(action="s3:GetObject", resource=f"{BUCKET}/k", **context):
    return Request(action, resource, BOB, ACCOUNT, "IAMUser", context)


def role_session(action="s3:GetObject", resource=f"{BUCKET}/k", **context):
    return Request(action, resource, SESSION, ACCOUNT, "AssumedRole", {"aws:PrincipalArn": ROLE, **context})


def decide(request, identity=(), **kwargs):
    return evaluate(request, identity_policies=labelled("identity", *identity), **kwargs)


# --- identity-based policies -----------------------------------------------------------


def test_no_policies_is_implicit_deny_by_identity():
    decision = decide(bob())
    assert (decision.decision, decision.denied_by, decision.matched) == ("implicitDeny", "identity", [])


def test_allow_statement_allows_and_is_reported():
    decision = decide(bob(), [policy(stmt(Sid="Read"))])
    assert decision.allowed
    assert decision.matched == [
        {"label": {"type": "identity", "name": "P0"}, "sid": "Read", "statement_index": 0, "effect": "Allow"}
    ]


def test_explicit_deny_wins_over_allow():
    decision = decide(bob(), [policy(stmt()), policy(stmt("Deny", Sid="No"))])
    assert (decision.decision, decision.denied_by) == ("explicitDeny", "identity")
    assert decision.matched[0]["sid"] == "No"


def test_decision_allowed_property_is_false_for_denies():
    assert not Decision("explicitDeny").allowed and Decision("allowed").allowed


def test_actions_match_case_insensitively():
    assert decide(bob("S3:getobject"), [policy(stmt(action="s3:GETOBJECT"))]).allowed


def test_action_wildcards():
    assert decide(bob("iam:ListUsers", "*"), [policy(stmt(action="iam:List*"))]).allowed


def test_action_question_mark_wildcard():
    assert not decide(bob("iam:GetUsers", "*"), [policy(stmt(action="iam:Get?ser"))]).allowed


def test_star_action_matches_everything():
    assert decide(bob("madeup:Thing", "*"), [policy(stmt(action="*"))]).allowed


def test_unknown_action_in_policy_never_matches():
    assert not decide(bob(), [policy(stmt(action="ec2:FooBar"))]).allowed


def test_action_of_another_service_does_not_match():
    assert not decide(bob("s3tables:GetObject"), [policy(stmt(action="s3:*"))]).allowed


def test_not_action_allows_everything_else():
    assert decide(bob("s3:GetObject"), [policy(stmt(action=None, NotAction="iam:*"))]).allowed


def test_not_action_does_not_allow_listed_actions():
    assert not decide(bob("iam:CreateUser", "*"), [policy(stmt(action=None, NotAction="iam:*"))]).allowed


def test_resources_match_case_sensitively():
    assert not decide(bob(resource=f"{BUCKET}/K"), [policy(stmt(resource=f"{BUCKET}/k"))]).allowed


def test_resource_wildcard_in_resource_part_crosses_slashes_and_colons():
    p = policy(stmt(action="logs:*", resource=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"))
    assert decide(bob("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:a:log-stream:b"), [p]).allowed


def test_resource_wildcard_in_region_does_not_cross_colons():
    p = policy(stmt(action="sqs:*", resource="arn:aws:sqs:*:queue"))
    assert not decide(bob("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:queue"), [p]).allowed


def test_resource_wildcard_in_account_component():
    p = policy(stmt(action="iam:*", resource="arn:aws:iam::*:user/b?b"))
    assert decide(bob("iam:GetUser", BOB), [p]).allowed


def test_resource_that_is_not_an_arn_is_matched_as_text():
    assert not decide(bob(resource="demo"), [policy(stmt(resource=f"{BUCKET}/*"))]).allowed


def test_not_resource_allows_other_resources():
    p = policy(stmt(resource=None, NotResource=f"{BUCKET}/secret/*"))
    assert decide(bob(resource=f"{BUCKET}/public/x"), [p]).allowed


def test_not_resource_excludes_listed_resources():
    p = policy(stmt(resource=None, NotResource=f"{BUCKET}/secret/*"))
    assert not decide(bob(resource=f"{BUCKET}/secret/x"), [p]).allowed


def test_resource_variable_is_substituted():
    p = policy(stmt(action="iam:ChangePassword", resource="arn:aws:iam::*:user/${aws:username}"))
    assert decide(bob("iam:ChangePassword", BOB, **{"aws:username": "bob"}), [p]).allowed


def test_resource_variable_for_another_user_does_not_match():
    p = policy(stmt(action="iam:ChangePassword", resource="arn:aws:iam::*:user/${aws:username}"))
    assert not decide(bob("iam:ChangePassword", f"arn:aws:iam::{ACCOUNT}:user/alice", **{"aws:username": "bob"}), [p]).allowed


def test_resource_variable_without_value_matches_nothing():
    p = policy(stmt(resource="arn:aws:s3:::demo-bucket/${aws:username}/*"))
    assert not decide(bob(resource=f"{BUCKET}/bob/x"), [p]).allowed


def test_not_resource_variable_without_value_excludes_nothing():
    p = policy(stmt(resource=None, NotResource="arn:aws:s3:::demo-bucket/${aws:username}/*"))
    assert decide(bob(resource=f"{BUCKET}/bob/x"), [p]).allowed


def test_resource_variable_is_literal_without_version():
    p = policy(stmt(resource="arn:aws:s3:::demo-bucket/${aws:username}"), version=None)
    assert decide(bob(resource="arn:aws:s3:::demo-bucket/${aws:username}", **{"aws:username": "bob"}), [p]).allowed


def test_resource_variable_with_wildcards_around_it():
    p = policy(stmt(resource="arn:aws:s3:::*-${aws:username}/?"))
    assert decide(bob(resource="arn:aws:s3:::logs-bob/x", **{"aws:username": "bob"}), [p]).allowed


def test_resource_star_literal_variable_needs_an_asterisk():
    p = policy(stmt(resource="arn:aws:s3:::demo-bucket/${*}"))
    assert not decide(bob(resource=f"{BUCKET}/anything"), [p]).allowed


def test_resource_variable_default():
    p = policy(stmt(resource="arn:aws:s3:::team-${aws:PrincipalTag/team, 'company-wide'}"))
    assert decide(bob(resource="arn:aws:s3:::team-company-wide"), [p]).allowed


def test_condition_failure_makes_statement_not_apply():
    p = policy(stmt(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    assert not decide(bob(**{"aws:MultiFactorAuthPresent": "false"}), [p]).allowed


def test_context_values_that_are_none_are_missing():
    p = policy(stmt(Condition={"Null": {"aws:TokenIssueTime": "true"}}))
    assert decide(bob(**{"aws:TokenIssueTime": None}), [p]).allowed


def test_principal_arn_and_account_are_in_the_context():
    p = policy(stmt(Condition={"StringEquals": {"aws:PrincipalArn": BOB, "aws:PrincipalAccount": ACCOUNT}}))
    assert decide(bob(), [p]).allowed


# --- root -------------------------------------------------------------------------------


def test_root_is_allowed_without_policies():
    root = Request("iam:CreateUser", "*", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root")
    assert evaluate(root, is_root=True).allowed


def test_root_is_denied_by_explicit_deny_in_resource_policy():
    root = Request("s3:DeleteBucket", BUCKET, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root")
    deny = policy(stmt("Deny", "s3:*", BUCKET, Principal="*"), kind="resource")
    decision = evaluate(root, resource_policy=labelled("resource", deny), is_root=True)
    assert (decision.decision, decision.denied_by) == ("explicitDeny", "resource")


# --- permissions boundaries -------------------------------------------------------------


def test_boundary_limits_identity_allow():
    boundary = labelled("boundary", policy(stmt(action="s3:*")))
    decision = decide(bob("iam:CreateUser", "*"), [policy(stmt(action="iam:CreateUser"))], boundary_policies=boundary)
    assert (decision.decision, decision.denied_by) == ("implicitDeny", "boundary")


def test_boundary_alone_grants_nothing():
    decision = decide(bob(), [], boundary_policies=labelled("boundary", policy(stmt(action="s3:*"))))
    assert decision.denied_by == "identity"


def test_allowed_by_identity_and_boundary_reports_both():
    decision = decide(bob(), [policy(stmt())], boundary_policies=labelled("boundary", policy(stmt(action="s3:*"))))
    assert decision.allowed and [m["label"]["type"] for m in decision.matched] == ["identity", "boundary"]


def test_empty_boundary_allows_nothing():
    assert decide(bob(), [policy(stmt())], boundary_policies=()).denied_by == "boundary"


def test_deny_in_boundary_is_explicit():
    boundary = labelled("boundary", policy(stmt(action="*"), stmt("Deny")))
    decision = decide(bob(), [policy(stmt())], boundary_policies=boundary)
    assert (decision.decision, decision.denied_by) == ("explicitDeny", "boundary")


# --- session policies --------------------------------------------------------------------


def test_session_policy_limits_role_session():
    session = labelled("session", policy(stmt(action="s3:ListBucket")))
    decision = decide(role_session(), [policy(stmt())], session_policies=session)
    assert decision.denied_by == "session"


def test_session_policy_that_allows_keeps_access():
    session = labelled("session", policy(stmt(action="s3:*")))
    assert decide(role_session(), [policy(stmt())], session_policies=session).allowed


def test_deny_in_session_policy_is_explicit():
    session = labelled("session", policy(stmt("Deny", "s3:*")))
    assert decide(role_session(), [policy(stmt())], session_policies=session).denied_by == "session"


# --- resource-based policies --------------------------------------------------------------


def bucket_policy(*statements):
    return labelled("resource", policy(*statements, kind="resource"))


def test_resource_policy_naming_user_allows_without_identity_policy():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": BOB}))
    assert decide(bob(), [], resource_policy=rp).allowed


def test_resource_policy_naming_user_is_not_limited_by_boundary():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": BOB}))
    decision = decide(bob(), [], resource_policy=rp, boundary_policies=())
    assert decision.allowed and decision.matched[0]["label"]["type"] == "resource"


def test_resource_policy_naming_role_allows_session_without_identity_policy():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert decide(role_session(), [], resource_policy=rp).allowed


def test_resource_policy_naming_role_is_limited_by_boundary():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert decide(role_session(), [], resource_policy=rp, boundary_policies=()).denied_by == "boundary"


def test_resource_policy_naming_role_is_limited_by_session_policy():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert decide(role_session(), [], resource_policy=rp, session_policies=()).denied_by == "session"


def test_resource_policy_naming_role_session_is_not_limited_by_session_policy():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": SESSION}))
    assert decide(role_session(), [], resource_policy=rp, session_policies=(), boundary_policies=()).allowed


def test_role_session_issuer_may_be_given_explicitly():
    request = Request("s3:GetObject", f"{BUCKET}/k", SESSION, ACCOUNT, "AssumedRole", session_issuer_arn=ROLE)
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert decide(request, [], resource_policy=rp).allowed


def test_resource_policy_naming_federating_user_is_limited_by_session_policy():
    request = Request("s3:GetObject", f"{BUCKET}/k", FEDERATED, ACCOUNT, "FederatedUser", session_issuer_arn=BOB)
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": BOB}))
    assert decide(request, [], resource_policy=rp, session_policies=()).denied_by == "session"


def test_resource_policy_naming_federated_session_is_direct():
    request = Request("s3:GetObject", f"{BUCKET}/k", FEDERATED, ACCOUNT, "FederatedUser", session_issuer_arn=BOB)
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": FEDERATED}))
    assert decide(request, [], resource_policy=rp, session_policies=()).allowed


def test_resource_policy_naming_account_delegates_to_identity_policies():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": ACCOUNT}))
    assert decide(bob(), [], resource_policy=rp).denied_by == "identity"


def test_resource_policy_naming_account_with_identity_allow_allows():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    decision = decide(bob(), [policy(stmt())], resource_policy=rp)
    assert decision.allowed and len(decision.matched) == 2


def test_resource_policy_for_anyone_allows():
    assert decide(bob(), [], resource_policy=bucket_policy(stmt(resource=f"{BUCKET}/*", Principal="*"))).allowed


def test_resource_policy_for_aws_star_allows_anonymous():
    anonymous = Request("s3:GetObject", f"{BUCKET}/k", "anonymous", "", "Anonymous")
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": "*"}))
    assert decide(anonymous, [], resource_policy=rp).allowed


def test_resource_policy_for_someone_else_does_not_apply():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}))
    assert not decide(bob(), [], resource_policy=rp).allowed


def test_resource_policy_deny_for_user_is_explicit():
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", Principal={"AWS": BOB}))
    decision = decide(bob(), [policy(stmt())], resource_policy=rp)
    assert (decision.decision, decision.denied_by) == ("explicitDeny", "resource")


def test_resource_policy_service_principal():
    service = Request("s3:PutObject", f"{BUCKET}/logs/x", "cloudtrail.amazonaws.com", "", "AWSService")
    rp = bucket_policy(stmt(action="s3:PutObject", resource=f"{BUCKET}/logs/*", Principal={"Service": "CloudTrail.amazonaws.com"}))
    assert decide(service, [], resource_policy=rp).allowed


def test_resource_policy_service_principal_does_not_match_users():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"Service": "cloudtrail.amazonaws.com"}))
    assert not decide(bob(), [], resource_policy=rp).allowed


def test_service_request_not_named_by_policy_is_denied():
    service = Request("s3:PutObject", f"{BUCKET}/x", "ec2.amazonaws.com", "", "AWSService")
    rp = bucket_policy(stmt(action="s3:PutObject", resource=f"{BUCKET}/*", Principal={"Service": "cloudtrail.amazonaws.com"}))
    assert not decide(service, [], resource_policy=rp).allowed


def test_not_principal_deny_applies_to_others():
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": [BOB, ACCOUNT]}))
    alice = Request("s3:GetObject", f"{BUCKET}/k", f"arn:aws:iam::{ACCOUNT}:user/alice", ACCOUNT, "IAMUser")
    assert decide(alice, [policy(stmt())], resource_policy=rp).decision == "explicitDeny"


def test_not_principal_deny_spares_listed_user_and_account():
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": [BOB, ACCOUNT]}))
    assert decide(bob(), [policy(stmt())], resource_policy=rp).allowed


def test_not_principal_without_the_account_still_denies_the_user():
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": BOB}))
    assert decide(bob(), [policy(stmt())], resource_policy=rp).decision == "explicitDeny"


def test_not_principal_for_session_needs_role_and_session_listed():
    listed = [f"arn:aws:iam::{ACCOUNT}:root", ROLE, SESSION]
    spared = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": listed}))
    partial = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": listed[::2]}))
    assert decide(role_session(), [policy(stmt())], resource_policy=spared).allowed
    assert not decide(role_session(), [policy(stmt())], resource_policy=partial).allowed


def test_not_principal_star_spares_everyone():
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"AWS": "*"}))
    assert decide(bob(), [policy(stmt())], resource_policy=rp).allowed


def test_not_principal_service_and_federated():
    service = Request("s3:GetObject", f"{BUCKET}/x", "ec2.amazonaws.com", "", "AWSService")
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"Service": "ec2.amazonaws.com"}))
    assert decide(service, [], resource_policy=rp).decision == "implicitDeny"
    saml = Request("s3:GetObject", f"{BUCKET}/x", f"arn:aws:iam::{ACCOUNT}:saml-provider/idp", ACCOUNT, "SAMLUser")
    rp = bucket_policy(stmt("Deny", "s3:*", f"{BUCKET}/*", NotPrincipal={"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/idp"}))
    assert decide(saml, [], resource_policy=rp).decision == "implicitDeny"


def test_allow_with_not_principal_grants_to_others():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"}))
    assert decide(bob(), [], resource_policy=rp).allowed


# --- trust policies -------------------------------------------------------------------


def trust(*statements):
    return labelled("trust", policy(*statements, kind="trust"))


def assume(request_principal=BOB, ptype="IAMUser", **context):
    return Request("sts:AssumeRole", ROLE, request_principal, ACCOUNT, ptype, context)


def test_trust_naming_user_allows_without_identity_policy():
    rp = trust(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": BOB}))
    assert decide(assume(), [], resource_policy=rp).allowed


def test_trust_naming_account_needs_identity_policy():
    rp = trust(stmt(action="sts:AssumeRole", resource=None, Principal={"AWS": ACCOUNT}))
    assert decide(assume(), [], resource_policy=rp).denied_by == "identity"
    assert decide(assume(), [policy(stmt(action="sts:AssumeRole", resource=ROLE))], resource_policy=rp).allowed


def test_identity_policy_alone_cannot_assume_a_role():
    rp = trust(stmt(action="sts:AssumeRole", resource=None, Principal={"Service": "ec2.amazonaws.com"}))
    decision = decide(assume(), [policy(stmt(action="sts:AssumeRole", resource=ROLE))], resource_policy=rp)
    assert (decision.decision, decision.denied_by) == ("implicitDeny", "resource")


def test_trust_condition_requires_mfa():
    rp = trust(
        stmt(
            action="sts:AssumeRole",
            resource=None,
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        )
    )
    identity = [policy(stmt(action="sts:AssumeRole", resource=ROLE))]
    assert not decide(assume(**{"aws:MultiFactorAuthPresent": "false"}), identity, resource_policy=rp).allowed
    assert decide(assume(**{"aws:MultiFactorAuthPresent": "true"}), identity, resource_policy=rp).allowed


def test_trust_federated_principal():
    provider = f"arn:aws:iam::{ACCOUNT}:saml-provider/idp"
    rp = trust(stmt(action="sts:AssumeRoleWithSAML", resource=None, Principal={"Federated": provider}))
    request = Request("sts:AssumeRoleWithSAML", ROLE, provider, ACCOUNT, "SAMLUser")
    assert decide(request, [], resource_policy=rp).allowed


# --- an explicit deny ends the evaluation once its message is settled -------------------


def managed(kind, name, *statements):
    label = {"type": kind, "name": name, "arn": f"arn:aws:iam::{ACCOUNT}:policy/{name}"}
    return label, policy(*statements)


def inline(kind, name, *statements):
    return {"type": kind, "name": name}, policy(*statements)


def both_ways(request, **policies):
    """The decision as authorization makes it, and with every statement evaluated."""
    return evaluate(request, **policies), evaluate(request, every_match=True, **policies)


def test_the_first_deny_of_a_managed_policy_ends_the_evaluation():
    deny = stmt("Deny", Sid="No")
    identity = [managed("identity", "First", deny), managed("identity", "Second", deny),
                inline("identity", "Third", deny)]
    boundary = [managed("boundary", "Edge", deny)]
    bucket = bucket_policy(stmt("Deny", resource=f"{BUCKET}/*", Principal="*"))
    quick, full = both_ways(bob(), identity_policies=identity, resource_policy=bucket, boundary_policies=boundary)
    assert [m["label"]["name"] for m in quick.matched] == ["First"]
    assert [m["label"]["name"] for m in full.matched] == ["First", "Second", "Third", "P0", "Edge"]
    assert message(quick) == message(full) == (
        f"{HEAD} with an explicit deny in an identity-based policy: arn:aws:iam::{ACCOUNT}:policy/First"
    )


def test_an_inline_deny_first_goes_on_to_the_managed_policy_the_message_names():
    deny = stmt("Deny")
    identity = [inline("identity", "Inline", deny), managed("identity", "Named", deny),
                managed("identity", "Later", deny)]
    quick, full = both_ways(bob(), identity_policies=identity)
    assert [m["label"]["name"] for m in quick.matched] == ["Inline", "Named"]
    assert message(quick) == message(full) == (
        f"{HEAD} with an explicit deny in an identity-based policy: arn:aws:iam::{ACCOUNT}:policy/Named"
    )


def test_inline_denies_only_are_all_evaluated_and_a_later_type_names_no_policy():
    deny = stmt("Deny")
    quick, full = both_ways(bob(), identity_policies=[inline("identity", "Inline", deny)],
                            boundary_policies=[managed("boundary", "Edge", deny)])
    assert quick.matched == full.matched and len(quick.matched) == 2
    assert quick.denied_by == "identity"
    assert message(quick) == f"{HEAD} with an explicit deny in an identity-based policy"


def test_a_resource_policy_deny_ends_the_evaluation_at_once():
    quick, full = both_ways(
        bob(),
        resource_policy=bucket_policy(stmt("Deny", resource=f"{BUCKET}/*", Principal="*", Sid="A"),
                                      stmt("Deny", resource=f"{BUCKET}/*", Principal="*", Sid="B")),
        boundary_policies=[managed("boundary", "Edge", stmt("Deny"))],
        session_policies=labelled("session", policy(stmt("Deny"))),
    )
    assert [m["sid"] for m in quick.matched] == ["A"]
    assert [m["label"]["type"] for m in full.matched] == ["resource", "resource", "boundary", "session"]
    assert message(quick) == message(full) == f"{HEAD} with an explicit deny in a resource-based policy"


def test_a_boundary_deny_names_the_boundary_and_skips_the_session_policies():
    quick, full = both_ways(
        bob(),
        identity_policies=[managed("identity", "Allow", stmt())],
        boundary_policies=[managed("boundary", "Edge", stmt("Deny"))],
        session_policies=labelled("session", policy(stmt("Deny"))),
    )
    assert [m["label"]["type"] for m in quick.matched] == ["boundary"]
    assert [m["label"]["type"] for m in full.matched] == ["boundary", "session"]
    assert message(quick) == message(full) == (
        f"{HEAD} with an explicit deny in a permissions boundary: arn:aws:iam::{ACCOUNT}:policy/Edge"
    )


def test_a_session_policy_deny_is_the_last_scan():
    quick, full = both_ways(bob(), identity_policies=[managed("identity", "Allow", stmt())],
                            session_policies=labelled("session", policy(stmt("Deny")), policy(stmt("Deny"))))
    assert len(quick.matched) == 1 and len(full.matched) == 2
    assert message(quick) == message(full) == f"{HEAD} with an explicit deny in a session policy"


# --- denial messages -----------------------------------------------------------------


HEAD = f"User: {BOB} is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/x"


def message(decision):
    return denial_message(BOB, "iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", decision)


def test_message_for_no_identity_policy():
    assert message(Decision("implicitDeny", [], "identity")) == (
        f"{HEAD} because no identity-based policy allows the iam:CreateUser action"
    )


def test_message_for_boundary_implicit_deny():
    assert message(Decision("implicitDeny", [], "boundary")) == (
        f"{HEAD} because no permissions boundary allows the iam:CreateUser action"
    )


def test_message_for_session_implicit_deny():
    assert message(Decision("implicitDeny", [], "session")) == (
        f"{HEAD} because no session policy allows the iam:CreateUser action"
    )


def test_message_for_resource_implicit_deny():
    assert message(Decision("implicitDeny", [], "resource")) == (
        f"{HEAD} because no resource-based policy allows the iam:CreateUser action"
    )


def test_message_for_explicit_deny_in_inline_identity_policy():
    match = {"label": {"type": "identity", "name": "inline"}, "sid": None, "statement_index": 0, "effect": "Deny"}
    assert message(Decision("explicitDeny", [match], "identity")) == (
        f"{HEAD} with an explicit deny in an identity-based policy"
    )


def test_message_for_explicit_deny_in_managed_policy_names_it():
    arn = f"arn:aws:iam::{ACCOUNT}:policy/NoIam"
    match = {"label": {"type": "identity", "arn": arn}, "sid": None, "statement_index": 0, "effect": "Deny"}
    assert message(Decision("explicitDeny", [match], "identity")) == (
        f"{HEAD} with an explicit deny in an identity-based policy: {arn}"
    )


def test_message_for_explicit_deny_in_boundary_names_it():
    arn = f"arn:aws:iam::{ACCOUNT}:policy/Boundary"
    match = {"label": {"type": "boundary", "arn": arn}, "sid": None, "statement_index": 0, "effect": "Deny"}
    assert message(Decision("explicitDeny", [match], "boundary")) == (
        f"{HEAD} with an explicit deny in a permissions boundary: {arn}"
    )


def test_message_for_explicit_deny_in_resource_policy():
    match = {"label": {"type": "resource", "arn": BUCKET}, "sid": None, "statement_index": 0, "effect": "Deny"}
    assert message(Decision("explicitDeny", [match], "resource")) == (
        f"{HEAD} with an explicit deny in a resource-based policy"
    )


def test_message_for_explicit_deny_in_session_policy():
    assert message(Decision("explicitDeny", [], "session")) == f"{HEAD} with an explicit deny in a session policy"


def test_message_uses_the_policy_of_the_denying_type():
    matches = [
        {"label": {"type": "resource", "arn": BUCKET}, "sid": None, "statement_index": 0, "effect": "Deny"},
        {"label": None, "sid": None, "statement_index": 0, "effect": "Deny"},
    ]
    assert message(Decision("explicitDeny", matches, "identity")).endswith("an identity-based policy")


def test_message_for_an_allowed_decision_is_an_error():
    with pytest.raises(ValueError):
        message(Decision("allowed"))


def test_evaluated_decision_produces_message():
    decision = decide(Request("iam:CreateUser", f"arn:aws:iam::{ACCOUNT}:user/x", BOB, ACCOUNT))
    assert message(decision).endswith("because no identity-based policy allows the iam:CreateUser action")


def test_request_without_principal_has_no_principal_keys():
    request = Request("s3:GetObject", f"{BUCKET}/k")
    assert "aws:principalarn" not in request.lowered_context and "aws:principalaccount" not in request.lowered_context


def test_canonical_user_principal_never_matches_iam_callers():
    rp = bucket_policy(stmt(resource=f"{BUCKET}/*", Principal={"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}))
    assert not decide(bob(), [], resource_policy=rp).allowed


def test_resource_variable_with_question_mark_in_region():
    p = policy(stmt(action="sqs:*", resource="arn:aws:sqs:us-east-?:*:${aws:username}-queue"))
    request = bob("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:bob-queue", **{"aws:username": "bob"})
    assert decide(request, [p]).allowed


def test_resource_question_mark_in_resource_part():
    p = policy(stmt(resource="arn:aws:s3:::demo-bucket/?.txt"))
    assert decide(bob(resource=f"{BUCKET}/a.txt"), [p]).allowed and not decide(bob(resource=f"{BUCKET}/ab.txt"), [p]).allowed


def test_principal_arn_of_a_role_session_is_the_role():
    request = Request("s3:GetObject", f"{BUCKET}/k", SESSION, ACCOUNT, "AssumedRole", session_issuer_arn=ROLE)
    assert request.lowered_context["aws:principalarn"] == ROLE


def test_principal_arn_of_a_federated_user_is_its_session():
    request = Request("s3:GetObject", f"{BUCKET}/k", FEDERATED, ACCOUNT, "FederatedUser", session_issuer_arn=BOB)
    assert request.lowered_context["aws:principalarn"] == FEDERATED


def test_variable_matcher_cache_is_bounded():
    p = policy(stmt(resource="arn:aws:s3:::demo-bucket/${aws:username}/*"))
    for n in range(1100):
        decide(bob(resource=f"{BUCKET}/u{n}/k", **{"aws:username": f"u{n}"}), [p])
    template = p.statements[0].resources.templates[0]
    assert len(template._compiled) <= 1025 and decide(bob(resource=f"{BUCKET}/z/k", **{"aws:username": "z"}), [p]).allowed


def test_a_policy_whose_statements_name_only_other_resources_is_passed_over_with_one_prefix_test():
    other = policy(
        stmt(resource="arn:aws:s3:::other-bucket/*"),
        stmt(effect="Deny", resource="arn:aws:s3:::logs-${aws:username}/*"),
        stmt(action="s3:PutObject", resource="*"),
    )
    statements, gate = other.for_action("s3:getobject")
    assert len(statements) == 2 and gate == ("arn:aws:s3:::other-bucket/", "arn:aws:s3:::logs-")
    assert evaluate(bob(), identity_policies=labelled("identity", other)).decision == "implicitDeny"
    # Within the gate, each statement is still decided on its own.
    assert evaluate(bob(resource="arn:aws:s3:::other-bucket/k"),
                    identity_policies=labelled("identity", other)).decision == "allowed"
    decision = evaluate(bob(resource="arn:aws:s3:::logs-bob/k", **{"aws:username": "bob"}),
                        identity_policies=labelled("identity", other))
    assert decision.decision == "explicitDeny"


def test_a_statement_for_any_resource_leaves_its_policy_ungated():
    mixed = policy(stmt(resource="arn:aws:s3:::other-bucket/*"), stmt(effect="Deny", resource="*"),
                   stmt(resource=None, NotResource="arn:aws:s3:::x/*"))
    statements, gate = mixed.for_action("s3:getobject")
    assert len(statements) == 3 and gate is None
    assert evaluate(bob(), identity_policies=labelled("identity", mixed)).decision == "explicitDeny"
    assert mixed.for_action("iam:getuser") == ((), None)

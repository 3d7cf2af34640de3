"""Policy grammar and validation: AWS's MalformedPolicyDocument and LimitExceeded texts."""

import json

import pytest

from iam.policy import PolicyError, PolicySizeError, compile_policy, policy_size, size_message, validate_policy


def doc(*statements, version="2012-10-17", **top):
    body = dict(top)
    if version is not None:
        body["Version"] = version
    body["Statement"] = list(statements)
    return json.dumps(body)


def allow(**extra):
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    statement.update(extra)
    return statement


def trust(**extra):
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}
    statement.update(extra)
    return statement


def error(text, kind="identity", **kwargs):
    with pytest.raises(PolicyError) as caught:
        validate_policy(text, kind, **kwargs)
    return caught.value.message


# --- identity-based policies ---------------------------------------------------------


def test_valid_identity_policy_compiles_its_statements():
    policy = validate_policy(doc(allow(Sid="One"), allow(Sid="Two", Effect="Deny")), "identity")
    assert [(s.sid, s.effect) for s in policy.statements] == [("One", "Allow"), ("Two", "Deny")]


def test_invalid_json_is_a_syntax_error():
    assert error("{not json") == "Syntax errors in policy."


def test_json_that_is_not_an_object_is_a_syntax_error():
    assert error("[]") == "Syntax errors in policy."


def test_unknown_top_level_element_is_a_syntax_error():
    assert error(doc(allow(), Foo="bar")) == "Syntax errors in policy."


def test_missing_statement_is_a_syntax_error():
    assert error(json.dumps({"Version": "2012-10-17"})) == "Syntax errors in policy."


def test_empty_statement_list_is_a_syntax_error():
    assert error(doc()) == "Syntax errors in policy."


def test_unknown_version_is_a_syntax_error():
    assert error(doc(allow(), version="2012-10-18")) == "Syntax errors in policy."


def test_non_string_id_is_a_syntax_error():
    assert error(doc(allow(), Id=5)) == "Syntax errors in policy."


def test_statement_that_is_not_an_object_is_a_syntax_error():
    assert error(doc("Allow")) == "Syntax errors in policy."


def test_unknown_statement_element_is_a_syntax_error():
    assert error(doc(allow(Foo="bar"))) == "Syntax errors in policy."


def test_action_and_notaction_together_are_a_syntax_error():
    assert error(doc(allow(NotAction="s3:PutObject"))) == "Syntax errors in policy."


def test_missing_effect_is_a_syntax_error_in_identity_policies():
    statement = allow()
    del statement["Effect"]
    assert error(doc(statement)) == "Syntax errors in policy."


def test_effect_other_than_allow_or_deny_is_a_syntax_error():
    assert error(doc(allow(Effect="Permit"))) == "Syntax errors in policy."


def test_lowercase_effect_fails_legacy_parsing():
    assert error(doc(allow(Effect="allow"))) == "The policy failed legacy parsing"


def test_action_of_wrong_type_is_a_syntax_error():
    assert error(doc(allow(Action=5))) == "Syntax errors in policy."


def test_list_with_non_string_resource_is_a_syntax_error():
    assert error(doc(allow(Resource=["*", 3]))) == "Syntax errors in policy."


def test_non_string_sid_is_a_syntax_error():
    assert error(doc(allow(Sid=1))) == "Syntax errors in policy."


def test_condition_that_is_not_an_object_is_a_syntax_error():
    assert error(doc(allow(Condition=["x"]))) == "Syntax errors in policy."


def test_condition_operator_block_that_is_not_an_object_is_a_syntax_error():
    assert error(doc(allow(Condition={"StringEquals": "x"}))) == "Syntax errors in policy."


def test_condition_value_of_wrong_type_is_a_syntax_error():
    assert error(doc(allow(Condition={"StringEquals": {"aws:username": {"a": 1}}}))) == "Syntax errors in policy."


def test_unknown_condition_operator_is_a_syntax_error_in_identity_policies():
    block = {"StringEqualz": {"aws:username": "bob"}}
    assert error(doc(allow(Condition=block))) == "Syntax errors in policy."


def test_null_with_if_exists_is_not_an_operator():
    block = {"NullIfExists": {"aws:username": "true"}}
    assert error(doc(allow(Condition=block))) == "Syntax errors in policy."


def test_unknown_condition_operator_with_empty_block_is_accepted():
    validate_policy(doc(allow(Condition={"StringEqualz": {}})), "identity")


def test_boolean_and_number_condition_values_are_accepted():
    block = {"Bool": {"aws:SecureTransport": True}, "NumericLessThan": {"s3:max-keys": [10, 2.5]}}
    validate_policy(doc(allow(Condition=block)), "identity")


def test_principal_in_identity_policy_is_rejected():
    assert error(doc(allow(Principal="*"))) == "Policy document should not specify a principal."


def test_notprincipal_in_boundary_is_rejected():
    assert error(doc(allow(NotPrincipal={"AWS": "*"})), "boundary") == "Policy document should not specify a principal."


def test_managed_policy_requires_version_2012_10_17():
    message = error(doc(allow(), version="2008-10-17"), managed=True)
    assert message == "Policy document must be version 2012-10-17 or greater."


def test_managed_policy_without_version_is_rejected():
    message = error(doc(allow(), version=None), managed=True)
    assert message == "Policy document must be version 2012-10-17 or greater."


def test_inline_policy_without_version_is_accepted():
    assert validate_policy(doc(allow(), version=None), "identity").version is None


def test_inline_policy_with_2008_version_is_accepted():
    assert validate_policy(doc(allow(), version="2008-10-17"), "identity").version == "2008-10-17"


def test_invalid_date_in_date_condition_fails_legacy_parsing():
    block = {"DateGreaterThan": {"aws:CurrentTime": "yesterday"}}
    assert error(doc(allow(Condition=block))) == "The policy failed legacy parsing"


def test_impossible_calendar_date_fails_legacy_parsing():
    block = {"DateLessThan": {"aws:CurrentTime": ["2020-02-30T00:00:00Z"]}}
    assert error(doc(allow(Condition=block))) == "The policy failed legacy parsing"


def test_epoch_date_condition_is_accepted():
    validate_policy(doc(allow(Condition={"DateLessThan": {"aws:EpochTime": "1700000000"}})), "identity")


def test_resource_with_double_colon_and_too_few_parts_fails_legacy_parsing():
    assert error(doc(allow(Resource="arn:aws::bucket"))) == "The policy failed legacy parsing"


def test_duplicate_sids_are_rejected():
    message = error(doc(allow(Sid="Same"), allow(Sid="Same")))
    assert message == "Statement IDs (SID) in a single policy must be unique."


def test_empty_sids_may_repeat():
    validate_policy(doc(allow(Sid=""), allow(Sid="")), "identity")


def test_non_alphanumeric_sid_is_rejected():
    message = error(doc(allow(Sid="my-sid")))
    assert message == (
        "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
    )


def test_statement_without_action_is_rejected():
    statement = allow()
    del statement["Action"]
    assert error(doc(statement)) == "Policy statement must contain actions."


def test_empty_action_list_is_rejected():
    assert error(doc(allow(Action=[]))) == "Policy statement must contain actions."


def test_statement_without_resource_is_rejected():
    statement = allow()
    del statement["Resource"]
    assert error(doc(statement)) == "Policy statement must contain resources."


def test_empty_resource_list_is_rejected():
    assert error(doc(allow(Resource=[]))) == "Policy statement must contain resources."


def test_resource_that_is_not_an_arn_is_rejected():
    assert error(doc(allow(Resource="bucket"))) == 'Resource bucket must be in ARN format or "*".'


def test_not_resource_is_checked_like_resource():
    statement = allow(NotResource="bucket")
    del statement["Resource"]
    assert error(doc(statement)) == 'Resource bucket must be in ARN format or "*".'


def test_unknown_partition_is_rejected_with_the_arn_echoed():
    message = error(doc(allow(Resource="arn:aws-moon:s3:::bucket")))
    assert message == 'Partition "aws-moon" is not valid for resource "arn:aws-moon:s3:::bucket".'


def test_unknown_partition_of_short_resource_echoes_wildcards():
    message = error(doc(allow(Resource="arn:nope")))
    assert message == 'Partition "nope" is not valid for resource "arn:nope:*:*:*:*".'


def test_wildcard_service_in_resource_is_rejected():
    message = error(doc(allow(Resource="arn:aws:*:::x")))
    assert message == "Resource vendor must be fully qualified and cannot contain regexes."


def test_iam_resource_with_region_is_rejected():
    message = error(doc(allow(Resource="arn:aws:iam:us-east-1:123456789012:user/bob")))
    assert message == "IAM resource arn:aws:iam:us-east-1:123456789012:user/bob cannot contain region information."


def test_s3_resource_with_region_is_rejected():
    message = error(doc(allow(Resource="arn:aws:s3:us-east-1::bucket")))
    assert message == "Resource arn:aws:s3:us-east-1::bucket can not contain region information."


def test_iam_resource_of_unknown_type_is_rejected():
    message = error(doc(allow(Resource="arn:aws:iam::123456789012:widget/x")))
    assert message.startswith('IAM resource path must either be "*" or start with user/, federated-user/, role/')


def test_iam_resource_star_is_accepted():
    validate_policy(doc(allow(Resource="arn:aws:iam::123456789012:*")), "identity")


def test_action_without_vendor_is_rejected():
    message = error(doc(allow(Action="GetObject")))
    assert message == "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."


def test_action_with_two_colons_is_rejected():
    assert error(doc(allow(Action="s3:Get:Object"))) == "Actions/Condition can contain only one colon."


def test_action_with_invalid_vendor_is_rejected():
    assert error(doc(allow(Action="s*3:GetObject"))) == "Vendor s*3 is not valid"


def test_unknown_actions_are_valid():
    validate_policy(doc(allow(Action=["ec2:FooBar", "madeup:Thing"])), "identity")


def test_single_statement_object_is_accepted():
    body = json.dumps({"Version": "2012-10-17", "Statement": allow()})
    assert len(validate_policy(body, "identity").statements) == 1


def test_single_string_and_list_values_compile_alike():
    one = validate_policy(doc(allow(Action="s3:GetObject", Resource="*")), "identity").statements[0]
    many = validate_policy(doc(allow(Action=["s3:GetObject"], Resource=["*"])), "identity").statements[0]
    assert one.action_test("s3:getobject") and many.action_test("s3:getobject")


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_policy(doc(allow()), "scp")


# --- size quotas ---------------------------------------------------------------------


def test_size_counts_characters_other_than_white_space():
    assert policy_size('{ "a" :\t"b c"\r\n}') == 10


def test_policy_at_the_limit_is_accepted():
    text = doc(allow())
    validate_policy(text, "identity", policy_size(text))


def test_managed_policy_over_the_limit_reports_policy_size():
    text = doc(allow())
    with pytest.raises(PolicySizeError) as caught:
        validate_policy(text, "identity", policy_size(text) - 1)
    assert caught.value.message == f"Cannot exceed quota for PolicySize: {policy_size(text) - 1}"


def test_white_space_does_not_count_towards_the_limit():
    text = doc(allow())
    padded = text.replace(",", ",   \n\t")
    validate_policy(padded, "identity", policy_size(text))


def test_trust_policy_over_the_limit_reports_acl_size_per_role():
    with pytest.raises(PolicySizeError) as caught:
        validate_policy(doc(trust(Sid="x" * 2100)), "trust", 2048)
    assert caught.value.message == "Cannot exceed quota for ACLSizePerRole: 2048"


def test_inline_policy_over_the_limit_names_its_owner():
    with pytest.raises(PolicySizeError) as caught:
        validate_policy(doc(allow(Sid="x" * 2100)), "identity", 2048, owner=("user", "alice"))
    assert caught.value.message == "Maximum policy size of 2048 bytes exceeded for user alice"


def test_size_message_for_group_inline_policies():
    assert size_message("identity", 5120, ("group", "devs")) == "Maximum policy size of 5120 bytes exceeded for group devs"


# --- trust policies ------------------------------------------------------------------


def test_valid_trust_policy_compiles():
    policy = validate_policy(doc(trust(Condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}})), "trust")
    assert policy.kind == "trust"


def test_trust_policy_with_invalid_json():
    assert error("{", "trust") == "This policy contains invalid Json"


def test_trust_policy_that_is_not_an_object():
    assert error("[]", "trust") == "This policy contains invalid Json"


def test_trust_policy_with_unknown_top_level_element():
    assert error(doc(trust(), Foo=1), "trust") == "Syntax errors in policy."


def test_trust_policy_with_invalid_version():
    assert error(doc(trust(), version="2020-01-01"), "trust") == "The policy must contain a valid version string"


def test_trust_policy_with_empty_statement():
    assert error(doc(), "trust") == "Could not parse the policy: Statement is empty!"


def test_trust_policy_with_statement_of_wrong_type():
    assert error(json.dumps({"Statement": "x"}), "trust") == "Syntax errors in policy."


def test_trust_statement_that_is_not_an_object():
    assert error(doc(5), "trust") == "Syntax errors in policy."


def test_trust_statement_with_both_action_and_notaction():
    message = error(doc(trust(NotAction="sts:TagSession")), "trust")
    assert message == "Statement/policy already has instance of Action"


def test_trust_statement_with_action_of_wrong_type():
    assert error(doc(trust(Action=7)), "trust") == "Syntax errors in policy."


def test_trust_statement_with_sid_of_wrong_type():
    assert error(doc(trust(Sid=7)), "trust") == "Syntax errors in policy."


def test_trust_policy_missing_effect():
    statement = trust()
    del statement["Effect"]
    assert error(doc(statement), "trust") == "Missing required field Effect"


def test_trust_policy_with_invalid_effect():
    assert error(doc(trust(Effect="allow")), "trust") == "Invalid effect: allow"


def test_trust_policy_missing_principal():
    statement = trust()
    del statement["Principal"]
    assert error(doc(statement), "trust") == "Missing required field Principal"


def test_trust_policy_with_empty_principal():
    assert error(doc(trust(Principal={})), "trust") == "Missing required field Principal cannot be empty!"


def test_trust_policy_with_unknown_principal_type():
    assert error(doc(trust(Principal={"User": "bob"})), "trust") == 'Invalid principal in policy: "User"'


def test_trust_policy_with_principal_of_wrong_type():
    assert error(doc(trust(Principal=["*"])), "trust") == "Syntax errors in policy."


def test_trust_policy_with_empty_principal_list():
    assert error(doc(trust(Principal={"AWS": []})), "trust") == "Syntax errors in policy."


def test_trust_policy_allow_with_notprincipal():
    statement = trust(NotPrincipal={"AWS": "*"})
    del statement["Principal"]
    assert error(doc(statement), "trust") == "Allow with NotPrincipal is not allowed."


def test_trust_policy_deny_with_notprincipal():
    statement = trust(Effect="Deny", NotPrincipal={"AWS": "*"})
    del statement["Principal"]
    assert error(doc(statement), "trust") == "AssumeRole policy must not contain NotPrincipal field."


def test_trust_policy_missing_action():
    statement = trust()
    del statement["Action"]
    assert error(doc(statement), "trust") == "Missing required field Action"


def test_trust_policy_with_non_sts_action():
    assert error(doc(trust(Action="*")), "trust") == "AssumeRole policy may only specify STS AssumeRole actions."


def test_trust_policy_with_resource():
    assert error(doc(trust(Resource="*")), "trust") == "Has prohibited field Resource"


def test_trust_policy_with_not_resource():
    assert error(doc(trust(NotResource="*")), "trust") == "AssumeRole policy must not contain resources."


def test_trust_policy_with_unknown_condition_operator():
    message = error(doc(trust(Condition={"StringEqualz": {"sts:ExternalId": "x"}})), "trust")
    assert message == "Invalid Condition type : StringEqualz"


def test_trust_policy_with_malformed_condition():
    assert error(doc(trust(Condition={"StringEquals": "x"})), "trust") == "Syntax errors in policy."


def test_trust_policy_with_duplicate_sids():
    message = error(doc(trust(Sid="A"), trust(Sid="A")), "trust")
    assert message == "The Statement Ids in the policy are not unique"


def test_trust_policy_accepts_2008_version_and_star_principal():
    validate_policy(doc(trust(Principal="*"), version="2008-10-17"), "trust")


# --- resource-based policies ---------------------------------------------------------


def bucket(**extra):
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    statement.update(extra)
    return statement


def test_resource_policy_requires_resource():
    statement = bucket()
    del statement["Resource"]
    assert error(doc(statement), "resource") == "Missing required field Resource"


def test_resource_policy_requires_principal():
    statement = bucket()
    del statement["Principal"]
    assert error(doc(statement), "resource") == "Missing required field Principal"


def test_resource_policy_accepts_notprincipal_with_deny():
    statement = bucket(Effect="Deny", NotPrincipal={"AWS": "arn:aws:iam::123456789012:user/bob"})
    del statement["Principal"]
    assert validate_policy(doc(statement), "resource").statements[0].not_principal


def test_resource_policy_with_duplicate_sids():
    message = error(doc(bucket(Sid="A"), bucket(Sid="A")), "resource")
    assert message == "Statement IDs (SID) in a single policy must be unique."


# --- compile_policy ------------------------------------------------------------------


def test_compile_policy_is_memoized():
    text = doc(allow(Sid="Memo"))
    assert compile_policy(text, "identity") is compile_policy(text, "identity")


def test_compile_policy_caches_by_kind():
    text = doc(allow(Sid="Kinds"))
    assert compile_policy(text, "identity") is not compile_policy(text, "boundary")


def test_policy_repr_names_kind_and_size():
    assert repr(compile_policy(doc(allow()), "identity")) == "<Policy identity 1 statements>"


def test_action_cache_is_bounded():
    policy = validate_policy(doc(allow()), "identity")
    for n in range(4100):
        policy.statements_for(f"s3:action{n}")
    assert len(policy._by_action) <= 4097

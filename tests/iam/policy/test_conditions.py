"""Condition operators, one behaviour each ("IAM JSON policy elements: Condition operators")."""

import json

import pytest

from iam.policy import Request, evaluate, validate_policy
from iam.policy.conditions import parse_date, parse_number

USER = "arn:aws:iam::123456789012:user/bob"


def holds(block, context=None, version="2012-10-17"):
    """Whether an Allow statement with this Condition element allows the request."""
    body = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": block}]}
    if version:
        body["Version"] = version
    policy = validate_policy(json.dumps(body), "identity")
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", USER, "123456789012", context=context or {})
    return evaluate(request, identity_policies=[({"type": "identity"}, policy)]).allowed


# --- String ----------------------------------------------------------------------------


def test_string_equals_matches_exact_value():
    assert holds({"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "johndoe"})


def test_string_equals_is_case_sensitive():
    assert not holds({"StringEquals": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"})


def test_condition_key_names_are_case_insensitive():
    assert holds({"StringEquals": {"AWS:UserName": "johndoe"}}, {"aws:username": "johndoe"})


def test_string_equals_ignore_case_matches_other_case():
    assert holds({"StringEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JohnDoe"})


def test_string_not_equals_ignore_case_rejects_other_case():
    assert not holds({"StringNotEqualsIgnoreCase": {"aws:username": "johndoe"}}, {"aws:username": "JOHNDOE"})


def test_string_equals_with_several_values_is_or():
    assert holds({"StringEquals": {"aws:username": ["alice", "bob"]}}, {"aws:username": "bob"})


def test_string_not_equals_with_several_values_is_nor():
    block = {"StringNotEquals": {"aws:username": ["alice", "bob"]}}
    assert not holds(block, {"aws:username": "bob"}) and holds(block, {"aws:username": "carol"})


def test_string_like_supports_star_and_question_mark():
    block = {"StringLike": {"s3:prefix": "home/?ob/*"}}
    assert holds(block, {"s3:prefix": "home/bob/photos"}) and not holds(block, {"s3:prefix": "home/bobby/x"})


def test_string_like_without_wildcards_is_exact():
    assert not holds({"StringLike": {"s3:prefix": "home"}}, {"s3:prefix": "home/"})


def test_string_like_with_inner_wildcard():
    assert holds({"StringLike": {"s3:prefix": "a*z"}}, {"s3:prefix": "abcz"})


def test_string_not_like_rejects_a_match():
    assert not holds({"StringNotLike": {"s3:prefix": "private/*"}}, {"s3:prefix": "private/x"})


def test_missing_key_makes_positive_operator_false():
    assert not holds({"StringEquals": {"aws:PrincipalTag/team": "blue"}}, {})


def test_missing_key_makes_negated_operator_true():
    assert holds({"StringNotLike": {"aws:PrincipalTag/team": "blue"}}, {})


def test_multiple_keys_in_one_operator_are_and():
    block = {"StringEquals": {"aws:username": "bob", "aws:RequestedRegion": "us-east-1"}}
    assert not holds(block, {"aws:username": "bob", "aws:RequestedRegion": "eu-west-1"})


def test_multiple_operators_are_and():
    block = {"StringEquals": {"aws:username": "bob"}, "Bool": {"aws:SecureTransport": "true"}}
    assert not holds(block, {"aws:username": "bob", "aws:SecureTransport": "false"})


def test_multivalued_key_without_qualifier_matches_any_value():
    assert holds({"StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["team", "env"]})


def test_negated_operator_on_multivalued_key_requires_no_value_to_match():
    assert not holds({"StringNotEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": ["team", "env"]})


# --- Numeric ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "operator, value, expected",
    [
        ("NumericEquals", "10", True),
        ("NumericNotEquals", "10", False),
        ("NumericLessThan", "10", False),
        ("NumericLessThanEquals", "10", True),
        ("NumericGreaterThan", "9.5", True),
        ("NumericGreaterThanEquals", "11", False),
    ],
)
def test_numeric_operators_compare_numbers(operator, value, expected):
    assert holds({operator: {"s3:max-keys": value}}, {"s3:max-keys": "10"}) is expected


def test_numeric_comparison_is_numeric_not_textual():
    assert holds({"NumericLessThan": {"s3:max-keys": "100"}}, {"s3:max-keys": "9"})


def test_numeric_request_value_that_is_not_a_number_does_not_match():
    assert not holds({"NumericLessThan": {"s3:max-keys": "100"}}, {"s3:max-keys": "many"})


def test_numeric_policy_value_that_is_not_a_number_never_matches():
    assert not holds({"NumericEquals": {"s3:max-keys": "ten"}}, {"s3:max-keys": "10"})


def test_numeric_request_value_given_as_int_is_compared():
    assert holds({"NumericEquals": {"s3:max-keys": 10}}, {"s3:max-keys": 10})


def test_policy_variables_are_not_substituted_in_numeric_operators():
    assert not holds({"NumericEquals": {"s3:max-keys": "${aws:limit}"}}, {"s3:max-keys": "5", "aws:limit": "5"})


# --- Date ------------------------------------------------------------------------------


def test_date_greater_than_with_iso_8601():
    block = {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}
    assert holds(block, {"aws:TokenIssueTime": "2020-06-01T12:00:00Z"})


def test_date_less_than_with_epoch_request_value():
    assert holds({"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}, {"aws:CurrentTime": "1700000000"})


def test_date_equals_compares_instants_across_time_zones():
    block = {"DateEquals": {"aws:CurrentTime": "2024-05-01T12:00:00+02:00"}}
    assert holds(block, {"aws:CurrentTime": "2024-05-01T10:00:00Z"})


def test_date_not_equals_rejects_same_instant():
    assert not holds({"DateNotEquals": {"aws:CurrentTime": "1700000000"}}, {"aws:CurrentTime": "2023-11-14T22:13:20Z"})


def test_date_with_fractional_seconds():
    block = {"DateLessThanEquals": {"aws:CurrentTime": "2024-01-01T00:00:00.500Z"}}
    assert holds(block, {"aws:CurrentTime": "2024-01-01T00:00:00.250Z"})


def test_date_greater_than_equals_and_missing_key():
    assert not holds({"DateGreaterThanEquals": {"aws:TokenIssueTime": "2020-01-01"}}, {})


def test_date_request_value_that_is_not_a_date_does_not_match():
    assert not holds({"DateLessThan": {"aws:CurrentTime": "2030-01-01"}}, {"aws:CurrentTime": "soon"})


def test_parse_date_handles_negative_offsets_and_rejects_bad_days():
    assert parse_date("2024-01-01T00:00-0130") == parse_date("2024-01-01T01:30:00Z")
    assert parse_date("2024-13-01") is None


def test_parse_number_accepts_decimals_only():
    assert parse_number(" -1.5 ") == -1.5 and parse_number("1e3") is None


# --- Bool, Binary, Null ------------------------------------------------------------------


def test_bool_matches_false():
    assert holds({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": False})


def test_bool_values_are_case_insensitive():
    assert holds({"Bool": {"aws:MultiFactorAuthPresent": "True"}}, {"aws:MultiFactorAuthPresent": "TRUE"})


def test_bool_policy_value_that_is_not_boolean_never_matches():
    assert not holds({"Bool": {"aws:SecureTransport": "yes"}}, {"aws:SecureTransport": "yes"})


def test_bool_with_policy_variable():
    assert holds({"Bool": {"aws:SecureTransport": "${aws:expected}"}}, {"aws:SecureTransport": "true", "aws:expected": "true"})


def test_binary_equals_compares_decoded_bytes():
    block = {"BinaryEquals": {"ec2:UserData": "QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}
    assert holds(block, {"ec2:UserData": b"BinaryValueInBase64"})


def test_binary_equals_accepts_base64_request_value():
    assert holds({"BinaryEquals": {"k:bin": "AAE="}}, {"k:bin": "AAE="})


def test_binary_equals_with_invalid_base64_never_matches():
    assert not holds({"BinaryEquals": {"k:bin": "%%%"}}, {"k:bin": "%%%"})


def test_null_true_matches_missing_key():
    assert holds({"Null": {"aws:TokenIssueTime": "true"}}, {})


def test_null_true_rejects_present_key():
    assert not holds({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})


def test_null_false_matches_present_key():
    assert holds({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})


def test_null_false_treats_empty_list_as_null():
    assert not holds({"Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": []})


# --- IP address ---------------------------------------------------------------------------


def test_ip_address_in_ipv4_range():
    assert holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.77"})


def test_ip_address_outside_range():
    assert not holds({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.114.1"})


def test_ip_address_without_prefix_means_slash_32():
    assert not holds({"IpAddress": {"aws:SourceIp": "203.0.113.5"}}, {"aws:SourceIp": "203.0.113.6"})


def test_ip_address_in_ipv6_range():
    block = {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}}
    assert holds(block, {"aws:SourceIp": "2001:db8:1234:5678::abcd"})


def test_ipv4_address_never_matches_ipv6_range():
    assert not holds({"IpAddress": {"aws:SourceIp": "::/0"}}, {"aws:SourceIp": "10.0.0.1"})


def test_not_ip_address_matches_outside_range():
    assert holds({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, {"aws:SourceIp": "198.51.100.7"})


def test_invalid_request_address_does_not_match():
    assert not holds({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": "not-an-ip"})


def test_invalid_policy_network_never_matches():
    assert not holds({"IpAddress": {"aws:SourceIp": "300.1.1.1/8"}}, {"aws:SourceIp": "10.0.0.1"})


def test_ip_request_value_as_bytes_does_not_match():
    assert not holds({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"aws:SourceIp": b"\x0a\x00\x00\x01"})


# --- ARN ------------------------------------------------------------------------------------


def test_arn_equals_matches_each_component():
    block = {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:topic"}}
    assert holds(block, {"aws:SourceArn": "arn:aws:sns:us-east-2:123456789012:topic"})


def test_arn_like_wildcard_does_not_cross_colons():
    block = {"ArnLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert not holds(block, {"aws:SourceArn": value})


def test_string_like_wildcard_crosses_colons():
    block = {"StringLike": {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}
    value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
    assert holds(block, {"aws:SourceArn": value})


def test_arn_like_question_mark_in_region():
    block = {"ArnLike": {"aws:SourceArn": "arn:aws:sqs:us-east-?:*:queue"}}
    assert holds(block, {"aws:SourceArn": "arn:aws:sqs:us-east-1:123456789012:queue"})


def test_arn_not_like_rejects_match():
    block = {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}}
    assert not holds(block, {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/admin-ops"})


def test_arn_not_equals_with_missing_key_is_true():
    assert holds({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"}}, {})


def test_arn_like_with_policy_variable():
    block = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::${aws:username}-*"}}
    assert holds(block, {"aws:SourceArn": "arn:aws:s3:::bob-logs", "aws:username": "bob"})


# --- IfExists -------------------------------------------------------------------------------


def test_if_exists_is_true_when_key_missing():
    assert holds({"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}, {})


def test_if_exists_checks_present_key():
    block = {"StringLikeIfExists": {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}
    assert not holds(block, {"ec2:InstanceType": "c5.large"})


def test_negated_if_exists_with_missing_key_is_true():
    assert holds({"StringNotEqualsIfExists": {"aws:PrincipalTag/team": "red"}}, {})


# --- ForAllValues / ForAnyValue ----------------------------------------------------------


ATTRIBUTES = ["PostDateTime", "Message", "Tags"]


def test_for_all_values_true_when_every_request_value_matches():
    block = {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRIBUTES}}
    assert holds(block, {"dynamodb:requestedAttributes": ["PostDateTime", "Message"]})


def test_for_all_values_false_when_one_request_value_does_not_match():
    block = {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": ATTRIBUTES}}
    assert not holds(block, {"dynamodb:requestedAttributes": ["PostDateTime", "UserName"]})


def test_for_all_values_true_when_key_missing():
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}, {})


def test_for_all_values_true_for_empty_set():
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": []})


def test_for_any_value_true_when_one_request_value_matches():
    block = {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}
    assert holds(block, {"dynamodb:requestedAttributes": ["UserName", "Message", "PostDateTime"]})


def test_for_any_value_false_when_none_match():
    block = {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}
    assert not holds(block, {"dynamodb:requestedAttributes": ["UserName"]})


def test_for_any_value_false_when_key_missing():
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {})


def test_for_any_value_false_for_empty_set():
    assert not holds({"ForAnyValue:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": []})


def test_for_any_value_if_exists_true_when_key_missing():
    assert holds({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "env"}}, {})


def test_for_all_values_with_negated_operator_requires_every_value_to_differ():
    block = {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}
    assert not holds(block, {"aws:TagKeys": ["key1:legal"]}) and holds(block, {"aws:TagKeys": ["key2:audit"]})


def test_for_any_value_with_negated_operator_needs_one_differing_value():
    block = {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}}
    assert holds(block, {"aws:TagKeys": ["a", "c"]}) and not holds(block, {"aws:TagKeys": ["a", "b"]})


def test_set_qualifier_on_single_string_value():
    assert holds({"ForAllValues:StringEquals": {"aws:TagKeys": "env"}}, {"aws:TagKeys": "env"})


def test_set_qualifier_with_policy_variable():
    block = {"ForAnyValue:StringEquals": {"aws:TagKeys": "${aws:username}"}}
    assert holds(block, {"aws:TagKeys": ["x", "bob"], "aws:username": "bob"})


# --- policy variables in conditions -----------------------------------------------------


def test_string_like_with_policy_variable():
    block = {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}
    assert holds(block, {"s3:prefix": "home/bob/", "aws:username": "bob"})


def test_policy_variable_value_is_literal_not_a_wildcard():
    block = {"StringLike": {"s3:prefix": "home/${aws:username}"}}
    assert not holds(block, {"s3:prefix": "home/alice", "aws:username": "*"})


def test_special_star_variable_is_a_literal_asterisk():
    block = {"StringLike": {"s3:prefix": "a${*}b*"}}
    assert holds(block, {"s3:prefix": "a*bc"}) and not holds(block, {"s3:prefix": "axbc"})


def test_special_question_and_dollar_variables():
    assert holds({"StringEquals": {"s3:prefix": "why${?}${$}"}}, {"s3:prefix": "why?$"})


def test_variable_with_no_value_makes_positive_operator_false():
    assert not holds({"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}, {"s3:ExistingObjectTag/Team": "x"})


def test_variable_with_no_value_makes_negated_operator_true():
    block = {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}}
    assert holds(block, {"s3:ExistingObjectTag/Team": "blue"})


def test_variable_default_is_used_when_key_missing():
    block = {"StringEquals": {"s3:prefix": "${aws:PrincipalTag/team, 'company-wide'}"}}
    assert holds(block, {"s3:prefix": "company-wide"})


def test_variable_is_literal_without_version():
    block = {"StringEquals": {"s3:prefix": "${aws:username}"}}
    assert holds(block, {"s3:prefix": "${aws:username}", "aws:username": "bob"}, version=None)


def test_string_equals_ignore_case_with_variable():
    block = {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}
    assert holds(block, {"aws:PrincipalTag/team": "Blue", "aws:ResourceTag/team": "BLUE"})


def test_multivalued_key_cannot_be_a_variable():
    assert not holds({"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}, {"s3:prefix": "a", "aws:TagKeys": ["a", "b"]})


def test_single_element_list_can_be_a_variable():
    assert holds({"StringEquals": {"s3:prefix": "${aws:TagKeys}"}}, {"s3:prefix": "a", "aws:TagKeys": ["a"]})


def test_negated_operator_with_variable_and_missing_key_is_true():
    assert holds({"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}}, {"aws:username": "bob"})


def test_empty_variable_braces_are_literal_text():
    assert holds({"StringEquals": {"s3:prefix": "a${}b"}}, {"s3:prefix": "a${}b"})


def test_variable_whose_context_value_is_not_text_has_no_value():
    assert not holds({"StringEquals": {"s3:prefix": "${aws:flag}"}}, {"s3:prefix": "true", "aws:flag": b"true"})


def test_string_like_star_matches_any_present_value():
    assert holds({"StringLike": {"s3:prefix": "*"}}, {"s3:prefix": "anything"})


def test_arn_like_star_matches_any_present_value():
    assert holds({"ArnLike": {"aws:SourceArn": "*"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"})

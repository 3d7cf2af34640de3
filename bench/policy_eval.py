"""Micro-benchmark of iam.policy.evaluate: 10 identity policies x 10 statements, some
with conditions. Prints the median and p95 microseconds per decision for each
scenario. Run: .venv/bin/python bench/policy_eval.py"""

import json
import os
import statistics
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from iam.policy import Request, compile_policy, evaluate  # noqa: E402

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/bob"


def _statement(policy, index):
    if policy == 0 and index == 0:
        return {"Sid": "ReadUsers", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"], "Resource": "*"}
    if index == 9:
        return {
            "Sid": f"DenyWithoutMfa{policy}",
            "Effect": "Deny",
            "Action": "iam:Delete*",
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"},
                "NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]},
            },
        }
    if index % 3 == 0:
        return {
            "Effect": "Allow",
            "Action": [f"s3:Get{policy}{index}*", f"ec2:Describe{policy}{index}*"],
            "Resource": f"arn:aws:s3:::bucket-{policy}-{index}/${{aws:username}}/*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}},
        }
    return {
        "Effect": "Allow",
        "Action": [f"svc{policy}:Action{index}", f"iam:Tag{policy}{index}"],
        "Resource": f"arn:aws:iam::{ACCOUNT}:role/team-{policy}-{index}-*",
    }


POLICIES = [
    (
        {"type": "identity", "name": f"P{policy}", "arn": f"arn:aws:iam::{ACCOUNT}:policy/P{policy}"},
        compile_policy(
            json.dumps({"Version": "2012-10-17", "Statement": [_statement(policy, i) for i in range(10)]}), "identity"
        ),
    )
    for policy in range(10)
]

# Worst case: every statement's action covers the request, so each one's Resource (with a
# policy variable in half of them) and Condition must be evaluated, and none applies.
DENSE = [
    (
        {"type": "identity", "name": f"D{policy}"},
        compile_policy(
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:*",
                            "Resource": f"arn:aws:s3:::bucket-{policy}-{i}/${{aws:username}}/*"
                            if i % 2
                            else f"arn:aws:s3:::bucket-{policy}-{i}/*",
                            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
                        }
                        for i in range(10)
                    ],
                }
            ),
            "identity",
        ),
    )
    for policy in range(10)
]

CONTEXT = {
    "aws:username": "bob",
    "aws:userid": "AIDAEXAMPLE",
    "aws:SourceIp": "198.51.100.7",
    "aws:MultiFactorAuthPresent": "false",
    "aws:RequestedRegion": "us-east-1",
    "aws:SecureTransport": "true",
}

SCENARIOS = {
    "allow by first statement": Request("iam:GetUser", USER, USER, ACCOUNT, context=CONTEXT),
    "implicit deny, all 100 statements scanned": Request(
        "dynamodb:GetItem", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t", USER, ACCOUNT, context=CONTEXT
    ),
    "explicit deny with conditions": Request(
        "iam:DeleteUser", f"arn:aws:iam::{ACCOUNT}:user/alice", USER, ACCOUNT, context=CONTEXT
    ),
}


def main():
    scenarios = [(name, request, POLICIES) for name, request in SCENARIOS.items()]
    scenarios.append(
        (
            "implicit deny, 100 statements fully evaluated",
            Request("s3:GetObject", "arn:aws:s3:::elsewhere/bob/k", USER, ACCOUNT, context=CONTEXT),
            DENSE,
        )
    )
    for name, request, policies in scenarios:
        decision = evaluate(request, identity_policies=policies)
        number = 2000
        runs = timeit.repeat(lambda: evaluate(request, identity_policies=policies), number=number, repeat=50)
        per_call = sorted(run / number * 1e6 for run in runs)
        median = statistics.median(per_call)
        p95 = per_call[int(len(per_call) * 0.95) - 1]
        print(f"{name:45s} {decision.decision:13s} median {median:6.2f} us   p95 {p95:6.2f} us")


if __name__ == "__main__":
    main()

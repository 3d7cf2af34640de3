from iam.policy import Decision, denial_message


def test_a_trust_policy_refusal_reads_as_aws_says_it():
    decision = Decision("implicitDeny", [], "resource")
    assert denial_message(
        "arn:aws:iam::111122223333:user/bob", "sts:AssumeRole", "arn:aws:iam::111122223333:role/admin", decision
    ) == (
        "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: sts:AssumeRole on resource: "
        "arn:aws:iam::111122223333:role/admin"
    )

from tests.conftest import ALICE_EMAIL, ALICE_PASSWORD, BOB_PASSWORD

FAILED = "Your authentication information is incorrect. Please try again."


def root_sign_in(client, email=ALICE_EMAIL, password=ALICE_PASSWORD, meta=None, **fields):
    return client.post("/signin/root", {"email": email, "password": password, **fields}, **(meta or {}))


def iam_sign_in(client, account="111122223333", username="bob", password=BOB_PASSWORD, meta=None, **fields):
    data = {"account": account, "username": username, "password": password, **fields}
    return client.post("/signin/iam", data, **(meta or {}))

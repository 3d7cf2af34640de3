from tests.console.conftest import bob_client, root_client  # noqa: F401  (signed-in console clients)

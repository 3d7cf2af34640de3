from django.contrib.auth.hashers import Argon2PasswordHasher


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Still Argon2id, with small costs so the suite's hundreds of hashes take seconds."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1

"""An in-memory keyring backend for unit tests.

Its module path is under ``tests``, so zwr's classifier would call it insecure; it pretends
to be a Secret Service backend by module name, which is what the classifier checks.
"""

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1
    __module__ = "keyring.backends.SecretService"  # classified as secure, like the real one

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]

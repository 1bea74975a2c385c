"""Credentials and local storage: config, keyring, bookmarks, history. Never imports Textual."""

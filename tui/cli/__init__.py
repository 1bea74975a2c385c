"""Headless command line: ``zwr get``, ``zwr watch``, ``zwr tasks``, ``zwr sim`` and friends.

Imports are lazy per command so ``zwr get`` loads neither Textual nor keyring.
"""

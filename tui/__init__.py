"""zwr: a terminal explorer for Zuora Workflow runs.

This top-level module stays import-light on purpose: ``zwr get`` must start as fast as a
bare httpx script, so nothing here pulls in Textual, keyring or httpx.
"""

__version__ = "0.1.0"

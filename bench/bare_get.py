"""Baseline for figure 1: the same GET a script would write with bare httpx."""

import os
import sys

import httpx

response = httpx.get(
    f"{os.environ['ZUORA_BASE_URL']}/workflows/workflow_runs/{sys.argv[1]}",
    headers={"Authorization": f"Bearer {os.environ['ZUORA_BEARER_TOKEN']}"},
)
response.raise_for_status()
print(response.text)

"""How simulated tasks fail, and which records they touch: the texts an on-call engineer reads.

Zuora documents the error fields of a task (``error``: the reason, ``error_class``,
``error_details``: a string) but not their wording; its own example shows
``WorkflowError::Callout`` with "Callout response was 500 after 1 tries." (``data.Tasks.Previous``).
The kinds below follow that style, and each carries the record it failed on in its text (an
invoice number, a 32-hex Zuora ID, a UUID, a timestamp), as real errors do, so that zwr's
error grouping has something to normalise.

Records: tasks of every run touch the same pool of invoices and accounts (``record``), so a
record ID finds tasks in several runs (``zwr find --object-id``), as a real tenant's would.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

RECORD_POOL = 200  # distinct invoices (and accounts) the simulated tenant's workflows touch
BILLING_HOOK = "https://hooks.acme-billing.example"  # the host whose callouts answer 500
LEDGER_API = "https://ledger.acme-erp.example"  # the host whose callouts time out

# name -> what the task did (action type, name prefix); the legacy kind is the original demo's
KINDS = {
    "callout": ("Callout", "Notify billing webhook"),
    "callout-500": ("Callout", "Notify billing webhook"),
    "timeout": ("Callout", "Post journal entry"),
    "validation": ("Create", "Create payment"),
}

_OBJECT_CODES = {"Invoice": "0e1c", "Account": "0a11", "Payment": "0fa7"}


def record(index: int) -> tuple[str, int]:
    """The object a task works on and its number in the pool: every third task an invoice."""
    return ("Invoice" if index % 3 == 0 else "Account"), index % RECORD_POOL


def record_id(obj: str, number: int) -> str:
    """A 32-hex Zuora ID for record ``number`` of ``obj``, the same in every run."""
    return f"8a8082c4{_OBJECT_CODES.get(obj, '0000')}{number:020x}"


def record_number(object_id: str) -> int | None:
    """The pool number in a record ID made by ``record_id`` (None for any other ID)."""
    if len(object_id) != 32 or not object_id.startswith("8a8082c4"):
        return None
    try:
        number = int(object_id[12:], 16)
    except ValueError:
        return None
    return number if number < RECORD_POOL else None


def invoice_number(number: int) -> str:
    return f"INV-{number + 1:08d}"


def _moment(created: datetime, index: int) -> str:
    return created.strftime("%Y-%m-%dT%H:%M:%S") + f".{index % 1000:03d}Z"


def callout_exchange(url: str, body: dict[str, Any], code: int, response: dict[str, Any]) -> dict[str, Any]:
    """``data.Callout`` with the keys and JSON types of Zuora's example."""
    return {
        "RequestBody": body,
        "RequestHeaders": {"Content-Type": "application/json"},
        "ResponseBody": response,
        "ResponseCode": code,
        "ResponseHeaders": {"content-type": ["application/json"], "server": ["acme-hooks"]},
        "URL": url,
    }


def succeed_callout(task: dict[str, Any], index: int) -> None:
    """A successful callout: the billing webhook told about the task's invoice."""
    _, number = record(index)
    invoice = invoice_number(number)
    url = f"{BILLING_HOOK}/invoices/{invoice}"
    task["parameters"] = {"url": url, "http_method": "POST", "retries": "3"}
    task["data"]["Callout"] = callout_exchange(url, {"invoice": invoice}, 200, {"ok": True})


def fail(task: dict[str, Any], kind: str, index: int, run_id: int, created: datetime) -> None:
    """Turn ``task`` (an Error task, already built) into a failure of ``kind``."""
    action, prefix = KINDS.get(kind, KINDS["callout"])
    task["action_type"], task["name"] = action, f"{prefix} #{index + 1}"
    _, number = record(index)
    invoice = invoice_number(number)
    if kind == "timeout":
        request = uuid.uuid5(uuid.NAMESPACE_URL, f"zwr-sim/{run_id}/{index}")
        url = f"{LEDGER_API}/api/v2/journal/{request}"
        task["object"], task["object_id"] = "Invoice", record_id("Invoice", number)
        task["call_type"] = "REST"
        task["parameters"] = {"url": url, "http_method": "POST", "timeout": "30", "retries": "3"}
        task["data"]["Callout"] = callout_exchange(
            url, {"invoice": invoice, "amount": 120.5}, 504, {"message": "upstream request timeout"}
        )
        task["error"] = f"Callout to {url} timed out after 30 seconds (3 tries)"
        task["error_class"] = "WorkflowError::Timeout"
        task["error_details"] = (
            f"Net::ReadTimeout at {_moment(created, index)}: no answer within 30.0 s (request {request})"
        )
    elif kind == "validation":
        account = record_id("Account", number)
        task["object"], task["object_id"] = "Payment", record_id("Payment", number)
        task["call_type"] = "SOAP"
        task["parameters"] = {"object": "Payment", "AccountId": account}
        message = f"Invalid value for field AccountId: {account}"
        task["error"] = message
        task["error_class"] = "WorkflowError::Validation"
        task["error_details"] = json.dumps(
            {"Success": False, "Errors": [{"Code": "INVALID_VALUE", "Message": message}]}, separators=(",", ":")
        )
    else:
        # the original demo named the invoice after the task's position; kept so its texts stay the same
        url = f"{BILLING_HOOK}/invoices/{invoice if kind == 'callout-500' else invoice_number(index)}"
        task["object"], task["object_id"] = "Invoice", record_id("Invoice", number)
        task["call_type"] = "REST"
        task["parameters"] = {"url": url, "http_method": "POST", "retries": "3"}
        response: dict[str, Any] = {"error": "database timeout", "retryable": True}
        task["data"]["Callout"] = callout_exchange(url, {"invoice": invoice}, 500, response)
        task["error_class"] = "WorkflowError::Callout"
        if kind == "callout-500":
            task["error"] = "Callout response was 500 after 3 tries."
            task["error_details"] = json.dumps(
                {"url": url, "method": "POST", "tries": 3, "response_code": 500, "response_body": response},
                separators=(",", ":"),
            )
        else:  # the original demo's wording (tests and snapshots read it)
            task["error"] = f"Callout to {url} failed: HTTP 500 Internal Server Error"
            task["error_details"] = (
                f"Callout response was 500 after 3 tries. Response body: {json.dumps(response, separators=(',', ':'))}"
            )

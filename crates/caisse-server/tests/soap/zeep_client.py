#!/usr/bin/env python3
"""A merchant's SOAP client for caisse's Office Serveur, written with zeep (PyPI).

Loads each family's WSDL from a running caisse, pays with checkout/cardOrder, reads the
transaction back with diagnostic/getTransactionData, cancels part of it, asks
paymentMeanInfo/getCardData about a co-badged card, pays with a token from
token/paymentTokenGenerate (once only), and sends one request with a wrong seal.
Requests are sealed and answers' seals checked as PROTOCOLS.md section 1 describes.

Usage: zeep_client.py <caisse base URL>. Exit status 0 only when every check passes; a missing
zeep is an ImportError, hence a failure (the Rust test that runs this must not skip).
"""

import hashlib
import hmac
import sys
import uuid

import zeep
from zeep.helpers import serialize_object

MERCHANT = "011223344550000"
SECRET = "secret123"
UNSEALED_REQUEST_FIELDS = {"seal", "keyVersion", "sealAlgorithm"}


def fold(value):
    """A value's contribution to the seal: text as is, containers by field name, lists in order."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "".join(fold(value[name]) for name in sorted(value, key=lambda name: name.encode()))
    if isinstance(value, (list, tuple)):
        return "".join(fold(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def seal(fields, secret, excluded):
    data = "".join(
        fold(fields[name]) for name in sorted(fields, key=lambda name: name.encode()) if name not in excluded
    )
    return hmac.new(secret.encode(), data.encode(), hashlib.sha256).hexdigest()


def present(value):
    """zeep gives every declared field, absent ones as None or []: keep what the answer holds."""
    if isinstance(value, dict):
        kept = {name: present(item) for name, item in value.items()}
        return {name: item for name, item in kept.items() if item not in (None, [], {})}
    if isinstance(value, list):
        return [present(item) for item in value]
    return value


class Office:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.clients = {}

    def client(self, family):
        if family not in self.clients:
            self.clients[family] = zeep.Client(f"{self.base_url}/services/v2/{family}?wsdl")
        return self.clients[family]

    def call(self, family, method, prefix, fields, secret=SECRET):
        request = dict(fields, merchantId=MERCHANT, interfaceVersion=f"{prefix}2.53", keyVersion="1")
        request["seal"] = seal(request, secret, UNSEALED_REQUEST_FIELDS)
        output = getattr(self.client(family).service, method)(input=request)
        answer = present(serialize_object(output, dict))
        if "seal" in answer:
            expected = seal(answer, SECRET, {"seal"})
            check(answer["seal"] == expected, f"{method}: answer seal {answer['seal']} != {expected}")
        return answer


def check(condition, message):
    if not condition:
        print(f"FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    office = Office(sys.argv[1])
    reference = "ZEEP" + uuid.uuid4().hex[:12].upper()

    order = office.call("checkout", "cardOrder", "IR_WS_", {
        "amount": "2500",
        "currencyCode": "978",
        "cardNumber": "4100000000000000",
        "cardExpiryDate": "203012",
        "cardCSCValue": "123",
        "captureMode": "AUTHOR_CAPTURE",
        "captureDay": "0",
        "orderChannel": "INTERNET",
        "transactionReference": reference,
        "orderId": "ZEEP-1",
        "customerContact": {"email": "buyer@example.com"},
    })
    check(order.get("responseCode") == "00", f"cardOrder: {order}")
    check(order.get("maskedPan") == "4100##########00", f"cardOrder maskedPan: {order}")
    check("4100000000000000" not in str(order), "cardOrder answered the full card number")

    data = office.call("diagnostic", "getTransactionData", "DR_WS_", {"transactionReference": reference})
    check(data.get("responseCode") == "00", f"getTransactionData: {data}")
    check(data.get("transactionStatus") == "TO_CAPTURE", f"getTransactionData status: {data}")
    check(data.get("currentAmount") == "2500", f"getTransactionData amount: {data}")

    cancel = office.call("cashManagement", "cancel", "CR_WS_", {
        "transactionReference": reference, "operationAmount": "1000", "currencyCode": "978",
    })
    check(cancel.get("responseCode") == "00" and cancel.get("newAmount") == "1500", f"cancel: {cancel}")

    card = office.call("paymentMeanInfo", "getCardData", "PMR_WS_", {"cardNumber": "4300000000000000"})
    brands = [entry.get("cardBrand") for entry in card.get("cardData", [])]
    check(card.get("responseCode") == "00" and brands == ["CB", "VISA"], f"getCardData: {card}")

    # A hosted-fields style payment: the card becomes a single-use token, cardOrder pays with it.
    generated = office.call("token", "paymentTokenGenerate", "TR_WS_", {
        "cardNumber": "4100000000000000", "cardExpiryDate": "203012", "cardCSCValue": "123",
    })
    token = generated.get("paymentToken", "")
    check(generated.get("responseCode") == "00" and token.count(".") == 2, f"paymentTokenGenerate: {generated}")
    by_token = {
        "amount": "1200", "currencyCode": "978", "orderChannel": "INTERNET",
        "transactionReference": reference + "T", "paymentToken": token,
    }
    paid = office.call("checkout", "cardOrder", "IR_WS_", by_token)
    check(paid.get("responseCode") == "00" and paid.get("maskedPan") == "4100##########00", f"cardOrder by token: {paid}")
    again = office.call("checkout", "cardOrder", "IR_WS_", dict(by_token, transactionReference=reference + "U"))
    check(again.get("responseCode") == "24", f"a payment token pays once: {again}")

    forged = office.call("diagnostic", "getTransactionData", "DR_WS_", {"transactionReference": reference},
                         secret="not-the-key")
    check(forged.get("responseCode") == "34", f"wrong seal: {forged}")

    print("zeep: all checks passed")


if __name__ == "__main__":
    main()

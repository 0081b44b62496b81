"""What the process tests share: the test data, a tenant secret, and the pseudonym formula."""

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent.parent.parent / "data" / "process"
SECRET = b"tenant-secret-for-the-tests"
PSEUDONYMS = "urn:learningrecord:pseudonym"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def pseudonym(ifi: str, secret: bytes = SECRET) -> dict[str, str]:
    """The account keyed pseudonymisation must give the learner of canonical IFI ``ifi``."""
    name = hmac.new(secret, ifi.encode(), hashlib.sha256).hexdigest()
    return {"homePage": PSEUDONYMS, "name": name}

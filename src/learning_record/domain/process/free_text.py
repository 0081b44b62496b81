"""Personal data inside free text: e-mail addresses, phone numbers, IP addresses and known names.

Each is replaced by a bracketed word ("[email]", "[phone]", "[ip]", "[name]") so that a reader
still sees that something was there. Patterns favour removing too much over leaving a match: a
long number written like a phone number is removed even when it was something else.
"""

import ipaddress
import re
from collections.abc import Iterable

_DIGIT = re.compile(r"[0-9]")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])"
    r"(?!\.?[0-9])"
)
# Candidates only: ipaddress decides, so that clock times such as "23:09:00" are left alone.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f.]{0,15}){2,8}(?![\w:])")
_PHONE_CANDIDATE = re.compile(r"(?<![\w/+.\-])(?:\+|00)?[0-9][0-9 ().\-]{6,22}[0-9](?!\w)")
# Dates look like phone numbers ("2021-11-29", "29/11/2021") and are not personal data.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-][0-9]{2,4}")
# E.164: at most 15 digits; below 8, too many ordinary numbers would be taken for phones.
_PHONE_DIGITS = range(8, 16)


def scrubbed(text: str, names: Iterable[str] = ()) -> str:
    """``text`` without e-mail addresses, IP addresses, phone numbers, and any of ``names``."""
    # Each pattern runs only where it could match: most strings in statements are identifiers.
    if "@" in text:
        text = _EMAIL.sub("[email]", text)
    if ":" in text:
        text = _IPV6_CANDIDATE.sub(_ipv6, text)
    if _DIGIT.search(text):
        text = _IPV4.sub("[ip]", text)
        text = _PHONE_CANDIDATE.sub(_phone, text)
    for name in names:
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "[name]", text, flags=re.IGNORECASE)
    return text


def name_forms(name: str) -> list[str]:
    """A name and its words of three letters or more, longest first ("Lovelace, Ada" gives
    "Lovelace, Ada", "Lovelace", "Ada"), so that a name written in another order is found."""
    words = [word for word in re.split(r"[\s,]+", name) if len(word) >= 3]
    return sorted({name.strip(), *words} - {""}, key=len, reverse=True)


def _ipv6(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group())
    except ValueError:
        return match.group()
    return "[ip]"


def _phone(match: re.Match[str]) -> str:
    candidate = match.group()
    digits = sum(character.isdigit() for character in candidate)
    if digits not in _PHONE_DIGITS or _DATE.search(candidate):
        return candidate
    return "[phone]"

"""The rules of check-profiles: one walk over a profiles.yaml's data.

Every problem becomes a finding at the line of the value that causes it, and
one problem never hides another: a misspelled key (``contributers:``) is
reported and its value is still checked as the key it most likely means.
Each step is linear in the file, so a file of 10,000 members or 60,000
unknown keys is checked in well under a second.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Sequence

from precommit_hooks.core import yamldata
from precommit_hooks.core.findings import ERROR, WARNING, Finding, finding
from precommit_hooks.core.lookalikes import check_lookalikes
from precommit_hooks.core.text import DNS_1123_MAX, closest, did_you_mean, is_dns_label

# GitHub logins: alphanumerics and single hyphens, no hyphen at either end, <= 39.
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")
GITHUB_MAX = 39
# Namespaces Kubernetes and Kubeflow keep for themselves.
RESERVED_NAMES = {"default", "kubeflow", "istio-system", "cert-manager", "auth"}
# Unknown keys reported one by one in a mapping; the rest in one summary line.
MAX_UNKNOWN_REPORTED = 100
# An RFC 5322 dot-atom local part: what nearly every address is.  Anything
# else goes through email_validator whole.
_PLAIN_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
)
_MAX_LOCAL = 64
_MAX_ADDRESS = 254


@functools.lru_cache(maxsize=1024)
def domain_problem(domain: str) -> str:
    """email_validator's reason ``domain`` is no email domain, or ''.

    Checked once per domain: thousands of members share a handful of domains,
    and the domain is where email_validator spends its time.
    """
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email("postmaster@" + domain, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return ""


def email_problem(address: str) -> str:
    """Why ``address`` is not a valid email, or '' (fast for plain addresses)."""
    local, _, domain = address.rpartition("@")
    if len(address) <= _MAX_ADDRESS and len(local) <= _MAX_LOCAL:
        if _PLAIN_LOCAL.fullmatch(local) and domain.isascii():
            return domain_problem(domain)
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return ""


def describe_non_string(value: Any, source: str) -> str:
    """Explain a scalar YAML read as something other than text, with the fix."""
    got = yamldata.type_name(value)
    if value is None:
        return "got an empty value (null); write the value or remove the entry"
    scalar = isinstance(value, (bool, int, float))
    if scalar and source and source[0] not in "'\"[{":
        return f"YAML reads the unquoted {source} as {got}; quote it: '{source}'"
    return f"got {got}"


class Checker:
    """Collects findings for one file while walking its data."""

    def __init__(self, path: str, text: str, allowed_domains: Sequence[str]) -> None:
        self.path = path
        self.text = text
        self.allowed = [d.lower().lstrip("@") for d in allowed_domains]
        self.found: list[Finding] = []

    def add(self, pos: Any, rule: str, message: str, level: str = ERROR) -> None:
        self.found.append(finding(self.path, pos, rule, message, level))

    def unknown_keys(
        self, mapping: dict, allowed: Sequence[str], where: str
    ) -> dict[str, Any]:
        """Report keys not in ``allowed``; map each missing allowed key to its typo.

        The returned ``{allowed key: the key written}`` lets the caller check a
        misspelled key's value as the key it means.
        """
        unknown = [key for key in mapping if key not in allowed]
        means: dict[str, Any] = {}
        for key in unknown[:MAX_UNKNOWN_REPORTED]:
            pos = mapping.key_pos.get(key) if hasattr(mapping, "key_pos") else None
            pos = pos or yamldata.pos_of(mapping, key)
            written = yamldata.source_at(self.text, pos)
            if not isinstance(key, str) and written:
                # `on:` or `no:` as a key: YAML 1.1 made it a boolean.
                shown, word = (
                    f"{written!r} (read as {yamldata.type_name(key)})",
                    written,
                )
            else:
                shown, word = repr(str(key)), str(key)
            guess = closest(word.lower(), allowed)
            if guess and guess not in mapping and guess not in means:
                means[guess] = key
            self.add(
                pos,
                "profiles-unknown-key",
                f"unknown key {shown} in {where}{did_you_mean(word.lower(), allowed)}"
                f"; allowed keys: {', '.join(allowed)}",
            )
        if len(unknown) > MAX_UNKNOWN_REPORTED:
            rest = unknown[MAX_UNKNOWN_REPORTED:]
            self.add(
                yamldata.pos_of(mapping, rest[0]),
                "profiles-unknown-key",
                f"{len(rest)} more unknown keys in {where} from here on; "
                f"allowed keys: {', '.join(allowed)}",
            )
        return means

    def string(self, container: Any, key: Any, what: str) -> str | None:
        value = container[key]
        pos = yamldata.pos_of(container, key)
        if isinstance(value, str):
            return value
        source = yamldata.source_at(self.text, pos)
        self.add(
            pos,
            "profiles-type",
            f"{what} must be a string; {describe_non_string(value, source)}",
        )
        return None

    def name(self, profile: yamldata.PosDict, key: Any = "name") -> str | None:
        if key not in profile:
            self.add(
                profile.pos,
                "profiles-missing",
                "profiles has no 'name'; add the profile name, e.g. name: my-project",
            )
            return None
        value = self.string(profile, key, "profiles.name")
        if value is None:
            return None
        pos = profile.pos_of(key)
        if len(value) > DNS_1123_MAX:
            self.add(
                pos,
                "profiles-name",
                f"profiles.name {value!r} is {len(value)} characters; a Kubernetes "
                f"namespace name has at most {DNS_1123_MAX}",
            )
            return None
        if not is_dns_label(value):
            suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
            hint = f"; e.g. {suggestion!r}" if suggestion else ""
            self.add(
                pos,
                "profiles-name",
                f"profiles.name {value!r} is not a DNS-1123 label: use lowercase "
                f"letters, digits and '-', starting and ending with a letter or "
                f"digit{hint}",
            )
            return None
        if value in RESERVED_NAMES or value.startswith("kube-"):
            self.add(
                pos,
                "profiles-name",
                f"profiles.name {value!r} is a namespace the cluster keeps for "
                "itself; choose the project's own name",
                WARNING,
            )
        return value

    def email(self, raw: str, pos: Any, where: str) -> str | None:
        """``raw`` when it is an address (a look-alike one is reported, kept)."""
        if "@" not in raw:
            fix = (
                f"write {{email: <address>, github: {raw}}}"
                if GITHUB_LOGIN.match(raw)
                else "write the person's email address"
            )
            self.add(pos, "profiles-email", f"{where} {raw!r} is not an email; {fix}")
            return None
        # ASCII is NFKC already and has one script: most files skip the check.
        lookalike = "" if raw.isascii() else check_lookalikes(where, raw)
        if lookalike:
            # Kept, so that the original beside it is reported as a duplicate.
            self.add(pos, "profiles-lookalike", lookalike)
            return raw
        problem = email_problem(raw)
        if problem:
            self.add(
                pos,
                "profiles-email",
                f"{where} {raw!r} is not a valid email: {problem}",
            )
            return None
        domain = raw.rpartition("@")[2].lower()
        if self.allowed and domain not in self.allowed:
            self.add(
                pos,
                "profiles-domain",
                f"{where} {raw!r} is outside the allowed domains "
                f"({', '.join(self.allowed)}); use the person's address there",
            )
        return raw

    def github(self, member: yamldata.PosDict, key: Any = "github") -> str | None:
        value = self.string(member, key, "github")
        if value is None:
            return None
        if len(value) > GITHUB_MAX or not GITHUB_LOGIN.match(value):
            self.add(
                member.pos_of(key),
                "profiles-github",
                f"github {value!r} is not a valid GitHub login: 1-{GITHUB_MAX} "
                "letters, digits or single hyphens, not starting or ending with '-'",
            )
            return None
        return value


def duplicate_findings(checker: Checker, members: list[Any]) -> None:
    """Report a person listed twice (look-alikes included) or a login shared."""
    seen: dict[str, Any] = {}
    logins: dict[str, Any] = {}
    for member in members:
        first = seen.setdefault(member.key, member)
        if first is not member:
            checker.add((member.line, member.col), *_duplicate_message(first, member))
        if member.github is None:
            continue
        other = logins.setdefault(member.github.casefold(), member)
        if other.key != member.key:
            checker.add(
                (member.line, member.col),
                "profiles-duplicate",
                f"github login {member.github!r} is given to {other.email!r} "
                f"(line {other.line}) and {member.email!r}; one login, one person",
            )


def _duplicate_message(first: Any, member: Any) -> tuple[str, str]:
    if first.role != member.role:
        return (
            "profiles-overlap",
            f"{member.email!r} is both admin (line {first.line}) and "
            "contributor; keep them in one list (admins already can edit)",
        )
    same = first.email.casefold() == member.email.casefold()
    how = "emails ignore case" if same else f"a look-alike of {first.email!r}"
    return (
        "profiles-duplicate",
        f"{member.email!r} is listed twice in {member.role}s (first at "
        f"line {first.line}, {how}); remove one",
    )


__all__ = ["Checker", "duplicate_findings", "describe_non_string", "email_problem"]

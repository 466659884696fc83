"""The platform's ``profiles.yaml``: the model other code imports, and check-profiles.

The file says who administers a project and who contributes to it::

    # yaml-language-server: $schema=<path or URL of profiles.schema.json>
    profiles:
      name: iris-classifier          # a DNS-1123 label: the Kubeflow profile
      admins:
        - alice@example.com
      contributors:
        - email: bob@example.com
          github: bob-gh             # needed to authorise /run-pipeline comments

:func:`load_profiles` returns ``(Profiles or None, findings)``: a model only
when the file has no error, so callers (``dsp onboard``, ``dsp authorize``)
never act on a half-valid file.  The same rules are shipped for editors as a
JSON Schema (``schemas/profiles.schema.json``); this module checks more than
the schema can say (case-insensitive duplicates, overlap, real email parsing).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

from precommit_hooks.core import yamlio
from precommit_hooks.core.findings import ERROR, WARNING, Finding, finding

SCHEMA_FILE = "schemas/profiles.schema.json"

TOP_KEYS = ("profiles",)
PROFILE_KEYS = ("name", "admins", "contributors")
MEMBER_KEYS = ("email", "github")

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_MAX = 63
# GitHub logins: alphanumerics and single hyphens, no hyphen at either end, <= 39.
GITHUB_LOGIN = re.compile(r"^[A-Za-z0-9](?:-?[A-Za-z0-9])*$")
GITHUB_MAX = 39
# Namespaces Kubernetes and Kubeflow keep for themselves.
RESERVED_NAMES = {"default", "kubeflow", "istio-system", "cert-manager", "auth"}


@dataclass(frozen=True)
class Member:
    """One person: an email (as written) and, when given, a GitHub login."""

    email: str
    github: str | None
    role: str  # "admin" or "contributor"
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        """The identity used for duplicates: the email, case-insensitively."""
        return self.email.casefold()


@dataclass(frozen=True)
class Profiles:
    """A valid profiles.yaml: the profile name, its admins and contributors."""

    name: str
    admins: tuple[Member, ...]
    contributors: tuple[Member, ...]
    path: str = ""

    @property
    def members(self) -> tuple[Member, ...]:
        """Admins first, then contributors, in file order."""
        return self.admins + self.contributors

    @property
    def owner(self) -> Member:
        """The first admin: Kubeflow's profile owner."""
        return self.admins[0]

    def by_github(self, login: str) -> Member | None:
        """The member with this GitHub login (GitHub logins ignore case)."""
        wanted = login.casefold()
        for member in self.members:
            if member.github is not None and member.github.casefold() == wanted:
                return member
        return None

    def by_email(self, email: str) -> Member | None:
        """The member with this email (case-insensitive)."""
        wanted = email.casefold()
        for member in self.members:
            if member.key == wanted:
                return member
        return None


def schema_path() -> str:
    """Filesystem path of the shipped JSON Schema (for editors and tests)."""
    import os

    return os.path.join(os.path.dirname(os.path.dirname(__file__)), SCHEMA_FILE)


def did_you_mean(key: Any, allowed: Sequence[str]) -> str:
    """' (did you mean 'x'?)' when ``key`` is close to an allowed key, else ''."""
    if not isinstance(key, str):
        return ""
    close = difflib.get_close_matches(key.lower(), allowed, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe_non_string(value: Any, source: str) -> str:
    """Explain a scalar YAML read as something other than text, with the fix."""
    got = yamlio.type_name(value)
    if value is None:
        return "got an empty value (null); write the value or remove the entry"
    scalar = isinstance(value, (bool, int, float)) or value is None
    if scalar and source and source[0] not in "'\"[{":
        return f"YAML reads the unquoted {source} as {got}; quote it: '{source}'"
    return f"got {got}"


class _Checker:
    """Collects findings for one file while walking its data."""

    def __init__(self, path: str, text: str, allowed_domains: Sequence[str]) -> None:
        self.path = path
        self.text = text
        self.allowed = [d.lower().lstrip("@") for d in allowed_domains]
        self.found: list[Finding] = []

    def add(self, pos: Any, rule: str, message: str, level: str = ERROR) -> None:
        self.found.append(finding(self.path, pos, rule, message, level))

    def unknown_keys(self, mapping: dict, allowed: Sequence[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                pos = mapping.key_pos.get(key) if hasattr(mapping, "key_pos") else None
                pos = pos or yamlio.pos_of(mapping, key)
                written = yamlio.source_at(self.text, pos)
                if not isinstance(key, str) and written:
                    # `on:` or `no:` as a key: YAML 1.1 made it a boolean.
                    shown = f"{written!r} (read as {yamlio.type_name(key)})"
                    hint = did_you_mean(written, allowed)
                else:
                    shown, hint = repr(str(key)), did_you_mean(key, allowed)
                self.add(
                    pos,
                    "profiles-unknown-key",
                    f"unknown key {shown} in {where}{hint}; "
                    f"allowed keys: {', '.join(allowed)}",
                )

    def string(self, container: Any, key: Any, what: str) -> str | None:
        value = container[key]
        pos = yamlio.pos_of(container, key)
        if isinstance(value, str):
            return value
        source = yamlio.source_at(self.text, pos)
        self.add(
            pos,
            "profiles-type",
            f"{what} must be a string; {describe_non_string(value, source)}",
        )
        return None

    def name(self, profile: dict) -> str | None:
        if "name" not in profile:
            self.add(
                profile.pos,
                "profiles-missing",
                "profiles has no 'name'; add the profile name, e.g. name: my-project",
            )
            return None
        value = self.string(profile, "name", "profiles.name")
        if value is None:
            return None
        pos = profile.pos_of("name")
        if len(value) > DNS1123_MAX:
            self.add(
                pos,
                "profiles-name",
                f"profiles.name {value!r} is {len(value)} characters; a Kubernetes "
                f"namespace name has at most {DNS1123_MAX}",
            )
            return None
        if not DNS1123_LABEL.match(value):
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
        if "@" not in raw:
            fix = (
                f"write {{email: <address>, github: {raw}}}"
                if GITHUB_LOGIN.match(raw)
                else "write the person's email address"
            )
            self.add(pos, "profiles-email", f"{where} {raw!r} is not an email; {fix}")
            return None
        # Lazy: only files that reach this point pay for the import.
        from email_validator import EmailNotValidError, validate_email

        try:
            parsed = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            self.add(
                pos, "profiles-email", f"{where} {raw!r} is not a valid email: {exc}"
            )
            return None
        domain = parsed.domain.lower()
        if self.allowed and domain not in self.allowed:
            self.add(
                pos,
                "profiles-domain",
                f"{where} {raw!r} is outside the allowed domains "
                f"({', '.join(self.allowed)}); use the person's address there",
            )
        return raw

    def github(self, member: dict) -> str | None:
        value = self.string(member, "github", "github")
        if value is None:
            return None
        pos = member.pos_of("github")
        if len(value) > GITHUB_MAX or not GITHUB_LOGIN.match(value):
            self.add(
                pos,
                "profiles-github",
                f"github {value!r} is not a valid GitHub login: 1-{GITHUB_MAX} "
                "letters, digits or single hyphens, not starting or ending with '-'",
            )
            return None
        return value

    def member(self, items: Any, index: int, role: str) -> Member | None:
        item = items[index]
        pos = items.pos_of(index)
        where = f"{role} #{index + 1}"
        if isinstance(item, str):
            email = self.email(item.strip(), pos, where)
            return Member(email, None, role, *pos) if email else None
        if isinstance(item, dict):
            self.unknown_keys(item, MEMBER_KEYS, where)
            if "email" not in item:
                self.add(
                    pos,
                    "profiles-missing",
                    f"{where} has no 'email'; every member needs an email address",
                )
                return None
            raw = self.string(item, "email", f"{where} email")
            email = (
                self.email(raw.strip(), item.pos_of("email"), where) if raw else None
            )
            github = self.github(item) if "github" in item else None
            if email is None or ("github" in item and github is None):
                return None
            return Member(email, github, role, *pos)
        source = yamlio.source_at(self.text, pos)
        self.add(
            pos,
            "profiles-type",
            f"{where} must be an email or a mapping {{email, github}}; "
            f"{describe_non_string(item, source)}",
        )
        return None

    def members(self, profile: dict, key: str, role: str) -> list[Member] | None:
        if key not in profile:
            if key == "admins":
                self.add(
                    profile.pos,
                    "profiles-admins",
                    "profiles has no 'admins'; list at least one admin's email",
                )
                return None
            return []
        items = profile[key]
        pos = profile.pos_of(key)
        if not isinstance(items, list):
            hint = " (write [] for none)" if items is None and key != "admins" else ""
            self.add(
                pos,
                "profiles-type",
                f"profiles.{key} must be a list of members, got "
                f"{yamlio.type_name(items)}{hint}",
            )
            return None
        if key == "admins" and not items:
            self.add(
                pos,
                "profiles-admins",
                "profiles.admins is empty; list at least one admin (the profile owner)",
            )
            return None
        found = [self.member(items, i, role) for i in range(len(items))]
        return [m for m in found if m is not None]

    def duplicates(self, members: list[Member]) -> None:
        seen: dict[str, Member] = {}
        logins: dict[str, Member] = {}
        for member in members:
            first = seen.get(member.key)
            if first is None:
                seen[member.key] = member
            elif first.role != member.role:
                self.add(
                    (member.line, member.col),
                    "profiles-overlap",
                    f"{member.email!r} is both admin (line {first.line}) and "
                    "contributor; keep them in one list (admins already can edit)",
                )
            else:
                self.add(
                    (member.line, member.col),
                    "profiles-duplicate",
                    f"{member.email!r} is listed twice in {member.role}s (first at "
                    f"line {first.line}, emails ignore case); remove one",
                )
            if member.github is None:
                continue
            other = logins.get(member.github.casefold())
            if other is None:
                logins[member.github.casefold()] = member
            elif other.key != member.key:
                self.add(
                    (member.line, member.col),
                    "profiles-duplicate",
                    f"github login {member.github!r} is given to {other.email!r} "
                    f"(line {other.line}) and {member.email!r}; one login, one person",
                )


def check_data(
    data: Any,
    path: str,
    text: str = "",
    allowed_domains: Sequence[str] = (),
) -> tuple[Profiles | None, list[Finding]]:
    """Check parsed profiles data; the model comes back only when there is no error."""
    checker = _Checker(path, text, allowed_domains)
    if not isinstance(data, dict):
        got = yamlio.type_name(data)
        checker.add(
            getattr(data, "pos", (1, 1)),
            "profiles-type",
            f"profiles.yaml must be a mapping with a 'profiles' key, got {got}; "
            "start with 'profiles:'",
        )
        return None, checker.found
    checker.unknown_keys(data, TOP_KEYS, "the file")
    if "profiles" not in data:
        checker.add(
            data.pos,
            "profiles-missing",
            "no 'profiles' key; the file holds profiles: {name, admins, contributors}",
        )
        return None, checker.found
    profile = data["profiles"]
    if not isinstance(profile, dict):
        checker.add(
            data.pos_of("profiles"),
            "profiles-type",
            "profiles must be a mapping {name, admins, contributors}, got "
            f"{yamlio.type_name(profile)}",
        )
        return None, checker.found
    checker.unknown_keys(profile, PROFILE_KEYS, "profiles")
    name = checker.name(profile)
    admins = checker.members(profile, "admins", "admin")
    contributors = checker.members(profile, "contributors", "contributor")
    checker.duplicates((admins or []) + (contributors or []))
    if any(f.level == ERROR for f in checker.found) or not (
        name and admins is not None and contributors is not None
    ):
        return None, checker.found
    return Profiles(name, tuple(admins), tuple(contributors), path), checker.found


def load_profiles(
    path: str,
    allowed_domains: Sequence[str] = (),
    max_bytes: int | None = None,
) -> tuple[Profiles | None, list[Finding]]:
    """Read and check ``path``: ``(Profiles, findings)``, or ``(None, findings)``.

    Never raises for a bad file: unreadable or invalid YAML becomes a finding.
    """
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes)
    except yamlio.YamlError as exc:
        return None, [exc.finding]
    if not loaded.documents:
        found = loaded.findings + [
            finding(
                path,
                (1, 1),
                "profiles-type",
                "the file is empty; write profiles: {name, admins, contributors}",
            )
        ]
        return None, found
    data = loaded.documents[0]
    profiles, found = check_data(data, path, loaded.text, allowed_domains)
    found[:0] = loaded.findings
    if any(f.level == ERROR for f in found):
        return None, found
    return profiles, found

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

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

from precommit_hooks.access.profile_checks import (
    Checker,
    describe_non_string,
    duplicate_findings,
)
from precommit_hooks.core import yamldata, yamlio
from precommit_hooks.core.findings import ERROR, Finding, finding
from precommit_hooks.core.lookalikes import identity_key

SCHEMA_FILE = "schemas/profiles.schema.json"

TOP_KEYS = ("profiles",)
PROFILE_KEYS = ("name", "admins", "contributors")
MEMBER_KEYS = ("email", "github")


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
        """The identity used for duplicates: NFKC, any case, look-alikes as one."""
        return identity_key(self.email)


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
        """The member with this email (case-insensitive, look-alikes as one)."""
        wanted = identity_key(email)
        for member in self.members:
            if member.key == wanted:
                return member
        return None


def schema_path() -> str:
    """Filesystem path of the shipped JSON Schema (for editors and tests)."""
    return os.path.join(os.path.dirname(os.path.dirname(__file__)), SCHEMA_FILE)


def _member(checker: Checker, items: Any, index: int, role: str) -> Member | None:
    item = items[index]
    pos = items.pos_of(index)
    where = f"{role} #{index + 1}"
    if isinstance(item, str):
        email = checker.email(item.strip(), pos, where)
        return Member(email, None, role, *pos) if email else None
    if not isinstance(item, yamldata.PosDict):
        source = yamldata.source_at(checker.text, pos)
        checker.add(
            pos,
            "profiles-type",
            f"{where} must be an email or a mapping {{email, github}}; "
            f"{describe_non_string(item, source)}",
        )
        return None
    means = checker.unknown_keys(item, MEMBER_KEYS, where)
    email_key, github_key = means.get("email", "email"), means.get("github", "github")
    github = checker.github(item, github_key) if github_key in item else None
    if email_key not in item:
        checker.add(
            pos,
            "profiles-missing",
            f"{where} has no 'email'; every member needs an email address",
        )
        return None
    raw = checker.string(item, email_key, f"{where} email")
    email = checker.email(raw.strip(), item.pos_of(email_key), where) if raw else None
    if email is None or (github_key in item and github is None):
        return None
    return Member(email, github, role, *pos)


def _members(
    checker: Checker, profile: yamldata.PosDict, key: str, written: Any
) -> list[Member] | None:
    """The members under ``written`` (``key`` or its typo), or None on an error."""
    role = "admin" if key == "admins" else "contributor"
    if written not in profile:
        if key == "admins":
            checker.add(
                profile.pos,
                "profiles-admins",
                "profiles has no 'admins'; list at least one admin's email",
            )
            return None
        return []
    items = profile[written]
    pos = profile.pos_of(written)
    if not isinstance(items, list):
        hint = " (write [] for none)" if items is None and key != "admins" else ""
        checker.add(
            pos,
            "profiles-type",
            f"profiles.{key} must be a list of members, got "
            f"{yamldata.type_name(items)}{hint}",
        )
        return None
    if key == "admins" and not items:
        checker.add(
            pos,
            "profiles-admins",
            "profiles.admins is empty; list at least one admin (the profile owner)",
        )
        return None
    found = [_member(checker, items, i, role) for i in range(len(items))]
    return [m for m in found if m is not None]


def _profile_of(checker: Checker, data: Any) -> yamldata.PosDict | None:
    """The mapping under ``profiles:`` (or its typo), or None with a finding."""
    if not isinstance(data, yamldata.PosDict):
        checker.add(
            getattr(data, "pos", (1, 1)),
            "profiles-type",
            f"profiles.yaml must be a mapping with a 'profiles' key, got "
            f"{yamldata.type_name(data)}; start with 'profiles:'",
        )
        return None
    written = checker.unknown_keys(data, TOP_KEYS, "the file").get("profiles")
    written = "profiles" if written is None else written
    if written not in data:
        checker.add(
            data.pos,
            "profiles-missing",
            "no 'profiles' key; the file holds profiles: {name, admins, contributors}",
        )
        return None
    profile = data[written]
    if not isinstance(profile, yamldata.PosDict):
        checker.add(
            data.pos_of(written),
            "profiles-type",
            "profiles must be a mapping {name, admins, contributors}, got "
            f"{yamldata.type_name(profile)}",
        )
        return None
    return profile


def check_data(
    data: Any,
    path: str,
    text: str = "",
    allowed_domains: Sequence[str] = (),
) -> tuple[Profiles | None, list[Finding]]:
    """Check parsed profiles data; the model comes back only when there is no error."""
    checker = Checker(path, text, allowed_domains)
    profile = _profile_of(checker, data)
    if profile is None:
        return None, checker.found
    means = checker.unknown_keys(profile, PROFILE_KEYS, "profiles")
    name = checker.name(profile, means.get("name", "name"))
    admins = _members(checker, profile, "admins", means.get("admins", "admins"))
    contributors = _members(
        checker, profile, "contributors", means.get("contributors", "contributors")
    )
    duplicate_findings(checker, (admins or []) + (contributors or []))
    if any(f.level == ERROR for f in checker.found) or not (
        name and admins is not None and contributors is not None
    ):
        return None, checker.found
    return Profiles(name, tuple(admins), tuple(contributors), path), checker.found


def load_profiles(
    path: str,
    allowed_domains: Sequence[str] = (),
    max_bytes: int | None = None,
    size_hint: str = yamlio.SIZE_HINT,
) -> tuple[Profiles | None, list[Finding]]:
    """Read and check ``path``: ``(Profiles, findings)``, or ``(None, findings)``.

    Never raises for a bad file: unreadable or invalid YAML becomes a finding.
    """
    try:
        loaded = yamlio.load_one(path, max_bytes=max_bytes, size_hint=size_hint)
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

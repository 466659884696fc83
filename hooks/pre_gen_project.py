"""Refuse bad answers before cookiecutter writes anything a user would keep.

cookiecutter renders this file with the answers and runs it from a temporary
copy with its own interpreter, so it imports nothing beyond the standard
library. Every bad answer gets one line on stderr naming the value and the fix;
exit status 1 makes cookiecutter delete the half-made project directory.
Imported by the tests, the module does nothing until `main` is called.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address
from urllib.parse import urlsplit

MIN_COOKIECUTTER = "2.6.0"
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")
LICENSES = ("MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary")
FREE_TEXT = ("project_name", "description", "author_name")
# Kubernetes names profiles, namespaces and KFP objects after the slug.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*\Z")
LAKEFS_REPOSITORY = re.compile(r"[a-z0-9][a-z0-9-]{2,62}\Z")
REGISTRY = re.compile(
    r"[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*\Z"
)
# Jinja's openers, spelled so that cookiecutter does not render them here.
TEMPLATE_MARKERS = ("{" + "{", "{" + "%", "{" + "#")
GIT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/+-]*\Z")
# GitHub logins: 1-39 alphanumerics or single hyphens, no hyphen at either end.
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9])*\Z")
GITHUB_MAX = 39
# Names the generated package must not shadow: its own dependencies.
# ("test" is CPython's own test package, left out of sys.stdlib_module_names.)
TAKEN_NAMES = frozenset(
    {
        "sklearn",
        "joblib",
        "numpy",
        "matplotlib",
        "kfp",
        "boto3",
        "pytest",
        "test",
        "tests",
        # use_feast: Feast and what it reads with, and the feature repository's
        # modules, which `feast apply` imports by their bare names.
        "feast",
        "pandas",
        "pyarrow",
        "s3fs",
        "feature_views",
        "lakefs_source",
    }
)


def version_tuple(text: str) -> tuple[int, ...]:
    """The leading numeric release of a version string ("2.6.0rc1" -> (2, 6, 0))."""
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
        if digits.group() != piece:
            break
    return tuple(parts)


def check_cookiecutter_version(installed: str, minimum: str = MIN_COOKIECUTTER) -> str:
    """Refuse a cookiecutter older than the features this template uses."""
    if version_tuple(installed) < version_tuple(minimum):
        return (
            f"cookiecutter {installed} is too old for this template: "
            f"run `pip install 'cookiecutter>={minimum}'` and generate again"
        )
    return ""


def check_free_text(name: str, value: object) -> str:
    """Free text must be one printable line without template syntax."""
    if not isinstance(value, str):
        return f"{name} must be text, got {value!r}"
    if name == "project_name" and not value.strip():
        return "project_name is empty: answer with the project's name"
    for char in value:
        category = unicodedata.category(char)
        # Control characters and line breaks cannot live in one YAML/TOML line.
        if category in ("Cc", "Cs", "Zl", "Zp", "Cn"):
            return (
                f"{name} {value!r} contains the control character U+{ord(char):04X}:"
                " answer with one line of printable text"
            )
        # Jinja's tojson writes these as surrogate pairs, which TOML refuses.
        if ord(char) > 0xFFFF:
            return (
                f"{name} {value!r} contains {char!r} (outside the Basic Multilingual"
                " Plane, e.g. an emoji): leave it out"
            )
    for marker in TEMPLATE_MARKERS:
        if marker in value:
            return (
                f"{name} {value!r} contains the template marker {marker!r}:"
                " remove it (it would be rendered, not kept)"
            )
    return ""


def check_slug(slug: object) -> str:
    """The slug names Kubernetes objects and images: a DNS-1123 label."""
    if not isinstance(slug, str) or len(slug) > 63 or not DNS1123_LABEL.match(slug):
        return (
            f"project_slug {slug!r} is not a DNS-1123 label: use at most 63 lowercase"
            " letters, digits and '-', starting and ending with a letter or digit"
        )
    return ""


def check_package_name(name: object) -> str:
    """The package is imported by name: a lowercase identifier, not a keyword."""
    if not isinstance(name, str) or not PACKAGE.match(name):
        return (
            f"package_name {name!r} is not a lowercase Python identifier:"
            " use letters, digits and '_', not starting with a digit"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"package_name {name!r} is a Python keyword: choose another name"
    if name in sys.stdlib_module_names or name in TAKEN_NAMES:
        return (
            f"package_name {name!r} would shadow the module of the same name:"
            " choose another name"
        )
    return ""


def parse_email(text: str) -> str:
    """The normalised address, or "" when `text` is not one bare address."""
    text = text.strip()
    if not text or any(c.isspace() or ord(c) < 32 for c in text):
        return ""
    try:
        address = Address(addr_spec=text)
    except (HeaderParseError, ValueError, IndexError):
        return ""
    domain = address.domain
    labels = domain.split(".")
    # A deliverable domain has a dot and no empty label ("a@b" or "a@b..c").
    if len(labels) < 2 or not all(labels) or not address.username:
        return ""
    return f"{address.username}@{domain.lower()}"


def script_of(char: str) -> str:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER A")."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def check_lookalikes(name: str, value: str) -> str:
    """Refuse text NFKC changes, or a part (name, domain label) mixing scripts.

    A Cyrillic 'а' inside a Latin name looks the same and is another address.
    """
    normal = unicodedata.normalize("NFKC", value)
    if normal != value:
        return f"{name} {value!r} is not in NFKC form: type it as {normal!r}"
    for part in re.split(r"[@.]", value):
        letters = [c for c in part if unicodedata.category(c).startswith("L")]
        scripts = {script_of(c): c for c in reversed(letters)}  # first of each
        if len(scripts) > 1:
            shown = ", ".join(
                f"{s.title()} {c!r} (U+{ord(c):04X})" for s, c in scripts.items()
            )
            return (
                f"{name} {value!r} mixes scripts in {part!r} ({shown}), a look-alike"
                " of another address: type it in one script"
            )
    return ""


def check_email(name: str, value: object) -> str:
    """One email address, parsed by the standard library's RFC 5322 parser."""
    lookalike = check_lookalikes(name, value) if isinstance(value, str) else ""
    if lookalike or not isinstance(value, str) or not parse_email(value):
        return lookalike or (
            f"{name} {value!r} is not an email address: answer like ada@example.com"
        )
    return ""


def split_emails(value: str) -> list[str]:
    """The comma-separated list, stripped, empty items dropped."""
    return [item.strip() for item in value.split(",") if item.strip()]


def split_member(entry: str) -> tuple[str, str | None]:
    """`email` or `email:github-login` -> (email, login or None), both stripped."""
    if ":" not in entry:
        return entry.strip(), None
    email, _, login = entry.rpartition(":")
    return email.strip(), login.strip()


def check_github_login(login: str) -> bool:
    """True when `login` is a possible GitHub login (GitHub's own rules)."""
    return len(login) <= GITHUB_MAX and bool(GITHUB_LOGIN.match(login))


def check_members(admins: object, contributors: object) -> list[str]:
    """At least one admin; each entry `email[:github-login]`; nobody listed twice."""
    problems = []
    if not isinstance(admins, str) or not split_emails(admins):
        return ["admins is empty: answer with at least one email, e.g. ada@example.com"]
    if not isinstance(contributors, str):
        return [f"contributors {contributors!r} must be comma-separated emails"]
    seen: dict[str, str] = {}
    logins: dict[str, str] = {}
    for role, value in (("admins", admins), ("contributors", contributors)):
        for item in split_emails(value):
            email, login = split_member(item)
            lookalike = check_lookalikes(f"{role} entry", email)
            if lookalike:
                problems.append(lookalike)
                continue
            normalised = parse_email(email)
            if not normalised:
                problems.append(
                    f"{role} entry {item!r} is not an email address:"
                    " separate entries with commas, each an email with an optional"
                    " GitHub login: ada@example.com:ada-gh, bob@example.com"
                )
                continue
            if login is not None and not check_github_login(login):
                problems.append(
                    f"{role} entry {item!r} has {login!r} after the ':', which is"
                    f" not a GitHub login: 1-{GITHUB_MAX} letters, digits or single"
                    " hyphens, not starting or ending with '-'"
                    " (write email:login, e.g. ada@example.com:ada-gh)"
                )
                continue
            key = normalised.lower()
            if key in seen:
                problems.append(
                    f"{role} entry {item!r} is already listed in {seen[key]}:"
                    " list each person once"
                )
            seen[key] = role
            if login is not None:
                if login.lower() in logins:
                    problems.append(
                        f"{role} entry {item!r}: the GitHub login {login!r} is"
                        f" already given to {logins[login.lower()]}:"
                        " each login belongs to one person"
                    )
                logins[login.lower()] = email
    return problems


def check_url(name: str, value: object) -> str:
    """An http(s) URL with a host and nothing that needs quoting."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() or c in "\"'\\<>`{}" or ord(c) < 32 for c in value)
    ):
        return (
            f"{name} {value!r} is not an http(s) URL:"
            " answer like https://host.example.com"
        )
    return ""


def check_pattern(name: str, value: object, pattern: re.Pattern, hint: str) -> str:
    """A value that must match `pattern` in full."""
    if not isinstance(value, str) or not pattern.match(value):
        return f"{name} {value!r} is not valid: {hint}"
    return ""


def check_hooks_repo(value: object) -> str:
    """Something pre-commit can clone: a URL or a path, on one line."""
    if (
        not isinstance(value, str)
        or not value
        or value in ("local", "meta")
        or any(c.isspace() or c in "\"'\\`{}" or ord(c) < 32 for c in value)
    ):
        return (
            f"hooks_repo {value!r} is not a repository pre-commit can clone:"
            " answer with its URL, like https://github.com/org/dsp-template"
        )
    return ""


def check_hooks_rev(value: object) -> str:
    """A tag or commit; empty when the template was not a git checkout."""
    if value == "":
        return (
            "hooks_rev is empty: the template is not a git checkout, so its commit is"
            " unknown; answer hooks_repo and hooks_rev (a tag or commit of it)"
        )
    return check_pattern(
        "hooks_rev", value, GIT_REF, "answer with a tag or commit, like v0.1.0"
    )


def derived_package_name(slug: str) -> str:
    """The default package_name of cookiecutter.json for `slug` (kept in step)."""
    prefix = "ml_" if slug[:1].isdigit() else ""
    return (prefix + slug.replace("-", "_"))[:63]


def derived_lakefs_repository(slug: str) -> str:
    """The default lakefs_repository of cookiecutter.json for `slug`."""
    return slug if len(slug) >= 3 else slug + "-data"


def check_answers(answers: dict) -> list[str]:
    """Every problem with the answers, one line each (empty when all are good)."""
    problems = [check_free_text(name, answers.get(name)) for name in FREE_TEXT]
    slug = answers.get("project_slug")
    slug_problem = check_slug(slug)
    # A value derived from a bad slug is not a second mistake: name only the slug.
    derived_from_bad_slug = {
        name
        for name, derived in (
            ("package_name", derived_package_name(str(slug))),
            ("lakefs_repository", derived_lakefs_repository(str(slug))),
        )
        if slug_problem and answers.get(name) == derived
    }
    email_problem = check_email("author_email", answers.get("author_email"))
    problems += [slug_problem, email_problem]
    if "package_name" not in derived_from_bad_slug:
        problems.append(check_package_name(answers.get("package_name")))
    # The default admin is the author: a bad author email is reported once.
    if not (email_problem and answers.get("admins") == answers.get("author_email")):
        problems += check_members(answers.get("admins"), answers.get("contributors"))
    if answers.get("python_version") not in PYTHON_VERSIONS:
        problems.append(
            f"python_version {answers.get('python_version')!r} is not supported:"
            f" choose one of {', '.join(PYTHON_VERSIONS)}"
        )
    if answers.get("license") not in LICENSES:
        problems.append(
            f"license {answers.get('license')!r} is not offered:"
            f" choose one of {', '.join(LICENSES)}"
        )
    for name in ("use_tekton", "use_github_actions", "use_feast"):
        value = answers.get(name, False if name == "use_feast" else None)  # added later
        if not isinstance(value, bool):
            problems.append(f"{name} {value!r} must be yes or no")
    problems += [
        check_pattern(
            "container_registry",
            answers.get("container_registry"),
            REGISTRY,
            "answer like harbor.example.com/team (lowercase host[:port]/path)",
        ),
        check_url("kfp_host", answers.get("kfp_host")),
        check_url("lakefs_endpoint", answers.get("lakefs_endpoint")),
        (
            ""
            if "lakefs_repository" in derived_from_bad_slug
            else check_pattern(
                "lakefs_repository",
                answers.get("lakefs_repository"),
                LAKEFS_REPOSITORY,
                "use 3 to 63 lowercase letters, digits and '-'",
            )
        ),
        check_hooks_repo(answers.get("hooks_repo")),
        check_hooks_rev(answers.get("hooks_rev")),
    ]
    return [problem for problem in problems if problem]


def installed_cookiecutter() -> str:
    """The version of the cookiecutter running this hook ("0" when unknown)."""
    try:
        import cookiecutter
    except ImportError:  # run by hand, outside cookiecutter
        return "0"
    return getattr(cookiecutter, "__version__", "0")


def main(answers: dict, installed: str | None = None) -> int:
    """Print one line per bad answer on stderr; 1 when there is any."""
    version = installed if installed is not None else installed_cookiecutter()
    minimum = answers.get("_min_cookiecutter_version", MIN_COOKIECUTTER)
    problems = [check_cookiecutter_version(version, minimum)]
    problems = [p for p in problems if p] + check_answers(answers)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    # JSON escapes every quote inside a value, so no answer can end this string.
    raise SystemExit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))

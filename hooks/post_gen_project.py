"""Remove what the answers turned off, then print the next steps.

cookiecutter runs this from a temporary copy, inside the new project, with its
own interpreter: standard library only. Imported by the tests, the module does
nothing until `main` is called.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

# Folder -> the answer that keeps it.
OPTIONAL_FOLDERS = {
    ".tekton": "use_tekton",
    ".github": "use_github_actions",
    "feature_repo": "use_feast",
    # The component of features.py's @step, generated like profile-data's.
    "workflows/components/read-features": "use_feast",
}


def prune(project_dir: Path, answers: dict) -> list[str]:
    """Delete each optional folder whose answer is no; return what was removed."""
    removed = []
    for folder, answer in OPTIONAL_FOLDERS.items():
        path = project_dir / folder
        if not answers.get(answer) and path.exists():
            shutil.rmtree(path)
            removed.append(folder)
    return removed


def next_steps(answers: dict, project_dir: Path | None = None) -> str:
    """What to run in the new project, in order.

    The project's full path: with --output-dir it is not below the user's folder.
    """
    slug = answers["project_slug"]
    where = project_dir.resolve() if project_dir else slug
    lines = [
        f"Created {where}. Next steps:",
        f"  cd {where}",
        "  git init -b main && git add -A",
        "  make install      # .venv with the project, its dev tools, dsp, git hooks",
        "  make test         # unit and model tests, branch coverage 100%",
        "  make train        # trains the iris model into artifacts/",
        "  make pipeline     # compiles the Kubeflow pipeline",
    ]
    if answers.get("use_feast"):
        lines.append("  make features     # Feast: iris features, applied and read")
    if answers.get("use_tekton"):
        lines.append("  then install .tekton/ on the cluster (see .tekton/README.md)")
        members = f"{answers.get('admins', '')},{answers.get('contributors', '')}"
        # dsp authorize matches commenters by GitHub login, which emails lack.
        if ":" not in members:
            lines.append(
                "  and give yourself a `github: <login>` in profiles.yaml to start"
                " /run-pipeline runs"
            )
    return "\n".join(lines)


def main(answers: dict, project_dir: Path | None = None) -> int:
    """Prune the project in the current directory and print the next steps."""
    project_dir = project_dir or Path.cwd()
    prune(project_dir, answers)
    print(next_steps(answers, project_dir))
    return 0


if __name__ == "__main__":
    # JSON escapes every quote inside a value, so no answer can end this string.
    raise SystemExit(main(json.loads(r"""{{ cookiecutter | tojson }}""")))

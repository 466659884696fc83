"""One module per pre-commit hook id; each ends in a thin ``main(argv) -> int``."""

"""The shared core every part builds on: findings and the reporter, the guarded
YAML reader, files."""

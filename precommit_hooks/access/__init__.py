"""Who may do what: the profiles model, onboarding, the PR-comment grammar and
authorisation."""

"""Kubeflow Pipelines: pipeline version names, image-tag bumps, the KFP client."""

"""The model lifecycle: promotion gate, regression cases, the model registry."""

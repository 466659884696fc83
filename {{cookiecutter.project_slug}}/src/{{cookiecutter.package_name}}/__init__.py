"""Iris classifier: data loading, training, evaluation and behavioural cases."""

"""``dsp adopt``: bring the template into an existing repository."""

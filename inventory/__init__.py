"""The facts: what exists in the estate and how it is wired."""
